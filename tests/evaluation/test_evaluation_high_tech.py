"""高新技术企业 hard conditions (国科发火〔2016〕32号 art. 11) and the computable innovation-capability points."""

import datetime as dt

import pytest

from innocredit.evaluation import evaluate, load_system

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
    # 24m of 40m revenue = 60% exactly
    assert ("high_tech_revenue_share" not in one(firm(high_tech_revenue=ht))["failed_conditions"]) is ok


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


def test_innovation_capability_points(firm):
    # IP: 1 Class I -> 8; self-developed -> 6; results 3 in 3 years = 1/yr -> 6
    # net assets 22m, 26m, 30m: ½(26/22 + 30/26) - 1 = 16.78% -> [15%, 25%) -> 6
    # sales 25m, 32m, 40m: ½(32/25 + 40/32) - 1 = 26.5% -> [25%, 35%) -> 8;  total 34
    r = one(firm())
    assert (r["pt_ip_quantity"], r["pt_ip_acquisition"], r["pt_results_commercialized"]) == (8.0, 6.0, 6.0)
    assert (r["pt_net_asset_growth"], r["pt_sales_growth"], r["score"]) == (6.0, 8.0, 34.0)
    assert r["qualified"] and not r["can_reach_71"]  # 34 + 36 = 70 < 71
    # 15 results in 3 years = 5/yr -> 30; growth exactly 35%: 25m, 25m, 42.5m -> ½(1 + 1.7) - 1 = 0.35 -> 10
    r = one(firm(results_commercialized_3y=15, revenue_prev2=25e6, revenue_prev=25e6, revenue=42.5e6,
                 high_tech_revenue=42.5e6))
    assert (r["pt_results_commercialized"], r["pt_sales_growth"]) == (30.0, 10.0)
    assert r["can_reach_71"]  # 8+6+30+6+10 = 60; 60 + 36 >= 71
    # zero growth gets nothing (the lowest band is "above 0")
    r = one(firm(revenue_prev2=30e6, revenue_prev=30e6, revenue=30e6, high_tech_revenue=30e6))
    assert r["pt_sales_growth"] == 0.0
