"""Risk sharing on a default: split a loss to the fen among the parties of a scheme, and guarantee fees.

Guarantee schemes (``schemes/*.yaml``, kind ``guarantee``) split the principal loss by fixed shares
(e.g. Anhui "4321": guarantor 40%, provincial re-guarantor 30%, bank 20%, local government 10%).
A risk-compensation pool (kind ``compensation_pool``) pays the lender a rate of the principal loss
(e.g. 30%, 35% for a first loan or an unsecured tech loan), capped at a share (e.g. 80%) of the
lender's exposure, i.e. of the loss the lender still bears; a pool can stand alone or stack on top
of a guarantee scheme. Fees (``guarantee_fees``): the borrower pays the guarantor a rate on the guaranteed
amount; the guarantor pays each re-guarantor / the national fund a rate on that party's share. Amounts are ``Decimal`` yuan; the parts add up exactly to the loss (largest
remainder method: each part is rounded down to the fen, the leftover fen go to the parts with the
largest remainders, ties in scheme order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from innocredit.core.money import FEN, money, money_down, split
from innocredit.core.policy import PACKAGE_ROOT, load_policy_file
from innocredit.lending.schema import Scheme

__all__ = ["FEN", "Allocation", "CompensationStep", "DeclineReason", "Fee", "allocate_loss", "compensation_timeline",
           "decline_reasons", "fee_rate_problem", "guarantee_fees", "money", "scope_breaches", "split_exact"]


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


@dataclass(frozen=True)
class Fee:
    """One fee of a guaranteed loan: who receives it (``party_id``, ``role``, names), who pays it (``payer``:
    ``borrower`` or a party id), on what base at what annual rate, and the amount for the term."""

    party_id: str
    role: str
    name_zh: str
    name_en: str
    amount: Decimal
    payer: str
    kind: str  # "guarantee" or "re_guarantee"
    base: Decimal
    rate: Decimal

    def as_dict(self) -> dict[str, object]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}


def fee_rate_problem(scheme: Scheme, rate: Decimal) -> str | None:
    """Why a guarantor may not charge ``rate`` (an annual fraction) under ``scheme``, or ``None``: it must be finite,
    not negative and at most the scheme's ``guarantee_fee.max_rate`` (policy guarantees: at most 1% a year)."""
    if not rate.is_finite() or rate < 0:
        return f"fee_rate: must be a fraction of at least 0, e.g. 0.008 (got {rate})"
    if rate > scheme.guarantee_fee_max_rate:
        return (f"fee_rate: {rate} is above the cap of {scheme.guarantee_fee_max_rate} a year of scheme {scheme.id} "
                "(guarantee_fee.max_rate)")
    return None


def guarantee_fees(scheme: Scheme, principal: Decimal | int | str, term_months: int,
                   guaranteed_amount: Decimal | int | str | None = None,
                   fee_rate: Decimal | None = None) -> list[Fee]:
    """The fees of a guaranteed loan for its term (annual rates x term / 12, half-up to the fen).

    * guarantee fee: the rate the guarantor approved (``fee_rate``; default: the scheme's rate) on the guaranteed
      amount (default: the principal), paid by the borrower to the guarantor (policy guarantees charge at most 1%
      a year: a rate above the scheme's ``max_rate`` is refused);
    * re-guarantee fee: each re-guarantor's or fund's rate on its own share of the principal, paid by the
      guarantor; the lower rate applies when the single guarantee is at or below the party's ``small_max``
      (财金〔2024〕60号: 0.5%, 0.3% for 500万 or less).
    """
    principal = money(principal)
    if principal <= 0:
        raise ValueError("principal: must be positive")
    if term_months <= 0:
        raise ValueError("term_months: must be positive")
    guaranteed = principal if guaranteed_amount is None else money(guaranteed_amount)
    if not Decimal(0) < guaranteed <= principal:
        raise ValueError("guaranteed_amount: must be positive and at most the principal")
    rate = scheme.guarantee_fee_rate if fee_rate is None else fee_rate
    problem = fee_rate_problem(scheme, rate)
    if problem:
        raise ValueError(problem)
    years = Decimal(term_months) / Decimal(12)
    out: list[Fee] = []
    guarantor = next((p for p in scheme.parties if p.role == "guarantor"), None)
    if guarantor is not None and rate > 0:
        out.append(Fee(guarantor.id, guarantor.role, guarantor.name_zh, guarantor.name_en,
                       money(guaranteed * rate * years), "borrower", "guarantee", guaranteed, rate))
    for p in scheme.parties:
        if p.re_fee_rate <= 0:
            continue
        small = p.re_fee_small_max is not None and p.re_fee_rate_small is not None and guaranteed <= p.re_fee_small_max
        re_rate = p.re_fee_rate_small if small and p.re_fee_rate_small is not None else p.re_fee_rate
        base = money(principal * p.share)
        out.append(Fee(p.id, p.role, p.name_zh, p.name_en, money(base * re_rate * years),
                       guarantor.id if guarantor is not None else "lender", "re_guarantee", base, re_rate))
    return out


def scope_breaches(scheme: Scheme, principal: Decimal | int | str,
                   balance_before: Decimal | int | str = 0) -> list[str]:
    """The scheme caps this loan would break (empty = within scope): the firm's in-force guaranteed balance
    after the loan against ``max_single_balance``, the loan against ``max_single_loan``."""
    p, before = money(principal), money(balance_before)
    out = []
    if scheme.max_single_loan is not None and p > scheme.max_single_loan:
        out.append(f"{scheme.id}: single loan {p} above the scheme's cap {scheme.max_single_loan}")
    if scheme.max_single_balance is not None and before + p > scheme.max_single_balance:
        out.append(f"{scheme.id}: in-force balance {before + p} above the scheme's cap {scheme.max_single_balance}")
    return out


@dataclass(frozen=True)
class CompensationStep:
    """One step of the 代偿 timeline, from one party to another by ``due_on``: the bank's claim on the guarantor,
    the guarantor's payment to the bank, each reimbursement of the guarantor."""

    step: str  # "claim", "guarantor_pays", "reimbursement"
    from_party: str
    to_party: str
    amount: Decimal
    due_on: dt.date

    def as_dict(self) -> dict[str, object]:
        return {"step": self.step, "from": self.from_party, "to": self.to_party, "amount": str(self.amount),
                "due_on": self.due_on.isoformat()}


def compensation_timeline(scheme: Scheme, overdue_since: dt.date, loss: Decimal | int | str, *,
                          not_before: dt.date | None = None) -> list[CompensationStep]:
    """The 代偿 timeline of a defaulted guaranteed loan (the scheme's ``compensation_timeline``):

    * the bank claims ``claim_after_days_overdue`` days after the first unpaid due date (not before ``not_before``,
      the day the bank declared the default, when given), for the principal loss less its own share;
    * the guarantor pays the bank that amount within ``guarantor_pays_within_days`` of the claim;
    * each re-guarantor, fund or government pays the guarantor its share within ``reimbursed_within_days`` of the
      guarantor's payment (shares split to the fen as ``allocate_loss``).
    """
    if scheme.kind != "guarantee" or scheme.timeline is None:
        raise ValueError(f"scheme {scheme.id}: no compensation timeline")
    claim_after, pay_within, reimburse_within = scheme.timeline
    parts = allocate_loss(scheme, loss)
    lender = next(p for p in parts if p.role == "lender")
    guarantor = next((p for p in parts if p.role == "guarantor"), None)
    if guarantor is None:
        raise ValueError(f"scheme {scheme.id}: no guarantor to compensate the bank")
    claimed = money(loss) - lender.amount
    claim_on = overdue_since + dt.timedelta(days=claim_after)
    if not_before is not None and claim_on < not_before:
        claim_on = not_before
    paid_on = claim_on + dt.timedelta(days=pay_within)
    steps = [CompensationStep("claim", lender.party_id, guarantor.party_id, claimed, claim_on),
             CompensationStep("guarantor_pays", guarantor.party_id, lender.party_id, claimed, paid_on)]
    for p in parts:
        if p.role not in ("lender", "guarantor") and p.amount > 0:
            steps.append(CompensationStep("reimbursement", p.party_id, guarantor.party_id, p.amount,
                                          paid_on + dt.timedelta(days=reimburse_within)))
    return steps


# --------------------------------------------------------------------------- the guarantor's decline reasons

DECLINE_REASONS_FILE = PACKAGE_ROOT / "lending" / "guarantee_decline_reasons.yaml"
_NAME = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
DECLINE_REASONS_SCHEMA: dict[str, object] = {
    "type": "object", "required": ["id", "version", "reasons"], "additionalProperties": False,
    "properties": {
        "id": {"const": "guarantee_decline_reasons"}, "version": {"type": "string"},
        "source": {"type": "string"}, "assumption": {"type": "boolean"}, "reasoning": {"type": "string"},
        "reasons": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["code", "name"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "pattern": "^G\\d{2}$"}, "name": _NAME}}},
    },
}


@dataclass(frozen=True)
class DeclineReason:
    code: str
    name_zh: str
    name_en: str


def decline_reasons(path: str | None = None) -> dict[str, DeclineReason]:
    """The reason codes a guarantor declines a guarantee request with (``guarantee_decline_reasons.yaml``)."""
    data = load_policy_file(path or DECLINE_REASONS_FILE, DECLINE_REASONS_SCHEMA)
    return {r["code"]: DeclineReason(r["code"], r["name"]["zh"], r["name"]["en"]) for r in data["reasons"]}
