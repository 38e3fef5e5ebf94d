"""Training with honest validation: the final model is fitted on every row given; its validation figures come
from a separate file, from stratified k-fold cross-validation (default), from an out-of-time split, or (on
request) from a holdout whose model is then the one kept.

Methods (``validation["method"]`` in the model card):

- ``cv``: stratified k-fold (default 5, shuffled with a fixed seed). Each fold's model is fitted on the other
  folds and scores its fold; the card reports the AUC, Gini, KS and Brier of the pooled out-of-fold
  predictions and the AUC of each fold. The final model is then fitted on all rows.
- ``file``: the final model (all rows) is validated on the rows of another file.
- ``oot``: rows dated before ``oot_from`` (``time_column``) train a development model that is validated on the
  rows from ``oot_from`` on; the final model is then fitted on all rows.
- ``holdout``: a stratified random share is held out; the model fitted on the rest is validated on it and kept
  (the behaviour before version 2 of the card, for those who want it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from innocredit.risk.validation import discrimination

METHODS = ("cv", "file", "oot", "holdout")
SEED = 42


def _perf(y: np.ndarray, pd_: np.ndarray) -> dict[str, Any]:
    return discrimination(y, pd_)


def _as_date(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    text = str(value)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError as exc:
        raise ValueError(f"--oot-from {text!r} is neither a date (YYYY-MM-DD) nor a number") from exc


def oot_mask(df: pl.DataFrame, time_column: str, oot_from: Any) -> np.ndarray:
    """Rows at or after ``oot_from`` in ``time_column`` (dates, datetimes or numbers such as a year)."""
    if time_column not in df.columns:
        raise ValueError(f"--time-column {time_column!r} is not a column of the data")
    s = df[time_column]
    cut = _as_date(oot_from)
    if isinstance(cut, float):
        try:
            x = s.cast(pl.Float64).to_numpy()
        except Exception as exc:
            raise ValueError(f"column {time_column}: values are not numbers; give --oot-from as a number") from exc
        return np.asarray(np.nan_to_num(x, nan=-np.inf) >= cut)
    if s.dtype == pl.String:
        s = s.str.to_date(strict=False)
    if s.dtype not in (pl.Date,) and not isinstance(s.dtype, pl.Datetime):
        raise ValueError(f"column {time_column}: values are not dates; give --oot-from as a number")
    cut_day = cut.date() if isinstance(cut, dt.datetime) else cut
    return np.asarray((s.cast(pl.Date) >= cut_day).fill_null(False).to_numpy())


def train_validated(make: Callable[[], Any], df: pl.DataFrame, y: np.ndarray, *, method: str = "cv",
                    folds: int = 5, holdout: float = 0.3, validation_data: tuple[pl.DataFrame, np.ndarray] | None = None,
                    time_column: str | None = None, oot_from: Any = None, seed: int = SEED
                    ) -> tuple[Any, dict[str, Any], np.ndarray]:
    """Fit and validate. ``make()`` returns a fresh unfitted model.

    Returns (final model, validation summary for the card, indices of the rows the final model was fitted on).
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(y, dtype=float)
    n = len(y)
    idx = np.arange(n)
    if method not in METHODS:
        raise ValueError(f"validation method {method!r} is not one of {METHODS}")
    if method == "holdout":
        if not 0 < holdout < 1:
            raise ValueError(f"--holdout must be between 0 and 1 (exclusive), not {holdout}")
        tr, te = train_test_split(idx, stratify=y, random_state=seed, test_size=holdout)
        model = make().fit(df[tr], y[tr])
        perf = _perf(y[te], model.predict_proba(df[te])[:, 1])
        return model, {"method": "holdout", "fraction": holdout, "seed": seed, "n_fit": len(tr),
                       "n_validation": len(te), "final_model": f"fitted on the {1 - holdout:.0%} not held out",
                       "performance": perf}, tr
    if method == "cv":
        n_min = int(min(y.sum(), n - y.sum()))
        if folds < 2:
            raise ValueError(f"--folds must be at least 2, not {folds}")
        if n_min < folds:
            raise ValueError(f"{folds}-fold cross-validation needs at least {folds} records of each class "
                             f"(the smaller class has {n_min})")
        oof = np.empty(n)
        per_fold = []
        for k, (a, b) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(idx, y)):
            m = make().fit(df[a], y[a])
            oof[b] = m.predict_proba(df[b])[:, 1]
            f = _perf(y[b], oof[b])
            per_fold.append({"fold": k + 1, "n": int(len(b)), "auc": f["auc"], "ks": f["ks"]})
        aucs = np.asarray([f["auc"] for f in per_fold], dtype=float)
        model = make().fit(df, y)
        return model, {"method": "cv", "folds": folds, "seed": seed, "n_fit": n,
                       "final_model": "fitted on all rows",
                       "performance": _perf(y, oof), "auc_mean": float(aucs.mean()),
                       "auc_sd": float(aucs.std(ddof=1)), "per_fold": per_fold}, idx
    if method == "file":
        if validation_data is None:
            raise ValueError("validation method 'file' needs the validation data")
        vdf, vy = validation_data
        model = make().fit(df, y)
        return model, {"method": "file", "n_fit": n, "n_validation": vdf.height, "final_model": "fitted on all rows",
                       "performance": _perf(np.asarray(vy, dtype=float), model.predict_proba(vdf)[:, 1])}, idx
    # out of time
    if time_column is None or oot_from is None:
        raise ValueError("an out-of-time split needs --time-column and --oot-from")
    later = oot_mask(df, time_column, oot_from)
    dev, oot = idx[~later], idx[later]
    for part, what in ((dev, "before"), (oot, "from")):
        if len(part) == 0 or len(np.unique(y[part])) < 2:
            raise ValueError(f"the rows {what} {oot_from} ({time_column}) need both good and bad records "
                             f"(there are {len(part)})")
    dev_model = make().fit(df[dev], y[dev])
    perf = _perf(y[oot], dev_model.predict_proba(df[oot])[:, 1])
    model = make().fit(df, y)
    return model, {"method": "oot", "time_column": time_column, "oot_from": str(oot_from), "n_fit": n,
                   "n_development": len(dev), "n_validation": len(oot),
                   "final_model": "fitted on all rows; the figures are those of the model fitted before oot_from",
                   "performance": perf}, idx
