"""Screening an application list (申报清单) by the five criteria into a recommendation list (推荐清单).

The criteria are data (``policies/screening.yaml``): each is a condition over the feature table joined
with the application record. A criterion is True, False or unknown; a firm is recommended only when all
five are True. Vectorized: one polars select over the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.coordination.conditions import CONDITION_SCHEMA, compile_condition, condition_fields
from innocredit.coordination.policy import ID, TEXT, PolicyError, read_policy

SCREENING_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "criteria"], "additionalProperties": False,
    "$defs": CONDITION_SCHEMA["$defs"],
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"}, "source": TEXT,
        "criteria": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "name", "when"], "additionalProperties": False,
            "properties": {"id": ID, "name": TEXT, "when": {"$ref": "#/$defs/cond"}}}},
        "enrichment": {"type": "array", "items": {"type": "string"}},
        "order_by": {"type": "string"},
    },
}

# application-record columns that override the same columns of the feature table
APPLICATION_FIELDS = ("requested_amount", "requested_term_months", "loan_purpose", "fixed_premises")


@dataclass(frozen=True)
class ScreeningPolicy:
    id: str
    version: str
    criteria: tuple[dict[str, Any], ...]
    enrichment: tuple[str, ...]
    order_by: str | None

    @property
    def criterion_ids(self) -> list[str]:
        return [c["id"] for c in self.criteria]

    def name(self, criterion_id: str, lang: str = "en") -> str:
        return next(c["name"][lang] for c in self.criteria if c["id"] == criterion_id)

    def fields(self) -> set[str]:
        return set().union(*(condition_fields(c["when"]) for c in self.criteria))


def load_screening_policy(source: str | Path = "screening.yaml") -> ScreeningPolicy:
    d = read_policy(source, SCREENING_SCHEMA)
    ids = [c["id"] for c in d["criteria"]]
    if len(set(ids)) != len(ids):
        raise PolicyError(str(source), "$.criteria", "criterion ids are not unique")
    return ScreeningPolicy(d["id"], str(d["version"]), tuple(d["criteria"]), tuple(d.get("enrichment", [])),
                           d.get("order_by"))


@lru_cache(maxsize=1)
def default_screening_policy() -> ScreeningPolicy:
    return load_screening_policy()


def join_applications(applications: pl.DataFrame, features: pl.DataFrame | None) -> pl.DataFrame:
    """Application records with the feature-table columns of their firm (application fields win)."""
    if features is None or features.is_empty() and not features.columns:
        return applications
    keep = [c for c in features.columns if c == "uscc" or c not in applications.columns]
    feats = features.select(keep).unique("uscc", keep="last")
    return applications.join(feats, on="uscc", how="left")


def screen(applications: pl.DataFrame, features: pl.DataFrame | None = None,
           policy: ScreeningPolicy | None = None) -> pl.DataFrame:
    """Screen application records. Adds ``crit_<id>`` (True/False/null), ``passed``, ``failed_criteria``
    and ``unknown_criteria`` (lists of criterion ids) and the enrichment columns; keeps input order."""
    policy = policy or default_screening_policy()
    df = join_applications(applications, features)
    needed = policy.fields() | set(policy.enrichment)
    absent = [f for f in sorted(needed) if f not in df.columns]
    if absent:
        df = df.with_columns(pl.lit(None).alias(f) for f in absent)
    crit_cols = [f"crit_{cid}" for cid in policy.criterion_ids]
    df = df.with_columns(compile_condition(c["when"]).cast(pl.Boolean).alias(f"crit_{c['id']}")
                         for c in policy.criteria)
    failed = pl.concat_list([pl.when(pl.col(col) == False).then(pl.lit(cid)).otherwise(None)  # noqa: E712
                             for col, cid in zip(crit_cols, policy.criterion_ids)]).list.drop_nulls()
    unknown = pl.concat_list([pl.when(pl.col(col).is_null()).then(pl.lit(cid)).otherwise(None)
                              for col, cid in zip(crit_cols, policy.criterion_ids)]).list.drop_nulls()
    passed = pl.all_horizontal([pl.col(c).fill_null(False) for c in crit_cols])
    return df.with_columns(passed.alias("passed"), failed.alias("failed_criteria"), unknown.alias("unknown_criteria"))


def recommended(screened: pl.DataFrame, policy: ScreeningPolicy | None = None) -> pl.DataFrame:
    """The firms that passed, best first by the policy's ``order_by`` (unknown last), one row per firm."""
    policy = policy or default_screening_policy()
    out = screened.filter(pl.col("passed")).unique("uscc", keep="first", maintain_order=True)
    if policy.order_by and policy.order_by in out.columns:
        out = out.sort(policy.order_by, descending=True, nulls_last=True, maintain_order=True)
    return out
