"""Supervised binning with weight of evidence (WOE) and information value (IV).

Method (after Siddiqi, *Credit Risk Scorecards*, and Navas-Palencia, *Optimal binning*, 2020):
quantile pre-binning (at most ``max_n_prebins`` bins of at least ``min_prebin_size`` of the records),
then an exact dynamic programme over the contiguous pre-bins that maximizes IV subject to the event rate
following the requested trend (ascending, descending, peak, valley; ``auto`` picks the better of
ascending/descending). Categories are pre-binned one per level, ordered by event rate. Missing values and
special values get bins of their own; an unseen category gets a neutral WOE of 0.

WOE of a bin = ln(share of non-events / share of events) (optbinning's sign: positive WOE = lower risk).
IV = sum over bins of (share of non-events - share of events) * WOE.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, TransformerMixin

TRENDS = ("auto", "ascending", "descending", "peak", "valley", "none")
AUTO_BEND_RATIO = 1.5  # "auto" takes a peak/valley only if its IV is 1.5x the monotonic IV ...
AUTO_BEND_MIN_GAIN = 0.02  # ... and at least 0.02 higher
SMALL = 32  # series up to this length take the plain-Python path in bin_index
_NULL_KEY = "\x00missing"  # stands for null when mapping categories in one pass
_EPS = 0.5  # additive smoothing of counts for WOE of a bin with no events or no non-events


def as_polars(X: Any) -> pl.DataFrame:
    """Accept a polars or pandas DataFrame (or a dict of columns) and return polars."""
    if isinstance(X, pl.DataFrame):
        return X
    if isinstance(X, dict):
        return pl.DataFrame(X)
    if hasattr(X, "tocsr") or type(X).__name__.endswith(("_matrix", "_array")) and hasattr(X, "nnz"):
        raise TypeError("sparse input is not supported: pass a dense polars or pandas DataFrame")
    if isinstance(X, (list, tuple)) or (hasattr(X, "__array__") and not hasattr(X, "columns")):
        X = np.asarray(X)
    if isinstance(X, np.ndarray):  # a bare matrix (scikit-learn's own checks): columns x0, x1, ...
        if X.ndim != 2:
            raise ValueError(f"expected a 2-d table, got an array of shape {X.shape}; "
                             "Reshape your data with array.reshape(-1, 1) for one feature")
        return pl.DataFrame({f"x{j}": X[:, j] for j in range(X.shape[1])})
    try:
        return pl.from_pandas(X)
    except Exception as exc:  # pragma: no cover - defensive
        raise TypeError(f"expected a polars or pandas DataFrame, got {type(X).__name__}") from exc


def is_categorical(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, (pl.Categorical, pl.Enum))


def woe_iv(n_event: np.ndarray, n_nonevent: np.ndarray, total_event: float, total_nonevent: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """WOE and IV per bin; a bin with no records has WOE 0, empty classes are smoothed by 0.5."""
    n_event = np.asarray(n_event, dtype=float)
    n_nonevent = np.asarray(n_nonevent, dtype=float)
    empty = (n_event + n_nonevent) == 0
    zero = (n_event == 0) | (n_nonevent == 0)
    e = np.where(zero, n_event + _EPS, n_event) / max(total_event, 1.0)
    g = np.where(zero, n_nonevent + _EPS, n_nonevent) / max(total_nonevent, 1.0)
    woe = np.where(empty, 0.0, np.log(g / e))
    iv = np.where(empty, 0.0, (g - e) * woe)
    return woe, iv


def _allowed(prev_rate: float, rate: float, phase_prev: int, phase: int, trend: str) -> bool:
    """Whether a group with ``rate`` may follow one with ``prev_rate`` under ``trend``."""
    if trend == "none":
        return True
    if trend == "ascending":
        return rate >= prev_rate
    if trend == "descending":
        return rate <= prev_rate
    if trend == "peak":  # up (phase 0) then down (phase 1)
        if phase == 0:
            return phase_prev == 0 and rate >= prev_rate
        return rate <= prev_rate
    if trend == "valley":
        if phase == 0:
            return phase_prev == 0 and rate <= prev_rate
        return rate >= prev_rate
    raise ValueError(f"unknown trend {trend!r}")


def optimal_groups(ev: np.ndarray, tot: np.ndarray, total_event: float, total_nonevent: float, trend: str,
                   min_bin_count: float = 0.0) -> tuple[list[int], float]:
    """Exact DP over contiguous pre-bins: boundaries (indices into pre-bins) maximizing IV under ``trend``.

    Returns (cut indices, IV). Cut index ``j`` means a new bin starts at pre-bin ``j``.
    """
    m = len(ev)
    if m <= 1:
        return [], 0.0
    ce = np.concatenate([[0.0], np.cumsum(ev)])
    ct = np.concatenate([[0.0], np.cumsum(tot)])
    phases = (0, 1) if trend in ("peak", "valley") else (0,)
    neg = -np.inf
    # group stats
    ge = ce[None, :] - ce[:, None]  # ge[a, b] = events in [a, b)
    gt = ct[None, :] - ct[:, None]
    gn = gt - ge
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(gt > 0, ge / gt, np.nan)
        e = ge / max(total_event, 1.0)
        g = gn / max(total_nonevent, 1.0)
        iv = (g - e) * np.log(g / e)
    valid = (ge > 0) & (gn > 0) & (gt >= min_bin_count)
    best = np.full((len(phases), m + 1, m + 1), neg)  # best[p, a, b]: last group [a, b) in phase p
    back: dict[tuple[int, int, int], tuple[int, int]] = {}
    for b in range(1, m + 1):
        for a in range(b):
            if not valid[a, b]:
                continue
            r = rate[a, b]
            for p in phases:
                if a == 0:
                    if p == 0:
                        best[p, a, b] = iv[a, b]
                    continue
                cand, arg = neg, None
                for c in range(a):
                    for pp in phases:
                        v = best[pp, c, a]
                        if v > cand and _allowed(rate[c, a], r, pp, p, trend):
                            cand, arg = v, (pp, c)
                if arg is not None:
                    best[p, a, b] = cand + iv[a, b]
                    back[(p, a, b)] = arg
    final = best[:, :, m]
    if not np.isfinite(final).any():
        return [], 0.0
    p, a = (int(v) for v in np.unravel_index(int(np.argmax(final)), final.shape))
    total = float(final[p, a])
    cuts = []
    b = m
    while a > 0:
        cuts.append(int(a))
        p, c = back[(int(p), int(a), int(b))]
        b, a = a, c
    return sorted(cuts), total


def _merge_small(ev: np.ndarray, tot: np.ndarray, min_count: float, smoothing: float = 0.0, prior: float = 0.0
                 ) -> list[int]:
    """Greedy merge of pre-bins smaller than ``min_count`` (or empty) into the neighbour closest in event rate
    (rates shrunk to ``prior`` with weight ``smoothing``; an empty pre-bin has the rate ``prior``).

    Returns the start index (in the input) of each merged pre-bin.
    """
    starts = list(range(len(tot)))
    ev_l, tot_l = list(map(float, ev)), list(map(float, tot))
    while len(tot_l) > 1:
        small = [i for i, t in enumerate(tot_l) if t < min_count or t == 0]
        if not small:
            break
        i = min(small, key=lambda k: tot_l[k])
        if i == 0:
            j = 1
        elif i == len(tot_l) - 1:
            j = i - 1
        else:
            def rate(k: int) -> float:
                den = tot_l[k] + smoothing
                return (ev_l[k] + smoothing * prior) / den if den else prior

            r, rl, rr = rate(i), rate(i - 1), rate(i + 1)
            j = i - 1 if abs(r - rl) <= abs(r - rr) else i + 1
        lo, hi = min(i, j), max(i, j)
        ev_l[lo] += ev_l[hi]
        tot_l[lo] += tot_l[hi]
        del ev_l[hi], tot_l[hi], starts[hi]
    return starts


GRID_SAMPLE = 200_000  # rows used to place the fine grid on large data
FINE_CELLS = 1024  # fine grid for the supervised pre-binning: all distinct values, or this many quantiles


def _gini_gain(ce: np.ndarray, ct: np.ndarray, a: int, b: int, min_count: float) -> tuple[float, int]:
    """Best split of fine cells [a, b) by weighted Gini decrease (CART); returns (gain, split cell)."""
    if b - a < 2:
        return 0.0, -1
    c = np.arange(a + 1, b)
    nl = ct[c] - ct[a]
    el = ce[c] - ce[a]
    nr = ct[b] - ct[c]
    er = ce[b] - ce[c]
    n = ct[b] - ct[a]
    e = ce[b] - ce[a]
    ok = (nl >= min_count) & (nr >= min_count)
    if not ok.any() or n == 0:
        return 0.0, -1
    with np.errstate(divide="ignore", invalid="ignore"):
        gl = np.where(nl > 0, 2 * el * (nl - el) / nl, 0.0)
        gr = np.where(nr > 0, 2 * er * (nr - er) / nr, 0.0)
    parent = 2 * e * (n - e) / n
    gain = np.where(ok, parent - gl - gr, -np.inf)
    i = int(np.argmax(gain))
    return float(gain[i]), int(c[i])


def prebin_numeric(xc: np.ndarray, yc: np.ndarray, max_n_prebins: int, min_count: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Supervised pre-binning: a fine grid (distinct values or quantiles), then best-first CART splits
    (Gini, each side >= ``min_count`` records, at most ``max_n_prebins`` bins), all on the grid's counts.

    Returns (splits, events per pre-bin, records per pre-bin); pre-bin i is [splits[i-1], splits[i]).
    """
    uniq = np.unique(xc) if xc.size <= 200_000 else None
    if uniq is not None and uniq.size <= FINE_CELLS:
        grid = (uniq[:-1] + uniq[1:]) / 2
    else:
        # the grid is only a set of candidate cuts: quantiles of an evenly spaced sample are enough
        sample = xc if xc.size <= GRID_SAMPLE else xc[np.linspace(0, xc.size - 1, GRID_SAMPLE).astype(np.int64)]
        grid = np.unique(np.quantile(sample, np.linspace(0, 1, FINE_CELLS + 1)[1:-1]))
        grid = grid[grid > xc.min()]
    # counts per fine cell from the sorted values of each class: a few thousand binary searches instead of
    # one per record (cell i = [grid[i-1], grid[i]))
    bad = yc > 0.5
    xs_bad, xs_good = np.sort(xc[bad]), np.sort(xc[~bad])
    cum_bad = np.concatenate([[0], np.searchsorted(xs_bad, grid, side="left"), [xs_bad.size]])
    cum_good = np.concatenate([[0], np.searchsorted(xs_good, grid, side="left"), [xs_good.size]])
    ev = np.diff(cum_bad).astype(float)
    tot = ev + np.diff(cum_good)
    ce = np.concatenate([[0.0], np.cumsum(ev)])
    ct = np.concatenate([[0.0], np.cumsum(tot)])
    leaves = [(0, len(tot))]
    cand = {leaves[0]: _gini_gain(ce, ct, 0, len(tot), min_count)}
    while len(leaves) < max_n_prebins:
        best = max(leaves, key=lambda lf: cand[lf][0])
        gain, c = cand[best]
        if gain <= 1e-12 or c < 0:
            break
        leaves.remove(best)
        for lf in ((best[0], c), (c, best[1])):
            leaves.append(lf)
            cand[lf] = _gini_gain(ce, ct, lf[0], lf[1], min_count)
    starts = sorted(lf[0] for lf in leaves)
    splits = grid[[s - 1 for s in starts[1:]]]
    return splits, np.add.reduceat(ev, starts), np.add.reduceat(tot, starts)


@dataclass
class FeatureBinning:
    """The learned binning of one feature. Bin layout: regular bins 0..k-1, then special, missing, unseen."""

    name: str
    kind: str  # "numeric" | "categorical"
    trend: str
    splits: np.ndarray = field(default_factory=lambda: np.empty(0))  # numeric: bin i = [splits[i-1], splits[i])
    categories: dict[str, int] = field(default_factory=dict)  # categorical: level -> regular bin
    special_values: tuple[float, ...] = ()
    n_event: np.ndarray = field(default_factory=lambda: np.empty(0))
    n_nonevent: np.ndarray = field(default_factory=lambda: np.empty(0))
    woe: np.ndarray = field(default_factory=lambda: np.empty(0))
    iv_bins: np.ndarray = field(default_factory=lambda: np.empty(0))
    other_bin: int | None = None  # categorical: the regular bin of pooled rare levels, if any

    @property
    def n_regular(self) -> int:
        return len(self.woe) - 3

    @property
    def special_index(self) -> int:
        return self.n_regular

    @property
    def missing_index(self) -> int:
        return self.n_regular + 1

    @property
    def unseen_index(self) -> int:
        return self.n_regular + 2

    @property
    def unseen_target(self) -> int:
        """Where a level not seen at fit time goes: the "other" bin when there is one, else the missing bin.
        (Artefacts saved before the "other" bin existed keep their neutral unseen bin.)"""
        if not hasattr(self, "other_bin"):
            return self.unseen_index
        return self.missing_index if self.other_bin is None else self.other_bin

    @property
    def iv(self) -> float:
        return float(self.iv_bins.sum())

    def labels(self) -> list[str]:
        k = self.n_regular
        if self.kind == "numeric":
            edges = [-np.inf, *self.splits.tolist(), np.inf]
            regular = [f"[{edges[i]:.6g}, {edges[i + 1]:.6g})" for i in range(k)]
        else:
            groups: list[list[str]] = [[] for _ in range(k)]
            for level, b in self.categories.items():
                groups[b].append(level)
            regular = [", ".join(sorted(g)[:12]) + (f", ... ({len(g) - 12} more)" if len(g) > 12 else "")
                       for g in groups]
            other = getattr(self, "other_bin", None)
            if other is not None:
                regular[other] = f"other (rare and unseen levels): {regular[other]}"
        return [*regular, "Special", "Missing", "Unseen"]

    def bin_of(self, v: Any) -> int:
        """Bin of one value (the one-record path; same rules as ``bin_index``)."""
        if v is None:
            return self.missing_index
        if self.kind == "numeric":
            x = float(v)
            if x != x:
                return self.missing_index
            if self.special_values and x in self.special_values:
                return self.special_index
            return bisect.bisect_right(self.splits.tolist(), x)
        return self.categories.get(str(v), self.unseen_target)

    def bin_index(self, s: pl.Series) -> np.ndarray:
        """Bin index of each value (vectorized)."""
        if self.kind == "numeric":
            if s.len() <= SMALL:
                x = np.asarray([np.nan if v is None else float(v) for v in s.to_list()], dtype=float)
            else:
                x = np.asarray(s.cast(pl.Float64).to_numpy(), dtype=float)
            idx: np.ndarray
            if len(self.splits) <= 32:  # a few in-place comparisons per value beat a binary search (int8 fits)
                idx = np.zeros(x.shape[0], dtype=np.int8)
                ge = np.empty(x.shape[0], dtype=bool)
                for cut in self.splits:
                    np.greater_equal(x, cut, out=ge)
                    np.add(idx, ge, out=idx, casting="unsafe")
            else:
                idx = np.searchsorted(self.splits, x, side="right")
            idx[np.isnan(x)] = self.missing_index
            if self.special_values:
                idx = np.where(np.isin(x, np.asarray(self.special_values, dtype=float)), self.special_index, idx)
            return idx
        if s.len() <= SMALL:  # a handful of records: plain lookups beat building expressions
            cat = self.categories
            unseen = self.unseen_target
            return np.asarray([self.missing_index if v is None else cat.get(str(v), unseen)
                               for v in s.to_list()], dtype=np.int64)
        return pl.select(self.category_index_expr(pl.lit(s))).to_series().to_numpy()

    def category_index_expr(self, col: pl.Expr) -> pl.Expr:
        """Polars expression for the bin index of a categorical column (null -> missing, unseen level -> unseen),
        so many columns can be mapped in one parallel ``select``."""
        mapping: dict[str, int] = {str(k): v for k, v in self.categories.items()}
        mapping[_NULL_KEY] = self.missing_index
        return (col.cast(pl.String).fill_null(_NULL_KEY)
                .replace_strict(mapping, default=self.unseen_target, return_dtype=pl.Int64))

    def transform_woe(self, s: pl.Series) -> np.ndarray:
        return self.woe[self.bin_index(s)]

    def table(self) -> pl.DataFrame:
        count = self.n_event + self.n_nonevent
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(count > 0, self.n_event / np.maximum(count, 1), np.nan)
        return pl.DataFrame({
            "feature": [self.name] * len(self.woe),
            "bin": list(range(len(self.woe))),
            "label": self.labels(),
            "count": count.astype(np.int64),
            "n_event": self.n_event.astype(np.int64),
            "n_nonevent": self.n_nonevent.astype(np.int64),
            "event_rate": rate,
            "woe": self.woe,
            "iv": self.iv_bins,
        })


def _finish(fb: FeatureBinning, ev_reg: np.ndarray, tot_reg: np.ndarray, ev_sm: tuple[float, float, float, float],
            total_event: float, total_nonevent: float) -> FeatureBinning:
    se, st, me, mt = ev_sm
    n_event = np.concatenate([ev_reg, [se, me, 0.0]])
    n_total = np.concatenate([tot_reg, [st, mt, 0.0]])
    fb.n_event = n_event
    fb.n_nonevent = n_total - n_event
    fb.woe, fb.iv_bins = woe_iv(fb.n_event, fb.n_nonevent, total_event, total_nonevent)
    return fb


def fit_numeric(name: str, x: np.ndarray, y: np.ndarray, trend: str = "auto", max_n_prebins: int = 20,
                min_prebin_size: float = 0.05, special_values: tuple[float, ...] = ()) -> FeatureBinning:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(y)
    total_event = float(y.sum())
    total_nonevent = n - total_event
    miss = np.isnan(x)
    spec = np.isin(x, np.asarray(special_values, dtype=float)) & ~miss if special_values else np.zeros(n, bool)
    clean = ~(miss | spec)
    xc, yc = x[clean], y[clean]
    sm = (float(y[spec].sum()), float(spec.sum()), float(y[miss].sum()), float(miss.sum()))
    fb = FeatureBinning(name, "numeric", trend, special_values=tuple(special_values))
    if xc.size == 0:
        fb.splits = np.empty(0)
        return _finish(fb, np.zeros(1), np.zeros(1), sm, total_event, total_nonevent)
    splits, ev, tot = prebin_numeric(xc, yc, max_n_prebins, min_prebin_size * n)
    splits, ev, tot, fb.trend = _optimize(ev, tot, splits, trend, total_event, total_nonevent)
    fb.splits = splits
    return _finish(fb, ev, tot, sm, total_event, total_nonevent)


def _optimize(ev: np.ndarray, tot: np.ndarray, splits: np.ndarray, trend: str, total_event: float,
              total_nonevent: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    if trend == "auto":
        options = [(t, *optimal_groups(ev, tot, total_event, total_nonevent, t)) for t in ("ascending", "descending")]
        trend, cuts, iv = max(options, key=lambda o: o[2])
        # a peak or valley only when it is clearly better than the best monotonic binning
        bends = [(t, *optimal_groups(ev, tot, total_event, total_nonevent, t)) for t in ("peak", "valley")]
        bend = max(bends, key=lambda o: o[2])
        if bend[2] > AUTO_BEND_RATIO * iv and bend[2] - iv > AUTO_BEND_MIN_GAIN:
            trend, cuts, iv = bend
    else:
        cuts, _ = optimal_groups(ev, tot, total_event, total_nonevent, trend)
    starts = [0, *cuts]
    return splits[[c - 1 for c in cuts]], np.add.reduceat(ev, starts), np.add.reduceat(tot, starts), trend


CAT_MIN_COUNT = 5  # a level with fewer records goes to the "other" bin (assumption: see docs/risk.md)
CAT_MIN_SHARE = 0.001  # ... or with a smaller share of the records (assumption: see docs/risk.md)
CAT_SMOOTHING = 20.0  # prior weight (records) shrinking a level's event rate to the global rate (assumption)
OTHER_LEVEL = "\x00other"  # the pooled rare levels while ordering (never a real value)


def fit_categorical(name: str, s: pl.Series, y: np.ndarray, min_prebin_size: float = 0.05,
                    trend: str = "auto", max_n_prebins: int = 20, cat_min_count: int = CAT_MIN_COUNT,
                    cat_min_share: float = CAT_MIN_SHARE, cat_smoothing: float = CAT_SMOOTHING) -> FeatureBinning:
    """Categorical binning that generalises to levels with few records.

    1. Levels with fewer than ``max(cat_min_count, cat_min_share * n)`` records are pooled into one "other"
       level (also the bin of levels unseen at fit time).
    2. Levels (and "other") are ordered by their event rate shrunk to the global rate:
       (events + m * p) / (records + m), m = ``cat_smoothing``, p = global event rate.
    3. Neighbours in that order smaller than ``min_prebin_size`` of the records are merged, and at most
       ``max_n_prebins`` pre-bins are kept (the closest smoothed rates merge first).
    4. The exact IV-optimal grouping with an ascending event rate (as for numeric features).
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    total_event = float(y.sum())
    total_nonevent = n - total_event
    frame = pl.DataFrame({"x": s.cast(pl.String), "y": y})
    miss = frame["x"].is_null().to_numpy()
    sm = (0.0, 0.0, float(y[miss].sum()), float(miss.sum()))
    agg = (frame.filter(pl.col("x").is_not_null()).group_by("x").agg(pl.col("y").sum().alias("e"), pl.len().alias("t"))
           .sort("x"))
    fb = FeatureBinning(name, "categorical", "ascending" if trend in ("auto", "none") else trend)
    if agg.height == 0:
        return _finish(fb, np.zeros(1), np.zeros(1), sm, total_event, total_nonevent)
    rare_below = max(float(cat_min_count), cat_min_share * n)
    rare = agg.filter(pl.col("t") < rare_below)
    kept = agg.filter(pl.col("t") >= rare_below)
    # "other" always exists: with no rare level it has no records and its shrunk rate is the global rate, so an
    # unseen level lands in the bin of levels with about the average rate
    kept = pl.concat([kept, pl.DataFrame({"x": [OTHER_LEVEL], "e": [float(rare["e"].sum())],
                                          "t": [int(rare["t"].sum())]}, schema=kept.schema)])
    p0 = total_event / max(n, 1)
    kept = (kept.with_columns(((pl.col("e") + cat_smoothing * p0) / (pl.col("t") + cat_smoothing)).alias("r"))
            .sort(["r", "x"]))
    levels = kept["x"].to_list()
    ev = kept["e"].to_numpy().astype(float)
    tot = kept["t"].to_numpy().astype(float)
    rate = kept["r"].to_numpy().astype(float)
    starts = _merge_small(ev, tot, min_prebin_size * n, cat_smoothing, p0)
    while len(starts) > max(max_n_prebins, 1):  # too many pre-bins: merge the two closest in smoothed rate
        e_g = np.add.reduceat(ev, starts)
        t_g = np.add.reduceat(tot, starts)
        r_g = (e_g + cat_smoothing * p0) / (t_g + cat_smoothing)
        j = int(np.argmin(np.diff(r_g)))
        del starts[j + 1]
    del rate
    group = np.searchsorted(np.asarray(starts), np.arange(len(levels)), side="right") - 1
    ev = np.add.reduceat(ev, starts)
    tot = np.add.reduceat(tot, starts)
    # categories ordered by event rate: contiguous groups with ascending rate
    cuts, _ = optimal_groups(ev, tot, total_event, total_nonevent, "ascending")
    final = np.searchsorted(np.asarray(cuts, dtype=int), np.arange(len(ev)), side="right")
    starts2 = [0, *cuts]
    ev = np.add.reduceat(ev, starts2)
    tot = np.add.reduceat(tot, starts2)
    bin_of_level = {lvl: int(final[g]) for lvl, g in zip(levels, group)}
    fb.other_bin = bin_of_level.pop(OTHER_LEVEL, None)
    if fb.other_bin is not None:
        bin_of_level.update({lvl: fb.other_bin for lvl in rare["x"].to_list()})
    fb.categories = bin_of_level
    return _finish(fb, ev, tot, sm, total_event, total_nonevent)


class Binning(TransformerMixin, BaseEstimator):
    """Supervised binning of many features (scikit-learn transformer API: ``get_params``/``set_params``, so
    ``sklearn.base.clone`` works).

    ``trends`` maps a feature to its trend (see ``TRENDS``); ``special_values`` maps a numeric feature to its
    special codes (or gives one list for all numeric features). ``cat_min_count``/``cat_min_share``/
    ``cat_smoothing``: rare-level pooling and rate shrinkage of categorical features (``fit_categorical``).
    """

    def __init__(self, features: list[str] | None = None, trends: dict[str, str] | None = None,
                 default_trend: str = "auto", max_n_prebins: int = 20, min_prebin_size: float = 0.05,
                 special_values: dict[str, list[float]] | list[float] | None = None, n_jobs: int = 1,
                 cat_min_count: int = CAT_MIN_COUNT, cat_min_share: float = CAT_MIN_SHARE,
                 cat_smoothing: float = CAT_SMOOTHING) -> None:
        self.features = features
        self.trends = trends
        self.default_trend = default_trend
        self.max_n_prebins = max_n_prebins
        self.min_prebin_size = min_prebin_size
        self.special_values = special_values
        self.n_jobs = n_jobs
        self.cat_min_count = cat_min_count
        self.cat_min_share = cat_min_share
        self.cat_smoothing = cat_smoothing

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True  # supervised: WOE needs the 0/1 target
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def _special(self, name: str) -> tuple[float, ...]:
        sv = self.special_values
        if sv is None:
            return ()
        if isinstance(sv, dict):
            return tuple(float(v) for v in sv.get(name, ()))
        return tuple(float(v) for v in sv)

    def fit(self, X: Any, y: Any) -> Binning:
        df = as_polars(X)
        y = np.asarray(y, dtype=float)
        if len(y) != df.height:
            raise ValueError(f"X has {df.height} rows but y has {len(y)}")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("the target must be binary 0/1 with no missing values")
        features = list(self.features) if self.features is not None else list(df.columns)
        missing = [f for f in features if f not in df.columns]
        if missing:
            raise ValueError(f"features not in the data: {missing}")
        trends = dict(self.trends or {})
        for f, t in trends.items():
            if t not in TRENDS:
                raise ValueError(f"feature {f!r}: trend {t!r} is not one of {TRENDS}")

        def one(f: str) -> FeatureBinning:
            s = df[f]
            t = trends.get(f, self.default_trend)
            if is_categorical(s.dtype):
                return fit_categorical(f, s, y, self.min_prebin_size, t, self.max_n_prebins, self.cat_min_count,
                                       self.cat_min_share, self.cat_smoothing)
            x = s.cast(pl.Float64).to_numpy()
            return fit_numeric(f, x, y, t, self.max_n_prebins, self.min_prebin_size, self._special(f))

        if self.n_jobs != 1 and len(features) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=None if self.n_jobs < 0 else self.n_jobs) as pool:
                fitted = list(pool.map(one, features))
        else:
            fitted = [one(f) for f in features]
        self.binnings_ = {fb.name: fb for fb in fitted}
        self.features_ = features
        self.iv_ = {fb.name: fb.iv for fb in fitted}
        return self

    def bin_indices(self, X: Any, features: list[str] | None = None) -> np.ndarray:
        df = as_polars(X)
        features = features or self.features_
        return np.column_stack([self.binnings_[f].bin_index(df[f]) for f in features]) if features else \
            np.empty((df.height, 0), dtype=np.int64)

    def transform(self, X: Any, features: list[str] | None = None) -> np.ndarray:
        """WOE matrix (rows x features)."""
        df = as_polars(X)
        features = features or self.features_
        out = np.empty((df.height, len(features)), order="F")  # column-wise writes
        for j, f in enumerate(features):
            out[:, j] = self.binnings_[f].transform_woe(df[f])
        return out

    def table(self) -> pl.DataFrame:
        return pl.concat([fb.table() for fb in self.binnings_.values()])
