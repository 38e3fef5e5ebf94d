"""Scoring: a pure function of (model, frame) -> scores, PD, grade and reason codes.

Works on any polars DataFrame partition (the Spark engine calls it per Arrow batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from innocredit.risk.reasons import top_reasons

SCORE_SCHEMA: dict[str, Any] = {"uscc": pl.String, "model_id": pl.String, "model_version": pl.Int64, "score_points": pl.Float64,
                "pd": pl.Float64, "pd_grade": pl.String, "reason_codes": pl.List(pl.String)}


def model_identity(model: Any) -> tuple[str, int]:
    return str(getattr(model, "model_id_", "unregistered")), int(getattr(model, "model_version_", 0))


def score_table(model: Any, features: pl.DataFrame) -> pl.DataFrame:
    """Score every row of ``features``: uscc, model_id, model_version, score_points, pd, pd_grade
    (master-scale grade, G1 best .. G10 worst by default), reason_codes (up to four codes, most costly first)."""
    present = set(features.columns)
    missing = [f for f in model.raw_features() if f not in present]
    if missing:
        raise ValueError(f"the input lacks model features: {', '.join(missing)}")
    model_id, version = model_identity(model)
    n = features.height
    if n == 0:
        return pl.DataFrame(schema=SCORE_SCHEMA)
    out = model.explain(features)
    grades = model.master_scale_.grade(out["pd"])
    reasons = top_reasons(out["loss"], out["features"], getattr(model, "n_reasons", 4))
    if n <= 32:  # a few records: plain Python rows build the frame fastest (from_dicts: ~4x a dict of lists)
        ids = features.get_column("uscc").cast(pl.String).to_list() if "uscc" in present else [None] * n
        rows = zip(ids, np.round(out["score"], 2).tolist(), np.asarray(out["pd"], dtype=float).tolist(),
                   grades.tolist(), reasons.to_list())
        return pl.from_dicts([{"uscc": u, "model_id": model_id, "model_version": version, "score_points": sp, "pd": p,
                               "pd_grade": g, "reason_codes": r} for u, sp, p, g, r in rows], schema=SCORE_SCHEMA)
    uscc = features["uscc"].cast(pl.String) if "uscc" in present else pl.Series("uscc", [None] * n, dtype=pl.String)
    return pl.DataFrame({
        "uscc": uscc,
        "model_id": pl.repeat(model_id, n, eager=True, dtype=pl.String),
        "model_version": np.full(n, version, dtype=np.int64),
        "score_points": np.round(out["score"], 2),
        "pd": out["pd"],
        "pd_grade": pl.Series(grades, dtype=pl.String),
        "reason_codes": reasons,
    })
