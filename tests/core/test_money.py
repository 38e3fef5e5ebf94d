"""core.money: half-up rounding at the half-fen boundary, fen conversion and the largest-remainder split.

Every expectation is computed by hand in the comment next to it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from innocredit.core.money import as_decimal, from_fen, money, money_down, split, to_fen


@pytest.mark.parametrize(("raw", "expected"), [
    ("0.005", "0.01"),     # exactly half a fen: up (half-even would give 0.00)
    ("0.015", "0.02"),     # half-even would also give 0.02: both rules agree here
    ("0.025", "0.03"),     # half-even would give 0.02
    ("2.675", "2.68"),     # round(2.675, 2) == 2.67 in Python (binary float below the half)
    ("0.0049999", "0.00"),  # just below the half: down
    ("0.0050001", "0.01"),  # just above the half: up
    ("-0.005", "-0.01"),   # negative half: away from zero
    ("-0.025", "-0.03"),
    ("-0.0049", "0.00"),
    ("1234567.125", "1234567.13"),
])
def test_money_rounds_half_up_at_the_half_fen(raw: str, expected: str) -> None:
    assert money(raw) == Decimal(expected)


def test_money_differs_from_python_round_on_the_half() -> None:
    assert round(Decimal("0.125"), 2) == Decimal("0.12")  # half-even, the rule money() replaces
    assert money(Decimal("0.125")) == Decimal("0.13")
    assert round(2.675, 2) == 2.67
    assert money(2.675) == Decimal("2.68")  # the float goes through str("2.675")


def test_money_down_truncates_toward_zero() -> None:
    assert money_down("33.339") == Decimal("33.33")
    assert money_down("-33.339") == Decimal("-33.33")


def test_fen_conversion_both_ways() -> None:
    assert to_fen("1.005") == 101       # 100.5 fen, half-up -> 101
    assert to_fen("1.0049") == 100
    assert to_fen(-1.005) == -101
    assert to_fen(12) == 1200
    assert to_fen("1,234.50") == 123450  # thousands separator accepted in text
    assert from_fen(101) == Decimal("1.01")
    assert str(from_fen(5)) == "0.05"
    assert from_fen(-250) == Decimal("-2.50")
    assert from_fen(to_fen("987654.32")) == Decimal("987654.32")


@pytest.mark.parametrize("bad", ["abc", "", float("nan"), float("inf"), "NaN", True])
def test_not_an_amount_is_a_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="amount"):
        as_decimal(bad)  # type: ignore[arg-type]


def test_an_amount_beyond_the_decimal_precision_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too large"):
        money("1e30")  # 31 digits with the fen: more than the 28 of the decimal context
    assert money("99999999999999999999999999.994") == Decimal("99999999999999999999999999.99")


def test_from_fen_refuses_a_non_integer() -> None:
    with pytest.raises(ValueError, match="integer"):
        from_fen(1.5)  # type: ignore[arg-type]


def test_split_one_to_one_to_one() -> None:
    # 10000 fen / 3 = 3333.33 each; floors 3333 x 3 = 9999; 1 fen left -> first part (tie, earliest wins)
    assert split("100.00", [1, 1, 1]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_split_anhui_4321_on_an_odd_amount() -> None:
    # 1000.01 yuan = 100001 fen by 0.4/0.3/0.2/0.1:
    # raw 40000.4, 30000.3, 20000.2, 10000.1 -> floors 40000, 30000, 20000, 10000 = 100000; 1 fen left
    # largest remainder 0.4 (the first party) gets it
    parts = split("1000.01", ["0.4", "0.3", "0.2", "0.1"])
    assert parts == [Decimal("400.01"), Decimal("300.00"), Decimal("200.00"), Decimal("100.00")]
    assert sum(parts) == Decimal("1000.01")


def test_split_remainders_not_order_decide() -> None:
    # 1.00 yuan = 100 fen by 1:2:4 (sum 7): raw 14.2857, 28.5714, 57.1428 -> floors 14, 28, 57 = 99;
    # remainders .2857, .5714, .1428 -> the second part gets the fen
    assert split(1, [1, 2, 4]) == [Decimal("0.14"), Decimal("0.29"), Decimal("0.57")]


def test_split_rounds_the_total_half_up_first_and_handles_negative_totals() -> None:
    # 0.035 -> 0.04 = 4 fen by 1:1 -> 2 + 2
    assert split("0.035", [1, 1]) == [Decimal("0.02"), Decimal("0.02")]
    # -100.00 by 1:1:1 -> the negation of 33.34, 33.33, 33.33
    assert split("-100", [1, 1, 1]) == [Decimal("-33.34"), Decimal("-33.33"), Decimal("-33.33")]
    # a zero weight gets nothing, even when fen are left over: 0.01 by 0:1 -> 0, 1 fen
    assert split("0.01", [0, 1]) == [Decimal("0.00"), Decimal("0.01")]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1]])
def test_split_refuses_bad_weights(weights: list[int]) -> None:
    with pytest.raises(ValueError, match="weight"):
        split(100, weights)


def test_split_always_adds_up_exactly() -> None:
    for total in ("0.01", "0.07", "999.99", "123456.78"):
        for weights in ([1, 1, 1], [3, 7], ["0.35", "0.35", "0.2", "0.1"], [1, 2, 3, 4, 5, 6, 7]):
            parts = split(total, weights)
            assert sum(parts) == Decimal(total)
            assert all(p == p.quantize(Decimal("0.01")) for p in parts)
