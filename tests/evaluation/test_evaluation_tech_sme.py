"""科技型中小企业 (国科发政〔2017〕115号): band edges with exact ratios, the A/B choice, direct routes, missing data."""

import pytest

from innocredit.evaluation import evaluate, load_system

TECH_SME = load_system("tech-sme")


def one(df, **kw):
    return evaluate(TECH_SME, df, **kw).row(0, named=True)


@pytest.mark.parametrize(("tech_staff", "employees", "points"), [
    (30, 100, 20),   # exactly 30% -> 20 (0.3 * 100 in floats is 30.000000000000004; compared exactly)
    (29, 100, 16),   # 29% -> [25, 30) -> 16
    (25, 100, 16),   # exactly 25% -> 16
    (3, 10, 20),     # 3/10 = 30% -> 20
    (7, 35, 12),     # 7/35 = 20% exactly -> 12
    (3, 20, 8),      # 15% exactly -> 8
    (10, 100, 4),    # 10% exactly -> 4
    (9, 100, 0),     # 9% -> 0
    (0, 100, 0),
    (35, 100, 20),
])
def test_tech_staff_bands_exact(firm, tech_staff, employees, points):
    assert one(firm(tech_staff=tech_staff, employees=employees))["pt_tech_staff"] == points


@pytest.mark.parametrize(("rd", "revenue", "costs", "points"), [
    (600_000, 10_000_000, 100_000_000, 50),  # A = 6% exactly -> 50
    (599_999, 10_000_000, 100_000_000, 40),  # A just under 6% -> 40
    (700_000, 10_000_000, 100_000_000, 50),  # A = 7% -> 50 (0.07 * 1e7 in floats is 700000.0000000001)
    (300_000, 10_000_000, 100_000_000, 20),  # A = 3% -> 20
    (200_000, 10_000_000, 100_000_000, 10),  # A = 2% -> 10
    (199_999, 10_000_000, 100_000_000, 0),   # A < 2% -> 0, B 0.2% -> 0
    (300_000, 10_000_000, 1_000_000, 50),    # A 3% -> 20, B 30% exactly -> 50: B wins
    (250_000, 100_000_000, 1_000_000, 40),   # A 0.25% -> 0, B 25% -> 40
    (100_000, 100_000_000, 1_000_000, 10),   # B = 10% exactly -> 10
    (500_000, 0, 2_000_000, 40),             # no sales: A undefined -> 0; B 25% -> 40
])
def test_rd_input_better_of_a_and_b(firm, rd, revenue, costs, points):
    assert one(firm(rd_expense=float(rd), revenue=float(revenue), total_costs=float(costs)))["pt_rd_input"] == points


@pytest.mark.parametrize(("class1", "class2", "points"), [
    (1, 0, 30), (2, 9, 30), (0, 4, 24), (0, 7, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0),
])
def test_technology_results(firm, class1, class2, points):
    r = one(firm(ip_class1_main_product=class1, ip_class2_main_product=class2))
    assert r["pt_tech_results"] == points


def test_qualification_line_at_60(firm):
    # 20% tech staff -> 12; A 4% -> 30; 3 Class II -> 18: total 60 exactly -> qualifies
    r = one(firm(tech_staff=24, employees=120, rd_expense=1_600_000.0, revenue=40_000_000.0,
                 total_costs=100_000_000.0, ip_class1_main_product=0, ip_class2_main_product=3))
    assert (r["score"], r["qualified"], r["route"]) == (60.0, True, "score")
    # one Class II fewer: 12 + 30 + 12 = 54 -> not qualified
    r = one(firm(tech_staff=24, employees=120, rd_expense=1_600_000.0, revenue=40_000_000.0,
                 total_costs=100_000_000.0, ip_class1_main_product=0, ip_class2_main_product=2))
    assert (r["score"], r["qualified"], r["route"]) == (54.0, False, None)


LOW = {"tech_staff": 5, "rd_expense": 100_000.0, "ip_class1_main_product": 0, "ip_class2_main_product": 0}


@pytest.mark.parametrize(("flag", "route_id"), [
    ("high_tech_certified", "high_tech_certificate"), ("national_award_5y", "national_award"),
    ("provincial_rd_institution", "provincial_rd_institution"), ("led_standard_5y", "led_standard"),
])
def test_direct_routes(firm, flag, route_id):
    r = one(firm(**LOW, **{flag: True}))
    assert r["score"] == 0.0 and r["qualified"] and r["route"] == "direct" and r["direct_routes"] == [route_id]
    # the direct route needs the basic conditions: 501 staff -> not qualified
    r = one(firm(**LOW, **{flag: True}, employees=501))
    assert not r["qualified"] and r["failed_conditions"] == ["max_employees"]
    # without the flag, nothing qualifies
    assert not one(firm(**LOW))["qualified"]


@pytest.mark.parametrize(("field", "value", "failed"), [
    ("employees", 500, []), ("employees", 501, ["max_employees"]),
    ("revenue", 200_000_000.0, []), ("revenue", 200_000_001.0, ["max_revenue"]),
    ("total_assets", 200_000_000.0, []), ("total_assets", 200_000_000.5, ["max_total_assets"]),
    ("serious_dishonesty", True, ["not_dishonest"]), ("abnormal_operations", True, ["not_abnormal"]),
    ("major_incident_recent", True, ["no_major_incident"]), ("prohibited_products", True, ["no_prohibited_products"]),
])
def test_basic_conditions(firm, field, value, failed):
    assert one(firm(**{field: value}))["failed_conditions"] == failed


def test_missing_inputs_are_reported_not_zero(firm):
    r = one(firm(employees=None))
    # tech-staff points unknown (not 0); the employee cap is unknown too: reported, cannot qualify
    assert r["pt_tech_staff"] is None
    assert "employees" in r["missing"]
    assert set(r["missing_indicators"]) == {"tech_staff", "max_employees"}
    assert r["failed_conditions"] == []
    assert not r["qualified"]
    # the score counts what is known: 40 + 18
    assert r["score"] == 58.0
    # one of A/B unknown: the other one still scores (the better of the known)
    r = one(firm(total_costs=None))
    assert r["pt_rd_input"] == 40.0 and "total_costs" in r["missing"]


def test_result_carries_provenance(firm):
    import datetime as dt

    r = one(firm(), as_of=dt.date(2026, 3, 31))
    assert (r["system"], r["system_version"], r["as_of"]) == ("tech-sme", "2017-115", dt.date(2026, 3, 31))
