"""Bounds and parsers for values that arrive from forms, paths and queries, shared by the API and the pages.

Each refusal is a 422 problem naming the field. Bounds:

- ids: database integers, 1 .. 2^63 - 1 (``DbId``; a larger one overflowed the driver and answered 500);
- dates: 1900-01-01 .. 2199-12-31 (``DATE_MIN``, ``DATE_MAX``; ``0001-01-01`` overflowed date arithmetic);
- amounts: finite, 0 < amount <= 10,000,000,000 yuan, at most two decimals after rounding half-up;
- rates: finite fractions, 0 < rate < 1; a blank rate is refused, never taken as 0.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Path

from innocredit.web.problems import ProblemError

MAX_ID = 2**63 - 1
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
MAX_AMOUNT = Decimal("1e10")


# a path id that fits a database integer: ``consent_id: DbId``
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]


def invalid(field: str, message: str) -> ProblemError:
    return ProblemError(422, f"{field}: {message}", "invalid", errors=[{"loc": [field], "msg": message,
                                                                         "type": "value_error"}])


def check_date(value: dt.date | None, field: str) -> dt.date | None:
    """``value`` when it lies within [DATE_MIN, DATE_MAX]; else a 422 naming ``field``."""
    if value is not None and not DATE_MIN <= (value.date() if isinstance(value, dt.datetime) else value) <= DATE_MAX:
        raise invalid(field, f"{value.isoformat()} is outside {DATE_MIN.isoformat()} .. {DATE_MAX.isoformat()}")
    return value


def parse_amount(text: Any, field: str, *, allow_zero: bool = False) -> Decimal:
    """A money amount from a form: thousands separators allowed; NaN, infinities, blanks, words and amounts over
    ten billion are refused naming ``field``."""
    raw = str(text if text is not None else "").replace(",", "").strip()
    if not raw:
        raise invalid(field, "required")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise invalid(field, f"{raw[:40]!r} is not a number") from exc
    if not value.is_finite() or not (value >= 0 if allow_zero else value > 0) or value > MAX_AMOUNT:
        raise invalid(field, f"must be a {'non-negative' if allow_zero else 'positive'} amount of at most "
                             f"10,000,000,000 (got {raw[:40]!r})")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_rate(text: Any, field: str = "rate") -> Decimal:
    """An annual rate as a fraction, strictly between 0 and 1; blank is refused (never taken as 0)."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise invalid(field, "required (a fraction, e.g. 0.035)")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise invalid(field, f"{raw[:40]!r} is not a number") from exc
    if not value.is_finite() or not Decimal(0) < value < Decimal(1):
        raise invalid(field, f"must be a fraction strictly between 0 and 1 (got {raw[:40]!r})")
    return value
