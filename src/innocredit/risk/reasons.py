"""Reason codes: the features that cost an applicant the most, as stable codes with zh/en texts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from innocredit.risk.policy import default_policy


def reason_code(feature: str, policy: dict[str, Any] | None = None) -> str:
    policy = policy or default_policy("reason_codes")
    entry = policy["codes"].get(feature)
    return entry["code"] if entry else f"X-{feature}"


@lru_cache(maxsize=64)
def _codes(features: tuple[str, ...]) -> list[str]:
    return [reason_code(f) for f in features]


def reason_text(code_or_feature: str, lang: str = "en", policy: dict[str, Any] | None = None) -> str:
    """Text of a reason code (or of a feature's code) in ``lang`` ("zh" or "en")."""
    policy = policy or default_policy("reason_codes")
    for feature, entry in policy["codes"].items():
        if code_or_feature in (entry["code"], feature):
            return str(entry[lang])
    feature = code_or_feature[2:] if code_or_feature.startswith("X-") else code_or_feature
    return str(policy["generic"][lang]).format(feature=feature)


def reason_catalogue(features: list[str], policy: dict[str, Any] | None = None) -> list[dict[str, str]]:
    return [{"feature": f, "code": reason_code(f, policy), "zh": reason_text(f, "zh", policy),
             "en": reason_text(f, "en", policy)} for f in features]


def top_reasons(loss: np.ndarray, features: list[str], n: int = 4, policy: dict[str, Any] | None = None
                ) -> pl.Series:
    """Codes of the ``n`` features with the largest positive loss per row (vectorized), as a list column.

    ``loss`` is rows x features: points lost against the best bin (scorecard) or contribution to the
    log-odds of default (challenger). Ties are broken by feature order; features with no loss are left out.
    """
    codes = np.asarray(_codes(tuple(features)) if policy is None else [reason_code(f, policy) for f in features],
                       dtype=object)
    k = min(n, len(features))
    if loss.shape[0] == 0 or k == 0:
        return pl.Series("reason_codes", [[] for _ in range(loss.shape[0])], dtype=pl.List(pl.String))
    if k < len(features):  # top k by partial selection, then order those k (ties by feature order)
        part = np.argpartition(-loss, k - 1, axis=1)[:, :k]
        part.sort(axis=1)
        sub = np.take_along_axis(loss, part, axis=1)
        order = np.take_along_axis(part, np.argsort(-sub, axis=1, kind="stable"), axis=1)
    else:
        order = np.argsort(-loss, axis=1, kind="stable")
    picked_loss = np.take_along_axis(loss, order, axis=1)
    if loss.shape[0] <= 32:  # a handful of records: plain lists beat building arrays
        rows = [[codes[o] for o, v in zip(orow, lrow) if v > 1e-9] for orow, lrow in zip(order, picked_loss)]
        return pl.Series("reason_codes", rows, dtype=pl.List(pl.String))
    keep = picked_loss > 1e-9
    flat = order[keep].astype(np.int32)  # row-major: each row's reasons, most costly first
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int32)
    values = pa.DictionaryArray.from_arrays(pa.array(flat), pa.array(codes.tolist(), pa.string())).cast(pa.string())
    arr = pa.ListArray.from_arrays(pa.array(offsets), values)
    return pl.Series("reason_codes", pl.from_arrow(arr), dtype=pl.List(pl.String))
