"""The scorecard: supervised binning -> WOE -> logistic regression -> points, calibrated PD, grades.

scikit-learn estimator API: parameters in ``__init__``, learned state ends in ``_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from innocredit.risk.binning import CAT_MIN_COUNT, CAT_MIN_SHARE, CAT_SMOOTHING, SMALL, Binning, as_polars
from innocredit.risk.calibration import Calibrator
from innocredit.risk.fairness import refuse_protected_in
from innocredit.risk.logistic import _blas_controller, fit_logistic
from innocredit.risk.policy import MasterScale
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
    cols = [pos[f] for f in order]
    if len(order) > 1 and max_corr < 1:
        sub = woe[np.ix_(rows, np.asarray(cols, dtype=np.int64))]
        sd = sub.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(sub, rowvar=False)
    else:  # np.corrcoef clips to [-1, 1]: with max_corr >= 1 no pair can exceed it, so only the spread is needed
        sd = np.asarray([woe[rows, c].std() for c in cols])
        corr = np.zeros((len(order), len(order)))
    kept: list[int] = []
    for i in range(len(order)):
        if sd[i] == 0:
            continue
        if all(not (abs(corr[i, j]) > max_corr) for j in kept):
            kept.append(i)
    return [order[i] for i in kept]


_BLOCK = 16_384  # rows per block in score_points: the block's values and bin codes stay in cache
_TABLE_MAX = 16_384  # entries of a joint points table (128 KB)


def _comparable(fb: Any) -> bool:
    """Numeric binning whose bins fit int8 codes and that has no special values: the comparison path."""
    return bool(fb.kind == "numeric" and not fb.special_values and len(fb.woe) <= 127)


def _joint_table(members: list[Any]) -> np.ndarray:
    """Points of every combination of the members' bins, row-major (first member slowest)."""
    table = np.zeros(1)
    for c in members:
        table = np.add.outer(table, c[4]).ravel()
    return table


class Scorecard(ClassifierMixin, TransformerMixin, BaseEstimator):
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
                 n_reasons: int = 4, n_jobs: int = 1, cat_min_count: int = CAT_MIN_COUNT,
                 cat_min_share: float = CAT_MIN_SHARE, cat_smoothing: float = CAT_SMOOTHING,
                 allow_protected: list[str] | None = None) -> None:
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
        self.cat_min_count = cat_min_count
        self.cat_min_share = cat_min_share
        self.cat_smoothing = cat_smoothing
        self.allow_protected = allow_protected

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # a default model: the target is 0/1
        tags.input_tags.allow_nan = True  # missing values get a bin of their own
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # -- fitting -----------------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> Scorecard:
        # BLAS single-threaded for the whole fit: its products are small (a few dozen WOE columns) and threaded
        # BLAS on a busy machine spends more time waiting than computing (measured: 10x slower under load)
        with _blas_controller().limit(limits=1, user_api="blas"):
            return self._fit(X, y)

    def _fit(self, X: Any, y: Any) -> Scorecard:
        df = as_polars(X)
        features = list(self.features) if self.features is not None else list(df.columns)
        refuse_protected_in(df, features, allowed=self.allow_protected)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(np.unique(y)) != 2:
            raise ValueError("the target needs both classes (0 and 1) in the training data")
        self.binning_ = Binning(features, self.trends, self.default_trend, self.max_n_prebins,
                                self.min_prebin_size, self.special_values, self.n_jobs, self.cat_min_count,
                                self.cat_min_share, self.cat_smoothing).fit(df, y)
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
        check_is_fitted(self, "coef_")
        return self.binning_.transform(as_polars(X), self.selected_features_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of default before calibration."""
        check_is_fitted(self, "coef_")
        return self.intercept_ + self.transform(X) @ self.coef_

    def score_points(self, X: Any) -> np.ndarray:
        """Total points per row.

        Batch path (see ``_fast_points``): numeric bins by comparisons against the cut points in cache-sized
        row blocks, categorical bins from one parallel polars ``replace_strict``, and the points of a few
        features at a time from one lookup in their joint points table (sum of the per-feature points)."""
        df = as_polars(X)
        if df.height <= SMALL:
            total = np.zeros(df.height)
            for f in self.selected_features_:
                total += self.points_[f][self.binning_.binnings_[f].bin_index(df[f])]
            return total
        return self._fast_points(df)

    def _fast_points(self, df: pl.DataFrame) -> np.ndarray:
        n = df.height
        bins = self.binning_.binnings_
        # per feature: (number of bins, values or precomputed bin index, cut points as a column or None,
        # missing bin, points per bin)
        cols: list[tuple[int, np.ndarray, np.ndarray | None, int, np.ndarray]] = []
        other = [f for f in self.selected_features_ if not _comparable(bins[f])]
        cat = [f for f in other if bins[f].kind == "categorical"]
        pre = {}
        if cat:  # all categorical columns in one select: polars maps them in parallel
            out = df.select(bins[f].category_index_expr(pl.col(f)).alias(f) for f in cat)
            pre = {f: out[f].to_numpy().astype(np.intp) for f in cat}
        for f in other:
            if f not in pre:
                pre[f] = np.asarray(bins[f].bin_index(df[f]), dtype=np.intp)
        for f in self.selected_features_:
            fb = bins[f]
            if f in pre:
                cols.append((len(fb.woe), pre[f], None, fb.missing_index, self.points_[f]))
            else:
                x = np.asarray(df[f].cast(pl.Float64).to_numpy(), dtype=float)
                cols.append((len(fb.woe), x, np.asarray(fb.splits, dtype=float)[:, None], fb.missing_index,
                             self.points_[f]))
        # joint points tables of consecutive features, each at most _TABLE_MAX entries
        plan: list[tuple[list[Any], np.ndarray]] = []
        group: list[Any] = []
        size = 1
        for c in cols:
            if group and size * c[0] > _TABLE_MAX:
                plan.append((group, _joint_table(group)))
                group, size = [], 1
            group.append(c)
            size *= c[0]
        plan.append((group, _joint_table(group)))
        max_cuts = max((len(c[2]) for c in cols if c[2] is not None), default=0)
        total = np.empty(n)
        code = np.empty(_BLOCK, dtype=np.intp)
        small = np.empty(_BLOCK, dtype=np.int8)
        ge = np.empty((max(max_cuts, 1), _BLOCK), dtype=bool)
        tmp = np.empty(_BLOCK)
        for s in range(0, n, _BLOCK):
            e = min(n, s + _BLOCK)
            m = e - s
            t, cb, ib, tb = total[s:e], code[:m], small[:m], tmp[:m]
            for j, (members, table) in enumerate(plan):
                for k, (nb, x, cuts, miss, _) in enumerate(members):
                    if k:
                        cb *= nb
                    if cuts is None:
                        if k:
                            cb += x[s:e]
                        else:
                            cb[:] = x[s:e]
                        continue
                    xb = x[s:e]
                    if len(cuts):  # bin = number of cut points <= x (NaN compares False: bin 0, fixed below)
                        g = ge[:len(cuts), :m]
                        np.greater_equal(xb[None, :], cuts, out=g)
                        np.sum(g.view(np.int8), axis=0, dtype=np.int8, out=ib)
                    else:
                        ib.fill(0)
                    gb = ge[0, :m]
                    np.isnan(xb, out=gb)
                    np.copyto(ib, miss, where=gb)
                    if k:
                        cb += ib
                    else:
                        cb[:] = ib
                if j:
                    np.take(table, cb, out=tb)
                    t += tb
                else:
                    np.take(table, cb, out=t)
        return total

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
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
        loss = np.subtract(best[None, :], pts, out=pts)  # in place: the points matrix is not needed any more
        return {"score": score, "pd": pd_, "loss": loss, "features": self.selected_features_}

    def points_table(self) -> pl.DataFrame:
        frames = []
        for f in self.selected_features_:
            t = self.binning_.binnings_[f].table().with_columns(pl.Series("points", self.points_[f]))
            frames.append(t)
        return pl.concat(frames)

    def raw_features(self) -> list[str]:
        return list(self.selected_features_)
