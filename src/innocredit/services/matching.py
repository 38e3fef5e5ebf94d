"""Matching's inputs from the other areas: the join of evaluation, risk and IP that product matching reads.

``enrich(features)`` adds the evaluations (tech-SME score and qualification, high-tech pre-screen, innovation
points and the policy-credit flag, the bank's new-quality score), PD and grade when a trained model is given,
and IP value and pledge capacity when patent records are given. Columns already present in ``features`` are
kept as given. The web's offers and ``innocredit match --enrich`` both enrich here; the matching rules
(``innocredit.lending.matching``) never reach another area.
"""

from __future__ import annotations

import datetime as dt
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


def _join(base: pl.DataFrame, extra: pl.DataFrame, mapping: dict[str, str]) -> pl.DataFrame:
    wanted = {src: dst for src, dst in mapping.items() if src in extra.columns and dst not in base.columns}
    if not wanted:
        return base
    part = extra.select(pl.col("uscc"), *[pl.col(s).alias(d) for s, d in wanted.items()]).unique("uscc", keep="first")
    return base.join(part, on="uscc", how="left", maintain_order="left")


def enrich(features: pl.DataFrame, *, as_of: dt.date | None = None, risk_model: Any | None = None,
           patents: pl.DataFrame | None = None, pledge_policy: str | dict[str, Any] = "default",
           systems: dict[str, dict[str, str]] | None = None) -> pl.DataFrame:
    """``features`` plus whichever enrichment columns the installed areas can provide (see module doc)."""
    out = features
    for system_id, mapping in (EVALUATION_COLUMNS if systems is None else systems).items():
        if all(dst in out.columns for dst in mapping.values()):
            continue
        result = evaluate(load_system(system_id), features, as_of)
        out = _join(out, result, mapping)
    if risk_model is not None and not {"pd", "pd_grade"} <= set(out.columns):
        scored_input = features
        if any(f not in features.columns for f in risk_model.raw_features()):
            # the model reads derived features (ratios, logs): build them the risk area's way
            scored_input = model_features(features)
        out = _join(out, score_table(risk_model, scored_input), {"pd": "pd", "pd_grade": "pd_grade"})
    if patents is not None and "ip_pledge_capacity" not in out.columns:
        day = as_of or (features["as_of"].max() if "as_of" in features.columns else None) or dt.date.today()
        valued = ip.value_patents(patents, features, day)
        capacity = ip.firm_capacity(valued, pledge_policy)
        out = _join(out, capacity, {"ip_value_base": "ip_value_base", "ip_pledge_capacity": "ip_pledge_capacity"})
    return out
