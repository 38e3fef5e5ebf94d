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

from innocredit.coordination.policy import read_policy

BY_CHOICES = ("region", "industry", "bank")

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
    },
}


@dataclass(frozen=True)
class MetricsPolicy:
    version: str
    max_employees: float | None
    max_revenue: float | None
    max_total_assets: float | None
    active_statuses: tuple[str, ...]
    outstanding_statuses: tuple[str, ...]
    points_bands: tuple[float, ...]

    def band_names(self) -> list[str]:
        b = self.points_bands
        return [f"points_{_n(b[i])}_{_n(b[i + 1])}" for i in range(len(b) - 1)]


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() or x > 99.99 else str(x).replace(".", "_")


def load_metrics_policy(source: str | Path = "metrics.yaml") -> MetricsPolicy:
    d = read_policy(source, METRICS_SCHEMA)
    s = d["small_firm"]
    return MetricsPolicy(str(d["version"]), s.get("max_employees"), s.get("max_revenue"), s.get("max_total_assets"),
                         tuple(d["active_registry_statuses"]), tuple(d["outstanding_loan_statuses"]),
                         tuple(float(x) for x in d["points_bands"]))


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
                    policy: MetricsPolicy | None = None) -> pl.DataFrame:
    """All coordination metrics for the period [since, as_of] (default: the 365 days up to as_of)."""
    policy = policy or default_metrics_policy()
    since = since or (as_of - dt.timedelta(days=364))
    ent = enterprises.select(
        pl.col("uscc").cast(pl.String),
        _col_or_null(enterprises, "region_code", pl.String),
        _col_or_null(enterprises, "industry_code", pl.String),
        _col_or_null(enterprises, "innovation_points", pl.Float64),
        active_small_expr(enterprises, as_of, policy).alias("active_small"),
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
                   policy: MetricsPolicy | None = None) -> dict[str, Any]:
    """JSON-ready result with provenance."""
    policy = policy or default_metrics_policy()
    since = since or (as_of - dt.timedelta(days=364))
    return {"as_of": as_of.isoformat(), "since": since.isoformat(), "by": by or "all",
            "definitions": f"metrics.yaml {policy.version}", "groups": frame.to_dicts()}
