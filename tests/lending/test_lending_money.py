"""Schedules against numpy-financial, exact loss splits for each scheme, guarantee fees."""

import datetime as dt
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from innocredit.lending.risk_sharing import allocate_loss, guarantee_fees, split_exact
from innocredit.lending.schedules import add_months, build_schedule, level_payment, totals
from innocredit.lending.schema import load_schemes

SCHEMES = load_schemes()
D = Decimal


def _by_party(parts):
    return {p.party_id: p.amount for p in parts}


# ----------------------------------------------------------------- schedules


@pytest.mark.parametrize(("principal", "rate", "n"), [(1_000_000, "0.036", 12), (350_000, "0.0435", 36),
                                                       (5_000_000, "0.035", 24), (123_456.78, "0.0499", 7)])
def test_equal_instalments_agree_with_numpy_financial_pmt(principal, rate, n):
    sched = build_schedule(D(str(principal)), D(rate), n, "equal_instalment", dt.date(2025, 1, 15))
    pmt = -npf.pmt(float(rate) / 12, n, float(principal))
    for inst in sched[:-1]:
        assert abs(float(inst.payment) - pmt) <= 0.01
    assert abs(float(sched[-1].payment) - pmt) <= 0.01 * n  # the last absorbs the rounding remainder
    assert totals(sched)["principal"] == D(str(principal)).quantize(D("0.01"))
    assert sched[-1].closing_balance == 0
    assert all(i.principal.as_tuple().exponent == -2 for i in sched)


def test_level_payment_by_hand():
    # 1,000,000 at 3.6%: i = 0.003, n = 12: 1e6 * 0.003 * 1.003^12 / (1.003^12 - 1) = 84,967.257...
    assert level_payment(D(1_000_000), D("0.036"), 12) == D("84967.26")
    assert level_payment(D(1200), D(0), 12) == D("100.00")


def test_grace_months_are_interest_only():
    sched = build_schedule(D(1_000_000), D("0.036"), 12, "equal_instalment", dt.date(2025, 1, 15), grace_months=3)
    assert [i.payment for i in sched[:3]] == [D("3000.00")] * 3  # 1,000,000 x 0.036 / 12
    assert all(i.principal == 0 for i in sched[:3])
    pmt = -npf.pmt(0.003, 9, 1_000_000)
    assert all(abs(float(i.payment) - pmt) <= 0.01 for i in sched[3:-1])
    assert totals(sched)["principal"] == D(1_000_000)


def test_equal_principal_by_hand():
    sched = build_schedule(D(1_000_000), D("0.036"), 12, "equal_principal", dt.date(2025, 1, 15))
    assert sched[0].principal == D("83333.33") and sched[0].interest == D("3000.00")
    # (1,000,000 - 83,333.33) x 0.003 = 2,750.00
    assert sched[1].interest == D("2750.00")
    assert sched[-1].principal == D("83333.37")  # 1,000,000 - 11 x 83,333.33
    assert totals(sched)["principal"] == D(1_000_000)


def test_interest_only_then_bullet():
    sched = build_schedule(D(1_000_000), D("0.036"), 6, "interest_only", dt.date(2025, 1, 15))
    assert [i.payment for i in sched[:-1]] == [D("3000.00")] * 5
    assert sched[-1].payment == D("1003000.00")


def test_day_counts():
    a365 = build_schedule(D(1_000_000), D("0.036"), 3, "interest_only", dt.date(2025, 1, 15), day_count="ACT/365")
    assert a365[0].days == 31
    assert a365[0].interest == D("3057.53")  # 1e6 x 0.036 x 31 / 365 = 3057.534
    assert a365[1].interest == D("2761.64")  # 28 days: 2761.643
    a360 = build_schedule(D(1_000_000), D("0.036"), 3, "interest_only", dt.date(2025, 1, 15), day_count="ACT/360")
    assert a360[0].interest == D("3100.00")  # 31 / 360
    eq = build_schedule(D(1_000_000), D("0.036"), 12, "equal_instalment", dt.date(2025, 1, 15), day_count="ACT/365")
    assert totals(eq)["principal"] == D(1_000_000)
    assert eq[0].payment == D("84967.26")  # the level payment is the pmt; ACT interest changes the split only


def test_month_end_dates_and_bad_terms():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    for kwargs, msg in (({"method": "balloon"}, "unknown method"), ({"day_count": "30/365"}, "day count"),
                        ({"grace_months": 12}, "grace")):
        with pytest.raises(ValueError, match=msg):
            build_schedule(D(1000), D("0.03"), 12, start=dt.date(2025, 1, 1), **kwargs)


# ----------------------------------------------------------------- risk sharing


def test_4321_split_exact():
    parts = _by_party(allocate_loss(SCHEMES["anhui_4321"], D("1000000.01")))
    # 100,000,001 fen x (.4, .3, .2, .1): one leftover fen goes to the largest remainder (.4 -> guarantor)
    assert parts == {"guarantor": D("400000.01"), "provincial_reguarantor": D("300000.00"),
                     "bank": D("200000.00"), "local_government": D("100000.00")}
    parts = _by_party(allocate_loss(SCHEMES["anhui_4321"], D("333.33")))
    # 33,333 fen: 13333.2, 9999.9, 6666.6, 3333.3 -> floors add to 33,331; 2 fen to remainders .9 and .6
    assert parts == {"guarantor": D("133.33"), "provincial_reguarantor": D("100.00"), "bank": D("66.67"),
                     "local_government": D("33.33")}
    assert sum(parts.values()) == D("333.33")


def test_national_fund_split():
    parts = _by_party(allocate_loss(SCHEMES["national_fund"], D(1_000_000)))
    assert parts == {"national_fund": D("200000.00"), "provincial_reguarantor": D("200000.00"),
                     "guarantor": D("400000.00"), "bank": D("200000.00")}


def test_tech_special_2024_split():
    parts = _by_party(allocate_loss(SCHEMES["tech_special_2024"], D("777777.77")))
    # 77,777,777 fen: 31,111,110.8 (fund 40%) and 15,555,555.4 x 3; 2 leftover fen: .8 (fund), then the
    # first .4 in scheme order (provincial re-guarantor)
    assert parts == {"national_fund": D("311111.11"), "provincial_reguarantor": D("155555.56"),
                     "guarantor": D("155555.55"), "bank": D("155555.55")}
    assert sum(parts.values()) == D("777777.77")


def test_compensation_pool_alone_and_stacked():
    pool = SCHEMES["tech_risk_pool"]
    assert _by_party(allocate_loss(pool, D(1_000_000))) == {"lender": D("700000.00"), "tech_risk_pool": D("300000.00")}
    assert _by_party(allocate_loss(pool, D(1_000_000), first_loan=True)) == {
        "lender": D("650000.00"), "tech_risk_pool": D("350000.00")}  # 35% for a first loan
    stacked = _by_party(allocate_loss(SCHEMES["anhui_4321"], D(1_000_000), pool=pool))
    # bank keeps 200,000 under 4321; pool pays min(30% x 1,000,000, 80% x 200,000) = 160,000
    assert stacked["tech_risk_pool"] == D("160000.00") and stacked["bank"] == D("40000.00")
    assert sum(stacked.values()) == D(1_000_000)


def test_guarantee_fees_per_party():
    fees = _by_party(guarantee_fees(SCHEMES["anhui_4321"], D(1_000_000), 12))
    # guarantee fee: 1% of the guaranteed 1,000,000 = 10,000 (borrower pays);
    # re-guarantee: 1,000,000 x 30% x 0.3% (single guarantee <= 5M) = 900 (guarantor pays)
    assert fees == {"guarantor": D("10000.00"), "provincial_reguarantor": D("900.00")}
    half = _by_party(guarantee_fees(SCHEMES["anhui_4321"], D(1_000_000), 6))
    assert half == {"guarantor": D("5000.00"), "provincial_reguarantor": D("450.00")}


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["anhui_4321", "national_fund",
                                                                      "tech_special_2024", "tech_risk_pool"]))
def test_parts_always_add_up_exactly(fen, scheme_id):
    loss = D(fen) / 100
    parts = allocate_loss(SCHEMES[scheme_id], loss, first_loan=fen % 2 == 0)
    assert sum(p.amount for p in parts) == loss
    assert all(p.amount >= 0 for p in parts)


def test_split_exact_rejects_zero_weights():
    with pytest.raises(ValueError):
        split_exact(D(1), [D(0)])


@given(st.integers(min_value=100_00, max_value=50_000_000_00), st.integers(min_value=0, max_value=2400),
       st.integers(min_value=1, max_value=120), st.sampled_from(["equal_instalment", "equal_principal", "interest_only"]),
       st.sampled_from(["30/360", "ACT/360", "ACT/365"]), st.integers(min_value=0, max_value=6))
def test_schedule_invariants(fen, rate_bp, term, method, day_count, grace):
    grace = min(grace, term - 1)
    principal = D(fen) / 100
    sched = build_schedule(principal, D(rate_bp) / 10000, term, method, dt.date(2025, 1, 31), grace_months=grace,
                           day_count=day_count)
    assert len(sched) == term
    assert totals(sched)["principal"] == principal  # the last instalment absorbs every rounding remainder
    assert sched[-1].closing_balance == 0
    assert all(i.principal >= 0 and i.interest >= 0 and i.payment == i.principal + i.interest for i in sched)
    assert all(i.principal == 0 for i in sched[:grace])


def test_due_dates_roll_to_the_next_working_day_only_when_asked():
    from innocredit.core.calendar import default_calendar

    start = dt.date(2026, 1, 15)
    plain = build_schedule("1000000", "0.0365", 3, "interest_only", start, day_count="ACT/365")
    # 15 Feb 2026 (Sun, Spring Festival), 15 Mar (Sun), 15 Apr (Wed): not moved without a calendar
    assert [i.due_date for i in plain] == [dt.date(2026, 2, 15), dt.date(2026, 3, 15), dt.date(2026, 4, 15)]
    # 31, 28, 31 days x 1,000,000 x 3.65% / 365 = 100 yuan a day
    assert [i.interest for i in plain] == [Decimal("3100.00"), Decimal("2800.00"), Decimal("3100.00")]
    rolled = build_schedule("1000000", "0.0365", 3, "interest_only", start, day_count="ACT/365",
                            calendar=default_calendar())
    # 15 Feb is inside the 15-23 Feb holiday -> Tue 24 Feb; Sun 15 Mar -> Mon 16 Mar; Wed 15 Apr stays
    assert [i.due_date for i in rolled] == [dt.date(2026, 2, 24), dt.date(2026, 3, 16), dt.date(2026, 4, 15)]
    # 40, 20, 30 days -> 4000, 2000, 3000: the same 90 days and 9000 yuan in total
    assert [i.interest for i in rolled] == [Decimal("4000.00"), Decimal("2000.00"), Decimal("3000.00")]
    assert totals(rolled)["interest"] == totals(plain)["interest"] == Decimal("9000.00")
