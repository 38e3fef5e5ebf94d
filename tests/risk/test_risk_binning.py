"""Binning, WOE and IV on hand-computed tables; missing, special and unseen values."""

import math

import numpy as np
import polars as pl
import pytest

from innocredit.risk.binning import Binning, fit_numeric, optimal_groups, woe_iv

LN3 = math.log(3)


def _abc_table():
    # A: 1 bad 3 good (rate .25); B: 2 bad 2 good (.50); C: 3 bad 1 good (.75); missing: 1 bad 1 good
    x = ["A"] * 4 + ["B"] * 4 + ["C"] * 4 + [None, None]
    y = [1, 0, 0, 0] + [1, 1, 0, 0] + [1, 1, 1, 0] + [1, 0]
    return x, np.array(y)


def test_woe_iv_hand_computed_categorical():
    x, y = _abc_table()
    # cat_min_count=1: every level keeps its own rate (4 records each would otherwise be pooled as "other")
    b = Binning(min_prebin_size=0.0, cat_min_count=1).fit(pl.DataFrame({"x": pl.Series(x, dtype=pl.String)}), y)
    fb = b.binnings_["x"]
    rows = fb.table().to_dicts()
    # totals: 7 bad, 7 good. WOE = ln(%good / %bad):
    # A: ln((3/7)/(1/7)) = ln 3 = 1.0986; B: ln((2/7)/(2/7)) = 0; C: ln((1/7)/(3/7)) = -ln 3; missing: 0
    by_label = {"A": rows[fb.bin_of("A")], "B": rows[fb.bin_of("B")], "C": rows[fb.bin_of("C")],
                "Missing": rows[fb.missing_index]}
    assert by_label["A"]["woe"] == pytest.approx(LN3)
    assert by_label["B"]["woe"] == pytest.approx(0.0)
    assert by_label["C"]["woe"] == pytest.approx(-LN3)
    assert by_label["Missing"]["woe"] == pytest.approx(0.0)
    assert by_label["Missing"]["count"] == 2
    # IV = (3/7-1/7) ln3 + 0 + (1/7-3/7)(-ln3) + 0 = (4/7) ln 3 = 0.627778
    assert b.iv_["x"] == pytest.approx(4 / 7 * LN3)
    assert b.iv_["x"] == pytest.approx(0.627778, abs=1e-6)


def test_woe_iv_hand_computed_numeric_with_missing_and_special():
    # x = 1, 2, 3 with the same counts as A, B, C; -1 is a special code (1 bad 1 good); NaN missing (1 bad 1 good)
    x = [1.0] * 4 + [2.0] * 4 + [3.0] * 4 + [-1.0, -1.0, np.nan, np.nan]
    y = np.array([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0])
    fb = fit_numeric("x", np.array(x), y, trend="ascending", min_prebin_size=0.0, special_values=(-1.0,))
    # totals 8 bad 8 good: bins [.., 1.5), [1.5, 2.5), [2.5, ..): WOE ln3, 0, -ln3; special and missing 0
    assert fb.splits.tolist() == [1.5, 2.5]
    np.testing.assert_allclose(fb.woe[:3], [LN3, 0.0, -LN3])
    assert fb.woe[fb.special_index] == pytest.approx(0.0)
    assert fb.n_event[fb.special_index] == 1 and fb.n_nonevent[fb.special_index] == 1
    assert fb.n_event[fb.missing_index] == 1 and fb.n_nonevent[fb.missing_index] == 1
    # IV = (3/8-1/8) ln3 * 2 = 0.5 ln 3
    assert fb.iv == pytest.approx(0.5 * LN3)


def test_fit_and_transform_treat_missing_and_special_the_same():
    rng = np.random.default_rng(1)
    n = 5000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x * 0.8 - 2)))).astype(int)
    x[rng.random(n) < 0.1] = np.nan
    x[rng.random(n) < 0.05] = -999.0
    b = Binning(special_values={"x": [-999]}).fit(pl.DataFrame({"x": x}), y)
    fb = b.binnings_["x"]
    counts = np.bincount(fb.bin_index(pl.Series(x)), minlength=len(fb.woe))
    np.testing.assert_array_equal(counts, (fb.n_event + fb.n_nonevent).astype(int))
    # pandas input and a single record map to the same bins
    one = fb.bin_index(pl.Series([float("nan")]))
    assert one.tolist() == [fb.missing_index]
    assert fb.bin_index(pl.Series([-999.0])).tolist() == [fb.special_index]


def test_trends_are_respected():
    rng = np.random.default_rng(2)
    n = 20000
    x = rng.uniform(0, 10, n)
    p = 0.05 + 0.3 * np.exp(-((x - 5) ** 2) / 4)  # a peak in the middle
    y = (rng.random(n) < p).astype(int)
    for trend in ("ascending", "descending", "peak"):
        fb = fit_numeric("x", x, y, trend=trend)
        rate = fb.n_event[: fb.n_regular] / (fb.n_event + fb.n_nonevent)[: fb.n_regular]
        d = np.diff(rate)
        if trend == "ascending":
            assert (d >= 0).all()
        elif trend == "descending":
            assert (d <= 0).all()
        else:
            top = int(np.argmax(rate))
            assert (d[:top] >= 0).all() and (d[top:] <= 0).all()
            assert fb.n_regular >= 3
    assert fit_numeric("x", x, y, trend="auto").trend == "peak"  # clearly better than monotonic


def test_almost_all_missing_keeps_a_usable_binning():
    n = 2000
    x = np.full(n, np.nan)
    x[:10] = np.arange(10)
    y = np.zeros(n, dtype=int)
    y[::7] = 1
    b = Binning().fit(pl.DataFrame({"x": x}), y)
    fb = b.binnings_["x"]
    assert fb.n_regular >= 1
    assert np.isfinite(fb.woe).all()
    assert fb.n_event[fb.missing_index] + fb.n_nonevent[fb.missing_index] == n - 10
    assert np.isfinite(b.transform(pl.DataFrame({"x": [np.nan, 3.0, 1e9]}))).all()


def test_unseen_category_goes_to_other_and_null_is_missing():
    x, y = _abc_table()
    b = Binning(min_prebin_size=0.0, cat_min_count=1).fit(pl.DataFrame({"x": pl.Series(x, dtype=pl.String)}), y)
    fb = b.binnings_["x"]
    # no level is rare, so "other" holds no records; its shrunk rate is the global rate (7/14 = .5), the rate of B:
    # an unseen level is binned with B (WOE 0) and null is missing
    assert fb.other_bin == fb.bin_of("B")
    assert fb.bin_index(pl.Series(["Z", None, "A"])).tolist() == [fb.bin_of("B"), fb.missing_index, 0]
    assert fb.transform_woe(pl.Series(["Z"] * 40)).tolist() == [0.0] * 40  # large path too


def test_woe_iv_smooths_empty_classes_and_dp_finds_optimum():
    woe, iv = woe_iv(np.array([0, 5]), np.array([5, 5]), 5, 10)
    assert np.isfinite(woe).all() and np.isfinite(iv).all()
    # two pre-bins with rates .1 and .9: splitting them is best under "ascending"
    cuts, value = optimal_groups(np.array([1.0, 9.0]), np.array([10.0, 10.0]), 10, 10, "ascending")
    assert cuts == [1]
    # under "descending" they must merge into one bin (IV 0)
    cuts, value = optimal_groups(np.array([1.0, 9.0]), np.array([10.0, 10.0]), 10, 10, "descending")
    assert cuts == [] and value == pytest.approx(0.0)


def test_bad_target_is_refused():
    with pytest.raises(ValueError, match="binary"):
        Binning().fit(pl.DataFrame({"x": [1.0, 2.0]}), [0, 2])


def test_one_value_path_agrees_with_vectorized_path():
    rng = np.random.default_rng(5)
    n = 3000
    x = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    x[:100] = np.nan
    x[100:150] = 9999.0
    fb = fit_numeric("x", x, y, special_values=(9999.0,))
    probe = np.concatenate([x[:300], fb.splits, [np.inf, -np.inf]])
    vec = fb.bin_index(pl.Series(probe)).tolist()
    assert vec == [fb.bin_of(None if np.isnan(v) else v) for v in probe]
    s, yc = _abc_table()
    cb = Binning(min_prebin_size=0.0).fit(pl.DataFrame({"x": pl.Series(s, dtype=pl.String)}), yc).binnings_["x"]
    levels = ["A", "B", "C", None, "Z"] * 10
    assert cb.bin_index(pl.Series(levels, dtype=pl.String)).tolist() == [cb.bin_of(v) for v in levels]
