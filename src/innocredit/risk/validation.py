"""Validation and monitoring: discrimination (AUC, Gini, KS), accuracy (Brier), calibration by grade with a
binomial test, population stability (PSI of the score, CSI of each feature) and performance by segment.

PSI = sum_i (a_i - e_i) * ln(a_i / e_i) over bins, a = share of the later population, e = share of the
development population (Siddiqi 2006; Yurdakul 2018). Empty shares are floored at 1e-4 so one empty bin does
not make the index infinite. Alert levels: < 0.10 stable, 0.10-0.25 watch, >= 0.25 shift.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.stats import binomtest
from sklearn.metrics import roc_auc_score

from innocredit.risk.binning import as_polars

PSI_WATCH = 0.10
PSI_ALERT = 0.25
_FLOOR = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI from two vectors of counts (or shares) over the same bins."""
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    if e.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    e = np.maximum(e / e.sum(), _FLOOR)
    a = np.maximum(a / a.sum(), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_level(value: float) -> str:
    if not np.isfinite(value):
        return "unknown"
    return "stable" if value < PSI_WATCH else ("watch" if value < PSI_ALERT else "alert")


def ks_statistic(y: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov: max distance between the cumulative score distributions of bads and goods."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(score, kind="stable")
    ys = y[order]
    nb, ng = ys.sum(), len(ys) - ys.sum()
    if nb == 0 or ng == 0:
        return float("nan")
    cb = np.cumsum(ys) / nb
    cg = np.cumsum(1 - ys) / ng
    return float(np.max(np.abs(cb - cg)))


def discrimination(y: np.ndarray, pd_: np.ndarray) -> dict[str, float]:
    y = np.asarray(y, dtype=float)
    pd_ = np.asarray(pd_, dtype=float)
    both = 0 < y.sum() < len(y)
    auc = float(roc_auc_score(y, pd_)) if both else float("nan")
    return {"n": int(len(y)), "defaults": int(y.sum()), "default_rate": float(y.mean()) if len(y) else float("nan"),
            "auc": auc, "gini": 2 * auc - 1, "ks": ks_statistic(y, pd_),
            "brier": float(np.mean((pd_ - y) ** 2)) if len(y) else float("nan")}


def calibration_by_grade(y: np.ndarray, pd_: np.ndarray, grades: np.ndarray, grade_order: list[str]
                         ) -> list[dict[str, Any]]:
    """Observed vs predicted default rate per grade; two-sided exact binomial test of the observed defaults
    against the mean predicted PD of the grade."""
    y = np.asarray(y, dtype=float)
    out = []
    for g in grade_order:
        m = grades == g
        n = int(m.sum())
        if n == 0:
            out.append({"grade": g, "n": 0, "defaults": 0, "observed": None, "predicted": None, "p_value": None})
            continue
        d = int(y[m].sum())
        pred = float(np.mean(pd_[m]))
        p = float(binomtest(d, n, min(max(pred, 1e-12), 1 - 1e-12)).pvalue)
        out.append({"grade": g, "n": n, "defaults": d, "observed": d / n, "predicted": pred, "p_value": p})
    return out


def roc_points(y: np.ndarray, pd_: np.ndarray, max_points: int = 200) -> list[tuple[float, float]]:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, pd_)
    idx = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
    return [(float(fpr[i]), float(tpr[i])) for i in idx]


def ks_curve(y: np.ndarray, score: np.ndarray, max_points: int = 200) -> list[tuple[float, float, float]]:
    """(population share by ascending PD, cumulative share of bads, cumulative share of goods)."""
    y = np.asarray(y, dtype=float)
    order = np.argsort(-np.asarray(score), kind="stable")
    ys = y[order]
    nb, ng = max(ys.sum(), 1), max(len(ys) - ys.sum(), 1)
    cb, cg = np.cumsum(ys) / nb, np.cumsum(1 - ys) / ng
    idx = np.unique(np.linspace(0, len(ys) - 1, min(max_points, len(ys))).astype(int))
    return [(float((i + 1) / len(ys)), float(cb[i]), float(cg[i])) for i in idx]


def score_bins(score_dev: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """Decile edges of the development score (interior edges)."""
    return np.unique(np.quantile(score_dev, np.linspace(0, 1, n_bins + 1)[1:-1]))


def reference_profile(model: Any, dev: pl.DataFrame) -> dict[str, Any]:
    """What monitoring compares against: development score deciles and per-feature bin counts.

    Scorecard features use their own bins; challenger features use development deciles (numbers) or
    levels (categories). Small and JSON-ready, so it travels inside the model card.
    """
    dev = as_polars(dev)
    s_dev = model.score_points(dev)
    edges = score_bins(s_dev)
    prof: dict[str, Any] = {"n": dev.height, "score_edges": edges.tolist(),
                            "score_counts": np.bincount(np.searchsorted(edges, s_dev, side="right"),
                                                        minlength=len(edges) + 1).tolist(), "features": {}}
    binning = getattr(model, "binning_", None)
    for f in model.raw_features():
        if binning is not None:
            fb = binning.binnings_[f]
            prof["features"][f] = {"kind": "binning",
                                   "counts": np.bincount(fb.bin_index(dev[f]), minlength=len(fb.woe)).tolist()}
        elif dev[f].dtype in (pl.String, pl.Categorical) or isinstance(dev[f].dtype, pl.Enum):
            levels = dev[f].cast(pl.String).drop_nulls().unique().sort().to_list()
            prof["features"][f] = {"kind": "levels", "levels": levels,
                                   "counts": _level_counts(dev[f], levels).tolist()}
        else:
            x = dev[f].cast(pl.Float64).to_numpy()
            fin = x[np.isfinite(x)]
            e = np.unique(np.quantile(fin, np.linspace(0, 1, 11)[1:-1])) if fin.size else np.empty(0)
            prof["features"][f] = {"kind": "deciles", "edges": e.tolist(), "counts": _decile_counts(x, e).tolist()}
    return prof


def _level_counts(s: pl.Series, levels: list[str]) -> np.ndarray:
    pos = {v: i for i, v in enumerate(levels)}
    idx = s.cast(pl.String).replace_strict(pos, default=len(levels), return_dtype=pl.Int64).fill_null(len(levels) + 1)
    return np.bincount(idx.to_numpy(), minlength=len(levels) + 2)


def _decile_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    k = len(edges) + 2  # deciles + missing
    idx = np.where(np.isnan(x), k - 1, np.searchsorted(edges, x, side="right"))
    return np.bincount(idx.astype(int), minlength=k)


def stability(model: Any, reference: dict[str, Any] | pl.DataFrame, later: pl.DataFrame) -> dict[str, Any]:
    """PSI of the score and CSI of each model feature between the development population (a frame or its
    ``reference_profile``) and a later one. Works on any sample size (no fitting, only counting)."""
    prof = reference if isinstance(reference, dict) else reference_profile(model, reference)
    later = as_polars(later)
    edges = np.asarray(prof["score_edges"], dtype=float)
    s_new = model.score_points(later) if later.height else np.empty(0)
    a = np.bincount(np.searchsorted(edges, s_new, side="right"), minlength=len(edges) + 1)
    score_psi = psi(np.asarray(prof["score_counts"]), a)
    csi = {}
    binning = getattr(model, "binning_", None)
    for f, fp in prof["features"].items():
        if fp["kind"] == "binning" and binning is not None:
            fb = binning.binnings_[f]
            a_f = np.bincount(fb.bin_index(later[f]), minlength=len(fb.woe)) if later.height else np.zeros(1)
        elif fp["kind"] == "levels":
            a_f = _level_counts(later[f], fp["levels"])
        else:
            a_f = _decile_counts(later[f].cast(pl.Float64).to_numpy(), np.asarray(fp["edges"], dtype=float))
        v = psi(np.asarray(fp["counts"]), a_f)
        csi[f] = {"csi": v, "level": psi_level(v)}
    alerts = [f for f, v in csi.items() if v["level"] == "alert"]
    return {"score_psi": score_psi, "score_level": psi_level(score_psi), "csi": csi, "alerts": alerts,
            "n_dev": prof["n"], "n_later": later.height, "thresholds": {"watch": PSI_WATCH, "alert": PSI_ALERT}}


SEGMENTS = ("industry_section", "stage", "region")


def segment_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Segment keys: industry section (GB/T 4754 letter), stage by firm age (seed < 3y, growth < 8y,
    mature), region (province = first two digits of the division code)."""
    exprs = []
    if "industry_code" in df.columns:
        exprs.append(pl.col("industry_code").str.slice(0, 1).alias("industry_section"))
    if "firm_age_years" in df.columns:
        age = pl.col("firm_age_years")
        exprs.append(pl.when(age.is_null()).then(pl.lit("unknown")).when(age < 3).then(pl.lit("seed"))
                     .when(age < 8).then(pl.lit("growth")).otherwise(pl.lit("mature")).alias("stage"))
    elif "as_of" in df.columns and "registered_on" in df.columns:
        age = (pl.col("as_of") - pl.col("registered_on")).dt.total_days() / 365.25
        exprs.append(pl.when(age.is_null()).then(pl.lit("unknown")).when(age < 3).then(pl.lit("seed"))
                     .when(age < 8).then(pl.lit("growth")).otherwise(pl.lit("mature")).alias("stage"))
    if "region_code" in df.columns:
        exprs.append(pl.col("region_code").str.slice(0, 2).alias("region"))
    return df.select(exprs) if exprs else pl.DataFrame()


def by_segment(df: pl.DataFrame, y: np.ndarray, pd_: np.ndarray, min_n: int = 30) -> dict[str, list[dict[str, Any]]]:
    seg = segment_columns(df)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in seg.columns:
        keys = seg[name].fill_null("unknown").to_numpy()
        rows = []
        for k in sorted(set(keys.tolist())):
            m = keys == k
            if m.sum() < min_n:
                rows.append({"segment": k, "n": int(m.sum()), "note": f"fewer than {min_n} records"})
                continue
            rows.append({"segment": k, **discrimination(y[m], pd_[m]), "mean_pd": float(pd_[m].mean())})
        out[name] = rows
    return out


def validate(model: Any, data: pl.DataFrame, target: str, dev: pl.DataFrame | dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """The validation report as a JSON-ready dict."""
    data = as_polars(data)
    if target not in data.columns:
        raise ValueError(f"the data has no target column {target!r}")
    labelled = data.filter(pl.col(target).is_not_null())
    y = labelled[target].cast(pl.Float64).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"target {target!r} must be 0/1")
    pd_ = model.predict_proba(labelled)[:, 1]
    score = model.score_points(labelled)
    grades = model.master_scale_.grade(pd_)
    report: dict[str, Any] = {
        "performance": discrimination(y, pd_),
        "calibration": calibration_by_grade(y, pd_, grades, list(model.master_scale_.grades)),
        "segments": by_segment(labelled, y, pd_),
        "curves": {"roc": roc_points(y, pd_) if 0 < y.sum() < len(y) else [],
                   "ks": ks_curve(y, pd_)},
        "score_summary": {"min": float(score.min()), "median": float(np.median(score)), "max": float(score.max())},
    }
    if dev is not None:
        report["stability"] = stability(model, dev, data)
    return report


def monitor(model: Any, reference: dict[str, Any], later: pl.DataFrame, target: str | None = None) -> dict[str, Any]:
    """Monitoring of new data against the training reference (from the model card): PSI of the score with the
    share and PSI contribution of each score band, CSI of each feature, alerts at PSI 0.10 (watch) and 0.25
    (alert), and the default rate by grade when ``target`` is present with outcomes. Only counting: works on
    any sample size, and unseen categories fall in the bins the model gives them."""
    later = as_polars(later)
    out = stability(model, reference, later)
    edges = np.asarray(reference["score_edges"], dtype=float)
    e = np.asarray(reference["score_counts"], dtype=float)
    s_new = model.score_points(later) if later.height else np.empty(0)
    a = np.bincount(np.searchsorted(edges, s_new, side="right"), minlength=len(edges) + 1).astype(float)
    es = np.maximum(e / max(e.sum(), 1.0), _FLOOR)
    as_ = np.maximum(a / max(a.sum(), 1.0), _FLOOR)
    bounds = [-np.inf, *edges.tolist(), np.inf]
    out["score_bands"] = [{"band": f"[{bounds[i]:.1f}, {bounds[i + 1]:.1f})", "expected_share": float(e[i] / max(e.sum(), 1)),
                           "actual_share": float(a[i] / max(a.sum(), 1)), "count": int(a[i]),
                           "psi": float((as_[i] - es[i]) * np.log(as_[i] / es[i]))} for i in range(len(e))]
    out["alerts"] = [{"what": "score", "psi": out["score_psi"], "level": out["score_level"]}] \
        if out["score_level"] in ("watch", "alert") else []
    out["alerts"] += [{"what": f, "csi": v["csi"], "level": v["level"]} for f, v in out["csi"].items()
                      if v["level"] in ("watch", "alert")]
    if target and target in later.columns and later.height:
        lab = later.filter(pl.col(target).is_not_null())
        if lab.height:
            y = lab[target].cast(pl.Float64).to_numpy()
            pd_ = model.predict_proba(lab)[:, 1]
            grades = model.master_scale_.grade(pd_)
            rows = []
            for g in model.master_scale_.grades:
                m = grades == g
                if m.any():
                    rows.append({"grade": g, "n": int(m.sum()), "defaults": int(y[m].sum()),
                                 "default_rate": float(y[m].mean()), "mean_pd": float(pd_[m].mean())})
            out["default_rate_by_grade"] = rows
            out["performance"] = discrimination(y, pd_)
    return out
