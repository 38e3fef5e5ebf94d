"""Routing recommended firms to banks: by region, product fit and the firm's preference (policies/banks.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.coordination.policy import TEXT, read_policy

BANKS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "banks", "max_banks_per_firm"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "max_banks_per_firm": {"type": "integer", "minimum": 1},
        "preference_always": {"type": "boolean"},
        "banks": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "name", "regions", "products", "purposes"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"}, "name": TEXT,
                "regions": {"type": "array", "items": {"type": "string", "pattern": r"^\d{0,6}$"}, "minItems": 1},
                "products": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "purposes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "min_amount": {"type": "number", "minimum": 0},
                "max_amount": {"type": "number", "exclusiveMinimum": 0},
            }}},
    },
}


@dataclass(frozen=True)
class BankPolicy:
    version: str
    max_banks_per_firm: int
    preference_always: bool
    banks: tuple[dict[str, Any], ...]

    @property
    def bank_ids(self) -> list[str]:
        return [b["id"] for b in self.banks]

    def frame(self) -> pl.DataFrame:
        """One row per bank and served region prefix."""
        rows = [{"bank_id": b["id"], "bank_order": i, "prefix": r, "products": b["products"],
                 "purposes": b["purposes"], "min_amount": float(b.get("min_amount", 0.0)),
                 "max_amount": float(b.get("max_amount", float("inf")))}
                for i, b in enumerate(self.banks) for r in b["regions"]]
        return pl.DataFrame(rows)


def load_bank_policy(source: str | Path = "banks.yaml") -> BankPolicy:
    d = read_policy(source, BANKS_SCHEMA)
    return BankPolicy(str(d["version"]), int(d["max_banks_per_firm"]), bool(d.get("preference_always", True)),
                      tuple(d["banks"]))


@lru_cache(maxsize=1)
def default_bank_policy() -> BankPolicy:
    return load_bank_policy()


def route(firms: pl.DataFrame, policy: BankPolicy | None = None, banks: list[str] | None = None) -> pl.DataFrame:
    """Choose the banks each recommended firm is pushed to.

    ``firms`` has uscc, region_code, requested_amount, loan_purpose and optionally preferred_bank_id and
    preferred_product. A bank fits when it serves the firm's region (code prefix), the amount is within its
    range, the purpose is one it finances and (if the firm named one) it offers the preferred product.
    Fitting banks are ranked: the preferred bank first, then a spread by a hash of (uscc, bank) so that load
    is shared; the first ``max_banks_per_firm`` are kept. ``banks`` restricts the choice (the officer's pick).
    Returns uscc, bank_id, rank, preferred (bool).
    """
    policy = policy or default_bank_policy()
    f = firms.select(
        "uscc",
        pl.col("region_code").cast(pl.String).fill_null(""),
        pl.col("requested_amount").cast(pl.Float64),
        pl.col("loan_purpose").cast(pl.String),
        (pl.col("preferred_bank_id") if "preferred_bank_id" in firms.columns else pl.lit(None))
        .cast(pl.String).alias("preferred_bank_id"),
        (pl.col("preferred_product") if "preferred_product" in firms.columns else pl.lit(None))
        .cast(pl.String).alias("preferred_product"),
    ).unique("uscc", keep="first", maintain_order=True)
    b = policy.frame()
    if banks is not None:
        b = b.filter(pl.col("bank_id").is_in(banks))
    pairs = f.join(b, how="cross").filter(
        pl.col("region_code").str.starts_with(pl.col("prefix"))
        & pl.col("requested_amount").is_between(pl.col("min_amount"), pl.col("max_amount"))
        & pl.col("purposes").list.contains(pl.col("loan_purpose"))
        & (pl.col("preferred_product").is_null() | pl.col("products").list.contains(pl.col("preferred_product")))
    ).unique(["uscc", "bank_id"], keep="first")
    preferred = (pl.col("bank_id") == pl.col("preferred_bank_id")).fill_null(False)
    spread = (pl.col("uscc") + "|" + pl.col("bank_id")).hash(seed=7)
    limit = policy.max_banks_per_firm
    ranked = pairs.with_columns(preferred.alias("preferred"), spread.alias("_spread")).sort(
        ["uscc", "preferred", "_spread"], descending=[False, True, False])
    ranked = ranked.with_columns((pl.col("bank_id").cum_count().over("uscc")).alias("rank"))
    return ranked.filter(pl.col("rank") <= limit).select("uscc", "bank_id", pl.col("rank").cast(pl.Int64),
                                                         "preferred")
