"""Fair lending: protected attributes found by their names and by their values, and the disparate impact of a
model measured on declared protected columns.

Protected columns are never features. Declared ones (``--protected``, a data dictionary's ``protected:`` list)
are kept aside and used only here:

- proxies: how well each model feature alone tells the protected groups apart (Cramér's V between the
  feature's bins and the groups; a feature at or above ``PROXY_STRONG`` is flagged as a strong proxy);
- by group, at the bank's PD cut-off (approve when PD <= cut-off): records, approval rate, default rate of
  all and of the approved, and the AUC within the group;
- the adverse impact ratio: the lowest group approval rate over the highest (the four-fifths rule: below
  ``AIR_THRESHOLD`` = 0.8 is adverse impact; EEOC Uniform Guidelines, 29 CFR 1607.4(D)).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from innocredit.risk.binning import as_polars
from innocredit.risk.policy import ProtectedAttributeError, default_policy, protected_rule, values_rule

AIR_THRESHOLD = 0.8
PROXY_STRONG = 0.3  # Cramér's V from which a feature is flagged as a strong proxy (assumption: see docs/risk.md)
MIN_GROUP = 20  # groups with fewer records get no AUC and stay out of the ratio (assumption: too few to estimate)


def detect_protected(df: pl.DataFrame, columns: list[str] | None = None, declared: list[str] | tuple[str, ...] = (),
                     policy: dict[str, Any] | None = None) -> dict[str, str]:
    """Protected columns among ``columns`` (default: all) of ``df`` -> the rule that caught each:
    ``declared``, a name rule (``name``, ``word``, ``abbreviation``, ``chinese``) or ``values: <set>``."""
    policy = policy or default_policy("protected")
    out: dict[str, str] = {}
    for c in columns if columns is not None else df.columns:
        if c in declared:
            out[c] = "declared"
            continue
        rule = protected_rule(c, policy)
        if rule is None and c in df.columns and (df[c].dtype == pl.String or isinstance(df[c].dtype, pl.Categorical)):
            distinct = df[c].cast(pl.String).drop_nulls().unique()
            if distinct.len() <= 12:
                vs = values_rule(distinct.to_list(), policy)
                rule = f"values: {vs}" if vs else None
        if rule is not None:
            out[c] = rule
    return out


def cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V of two categorical vectors: sqrt(chi2 / (n * (min(r, c) - 1))), 0 when either has one level."""
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    r, c = ai.max() + 1, bi.max() + 1
    if r < 2 or c < 2:
        return 0.0
    table = np.zeros((r, c))
    np.add.at(table, (ai, bi), 1.0)
    n = table.sum()
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.nansum((table - expected) ** 2 / expected))
    return float(np.sqrt(chi2 / (n * (min(r, c) - 1))))


def _feature_codes(model: Any, df: pl.DataFrame, f: str) -> np.ndarray:
    binning = getattr(model, "binning_", None)
    if binning is not None and f in getattr(binning, "binnings_", {}):
        return np.asarray(binning.binnings_[f].bin_index(df[f]))
    s = df[f]
    if s.dtype == pl.String or isinstance(s.dtype, pl.Categorical):
        return np.asarray(s.cast(pl.String).fill_null("\x00missing").to_numpy())
    x = s.cast(pl.Float64).to_numpy()
    fin = x[np.isfinite(x)]
    edges = np.unique(np.quantile(fin, np.linspace(0, 1, 11)[1:-1])) if fin.size else np.empty(0)
    return np.where(np.isfinite(x), np.searchsorted(edges, x, side="right"), -1)


def group_auc(y: np.ndarray, pd_: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(y) < MIN_GROUP or not 0 < y.sum() < len(y):
        return None
    return float(roc_auc_score(y, pd_))


def by_group(groups: np.ndarray, y: np.ndarray | None, pd_: np.ndarray, cutoff: float,
             min_group: int = MIN_GROUP) -> dict[str, Any]:
    """Approval and default rates by group at ``cutoff`` (approve when PD <= cutoff) and the adverse impact
    ratio (lowest approval rate / highest) over the groups of at least ``min_group`` records (a group of
    one record would swing it between 0 and 1; smaller groups are listed with ``in_ratio`` false)."""
    approved = pd_ <= cutoff
    rows = []
    for g in sorted({str(v) for v in groups}):
        m = np.asarray([str(v) == g for v in groups])
        n = int(m.sum())
        row: dict[str, Any] = {"group": g, "n": n, "approval_rate": float(approved[m].mean()) if n else None,
                               "in_ratio": n >= min_group}
        if y is not None:
            row["default_rate"] = float(y[m].mean()) if n else None
            row["approved_default_rate"] = float(y[m & approved].mean()) if (m & approved).any() else None
            row["auc"] = group_auc(y[m], pd_[m])
        rows.append(row)
    rates = [r["approval_rate"] for r in rows if r["approval_rate"] is not None and r["in_ratio"]]
    top = max(rates, default=0.0)
    air = (min(rates) / top) if len(rates) >= 2 and top > 0 else None
    return {"cutoff_pd": cutoff, "min_group": min_group, "groups": rows, "adverse_impact_ratio": air,
            "adverse_impact": air is not None and air < AIR_THRESHOLD}


def fairness_report(model: Any, df: Any, protected: pl.DataFrame, y: np.ndarray | None = None,
                    cutoff: float | None = None) -> dict[str, Any]:
    """The fairness section of the model card and the validation report, for each column of ``protected``
    (rows aligned with ``df``). ``cutoff`` None: the mean PD of ``df`` (the portfolio's expected default
    rate; an assumption a bank replaces with its own cut-off)."""
    df = as_polars(df)
    pd_ = np.asarray(model.predict_proba(df)[:, 1], dtype=float)
    cut = float(np.mean(pd_)) if cutoff is None else float(cutoff)
    yy = None if y is None else np.asarray(y, dtype=float)
    out: dict[str, Any] = {"cutoff_pd": cut, "cutoff_rule": "given" if cutoff is not None else "mean PD",
                           "air_threshold": AIR_THRESHOLD, "proxy_threshold": PROXY_STRONG, "attributes": {}}
    for col in protected.columns:
        groups = protected[col].cast(pl.String).fill_null("(missing)").to_numpy()
        proxies = []
        for f in model.raw_features():
            v = cramers_v(_feature_codes(model, df, f), groups)
            proxies.append({"feature": f, "cramers_v": v, "strong": v >= PROXY_STRONG})
        proxies.sort(key=lambda p: -p["cramers_v"])
        out["attributes"][col] = {**by_group(groups, yy, pd_, cut), "proxies": proxies}
    return out


def min_adverse_impact_ratio(card: dict[str, Any]) -> float | None:
    """The lowest adverse impact ratio in a model card's fairness section (None when it has none)."""
    attrs = (card.get("fairness") or {}).get("attributes") or {}
    vals = [a.get("adverse_impact_ratio") for a in attrs.values()]
    vals = [float(v) for v in vals if v is not None]
    return min(vals) if vals else None


def refuse_protected_in(df: pl.DataFrame, features: list[str], allowed: Any = ()) -> None:
    """Refuse protected attributes among ``features`` by their names and by their values, naming each column
    with the rule that caught it; ``allowed`` columns pass (an override the model card records)."""
    allow = set(allowed or ())
    found = {c: r for c, r in detect_protected(df, [f for f in features if f not in allow]).items()}
    if found:
        raise ProtectedAttributeError(
            "protected personal attributes cannot be model features: "
            + ", ".join(f"{c} (rule: {r})" for c, r in found.items())
            + " (see innocredit/risk/policies/protected.yaml); drop these columns, declare them with --protected "
            "to use them for fairness checks only, or --allow COLUMN --reason TEXT if the rule is wrong")
