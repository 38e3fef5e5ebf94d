"""Repayment schedules in ``Decimal``, rounded to the fen.

Methods:
- ``equal_instalment`` (等额本息): a level payment ``pmt(r/12, n, -P)`` rounded to the fen, interest on the
  opening balance, principal = payment - interest;
- ``equal_principal`` (等额本金): principal P/n rounded down to the fen each period, interest on the balance;
- ``interest_only`` (先息后本): interest each period, all principal with the last instalment.
``grace_months``: the first periods are interest-only; amortisation runs over the remaining months.
Day counts: ``30/360`` (interest = balance x r / 12), ``ACT/360`` and ``ACT/365`` (balance x r x days / basis,
days counted between due dates). Interest is rounded half-up to the fen each period (``innocredit.core.money``);
the last instalment repays the exact remaining balance, so principal parts add up to the loan exactly.
Due dates: the same day each month after the disbursement (clamped to the month's end). They are not adjusted
to working days unless a ``calendar`` (``innocredit.core.calendar``) is given: then a due date on a weekend or
public holiday moves to the next working day (顺延), the next month's date is still counted from the
disbursement day, and ACT day counts use the moved dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from innocredit.core.calendar import WorkCalendar
from innocredit.core.money import FEN, as_decimal, money, money_down

__all__ = ["DAY_COUNTS", "FEN", "METHODS", "Instalment", "add_months", "build_schedule", "level_payment",
           "totals"]
METHODS = ("equal_instalment", "equal_principal", "interest_only")
DAY_COUNTS = ("30/360", "ACT/360", "ACT/365")


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: dt.date
    days: int
    opening_balance: Decimal
    principal: Decimal
    interest: Decimal
    payment: Decimal
    closing_balance: Decimal

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def add_months(d: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def level_payment(principal: Decimal, annual_rate: Decimal, n: int) -> Decimal:
    """The level payment of an annuity (numpy-financial ``pmt(r/12, n, -P)``), rounded to the fen."""
    if n <= 0:
        raise ValueError("the number of instalments must be positive")
    i = annual_rate / Decimal(12)
    if i == 0:
        return money(principal / n)
    f = (1 + i) ** n
    return money(principal * i * f / (f - 1))


def _interest(balance: Decimal, rate: Decimal, days: int, day_count: str) -> Decimal:
    if day_count == "30/360":
        raw = balance * rate / Decimal(12)
    else:
        basis = Decimal(360 if day_count == "ACT/360" else 365)
        raw = balance * rate * Decimal(days) / basis
    return money(raw)


def build_schedule(principal: Decimal | int | str, annual_rate: Decimal | str | float, term_months: int,
                   method: str = "equal_instalment", start: dt.date | None = None, *, grace_months: int = 0,
                   day_count: str = "30/360", calendar: WorkCalendar | None = None) -> list[Instalment]:
    """Monthly instalments from ``start`` (the disbursement date); the first is due one month later.

    ``calendar``: roll each due date that is not a working day forward to the next working day.
    """
    principal = money(principal)
    rate = as_decimal(annual_rate)
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")
    if day_count not in DAY_COUNTS:
        raise ValueError(f"unknown day count {day_count!r}; use one of {', '.join(DAY_COUNTS)}")
    if principal <= 0:
        raise ValueError("the principal must be positive")
    if rate < 0:
        raise ValueError("the rate cannot be negative")
    if term_months < 1:
        raise ValueError("the term must be at least one month")
    if not 0 <= grace_months < term_months:
        raise ValueError("grace months must be at least 0 and less than the term")
    start = start or dt.date.today()
    n_amort = term_months - grace_months
    payment = level_payment(principal, rate, n_amort) if method == "equal_instalment" else Decimal(0)
    flat_principal = money_down(principal / n_amort)
    balance = principal
    prev = start
    out: list[Instalment] = []
    for k in range(1, term_months + 1):
        due = add_months(start, k)
        if calendar is not None:
            due = calendar.roll_forward(due)
        days = (due - prev).days
        interest = _interest(balance, rate, days, day_count)
        last = k == term_months
        if last:
            princ = balance
        elif k <= grace_months or method == "interest_only":
            princ = Decimal(0)
        elif method == "equal_instalment":
            princ = max(min(payment - interest, balance), Decimal(0))
        else:
            princ = min(flat_principal, balance)
        out.append(Instalment(k, due, days, balance, princ, interest, princ + interest, balance - princ))
        balance -= princ
        prev = due
    return out


def totals(schedule: list[Instalment]) -> dict[str, Decimal]:
    return {"principal": sum((i.principal for i in schedule), Decimal(0)),
            "interest": sum((i.interest for i in schedule), Decimal(0)),
            "payment": sum((i.payment for i in schedule), Decimal(0))}
