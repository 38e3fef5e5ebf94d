"""Patent pools (专利池): several firms pledge their patents together as one collateral.

- The pool is valued as a portfolio of the valued patents (``value_patents`` output) of its members.
- Diversification: Herfindahl-Hirschman indices of value across member firms and across IPC classes;
  pool rate = base_rate + diversification_bonus * (1 - max(HHI_firms, HHI_ipc)), at most max_rate.
- Member capacity = member share of pool value * pool value * pool rate, share = contributed value / pool value.
- Default: a member's loss is absorbed in the order of the agreement (``policies/pools/<id>.yaml``);
  amounts are ``Decimal`` rounded to the fen, pro-rata splits by largest remainder so they add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from innocredit.core.money import FEN, as_decimal, money, split

__all__ = ["FEN", "Absorption", "PoolValuation", "absorb_default", "fen", "hhi", "split_pro_rata", "value_pool"]


def fen(x: float | Decimal) -> Decimal:
    """Yuan rounded half-up to the fen (``innocredit.core.money.money``)."""
    return money(x)


def hhi(values: pl.Series) -> float:
    total = float(values.sum())
    if total <= 0:
        return 1.0
    return float(((values / total) ** 2).sum())


@dataclass
class PoolValuation:
    agreement_id: str
    value_low: float
    value_base: float
    value_high: float
    hhi_firms: float
    hhi_ipc: float
    pool_rate: float
    members: pl.DataFrame  # uscc, n_patents, contributed_value, share, capacity
    n_patents: int

    def as_dict(self) -> dict[str, Any]:
        return {"agreement": self.agreement_id, "value_low": self.value_low, "value_base": self.value_base,
                "value_high": self.value_high, "hhi_firms": self.hhi_firms, "hhi_ipc": self.hhi_ipc,
                "pool_rate": self.pool_rate, "pool_capacity": self.value_base * self.pool_rate,
                "n_patents": self.n_patents, "members": self.members.to_dicts()}


def value_pool(valued: pl.DataFrame, agreement: dict[str, Any]) -> PoolValuation:
    """Value the pool's patents (rows of ``value_patents``) as one portfolio; see the module doc."""
    members = valued.group_by("uscc").agg(pl.len().alias("n_patents"),
                                          pl.col("value_base").sum().alias("contributed_value")).sort("uscc")
    by_ipc = valued.group_by(pl.col("ipc_main").str.slice(0, 3).fill_null("?")).agg(pl.col("value_base").sum())
    total = float(valued["value_base"].sum()) if valued.height else 0.0
    h_firms = hhi(members["contributed_value"])
    h_ipc = hhi(by_ipc["value_base"])
    rate = min(float(agreement["max_rate"]),
               float(agreement["base_rate"]) + float(agreement["diversification_bonus"]) * (1.0 - max(h_firms, h_ipc)))
    members = members.with_columns(
        (pl.col("contributed_value") / total if total > 0 else pl.lit(0.0)).alias("share"),
    ).with_columns((pl.col("share") * total * rate).alias("capacity"))
    return PoolValuation(f"{agreement['id']}@{agreement['version']}", float(valued["value_low"].sum()), total,
                         float(valued["value_high"].sum()), h_firms, h_ipc, rate, members, valued.height)


@dataclass
class Absorption:
    step: str
    party: str
    amount: Decimal
    name: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.step, "party": self.party, "amount": str(self.amount), "name": self.name}


def split_pro_rata(total: Decimal, weights: dict[str, float]) -> dict[str, Decimal]:
    """Split ``total`` (in fen) by weights; largest remainder so the parts add up to ``total`` exactly
    (``innocredit.core.money.split``; ties go to the alphabetically first key)."""
    wsum = sum(weights.values())
    if wsum <= 0 or total <= 0:
        return dict.fromkeys(weights, Decimal("0.00"))
    keys = sorted(weights)
    parts = dict(zip(keys, split(total, [weights[k] for k in keys])))
    return {k: parts[k] for k in weights}


def absorb_default(pool: PoolValuation, defaulter: str, loss: Decimal | float, agreement: dict[str, Any],
                   reserve_balance: Decimal | float | None = None) -> list[Absorption]:
    """Who bears a member's default loss, in the agreement's order. The parts add up to ``loss``."""
    remaining = fen(loss)
    members = {r["uscc"]: r for r in pool.members.to_dicts()}
    if defaulter not in members:
        raise ValueError(f"{defaulter} is not a member of the pool")
    out: list[Absorption] = []
    for step in agreement["absorption"]:
        if remaining <= 0:
            break
        kind, name = step["step"], step["name"]
        if kind == "defaulter_patents":
            amount = min(remaining, fen(as_decimal(members[defaulter]["contributed_value"])
                                        * as_decimal(step["recovery_rate"])))
            out.append(Absorption(kind, defaulter, amount, name))
        elif kind == "reserve_fund":
            fund = fen(reserve_balance if reserve_balance is not None else step["amount"])
            out.append(Absorption(kind, "reserve_fund", min(remaining, fund), name))
        elif kind == "members_pro_rata":
            others = {k: float(m["contributed_value"]) for k, m in members.items() if k != defaulter}
            cap_share = as_decimal(step.get("cap_share_of_contribution", 1))
            capacity = sum((fen(as_decimal(v) * cap_share) for v in others.values()), Decimal("0.00"))
            parts = split_pro_rata(min(remaining, capacity), others)
            out += [Absorption(kind, k, a, name) for k, a in parts.items()]
        elif kind == "guarantor":
            out.append(Absorption(kind, "guarantor", fen(remaining * as_decimal(step["share"])), name))
        else:  # bank
            out.append(Absorption(kind, "bank", remaining, name))
        remaining = fen(loss) - sum((a.amount for a in out), Decimal("0.00"))
    if remaining > 0:
        out.append(Absorption("bank", "bank", remaining, {"zh": "贷款银行", "en": "the lending bank"}))
    return [a for a in out if a.amount > 0]
