"""Coordination metrics, vectorized polars over three frames (docs/coordination.md gives every formula).

* enterprises: uscc, region_code, industry_code, employees, revenue, [total_assets, registry_status,
  registered_on, innovation_points]
* loans: uscc, bank_id, amount, rate, secured, disbursed_on, outstanding, status, first_loan,
  relending_eligible
* pushes: push_id, uscc, bank_id, pushed_at, accepted_at, declined_at, credit_at, disbursed_at, credit_amount,
  status

``compute_metrics(..., as_of, since, by)`` returns one row per group (``group`` column; "all" when not grouped).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.coordination.policy import PolicyError, read_policy

BY_CHOICES = ("region", "industry", "bank")

_TEXT = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_BAND = {"type": "object", "required": ["industries"], "additionalProperties": False,
         "minProperties": 2,
         "properties": {"industries": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                        **{k: {"type": "number", "exclusiveMinimum": 0}
                           for k in ("employees", "revenue", "total_assets")}}}
# the coverage target of a definition: a share in (0, 1] with the text it comes from, or marked an assumption with
# one line of reasoning (a target without a source must say why it is assumed)
_TARGET = {
    "type": "object", "required": ["value"], "additionalProperties": False,
    "properties": {"value": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                   "source": {"type": "string", "minLength": 1}, "assumption": {"type": "boolean"},
                   "reasoning": {"type": "string", "minLength": 1},
                   "reasoning_zh": {"type": "string", "minLength": 1}},
    "if": {"not": {"required": ["source"]}},
    "then": {"required": ["assumption", "reasoning"], "properties": {"assumption": {"const": True}}},
}
_DEFINITION = {
    "type": "object", "required": ["name", "source", "population"], "additionalProperties": False,
    "properties": {"name": _TEXT, "source": {"type": "string", "minLength": 1}, "target": _TARGET,
                   "population": {"enum": ["small_firm", "size_standard"]},
                   "individual_business_uscc_prefix": {"type": "string", "minLength": 1},
                   "active_requires_operations": {"type": "boolean"},
                   "assumptions": {"type": "array", "items": {
                       "type": "object", "required": ["field", "reasoning"], "additionalProperties": False,
                       "properties": {"field": {"type": "string"}, "reasoning": {"type": "string", "minLength": 1},
                                      "reasoning_zh": {"type": "string", "minLength": 1}}}},
                   "size_standard": {"type": "array", "minItems": 1, "items": _BAND}},
}
METRICS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "small_firm", "active_registry_statuses",
                                   "outstanding_loan_statuses", "points_bands"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "small_firm": {"type": "object", "additionalProperties": False,
                       "properties": {k: {"type": "number", "minimum": 0}
                                      for k in ("max_employees", "max_revenue", "max_total_assets")}},
        "active_registry_statuses": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "outstanding_loan_statuses": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "points_bands": {"type": "array", "items": {"type": "number"}, "minItems": 2},
        "coverage": {"type": "object", "required": ["default", "definitions"], "additionalProperties": False,
                     "properties": {"default": {"type": "string"},
                                    "definitions": {"type": "object", "minProperties": 1,
                                                    "additionalProperties": _DEFINITION}}},
    },
}


@dataclass(frozen=True)
class SizeBand:
    """Medium-size lower bounds of one industry group (中小企业划型标准规定); small or micro below any of them."""

    industries: tuple[str, ...]
    bounds: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class CoverageTarget:
    """The coverage rate the office aims at under one definition (``metrics.yaml`` ``target``)."""

    value: float
    source: str | None = None
    assumption: bool = False
    reasoning: str | None = None
    reasoning_zh: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "assumption": self.assumption,
                "reasoning": self.reasoning, "reasoning_zh": self.reasoning_zh}


@dataclass(frozen=True)
class CoverageDefinition:
    id: str
    name_zh: str
    name_en: str
    source: str
    population: str  # "small_firm" (the scale limits) or "size_standard" (划型标准)
    individual_prefix: str | None = None
    active_requires_operations: bool = False
    size_standard: tuple[SizeBand, ...] = ()
    assumptions: tuple[tuple[str, str], ...] = ()
    target: CoverageTarget | None = None
    assumptions_zh: tuple[str | None, ...] = ()  # the reasoning in Chinese, beside ``assumptions`` (for the pages)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name_zh": self.name_zh, "name_en": self.name_en, "source": self.source,
                "assumptions": [{"field": f, "reasoning": r,
                                 "reasoning_zh": self.assumptions_zh[i] if i < len(self.assumptions_zh) else None}
                                for i, (f, r) in enumerate(self.assumptions)],
                "target": self.target.as_dict() if self.target else None}


OURS = CoverageDefinition("tech_sme_scale", "科技型中小企业规模口径融资覆盖率",
                          "coverage of active small firms (tech-SME scale limits)",
                          "国科发政〔2017〕115号 scale limits", "small_firm")


@dataclass(frozen=True)
class MetricsPolicy:
    version: str
    max_employees: float | None
    max_revenue: float | None
    max_total_assets: float | None
    active_statuses: tuple[str, ...]
    outstanding_statuses: tuple[str, ...]
    points_bands: tuple[float, ...]
    coverage_default: str = "tech_sme_scale"
    coverage: tuple[CoverageDefinition, ...] = (OURS,)

    def coverage_definition(self, choice: str | None) -> CoverageDefinition:
        wanted = choice or self.coverage_default
        for d in self.coverage:
            if d.id == wanted:
                return d
        raise ValueError(f"unknown coverage definition {wanted!r}; one of {', '.join(d.id for d in self.coverage)}")

    def coverage_ids(self) -> tuple[str, ...]:
        """The ids of the coverage definitions, the default first (the choices of ``--coverage`` / ``?coverage=``)."""
        ids = [d.id for d in self.coverage]
        return (self.coverage_default, *(i for i in ids if i != self.coverage_default))

    def band_names(self) -> list[str]:
        b = self.points_bands
        return [f"points_{_n(b[i])}_{_n(b[i + 1])}" for i in range(len(b) - 1)]


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() or x > 99.99 else str(x).replace(".", "_")


def _definition(key: str, d: dict[str, Any]) -> CoverageDefinition:
    bands = tuple(SizeBand(tuple(b["industries"]), tuple((k, float(b[k])) for k in ("employees", "revenue",
                                                                                    "total_assets") if k in b))
                  for b in d.get("size_standard", []))
    t = d.get("target")
    target = (CoverageTarget(float(t["value"]), t.get("source"), bool(t.get("assumption")), t.get("reasoning"),
                             t.get("reasoning_zh")) if t else None)
    return CoverageDefinition(key, d["name"]["zh"], d["name"]["en"], d["source"], d["population"],
                              d.get("individual_business_uscc_prefix"), bool(d.get("active_requires_operations")),
                              bands, tuple((a["field"], a["reasoning"]) for a in d.get("assumptions", [])), target,
                              tuple(a.get("reasoning_zh") for a in d.get("assumptions", [])))


def load_metrics_policy(source: str | Path = "metrics.yaml") -> MetricsPolicy:
    d = read_policy(source, METRICS_SCHEMA)
    s = d["small_firm"]
    cov = d.get("coverage")
    definitions = tuple(_definition(k, v) for k, v in cov["definitions"].items()) if cov else (OURS,)
    default = cov["default"] if cov else OURS.id
    if default not in {x.id for x in definitions}:
        raise PolicyError(str(source), "$.coverage.default", f"{default!r} is not one of the definitions")
    for x in definitions:
        if x.population == "size_standard" and not x.size_standard:
            raise PolicyError(str(source), f"$.coverage.definitions.{x.id}.size_standard",
                              "population size_standard needs the size_standard table")
    return MetricsPolicy(str(d["version"]), s.get("max_employees"), s.get("max_revenue"), s.get("max_total_assets"),
                         tuple(d["active_registry_statuses"]), tuple(d["outstanding_loan_statuses"]),
                         tuple(float(x) for x in d["points_bands"]), default, definitions)


@lru_cache(maxsize=1)
def default_metrics_policy() -> MetricsPolicy:
    return load_metrics_policy()


def _col_or_null(df: pl.DataFrame, name: str, dtype: Any) -> pl.Expr:
    return pl.col(name).cast(dtype) if name in df.columns else pl.lit(None, dtype=dtype).alias(name)


def active_small_expr(df: pl.DataFrame, as_of: dt.date, policy: MetricsPolicy) -> pl.Expr:
    """Active small firm: registry status active (unknown counts as active), established on or before
    ``as_of``, and no known scale value above the small-firm limits (unknown does not disqualify)."""
    cond = _col_or_null(df, "registry_status", pl.String).is_in(list(policy.active_statuses)).fill_null(True)
    cond = cond & (_col_or_null(df, "registered_on", pl.Date) <= as_of).fill_null(True)
    for col, limit in (("employees", policy.max_employees), ("revenue", policy.max_revenue),
                       ("total_assets", policy.max_total_assets)):
        if limit is not None:
            cond = cond & (_col_or_null(df, col, pl.Float64) <= limit).fill_null(True)
    return cond


def small_micro_expr(df: pl.DataFrame, definition: CoverageDefinition) -> pl.Expr:
    """Small or micro under the size standard: the band of the longest matching industry-code prefix, and any
    known measure below its medium bound; an individual business (USCC prefix) always; all measures of the band
    unknown, or an unknown industry with the catch-all's measure unknown, counts as small (unknown does not
    disqualify)."""
    industry = _col_or_null(df, "industry_code", pl.String).str.to_uppercase()
    bands = sorted(((p, b) for b in definition.size_standard for p in b.industries),
                   key=lambda pb: -len(pb[0]) if pb[0] != "*" else 1)
    expr: Any = None
    for prefix, band in bands:
        below: pl.Expr = pl.lit(False)
        all_known: pl.Expr = pl.lit(True)
        for col, bound in band.bounds:
            c = _col_or_null(df, col, pl.Float64)
            below = below | (c < bound).fill_null(False)
            all_known = all_known & c.is_not_null()
        small = below | ~all_known
        hit = pl.lit(True) if prefix == "*" else industry.str.starts_with(prefix.upper()).fill_null(False)
        expr = pl.when(hit).then(small) if expr is None else expr.when(hit).then(small)
    result = expr.otherwise(pl.lit(True)) if expr is not None else pl.lit(True)
    if definition.individual_prefix:
        individual = pl.col("uscc").cast(pl.String).str.starts_with(definition.individual_prefix).fill_null(False)
        result = individual | result
    return result


def coverage_population_expr(df: pl.DataFrame, as_of: dt.date, policy: MetricsPolicy,
                             definition: CoverageDefinition) -> pl.Expr:
    """The denominator population of the coverage rate under ``definition``."""
    if definition.population == "small_firm":
        return active_small_expr(df, as_of, policy)
    cond = _col_or_null(df, "registry_status", pl.String).is_in(list(policy.active_statuses)).fill_null(True)
    cond = cond & (_col_or_null(df, "registered_on", pl.Date) <= as_of).fill_null(True)
    if definition.active_requires_operations:
        rev, emp = _col_or_null(df, "revenue", pl.Float64), _col_or_null(df, "employees", pl.Float64)
        known = rev.is_not_null() | emp.is_not_null()
        cond = cond & (~known | (rev > 0).fill_null(False) | (emp > 0).fill_null(False))
    return cond & small_micro_expr(df, definition)


def _group_key(by: str | None) -> pl.Expr:
    if by is None:
        return pl.lit("all").alias("group")
    if by == "region":
        return pl.col("region_code").cast(pl.String).fill_null("unknown").alias("group")
    if by == "industry":
        return pl.col("industry_code").cast(pl.String).str.slice(0, 1).fill_null("unknown").alias("group")
    if by == "bank":
        return pl.col("bank_id").cast(pl.String).fill_null("unknown").alias("group")
    raise ValueError(f"unknown grouping {by!r}; one of {', '.join(BY_CHOICES)}")


def _points_aggs(policy: MetricsPolicy, when: pl.Expr) -> list[pl.Expr]:
    pts = pl.col("innovation_points")
    b = policy.points_bands
    out = [(when & pts.is_between(b[i], b[i + 1], closed="left")).sum().alias(name)
           for i, name in enumerate(policy.band_names())]
    out.append((when & pts.is_null()).sum().alias("points_unknown"))
    out.append(pts.filter(when).mean().alias("points_mean"))
    return out


def _ts_date(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Date)


def compute_metrics(enterprises: pl.DataFrame, loans: pl.DataFrame, pushes: pl.DataFrame, as_of: dt.date,
                    since: dt.date | None = None, by: str | None = None,
                    policy: MetricsPolicy | None = None, coverage: str | None = None) -> pl.DataFrame:
    """All coordination metrics for the period [since, as_of] (default: the 365 days up to as_of).

    ``coverage`` chooses the coverage definition (``metrics.yaml`` ``coverage.definitions``; default the policy's
    default, ``tech_sme_scale``); ``nfra_active_small_micro`` is the NFRA's 活跃经营小微主体融资覆盖率."""
    policy = policy or default_metrics_policy()
    definition = policy.coverage_definition(coverage)
    since = since or (as_of - dt.timedelta(days=364))
    ent = enterprises.select(
        pl.col("uscc").cast(pl.String),
        _col_or_null(enterprises, "region_code", pl.String),
        _col_or_null(enterprises, "industry_code", pl.String),
        _col_or_null(enterprises, "innovation_points", pl.Float64),
        coverage_population_expr(enterprises, as_of, policy, definition).alias("active_small"),
    ).unique("uscc", keep="last")
    total_active_small = int(ent["active_small"].sum())

    ln = loans.select(
        pl.col("uscc").cast(pl.String), pl.col("bank_id").cast(pl.String), pl.col("amount").cast(pl.Float64),
        _col_or_null(loans, "rate", pl.Float64), _col_or_null(loans, "secured", pl.Boolean),
        pl.col("disbursed_on").cast(pl.Date), _col_or_null(loans, "outstanding", pl.Float64),
        _col_or_null(loans, "status", pl.String), _col_or_null(loans, "first_loan", pl.Boolean),
        _col_or_null(loans, "relending_eligible", pl.Boolean),
    ).join(ent.select("uscc", "region_code", "industry_code", "active_small"), on="uscc", how="left")
    outstanding = ((pl.col("disbursed_on") <= as_of)
                   & pl.col("status").is_in(list(policy.outstanding_statuses)).fill_null(True)
                   & (pl.coalesce("outstanding", "amount") > 0))
    in_period_loan = pl.col("disbursed_on").is_between(since, as_of)

    pu = pushes.select(
        pl.col("uscc").cast(pl.String), pl.col("bank_id").cast(pl.String),
        pl.col("pushed_at").cast(pl.Datetime("us")),
        *(_col_or_null(pushes, c, pl.Datetime("us")) for c in ("accepted_at", "declined_at", "credit_at",
                                                               "disbursed_at")),
        _col_or_null(pushes, "credit_amount", pl.Float64), _col_or_null(pushes, "disbursed_amount", pl.Float64),
    ).filter(_ts_date("pushed_at").is_between(since, as_of)).join(
        ent.select("uscc", "region_code", "industry_code"), on="uscc", how="left")
    end = dt.datetime.combine(as_of, dt.time.max)
    credited = pl.col("credit_at").is_not_null() & (pl.col("credit_at") <= end)
    disbursed = pl.col("disbursed_at").is_not_null() & (pl.col("disbursed_at") <= end)
    declined = pl.col("declined_at").is_not_null() & (pl.col("declined_at") <= end)
    day = 86400.0
    to_credit = (pl.col("credit_at") - pl.col("pushed_at")).dt.total_seconds() / day
    to_disb = (pl.col("disbursed_at") - pl.col("pushed_at")).dt.total_seconds() / day

    # --- coverage and innovation points
    if by == "bank":
        cov = (ln.filter(outstanding & pl.col("active_small").fill_null(False)).select("uscc", "bank_id").unique()
               .join(ent.select("uscc", "innovation_points"), on="uscc", how="left")
               .group_by(_group_key(by)).agg(pl.len().alias("firms_with_loan"),
                                              *_points_aggs(policy, pl.lit(True)))
               .with_columns(pl.lit(total_active_small, dtype=pl.Int64).alias("active_small_firms")))
    else:
        with_loan = ln.filter(outstanding).select("uscc").unique().with_columns(pl.lit(True).alias("has_loan"))
        e = ent.join(with_loan, on="uscc", how="left").with_columns(pl.col("has_loan").fill_null(False))
        cov = e.group_by(_group_key(by)).agg(
            pl.col("active_small").sum().alias("active_small_firms"),
            (pl.col("active_small") & pl.col("has_loan")).sum().alias("firms_with_loan"),
            *_points_aggs(policy, pl.col("active_small")))

    # --- loans disbursed in the period
    amount_rated = pl.when(pl.col("rate").is_not_null()).then(pl.col("amount"))
    lagg = ln.filter(in_period_loan).group_by(_group_key(by)).agg(
        pl.len().alias("loans_count"),
        pl.col("amount").sum().alias("loans_amount"),
        pl.col("amount").filter(pl.col("secured") == False).sum().alias("unsecured_amount"),  # noqa: E712
        (pl.col("secured") == False).sum().alias("unsecured_count"),  # noqa: E712
        pl.col("first_loan").fill_null(False).sum().alias("first_loans_count"),
        (pl.col("rate") * pl.col("amount")).sum().alias("_rate_x_amount"),
        amount_rated.sum().alias("_rated_amount"),
        pl.col("relending_eligible").fill_null(False).sum().alias("relending_eligible_count"),
        pl.col("amount").filter(pl.col("relending_eligible").fill_null(False)).sum()
        .alias("relending_eligible_amount"),
    )

    # --- recommendation pushes made in the period
    pagg = pu.group_by(_group_key(by)).agg(
        pl.len().alias("pushes"),
        pl.col("uscc").n_unique().alias("recommended_firms"),
        pl.col("uscc").filter(credited).n_unique().alias("recommended_firms_credited"),
        pl.col("uscc").filter(disbursed).n_unique().alias("recommended_firms_disbursed"),
        declined.sum().alias("pushes_declined"),
        pl.col("credit_amount").filter(credited).sum().alias("recommended_credit_amount"),
        to_credit.filter(credited).mean().alias("days_push_to_credit_mean"),
        to_credit.filter(credited).median().alias("days_push_to_credit_median"),
        to_disb.filter(disbursed).mean().alias("days_push_to_disbursement_mean"),
        to_disb.filter(disbursed).median().alias("days_push_to_disbursement_median"),
    )

    out = cov.join(lagg, on="group", how="full", coalesce=True).join(pagg, on="group", how="full", coalesce=True)
    counts = ["active_small_firms", "firms_with_loan", *policy.band_names(), "points_unknown", "loans_count",
              "unsecured_count", "first_loans_count", "relending_eligible_count", "pushes", "recommended_firms",
              "recommended_firms_credited", "recommended_firms_disbursed", "pushes_declined"]
    sums = ["loans_amount", "unsecured_amount", "relending_eligible_amount", "recommended_credit_amount"]
    fill = {"active_small_firms": total_active_small} if by == "bank" else {}
    out = out.with_columns(
        *(pl.col(c).fill_null(fill.get(c, 0)).cast(pl.Int64) for c in counts),
        *(pl.col(c).fill_null(0.0) for c in sums),
    )

    def ratio(a: str | pl.Expr, b: str) -> pl.Expr:
        num = pl.col(a) if isinstance(a, str) else a
        return pl.when(pl.col(b) > 0).then(num / pl.col(b)).otherwise(None)

    out = out.with_columns(
        ratio("firms_with_loan", "active_small_firms").alias("coverage_rate"),
        ratio("recommended_firms_credited", "recommended_firms").alias("recommended_credit_rate"),
        ratio("unsecured_amount", "loans_amount").alias("unsecured_share_amount"),
        ratio("unsecured_count", "loans_count").alias("unsecured_share_count"),
        ratio("first_loans_count", "loans_count").alias("first_loan_share"),
        ratio("_rate_x_amount", "_rated_amount").alias("average_rate"),
    ).drop("_rate_x_amount", "_rated_amount")
    first = ["group", "active_small_firms", "firms_with_loan", "coverage_rate", "recommended_firms",
             "recommended_firms_credited", "recommended_credit_rate", "recommended_credit_amount", "pushes",
             "pushes_declined", "recommended_firms_disbursed", "loans_count", "loans_amount",
             "unsecured_share_amount", "unsecured_share_count", "first_loan_share", "average_rate",
             "days_push_to_credit_mean", "days_push_to_credit_median", "days_push_to_disbursement_mean",
             "days_push_to_disbursement_median", "relending_eligible_count", "relending_eligible_amount",
             *policy.band_names(), "points_unknown", "points_mean"]
    return out.select(first).sort("group")


def metrics_report(frame: pl.DataFrame, as_of: dt.date, since: dt.date | None, by: str | None,
                   policy: MetricsPolicy | None = None, coverage: str | None = None) -> dict[str, Any]:
    """JSON-ready result with provenance: ``definitions`` names the file, its version and the coverage definition
    (shown on the dashboard); ``coverage_definition`` carries its id, names, source and assumptions."""
    policy = policy or default_metrics_policy()
    since = since or (as_of - dt.timedelta(days=364))
    definition = policy.coverage_definition(coverage)
    return {"as_of": as_of.isoformat(), "since": since.isoformat(), "by": by or "all",
            "definitions": f"metrics.yaml {policy.version}; coverage: {definition.name_zh} / {definition.name_en}",
            "coverage_definition": definition.as_dict(), "groups": frame.to_dicts()}
