"""PBoC 科技创新和技术改造再贷款 (tech-innovation and technical-transformation relending): the one definition.

The central bank lends a participating bank a share (60%) of a qualifying loan's principal at a fixed
rate (1.75%) for one year, extendable twice by a year; the facility's quota changes by announcement
(``policy.yaml`` ``relending``, every number with its source). A loan qualifies when its borrower is on an
official list valid on the loan date — never because of our own score:

* ``tech_sme_registered``: 科技型中小企业 入库 (the S&T department's feed; the national lists pushed to the
  21 banks are drawn from it);
* ``high_tech_certified``: a valid 高新技术企业 certificate;
* ``specialized_level`` ``specialized`` / ``little_giant``: 专精特新中小企业 / 专精特新"小巨人";
* ``relending_listed``: on an official list imported as a table (``services.relending.import_list``), e.g. the
  national tech-SME list pushed to the banks or, from January 2026, the R&D-intensive private SMEs;

and the product does not exclude relending (``pricing.relending_eligible`` of the product).
``listed_expr`` is the frame form (pricing, metrics), ``relending_eligible`` the one-firm form (the loan
register, the coordination office); both read ``LISTED_SPECIALIZED`` and the same columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from innocredit.core.money import money

# The official lists that qualify, as columns of the feature table or of the imported list table.
LIST_COLUMNS = ("tech_sme_registered", "high_tech_certified", "specialized_level", "relending_listed")
LISTED_SPECIALIZED = ("specialized", "little_giant")
# The kinds of imported official list (services.relending.import_list); each with the date it entered the scope.
LIST_KINDS = ("national_tech_sme", "high_tech", "specialized", "little_giant", "rd_intensive_private_sme")


@dataclass(frozen=True)
class Quota:
    start: dt.date
    amount: Decimal
    source: str


@dataclass(frozen=True)
class Facility:
    """The relending facility's terms (``policy.yaml`` ``relending``)."""

    share_of_principal: Decimal
    rate: Decimal
    term_months: int
    max_extensions: int
    quotas: tuple[Quota, ...]
    list_scope_from: tuple[tuple[str, dt.date], ...]
    pass_through: Decimal

    @property
    def max_months(self) -> int:
        """The longest a loan can be refinanced: the term and every extension (12 x 3 = 36 months)."""
        return self.term_months * (1 + self.max_extensions)

    def quota_on(self, on: dt.date) -> Decimal:
        """The national quota in force on ``on`` (the latest announcement on or before it; 0 before the first)."""
        amount = Decimal(0)
        for q in sorted(self.quotas, key=lambda q: q.start):
            if q.start <= on:
                amount = q.amount
        return amount

    def list_in_scope(self, kind: str, on: dt.date) -> bool:
        """An imported list kind counts from the date it entered the facility's scope."""
        start = dict(self.list_scope_from).get(kind)
        return start is not None and start <= on

    def saving_rate(self, bank_funding_rate: float | Decimal) -> Decimal:
        """The bank's funding saving per year, as a rate on the whole loan:
        share x (bank funding rate - relending rate), never below 0 (0.6 x (2.2% - 1.75%) = 0.27%)."""
        diff = Decimal(str(bank_funding_rate)) - self.rate
        return max(Decimal(0), self.share_of_principal * diff)

    def price_reduction(self, bank_funding_rate: float | Decimal) -> Decimal:
        """What pricing passes on to the borrower: the saving x the bank's pass-through."""
        return self.saving_rate(bank_funding_rate) * self.pass_through


def _listed_value(value: object, column: str) -> bool:
    if column == "specialized_level":
        return value in LISTED_SPECIALIZED
    return value is True


def relending_eligible(listed: Mapping[str, object], *, product_relending: bool = True) -> bool:
    """One firm: on any official list (the columns of ``LIST_COLUMNS``; absent or null = not on it)
    and a product that does not exclude relending."""
    if not product_relending:
        return False
    return any(_listed_value(listed.get(c), c) for c in LIST_COLUMNS)


def listed_expr(present: set[str] | frozenset[str]) -> pl.Expr:
    """Frame form of ``relending_eligible``'s list test (null = not on the list)."""
    flags: list[pl.Expr] = []
    for c in LIST_COLUMNS:
        if c not in present:
            continue
        if c == "specialized_level":
            flags.append(pl.col(c).cast(pl.String).is_in(list(LISTED_SPECIALIZED)).fill_null(False))
        else:
            flags.append(pl.col(c).fill_null(False).cast(pl.Boolean))
    return pl.any_horizontal(flags) if flags else pl.lit(False)


@dataclass(frozen=True)
class Refinancing:
    """One eligible loan's relending: the amount refinanced, the months, the interest the bank pays the central
    bank and the saving against its own funding."""

    principal: Decimal
    refinanced: Decimal
    months: int
    relending_interest: Decimal
    cost_saving: Decimal

    def as_dict(self) -> dict[str, object]:
        return {"principal": str(self.principal), "refinanced": str(self.refinanced), "months": self.months,
                "relending_interest": str(self.relending_interest), "cost_saving": str(self.cost_saving)}


def refinance(principal: Decimal | int | str, term_months: int, facility: Facility,
              bank_funding_rate: float | Decimal) -> Refinancing:
    """Relending on one loan: refinanced = share x principal (to the fen); months = min(term, 12 x (1 + 2));
    interest = refinanced x 1.75% x months / 12; saving = refinanced x (funding rate - 1.75%) x months / 12
    (simple interest on the full amount, an upper bound for an amortising loan; half-up to the fen)."""
    p = money(principal)
    if p <= 0:
        raise ValueError("principal: must be positive")
    if term_months <= 0:
        raise ValueError("term_months: must be positive")
    refinanced = money(p * facility.share_of_principal)
    months = min(term_months, facility.max_months)
    years = Decimal(months) / Decimal(12)
    interest = money(refinanced * facility.rate * years)
    diff = max(Decimal(0), Decimal(str(bank_funding_rate)) - facility.rate)
    saving = money(refinanced * diff * years)
    return Refinancing(p, refinanced, months, interest, saving)


def round_rate(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
