"""Matching's inputs from the other areas: the join of evaluation, risk, IP and guarantee schemes that product
matching reads. The web's offers (``web.data.DataService.enriched``) and ``innocredit match --enrich`` both call
``enrich_for_matching`` here, so a firm gets the same products on the page and on the command line.

What each enrichment column is, and where it comes from:

- evaluations: tech-SME score and qualification, high-tech pre-screen, innovation points and the policy-credit
  flag, the bank's new-quality score (``innocredit.evaluation`` on the feature table);
- ``pd`` / ``pd_grade``: the given risk model (the bank's champion); without one, and with ``demo_model=True``,
  a demo scorecard trained on the table's own labelled rows (``default_12m``), with a warning: it is not a
  validated model;
- ``ip_value_base`` / ``ip_pledge_capacity``: the patents on record (relief-from-royalty value x pledge rate);
  a firm with no patent on record has capacity 0 ("not eligible"), not a missing value;
- ``pool_capacity``: the firm's share of the capacity of the patent pools on record (0 outside every pool);
- ``guarantee_scheme``: the first government guarantee scheme whose scope covers the firm (``SCHEME_SCOPES``);
- ``order_backlog``: the applications feed's signed, unfulfilled orders; unknown (null) when the firm reported
  none, and the order-financing product's rule says what an unknown backlog means.

Columns already present in ``features`` are kept as given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from innocredit import ip
from innocredit.evaluation.engine import evaluate
from innocredit.evaluation.system import load_system
from innocredit.risk import score_table
from innocredit.risk.features import model_features

# evaluation system id -> {output column of evaluate(): enrichment column}
EVALUATION_COLUMNS: dict[str, dict[str, str]] = {
    "tech-sme": {"score": "tech_sme_score", "qualified": "tech_sme_qualified"},
    "high-tech": {"qualified": "high_tech_prescreen_passed"},
    "innovation-points": {"score": "innovation_points", "policy_credit_eligible": "policy_credit_eligible"},
    "bank-new-quality": {"score": "bank_new_quality_score"},
}

# Which government guarantee scheme covers a firm, first match wins. The scheme files
# (lending/schemes/*.yaml) give the risk split, not the scope; the scopes below follow the scheme texts:
# - anhui_4321: Anhui's 新型政银担 covers firms registered in Anhui (region code 34xxxx);
# - tech_special_2024: 科技创新专项担保计划 covers technology SMEs (科技型中小企业, 高新技术企业, 专精特新);
# - national_fund: the national fund's 批量担保 covers small and micro firms (assumption: fewer than 300
#   employees, the industrial 划型 line; no text ties the fund to one ceiling for every sector).
SCHEME_SCOPES: tuple[tuple[str, str], ...] = (
    ("anhui_4321", "registered in Anhui (region code 34xxxx)"),
    ("tech_special_2024", "a technology SME: qualified tech-based SME, certified high-tech or specialised"),
    ("national_fund", "a small or micro firm (fewer than 300 employees; assumption)"),
)
SMALL_FIRM_MAX_EMPLOYEES = 300  # assumption: see SCHEME_SCOPES


@dataclass
class Enrichment:
    """The enriched table and what the caller should tell the user (the PD source, warnings)."""

    table: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    pd_source: str | None = None


def _join(base: pl.DataFrame, extra: pl.DataFrame, mapping: dict[str, str],
          fill: dict[str, Any] | None = None) -> pl.DataFrame:
    wanted = {src: dst for src, dst in mapping.items() if src in extra.columns and dst not in base.columns}
    if not wanted:
        return base
    part = extra.select(pl.col("uscc"), *[pl.col(s).alias(d) for s, d in wanted.items()]).unique("uscc", keep="first")
    out = base.join(part, on="uscc", how="left", maintain_order="left")
    if fill:
        out = out.with_columns(pl.col(c).fill_null(v) for c, v in fill.items() if c in wanted.values())
    return out


def demo_risk_model(features: pl.DataFrame, target: str = "default_12m") -> Any | None:
    """A demo scorecard (technology feature set) fitted on the labelled rows of ``features``; None when the table
    has fewer than 100 labelled rows or a single outcome. For demonstration only: not validated, not registered."""
    from innocredit.risk.compare import make_model
    from innocredit.risk.features import feature_sets

    if target not in features.columns:
        return None
    labelled = features.filter(pl.col(target).is_not_null())
    if labelled.height < 100 or labelled[target].n_unique() < 2:
        return None
    df = model_features(labelled)
    if target not in df.columns:
        df = df.with_columns(labelled[target])
    model = make_model("scorecard", feature_sets()["technology"])
    model.fit(df, df[target].cast(pl.Int64).to_numpy())
    model.model_id_ = "demo-tech-scorecard"
    model.model_version_ = 0
    return model


def scheme_of(features: pl.DataFrame) -> pl.Expr:
    """The guarantee scheme whose scope covers each firm (``SCHEME_SCOPES``), null when none does."""
    cols = set(features.columns)

    def col(name: str, dtype: Any) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in cols else pl.lit(None, dtype=dtype)

    anhui = col("region_code", pl.String).str.starts_with("34").fill_null(False)
    tech = (col("tech_sme_qualified", pl.Boolean).fill_null(False) | col("high_tech_certified", pl.Boolean)
            .fill_null(False) | col("tech_sme_registered", pl.Boolean).fill_null(False)
            | col("specialized_level", pl.String).is_not_null())
    small = col("employees", pl.Float64) < SMALL_FIRM_MAX_EMPLOYEES
    return (pl.when(anhui).then(pl.lit("anhui_4321")).when(tech).then(pl.lit("tech_special_2024"))
            .when(small).then(pl.lit("national_fund")).otherwise(pl.lit(None, dtype=pl.String)))


def pool_capacities(valued: pl.DataFrame, pools: list[dict[str, Any]]) -> pl.DataFrame:
    """Per firm, the sum of its member capacity over the pools on record (``pools``: dicts with ``agreement_id``
    and ``patents`` as [{patent_id, uscc}]); ``valued`` is ``ip.value_patents`` output."""
    parts = []
    for pool in pools:
        pairs = pl.DataFrame(pool.get("patents") or [], schema={"patent_id": pl.String, "uscc": pl.String})
        members = valued.join(pairs, on=["uscc", "patent_id"], how="semi")
        if members.height == 0:
            continue
        valuation = ip.value_pool(members, ip.load_pool_agreement(pool.get("agreement_id") or "default"))
        parts.append(valuation.members.select("uscc", pl.col("capacity").cast(pl.Float64)))
    if not parts:
        return pl.DataFrame(schema={"uscc": pl.String, "pool_capacity": pl.Float64})
    return pl.concat(parts).group_by("uscc").agg(pl.col("capacity").sum().alias("pool_capacity"))


def enrich_for_matching(features: pl.DataFrame, *, as_of: dt.date | None = None, risk_model: Any | None = None,
                        risk_model_name: str | None = None, demo_model: bool = False,
                        patents: pl.DataFrame | None = None, pools: list[dict[str, Any]] | None = None,
                        schemes: bool = True, pledge_policy: str | dict[str, Any] = "default",
                        systems: dict[str, dict[str, str]] | None = None) -> Enrichment:
    """``features`` plus every enrichment column matching reads (see the module doc), with notes and warnings.

    ``patents``: the IP office rows on record (None: IP capacity left as given or missing); ``pools``: the pools on
    record (None: pool capacity left as given or missing; [] = no pool, capacity 0)."""
    out = features
    result = Enrichment(out)
    for system_id, mapping in (EVALUATION_COLUMNS if systems is None else systems).items():
        if all(dst in out.columns for dst in mapping.values()):
            continue
        evaluated = evaluate(load_system(system_id), features, as_of)
        out = _join(out, evaluated, mapping)
    if not {"pd", "pd_grade"} <= set(out.columns):
        model = risk_model
        if model is not None:
            result.pd_source = risk_model_name or f"{getattr(model, 'model_id_', 'model')}"
        elif demo_model:
            model = demo_risk_model(features)
            if model is None:
                result.warnings.append("no risk model given and the table has too few labelled rows "
                                       "(default_12m) for a demo model: pd_grade is missing")
            else:
                result.pd_source = "demo scorecard"
                result.warnings.append(
                    "no champion risk model: PD grades come from a demo scorecard fitted on this table's labelled "
                    "rows (default_12m); it is not validated. Give --bank (its champion) or --risk-model.")
        if model is not None:
            scored_input = features
            if any(f not in features.columns for f in model.raw_features()):
                # the model reads derived features (ratios, logs): build them the risk area's way
                scored_input = model_features(features)
            out = _join(out, score_table(model, scored_input), {"pd": "pd", "pd_grade": "pd_grade"})
    last = features["as_of"].max() if "as_of" in features.columns and features.height else None
    day = as_of or (last if isinstance(last, dt.date) else dt.date.today())
    if patents is not None and ("ip_pledge_capacity" not in out.columns or (pools is not None and
                                                                            "pool_capacity" not in out.columns)):
        valued = ip.value_patents(patents, features, day) if patents.height else None
        if "ip_pledge_capacity" not in out.columns:
            if valued is not None:
                capacity = ip.firm_capacity(valued, pledge_policy)
                out = _join(out, capacity, {"ip_value_base": "ip_value_base",
                                            "ip_pledge_capacity": "ip_pledge_capacity"},
                            fill={"ip_value_base": 0.0, "ip_pledge_capacity": 0.0})
            if "ip_pledge_capacity" not in out.columns:  # no patent on record at all
                out = out.with_columns(pl.lit(0.0).alias("ip_value_base"), pl.lit(0.0).alias("ip_pledge_capacity"))
            result.notes.append(f"IP pledge capacity from {patents.height:,} patent records")
        if pools is not None and "pool_capacity" not in out.columns and valued is not None:
            out = _join(out, pool_capacities(valued, pools), {"pool_capacity": "pool_capacity"},
                        fill={"pool_capacity": 0.0})
    if pools is not None and "pool_capacity" not in out.columns:
        out = out.with_columns(pl.lit(0.0).alias("pool_capacity"))
    if pools is not None:
        result.notes.append(f"patent-pool capacity from {len(pools)} pool(s) on record")
    if schemes and "guarantee_scheme" not in out.columns:
        out = out.with_columns(scheme_of(out).alias("guarantee_scheme"))
        result.notes.append("guarantee scheme from the schemes' scopes (" + "; ".join(
            f"{s}: {t}" for s, t in SCHEME_SCOPES) + ")")
    result.table = out
    return result


def enrich(features: pl.DataFrame, *, as_of: dt.date | None = None, risk_model: Any | None = None,
           patents: pl.DataFrame | None = None, pledge_policy: str | dict[str, Any] = "default",
           systems: dict[str, dict[str, str]] | None = None, pools: list[dict[str, Any]] | None = None,
           schemes: bool = True, demo_model: bool = False) -> pl.DataFrame:
    """The enriched table alone (``enrich_for_matching(...).table``)."""
    return enrich_for_matching(features, as_of=as_of, risk_model=risk_model, patents=patents, pools=pools,
                               schemes=schemes, pledge_policy=pledge_policy, systems=systems,
                               demo_model=demo_model).table


def pools_on_record(session: Any) -> list[dict[str, Any]]:
    """Every stored patent pool with its agreement and patents (what ``pool_capacities`` reads)."""
    from innocredit.services import ip as ip_services

    return [ip_services.pool_patents(session, p["id"]) for p in ip_services.list_pools(session)]
