"""The scorecard: supervised binning -> WOE -> logistic regression -> points, calibrated PD, grades.

scikit-learn estimator API: parameters in ``__init__``, learned state ends in ``_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin

from innocredit.risk.binning import SMALL, Binning, as_polars
from innocredit.risk.calibration import Calibrator
from innocredit.risk.policy import MasterScale, refuse_protected
from innocredit.risk.scaling import Scaling


def select_features(woe: np.ndarray, features: list[str], iv: dict[str, float], min_iv: float,
                    max_corr: float) -> list[str]:
    """Keep features with IV >= ``min_iv``; among pairs whose WOE correlation exceeds ``max_corr``
    keep the one with the higher IV (greedy by IV)."""
    order = sorted((f for f in features if iv[f] >= min_iv), key=lambda f: -iv[f])
    if not order:
        return []
    pos = {f: i for i, f in enumerate(features)}
    rows = np.linspace(0, woe.shape[0] - 1, min(woe.shape[0], 200_000)).astype(np.int64)  # a sample is plenty
    sub = woe[np.ix_(rows, np.asarray([pos[f] for f in order], dtype=np.int64))]
    sd = sub.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(sub, rowvar=False) if len(order) > 1 else np.ones((1, 1))
    kept: list[int] = []
    for i in range(len(order)):
        if sd[i] == 0:
            continue
        if all(not (abs(corr[i, j]) > max_corr) for j in kept):
            kept.append(i)
    return [order[i] for i in kept]


_CHUNK = 65_536  # rows per block when accumulating the Hessian (bounded extra memory)


def _newton(X: np.ndarray, y: np.ndarray, ridge: np.ndarray, beta: np.ndarray, tol: float, max_iter: int,
            hessian: np.ndarray | None = None) -> np.ndarray:
    """Newton steps on [X, 1] without materializing the design matrix or a full weighted copy.

    With ``hessian`` given (from a sample, scaled to the full size) only the gradient is computed on all rows:
    the iteration still converges to the exact optimum (zero gradient), just with a fixed curvature.
    """
    n, k = X.shape
    for _ in range(max_iter):
        grad = ridge * beta
        H = np.diag(ridge) if hessian is None else hessian
        for s in range(0, n, _CHUNK):
            xb = np.ascontiguousarray(X[s:s + _CHUNK])
            p = 1.0 / (1.0 + np.exp(-(xb @ beta[:k] + beta[k])))
            r = p - y[s:s + _CHUNK]
            grad[:k] += xb.T @ r
            grad[k] += r.sum()
            if hessian is None:
                w = p * (1 - p)
                xw = xb * w[:, None]
                H[:k, :k] += xw.T @ xb
                col = xw.sum(axis=0)
                H[:k, k] += col
                H[k, :k] += col
                H[k, k] += w.sum()
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
        beta = beta - step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float = 1.0, tol: float = 1e-6, max_iter: int = 100,
                 warm_rows: int = 100_000) -> tuple[np.ndarray, float]:
    """L2-penalized logistic regression by Newton's method (IRLS): minimizes
    sum(log loss) + ||w||^2 / (2C), the intercept unpenalized — the objective of scikit-learn's
    ``LogisticRegression(C=C)``, solved in a handful of iterations on the few WOE columns. On large data the
    start comes from a fit on ``warm_rows`` evenly spaced rows (penalty scaled alike), so the full data needs
    only one or two Newton steps."""
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    y = np.asarray(y, dtype=float)
    ridge = np.full(k + 1, 1.0 / C)
    ridge[k] = 0.0
    beta = np.zeros(k + 1)
    if n > 2 * warm_rows:
        sub = np.linspace(0, n - 1, warm_rows).astype(np.int64)
        xs, ys = X[sub], y[sub]
        beta = _newton(xs, ys, ridge * warm_rows / n, beta, tol, max_iter)
        p = 1.0 / (1.0 + np.exp(-(xs @ beta[:k] + beta[k])))
        a = np.column_stack([xs, np.ones(len(sub))])
        hessian = (a * (p * (1 - p))[:, None]).T @ a * (n / warm_rows) + np.diag(ridge)
        beta = _newton(X, y, ridge, beta, tol, max_iter, hessian)
    else:
        beta = _newton(X, y, ridge, beta, tol, max_iter)
    return beta[:k], float(beta[k])


class Scorecard(BaseEstimator, ClassifierMixin):
    """A credit scorecard on WOE-binned features.

    ``trends``: feature -> monotonic trend of the default rate (ascending/descending/auto/peak/valley/none).
    ``min_iv``/``max_corr``: feature selection. Scaling: ``base_score`` points at ``base_odds``:1 good:bad,
    ``pdo`` points to double the odds. ``calibration``: "platt" or "isotonic". ``master_scale``: a
    ``MasterScale`` (None = the packaged ten-grade scale).
    """

    kind = "scorecard"

    def __init__(self, features: list[str] | None = None, trends: dict[str, str] | None = None,
                 default_trend: str = "auto", max_n_prebins: int = 20, min_prebin_size: float = 0.05,
                 special_values: dict[str, list[float]] | list[float] | None = None, min_iv: float = 0.02,
                 max_corr: float = 0.8, C: float = 1.0, base_score: float = 600.0, base_odds: float = 50.0,
                 pdo: float = 20.0, calibration: str = "platt", master_scale: MasterScale | None = None,
                 n_reasons: int = 4, n_jobs: int = 1) -> None:
        self.features = features
        self.trends = trends
        self.default_trend = default_trend
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.special_values = special_values
        self.min_iv = min_iv
        self.max_corr = max_corr
        self.C = C
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.calibration = calibration
        self.master_scale = master_scale
        self.n_reasons = n_reasons
        self.n_jobs = n_jobs

    # -- fitting -----------------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> Scorecard:
        df = as_polars(X)
        features = list(self.features) if self.features is not None else list(df.columns)
        refuse_protected(features)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(np.unique(y)) != 2:
            raise ValueError("the target needs both classes (0 and 1) in the training data")
        self.binning_ = Binning(features, self.trends, self.default_trend, self.max_n_prebins,
                                self.min_prebin_size, self.special_values, self.n_jobs).fit(df, y)
        woe_all = self.binning_.transform(df, features)
        self.selected_features_ = select_features(woe_all, features, self.binning_.iv_, self.min_iv, self.max_corr)
        if not self.selected_features_:
            raise ValueError(f"no feature has IV >= {self.min_iv}; nothing to build a scorecard on")
        pos = {f: i for i, f in enumerate(features)}
        cols = [pos[f] for f in self.selected_features_]
        woe = woe_all if cols == list(range(len(features))) else woe_all[:, cols]
        del woe_all
        self.coef_, self.intercept_ = fit_logistic(woe, y, self.C)
        self.classes_ = np.array([0, 1])
        self.scaling_ = Scaling(self.base_score, self.base_odds, self.pdo)
        self.master_scale_ = self.master_scale or MasterScale.default()
        self._build_points()
        logit = self.intercept_ + woe @ self.coef_
        self.calibrator_ = Calibrator(self.calibration).fit(logit, y)
        self.n_features_in_ = len(features)
        self.feature_names_in_ = np.asarray(features, dtype=object)
        return self

    def _build_points(self) -> None:
        s = self.scaling_
        k = len(self.selected_features_)
        share = (s.offset - s.factor * self.intercept_) / k
        self.points_ = {}
        self.best_points_ = {}
        for f, b in zip(self.selected_features_, self.coef_):
            fb = self.binning_.binnings_[f]
            pts = -s.factor * b * fb.woe + share
            self.points_[f] = pts
            seen = (fb.n_event + fb.n_nonevent) > 0
            self.best_points_[f] = float(pts[seen].max()) if seen.any() else float(pts.max())

    # -- scoring -----------------------------------------------------------------------------------------
    def _points_matrix(self, X: Any) -> np.ndarray:
        df = as_polars(X)
        if df.height <= SMALL:  # a few records: one conversion to Python, then plain lookups
            cols = [df.get_column(f).to_list() for f in self.selected_features_]
            bins = self.binning_.binnings_
            rows = [[self.points_[f][bins[f].bin_of(v)] for f, v in zip(self.selected_features_, row)]
                    for row in zip(*cols)]
            return np.asarray(rows, dtype=float).reshape(df.height, len(self.selected_features_))
        pts = np.empty((df.height, len(self.selected_features_)))
        for j, f in enumerate(self.selected_features_):
            pts[:, j] = self.points_[f][self.binning_.binnings_[f].bin_index(df[f])]
        return pts

    def transform(self, X: Any) -> np.ndarray:
        """WOE of the selected features."""
        return self.binning_.transform(as_polars(X), self.selected_features_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of default before calibration."""
        return self.intercept_ + self.transform(X) @ self.coef_

    def score_points(self, X: Any) -> np.ndarray:
        """Total points per row (accumulated feature by feature, no points matrix)."""
        df = as_polars(X)
        total = np.zeros(df.height)
        for f in self.selected_features_:
            total += self.points_[f][self.binning_.binnings_[f].bin_index(df[f])]
        return total

    def predict_proba(self, X: Any) -> np.ndarray:
        pd_ = self.calibrator_.predict(self.decision_function(X))
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def explain(self, X: Any) -> dict[str, Any]:
        """Everything ``score_table`` needs, from one pass: points, PD, grade index, reason losses."""
        pts = self._points_matrix(X)
        score = pts.sum(axis=1)
        pd_ = self.calibrator_.predict(self.scaling_.logit_from_score(score))
        best = np.asarray([self.best_points_[f] for f in self.selected_features_])
        return {"score": score, "pd": pd_, "loss": best[None, :] - pts, "features": self.selected_features_}

    def points_table(self) -> pl.DataFrame:
        frames = []
        for f in self.selected_features_:
            t = self.binning_.binnings_[f].table().with_columns(pl.Series("points", self.points_[f]))
            frames.append(t)
        return pl.concat(frames)

    def raw_features(self) -> list[str]:
        return list(self.selected_features_)
