"""Risk sharing on a default: split a loss to the fen among the parties of a scheme, and guarantee fees.

Guarantee schemes (``schemes/*.yaml``, kind ``guarantee``) split the principal loss by fixed shares
(e.g. Anhui "4321": guarantor 40%, provincial re-guarantor 30%, bank 20%, local government 10%).
A risk-compensation pool (kind ``compensation_pool``) pays the lender a rate of the principal loss
(e.g. 30%, 35% for a first loan or an unsecured tech loan), capped at a share (e.g. 80%) of the
lender's exposure, i.e. of the loss the lender still bears; a pool can stand alone or stack on top
of a guarantee scheme. Amounts are ``Decimal`` yuan; the parts add up exactly to the loss (largest
remainder method: each part is rounded down to the fen, the leftover fen go to the parts with the
largest remainders, ties in scheme order).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from innocredit.core.money import FEN, money, money_down, split
from innocredit.lending.schema import Scheme

__all__ = ["FEN", "Allocation", "allocate_loss", "guarantee_fees", "money", "split_exact"]


@dataclass(frozen=True)
class Allocation:
    party_id: str
    role: str
    name_zh: str
    name_en: str
    amount: Decimal

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def split_exact(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split ``total`` (to the fen) by ``weights`` so that the parts add up exactly to ``total``
    (``innocredit.core.money.split``)."""
    return split(total, weights)


def allocate_loss(scheme: Scheme | None, loss: Decimal | int | str, *, pool: Scheme | None = None,
                  first_loan: bool = False, unsecured: bool = False) -> list[Allocation]:
    """Who bears how much of a principal loss. ``scheme`` None = the lender bears it all (before any pool)."""
    loss = money(loss)
    if loss < 0:
        raise ValueError("a loss cannot be negative")
    if scheme is not None and scheme.kind == "compensation_pool":
        scheme, pool = None, scheme
    if scheme is None:
        parts = [Allocation("lender", "lender", "贷款银行", "lending bank", loss)]
    else:
        amounts = split_exact(loss, [p.share for p in scheme.parties])
        parts = [Allocation(p.id, p.role, p.name_zh, p.name_en, a) for p, a in zip(scheme.parties, amounts)]
    if pool is None:
        return parts
    lender_i = next(i for i, p in enumerate(parts) if p.role == "lender")
    exposure = parts[lender_i].amount
    rate = pool.rate_first_or_unsecured if (first_loan or unsecured) else pool.rate
    paid = money_down(min(money(loss * rate), money(exposure * pool.cap_share_of_exposure)))
    lender = parts[lender_i]
    parts[lender_i] = Allocation(lender.party_id, lender.role, lender.name_zh, lender.name_en, exposure - paid)
    parts.append(Allocation(pool.pool_id, "pool", pool.pool_name_zh, pool.pool_name_en, paid))
    return parts


def guarantee_fees(scheme: Scheme, principal: Decimal | int | str, term_months: int) -> list[Allocation]:
    """Guarantee fee per party: principal x the party's share x its annual fee rate x term / 12, to the fen.

    Parties without a fee rate (the lender, the local government) get no fee row.
    """
    principal = money(principal)
    out = []
    for p in scheme.parties:
        if p.fee_rate > 0:
            fee = money(principal * p.share * p.fee_rate * Decimal(term_months) / Decimal(12))
            out.append(Allocation(p.id, p.role, p.name_zh, p.name_en, fee))
    return out
