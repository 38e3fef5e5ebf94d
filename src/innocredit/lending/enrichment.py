"""Adapter: add the enrichment columns that matching reads, from the other areas, when they are installed.

``enrich(features)`` calls ``innocredit.evaluation`` (tech-SME score and qualification, high-tech
pre-screen, innovation points and the policy-credit flag, the bank's new-quality score),
``innocredit.risk`` (PD and grade, when a trained model is given) and ``innocredit.ip`` (IP value and
pledge capacity, when patent records are given). Each area is imported lazily at call time; an area
that is not importable leaves its columns absent (matching then reports them as missing). Columns
already present in ``features`` are kept as given. The matching core never imports this module.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import polars as pl

# evaluation system id -> {output column of evaluate(): enrichment column}
EVALUATION_COLUMNS: dict[str, dict[str, str]] = {
    "tech-sme": {"score": "tech_sme_score", "qualified": "tech_sme_qualified"},
    "high-tech": {"qualified": "high_tech_prescreen_passed"},
    "innovation-points": {"score": "innovation_points", "policy_credit_eligible": "policy_credit_eligible"},
    "bank-new-quality": {"score": "bank_new_quality_score"},
}


def _area(name: str) -> Any | None:
    try:
        return importlib.import_module(f"innocredit.{name}")
    except ImportError:
        return None


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
    ev = _area("evaluation")
    if ev is not None:
        for system_id, mapping in (EVALUATION_COLUMNS if systems is None else systems).items():
            if all(dst in out.columns for dst in mapping.values()):
                continue
            result = ev.evaluate(ev.load_system(system_id), features, as_of)
            out = _join(out, result, mapping)
    risk = _area("risk")
    if risk is not None and risk_model is not None and not {"pd", "pd_grade"} <= set(out.columns):
        scored_input = features
        if any(f not in features.columns for f in risk_model.raw_features()):
            # the model reads derived features (ratios, logs): build them the risk area's way
            scored_input = importlib.import_module("innocredit.risk.features").model_features(features)
        out = _join(out, risk.score_table(risk_model, scored_input), {"pd": "pd", "pd_grade": "pd_grade"})
    ip = _area("ip")
    if ip is not None and patents is not None and "ip_pledge_capacity" not in out.columns:
        day = as_of or (features["as_of"].max() if "as_of" in features.columns else None) or dt.date.today()
        valued = ip.value_patents(patents, features, day)
        capacity = ip.firm_capacity(valued, pledge_policy)
        out = _join(out, capacity, {"ip_value_base": "ip_value_base", "ip_pledge_capacity": "ip_pledge_capacity"})
    return out
