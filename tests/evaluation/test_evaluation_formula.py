"""The formula language: exact ratio comparisons (property-based) and refusal of unsafe syntax."""

from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innocredit.evaluation.formula import FormulaError, compile_expr, exact_ratio_compare, parse

THRESHOLDS = ["0.02", "0.03", "0.05", "0.06", "0.07", "0.10", "0.15", "0.20", "0.25", "0.30", "0.60"]


@settings(max_examples=200, deadline=None)
@given(num=st.integers(0, 10**9), den=st.integers(1, 10**9), t=st.sampled_from(THRESHOLDS))
def test_exact_ratio_compare_agrees_with_fractions(num, den, t):
    df = pl.DataFrame({"a": [float(num)], "b": [float(den)]})
    got = df.select(exact_ratio_compare(pl.col("a"), pl.col("b"), ">=", t)).item()
    assert got == (Fraction(num, den) >= Fraction(t))


@settings(max_examples=100, deadline=None)
@given(den=st.integers(1, 10**6), t=st.sampled_from(THRESHOLDS))
def test_ratio_exactly_at_the_edge_holds(den, t):
    # num / den == t exactly whenever num = t * den is a whole number
    num = Fraction(t) * den
    if num.denominator != 1:
        return
    f = parse(f"a / b >= {t}")
    df = pl.DataFrame({"a": [float(num)], "b": [float(den)], "as_of": [None]})
    assert df.select(compile_expr(f, pl.col)).item() is True


def test_growth_edge_is_exact():
    # main revenue 34.5m on 30m: 34.5/30 - 1 = 0.15 exactly (in floats 0.1499999...)
    f = parse("a / b - 1 >= 0.15")
    df = pl.DataFrame({"a": [34_500_000.0, 34_499_999.0], "b": [30_000_000.0, 30_000_000.0], "as_of": [None, None]})
    assert df.select(compile_expr(f, pl.col)).to_series().to_list() == [True, False]


def test_division_by_zero_is_undefined_not_missing():
    f = parse("a / b")
    df = pl.DataFrame({"a": [1.0, None], "b": [0.0, 2.0], "as_of": [None, None]})
    assert df.select(compile_expr(f, pl.col)).to_series().to_list() == [None, None]
    g = parse("a / b >= 0.1")
    assert df.select(compile_expr(g, pl.col)).to_series().to_list() == [False, None]


@pytest.mark.parametrize("text", ["__import__('os')", "a.b", "a[0]", "lambda: 1", "(x for x in a)", "f(a)", "a[0] if b else c"])
def test_unsafe_syntax_refused(text):
    with pytest.raises(FormulaError):
        parse(text)


def test_conditional_is_null_when_the_condition_is_unknown():
    # 高新技术企业 growth: "第一年末销售收入为0的，按后两年计算"
    f = parse("(c / b - 1) if a == 0 else ((b / a + c / b) / 2 - 1)")
    df = pl.DataFrame({"a": [0.0, 20.0, None], "b": [20.0, 25.0, 25.0], "c": [30.0, 30.0, 30.0],
                       "as_of": [None, None, None]})
    got = df.select(compile_expr(f, pl.col)).to_series().to_list()
    assert got[0] == pytest.approx(0.5) and got[1] == pytest.approx((25 / 20 + 30 / 25) / 2 - 1) and got[2] is None
