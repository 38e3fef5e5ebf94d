"""高新技术企业 hard conditions (国科发火〔2016〕32号 art. 11) and the computable innovation-capability points."""

import datetime as dt

import polars as pl
import pytest

from innocredit.evaluation import evaluate, load_system
from innocredit.evaluation.context import InputError

HIGH_TECH = load_system("high-tech")


def one(df, **kw):
    return evaluate(HIGH_TECH, df, **kw).row(0, named=True)


def sales(firm, latest, rd, **kw):
    """One year of sales and R&D (the two earlier years zero), high-tech revenue = all revenue."""
    return firm(revenue=float(latest), revenue_prev=0.0, revenue_prev2=0.0, rd_expense=float(rd), rd_expense_prev=0.0,
                rd_expense_prev2=0.0, rd_expense_domestic_3y=float(rd), high_tech_revenue=float(latest), **kw)


@pytest.mark.parametrize(("latest", "rd", "ok"), [
    (50_000_000, 2_500_000, True),      # sales <= 50m: 5% exactly passes
    (50_000_000, 2_499_999, False),     # just under 5%
    (50_000_001, 2_000_000.04, True),   # 50m-200m: 4% exactly passes
    (100_000_000, 3_999_999, False),
    (200_000_000, 8_000_000, True),     # 200m is still the 4% tier: 4% exactly
    (200_000_000, 6_000_000, False),    # 3% is not enough at 200m
    (200_000_100, 6_000_003, True),     # above 200m: 3% exactly passes
    (200_000_100, 6_000_002, False),
    (0, 1_000_000, False),              # no sales: ratio undefined -> fails
])
def test_rd_intensity_tiers(firm, latest, rd, ok):
    r = one(sales(firm, latest, rd))
    assert ("rd_intensity" not in r["failed_conditions"]) is ok


def test_rd_intensity_uses_three_years(firm):
    # 3-year R&D 1.0+1.5+2.5 = 5.0m over 3-year sales 30+30+40 = 100m = 5%; latest 40m -> 5% tier -> passes
    r = one(firm(revenue=40e6, revenue_prev=30e6, revenue_prev2=30e6, rd_expense=2.5e6, rd_expense_prev=1.5e6,
                 rd_expense_prev2=1.0e6, rd_expense_domestic_3y=3.0e6, high_tech_revenue=40e6))
    assert r["failed_conditions"] == []
    # domestic 2.99m / 5m < 60% -> rd_domestic_share fails; exactly 3m passes (above)
    r = one(firm(revenue=40e6, revenue_prev=30e6, revenue_prev2=30e6, rd_expense=2.5e6, rd_expense_prev=1.5e6,
                 rd_expense_prev2=1.0e6, rd_expense_domestic_3y=2.99e6, high_tech_revenue=40e6))
    assert r["failed_conditions"] == ["rd_domestic_share"]


@pytest.mark.parametrize(("tech", "emp", "ok"), [(10, 100, True), (9, 100, False), (1, 10, True), (12, 121, False)])
def test_tech_staff_ratio(firm, tech, emp, ok):
    assert ("tech_staff_ratio" not in one(firm(tech_staff=tech, employees=emp))["failed_conditions"]) is ok


@pytest.mark.parametrize(("ht", "ok"), [(24_000_000.0, True), (23_999_999.0, False)])
def test_high_tech_revenue_share(firm, ht, ok):
    # 24m of 40m total income = 60% exactly
    df = firm(high_tech_revenue=ht).with_columns(pl.lit(40e6).alias("total_income"))
    assert ("high_tech_revenue_share" not in one(df)["failed_conditions"]) is ok


@pytest.mark.parametrize(("registered", "as_of", "ok"), [
    (dt.date(2024, 12, 31), dt.date(2025, 12, 31), True),   # one full calendar year
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31), False),    # one day short
    (dt.date(2024, 2, 29), dt.date(2025, 2, 28), False),    # anniversary (Mar 1 in a non-leap year) not reached
    (dt.date(2024, 2, 29), dt.date(2025, 3, 1), True),
])
def test_registered_one_year(firm, registered, as_of, ok):
    r = one(firm(registered_on=registered), as_of=as_of)
    assert ("registered_1y" not in r["failed_conditions"]) is ok


def test_core_ip_is_main_product_ip(firm):
    # the examples: Class I/II IP held but none tied to the main product -> core_ip fails
    assert "core_ip" in one(firm(ip_class1_main_product=0, ip_class2_main_product=0))["failed_conditions"]
    assert "core_ip" not in one(firm(ip_class1_main_product=0, ip_class2_main_product=1))["failed_conditions"]


def test_major_incident(firm):
    assert one(firm(major_incident_recent=True))["failed_conditions"] == ["no_major_incident"]


def test_innovation_capability_points_and_ranges(firm):
    # IP: 1 Class I -> 7-8; self-developed -> 1-6; results 3 in 3 years = 1/yr -> 1-6
    # net assets 22m, 26m, 30m: ½(26/22 + 30/26) - 1 = 16.78% -> [15%, 25%) -> 5-6
    # sales 25m, 32m, 40m: ½(32/25 + 40/32) - 1 = 26.5% -> [25%, 35%) -> 7-8;  computable 21-34
    r = one(firm())
    assert (r["pt_ip_quantity"], r["pt_ip_acquisition"], r["pt_results_commercialized"]) == (8.0, 6.0, 6.0)
    assert (r["pt_net_asset_growth"], r["pt_sales_growth"], r["score"], r["score_low"]) == (6.0, 8.0, 34.0, 21.0)
    # expert parts: IP advancement 0-8, core support 0-8, standards 0-2 (IP within 30), R&D management 0-20
    # highest: IP min(8+6+8+8+2, 30) = 30, results 6, management 20, growth 14 = 70: not above 70
    assert (r["total_low"], r["total_high"]) == (21.0, 70.0)
    assert r["state"] == "not_qualified" and not r["qualified"] and not r["can_reach_71"]
    # 15 results in 3 years = 5/yr -> 25-30; sales 25m, 25m, 42.5m: ½(1 + 1.7) - 1 = 35% -> 9-10
    r = one(firm(results_commercialized_3y=15, revenue_prev2=25e6, revenue_prev=25e6, revenue=42.5e6,
                 high_tech_revenue=42.5e6))
    assert (r["pt_results_commercialized"], r["pt_sales_growth"]) == (30.0, 10.0)
    assert (r["score"], r["score_low"]) == (60.0, 47.0)  # low: 7 + 1 + 25 + 5 + 9
    assert (r["total_low"], r["total_high"]) == (47.0, 30 + 30 + 20 + 16)
    assert r["can_reach_71"]
    # zero growth gets nothing (the lowest band is "above 0")
    r = one(firm(revenue_prev2=30e6, revenue_prev=30e6, revenue=30e6, high_tech_revenue=30e6))
    assert r["pt_sales_growth"] == 0.0


# every hard condition decided (key field and total income given) and strong computable points


def ready(firm, **kw):
    return firm(results_commercialized_3y=15).with_columns(
        pl.lit(40e6).alias("total_income"), pl.lit("electronic_information").alias("key_field"),
        *[pl.lit(v).alias(k) for k, v in kw.items()])


def test_states_qualified_possible_not_qualified(firm):
    # computable 21 + 24 (results 25-30 instead of 1-6) = 45 low, 58 high; experts unknown -> 45..94
    r = one(ready(firm))
    assert r["failed_conditions"] == [] and r["missing_indicators"] == []
    assert (r["total_low"], r["total_high"], r["state"]) == (45.0, 94.0, "possible")
    assert r["hard_conditions_met"] and not r["qualified"]
    # the experts' points close the ranges: IP 8 + 6 + 8 + 8 = 30 (standards 2 capped), management 12:
    # top of the computable ranges would give 30 + 30 + 12 + 14 = 86; the lowest 7+1+8+8 = 24 +25 +12 +12 = 73
    r = one(ready(firm, expert_ip_advancement=8.0, expert_ip_core_support=8.0, expert_standards=0.0,
                  expert_rd_management=12.0))
    assert (r["total_low"], r["total_high"], r["state"]) == (73.0, 86.0, "qualified") and r["qualified"]
    # management 9: lowest 70 is not above 70 -> possible; management 10: lowest 71 -> qualified
    r = one(ready(firm, expert_ip_advancement=8.0, expert_ip_core_support=8.0, expert_standards=0.0,
                  expert_rd_management=9.0))
    assert (r["total_low"], r["state"]) == (70.0, "possible")
    r = one(ready(firm, expert_ip_advancement=8.0, expert_ip_core_support=8.0, expert_standards=0.0,
                  expert_rd_management=10.0))
    assert (r["total_low"], r["state"]) == (71.0, "qualified")
    # a failed hard condition: not qualified whatever the points
    r = one(ready(firm, expert_ip_advancement=8.0, expert_ip_core_support=8.0, expert_rd_management=20.0)
            .with_columns(pl.lit(9).alias("tech_staff"), pl.lit(100).alias("employees")))
    assert r["state"] == "not_qualified" and r["failed_conditions"] == ["tech_staff_ratio"]


def test_without_commercialised_results_70_is_the_ceiling(firm):
    # IP 30 + results 0 + management 20 + growth 20 (both ≥35%) = 70: the line (above 70) is out of reach
    r = one(ready(firm, net_assets_prev2=10e6, net_assets_prev=10e6, net_assets=17e6)
            .with_columns(pl.lit(0).alias("results_commercialized_3y"), pl.lit(25e6).alias("revenue_prev2"),
                          pl.lit(25e6).alias("revenue_prev"), pl.lit(42.5e6).alias("revenue")))
    assert (r["pt_net_asset_growth"], r["pt_sales_growth"], r["pt_results_commercialized"]) == (10.0, 10.0, 0.0)
    assert r["total_high"] == 70.0 and r["state"] == "not_qualified"


def test_no_ip_leaves_the_ip_expert_parts_at_zero(firm):
    r = one(ready(firm).with_columns(pl.lit(0).alias("ip_class1"), pl.lit(0).alias("ip_class2")))
    # IP: quantity 0, acquisition 0, advancement and core support 0 (nothing to judge), standards 0-2
    assert (r["pt_ip_quantity"], r["pt_ip_acquisition"]) == (0.0, 0.0)
    assert r["total_high"] == 2 + 30 + 20 + 14


@pytest.mark.parametrize(("prev2", "prev", "latest", "points"), [
    (0.0, 20e6, 30e6, 10.0),     # first year 0: the last two years, 30/20 - 1 = 50% -> 9-10
    (0.0, 20e6, 21e6, 4.0),      # 21/20 - 1 = 5% exactly -> 3-4
    (0.0, 20e6, 20.9e6, 2.0),    # 4.5% -> 1-2
    (10e6, 0.0, 30e6, 0.0),      # second year 0: 0 points
    (20e6, 20e6, 20e6, 0.0),     # no growth: 0
])
def test_growth_when_a_year_is_zero(firm, prev2, prev, latest, points):
    r = one(firm(revenue_prev2=prev2, revenue_prev=prev, revenue=latest, high_tech_revenue=latest))
    assert r["pt_sales_growth"] == points


@pytest.mark.parametrize(("total", "state"), [(50e6, None), (50_000_001.0, "failed"), (None, "unknown")])
def test_high_tech_revenue_share_of_total_income(firm, total, state):
    # high-tech revenue 30m of 40m sales (75%); 总收入 50m -> 60% exactly holds, one yuan more fails
    df = firm(high_tech_revenue=30e6).with_columns(pl.lit(total, dtype=pl.Float64).alias("total_income"))
    r = one(df)
    assert ("high_tech_revenue_share" in r["failed_conditions"]) is (state == "failed")
    assert ("high_tech_revenue_share" in r["missing_indicators"]) is (state == "unknown")


def test_high_tech_revenue_share_of_sales_below_60_fails_without_total_income(firm):
    r = one(firm(high_tech_revenue=23_999_999.0))  # of 40m sales; 总收入 is at least the sales
    assert "high_tech_revenue_share" in r["failed_conditions"]


def test_key_field_input(firm):
    r = one(firm().with_columns(pl.lit("none").alias("key_field")))
    assert "key_field" in r["failed_conditions"]
    r = one(firm().with_columns(pl.lit("new_materials").alias("key_field")))
    assert "key_field" not in r["failed_conditions"] + r["missing_indicators"]
    assert "key_field" in one(firm())["missing_indicators"]
    with pytest.raises(InputError, match="key_field.*'robotics' is not one of"):
        one(firm().with_columns(pl.lit("robotics").alias("key_field")))
