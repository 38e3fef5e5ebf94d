"""Registry logic (pure): model ids, the model card, out-of-time checks. Storage lives in
``innocredit.storage.risk``; artefact files in ``innocredit.risk.artefact``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import polars as pl

from innocredit.risk.policy import default_policy
from innocredit.risk.reasons import reason_catalogue

INTENDED_USE = ("Probability of default within 12 months for credit decisions on small technology enterprises "
                "(科技型中小企业), as one input to a credit officer's decision, with reason codes for notices.")
LIMITS = [
    "Trained on the data window below only; re-validate on out-of-time data before use as champion.",
    "Not for individuals (consumer credit); protected personal attributes are refused as features (by name and by "
    "value; declared ones are used only for the fairness checks).",
    "PD is calibrated on the development population; monitor PSI/CSI (0.10 watch, 0.25 alert).",
    "Firms with most features missing are scored on missing-value bins and deserve a manual review.",
]


def model_id_for(kind: str, target: str, name: str | None = None) -> str:
    raw = name or f"{kind}-{target}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-")[:64] or kind


def data_window(df: pl.DataFrame) -> dict[str, Any]:
    if "as_of" in df.columns and df["as_of"].drop_nulls().len():
        s = df["as_of"].cast(pl.Date, strict=False).drop_nulls()
        return {"as_of_min": str(s.min()), "as_of_max": str(s.max())}
    return {"as_of_min": None, "as_of_max": None}


def is_out_of_time(card: dict[str, Any], df: pl.DataFrame) -> bool | None:
    """True when every row of ``df`` is dated after the training window; None when dates are unknown."""
    end = card.get("data_window", {}).get("as_of_max")
    w = data_window(df)
    if not end or not w["as_of_min"]:
        return None
    return dt.date.fromisoformat(w["as_of_min"]) > dt.date.fromisoformat(end)


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.floating, float)):
        v = float(o)
        return None if not np.isfinite(v) else v
    if isinstance(o, np.integer):
        return int(o)
    return o


def build_card(model: Any, train: pl.DataFrame, target: str, holdout: dict[str, Any],
               reference: dict[str, Any], source: str | None = None, bank_id: str | None = None,
               validation: dict[str, Any] | None = None, fairness: dict[str, Any] | None = None,
               governance: dict[str, Any] | None = None) -> dict[str, Any]:
    """The model card. ``holdout``: the validation figures (kept under ``performance.validation`` and, for pages
    that read the older key, ``performance.holdout``); ``validation``: how they were obtained (method, folds,
    split); ``fairness``: ``fairness.fairness_report`` on declared protected columns; ``governance``: overrides
    (allowed protected columns with their reasons)."""
    features = model.raw_features()
    feats: list[dict[str, Any]] = []
    iv = getattr(getattr(model, "binning_", None), "iv_", {})
    for f in features:
        feats.append({"name": f, **({"iv": iv[f]} if f in iv else {})})
    y = train[target].cast(pl.Float64).to_numpy()
    card = {
        "kind": model.kind, "target": target, "bank_id": bank_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "data": {"source": source, "n_train": train.height, "default_rate": float(y.mean())},
        "data_window": data_window(train),
        "features": feats,
        "reason_codes": reason_catalogue(features),
        "performance": {"validation": holdout, "holdout": holdout},
        "validation": validation or {"method": "holdout", "performance": holdout},
        "fairness": fairness,
        "governance": governance or {},
        "scaling": {"base_score": model.base_score, "base_odds": model.base_odds, "pdo": model.pdo},
        "master_scale": {"id": model.master_scale_.id, "version": model.master_scale_.version,
                         "grades": model.master_scale_.ranges()},
        "policies": {k: {"id": default_policy(k)["id"], "version": default_policy(k)["version"]}
                     for k in ("protected", "model_features", "reason_codes")},
        "params": {k: v for k, v in model.get_params().items() if k != "master_scale"},
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
        "reference": reference,
    }
    return _jsonable(card)
