"""Money: ``Decimal`` yuan rounded to the fen (0.01) half-up, integer fen, and an exact largest-remainder split.

One rule for the whole platform:

- An amount is a ``Decimal`` number of yuan with two places. ``money(x)`` rounds half-up (ROUND_HALF_UP:
  0.005 -> 0.01, -0.005 -> -0.01), the convention of Chinese bank interest and fee calculation; Python's
  ``round()`` rounds half to even (``round(2.675, 2) == 2.67`` because of binary floats, and
  ``round(Decimal("0.125"), 2) == Decimal("0.12")``) and must not be used for money.
- Floats are converted through ``str`` (``Decimal(str(0.1)) == Decimal("0.1")``), never ``Decimal(0.1)``.
- ``to_fen`` / ``from_fen``: integer fen for storage and exact sums.
- ``split(total, weights)``: parts to the fen that add up exactly to the total (largest remainder: each
  part is rounded down to the fen, the fen left over go one each to the parts with the largest remainders,
  ties to the earlier part).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
FEN_PER_YUAN = 100

Amount = Decimal | int | str | float

__all__ = ["FEN", "FEN_PER_YUAN", "Amount", "as_decimal", "from_fen", "money", "money_down", "split", "to_fen"]


def as_decimal(x: Amount) -> Decimal:
    """``x`` as an exact ``Decimal`` (floats through ``str``); ``ValueError`` for text that is not a number,
    for NaN/infinity and for booleans."""
    if isinstance(x, bool):
        raise ValueError(f"not an amount: {x!r}")
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"not a finite amount: {x!r}")
        d = Decimal(str(x))
    elif isinstance(x, int):
        d = Decimal(x)
    else:
        try:
            d = Decimal(str(x).strip().replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {x!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not a finite amount: {x!r}")
    return d


def _quantize(x: Amount, rounding: str) -> Decimal:
    d = as_decimal(x)
    try:
        return d.quantize(FEN, rounding=rounding)
    except InvalidOperation as exc:  # more digits than the decimal context holds (28)
        raise ValueError(f"amount too large: {x!r}") from exc


def money(x: Amount) -> Decimal:
    """A yuan amount rounded half-up to the fen: ``money("2.675") == Decimal("2.68")``."""
    return _quantize(x, ROUND_HALF_UP)


def money_down(x: Amount) -> Decimal:
    """A yuan amount truncated towards zero to the fen, for rules that say "at most" (a cap, a flat principal)."""
    return _quantize(x, ROUND_DOWN)


def to_fen(x: Amount) -> int:
    """Yuan to integer fen, rounding half-up: ``to_fen("1.005") == 101``."""
    return int(money(x) * FEN_PER_YUAN)


def from_fen(fen: int) -> Decimal:
    """Integer fen to yuan with two places: ``from_fen(101) == Decimal("1.01")``."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError(f"fen must be an integer, not {fen!r}")
    return (Decimal(fen) / FEN_PER_YUAN).quantize(FEN)


def split(total: Amount, weights: Sequence[Amount]) -> list[Decimal]:
    """Split ``total`` (rounded to the fen) in proportion to ``weights``; the parts add up exactly to it.

    Largest remainder: each part is rounded down to the fen, then the fen left over go one each to the parts
    with the largest remainders, ties to the earlier part. ``split("100.00", [1, 1, 1])`` is
    ``[33.34, 33.33, 33.33]``. A negative total is split as its absolute value and the parts negated.
    Weights must be non-negative and add up to more than zero.
    """
    ws = [as_decimal(w) for w in weights]
    if not ws:
        raise ValueError("split needs at least one weight")
    if any(w < 0 for w in ws):
        raise ValueError(f"weights cannot be negative: {[str(w) for w in ws]}")
    wsum = sum(ws, Decimal(0))
    if wsum <= 0:
        raise ValueError("weights must add up to more than zero")
    fen_total = to_fen(total)
    sign = -1 if fen_total < 0 else 1
    fen_total = abs(fen_total)
    raw = [Decimal(fen_total) * w / wsum for w in ws]
    parts = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    leftover = fen_total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[:leftover]:
        parts[i] += 1
    return [from_fen(sign * p) for p in parts]
