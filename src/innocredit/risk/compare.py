"""The thesis, measured: the same kind of model on balance-sheet features only ("看报表") and with
innovation, IP and talent features added ("看技术"); AUC of both and the approval rate each allows at the
same portfolio default rate."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from innocredit.risk.challenger import GBMChallenger
from innocredit.risk.features import feature_sets, model_features
from innocredit.risk.policy import feature_trends
from innocredit.risk.scorecard import Scorecard
from innocredit.risk.validation import discrimination


def approval_rate_at(y: np.ndarray, pd_: np.ndarray, max_default_rate: float) -> dict[str, float]:
    """Approve applicants in increasing PD; the largest share whose observed default rate is at most
    ``max_default_rate``. Returns the share approved and the default rate of the approved."""
    order = np.argsort(pd_, kind="stable")
    ys = np.asarray(y, dtype=float)[order]
    n = len(ys)
    cum_rate = np.cumsum(ys) / np.arange(1, n + 1)
    ok = np.nonzero(cum_rate <= max_default_rate + 1e-12)[0]
    if ok.size == 0:
        return {"approval_rate": 0.0, "approved_default_rate": float("nan")}
    k = int(ok[-1]) + 1
    return {"approval_rate": k / n, "approved_default_rate": float(cum_rate[k - 1])}


def make_model(kind: str, features: list[str]) -> Any:
    trends = {f: t for f, t in feature_trends().items() if f in features}
    if kind == "scorecard":
        return Scorecard(features=features, trends=trends)
    if kind == "gbm":
        return GBMChallenger(features=features, trends=trends)
    raise ValueError(f"kind {kind!r} is not 'scorecard' or 'gbm'")


def compare(table: pl.DataFrame, target: str = "default_12m", kind: str = "scorecard",
            max_default_rate: float = 0.03, test_size: float = 0.3, seed: int = 42) -> dict[str, Any]:
    """Train both feature sets on the same stratified split of ``table`` (a feature table)."""
    if target not in table.columns:
        raise ValueError(f"the table has no target column {target!r}")
    data = model_features(table.filter(pl.col(target).is_not_null()))
    y = data[target].cast(pl.Float64).to_numpy()
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, stratify=y, random_state=seed, test_size=test_size)
    out: dict[str, Any] = {"kind": kind, "target": target, "n_train": len(tr), "n_test": len(te),
                           "default_rate": float(y.mean()), "max_default_rate": max_default_rate, "sets": {}}
    for name, features in feature_sets().items():
        model = make_model(kind, features).fit(data[tr], y[tr])
        pd_ = model.predict_proba(data[te])[:, 1]
        perf = discrimination(y[te], pd_)
        out["sets"][name] = {"label": {"balance_sheet": "看报表 balance sheet and collateral",
                                       "technology": "看技术 + innovation, IP and talent"}[name],
                             "n_features": len(features), "auc": perf["auc"], "gini": perf["gini"], "ks": perf["ks"],
                             **approval_rate_at(y[te], pd_, max_default_rate)}
    return out
