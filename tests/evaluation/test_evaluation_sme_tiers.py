"""创新型中小企业 and 专精特新中小企业 (工信部企业〔2022〕63号 annexes 1 and 2)."""

import polars as pl
import pytest

from innocredit.evaluation import evaluate, load_system
from innocredit.evaluation.context import InputError

INNOVATIVE = load_system("innovative-sme")
SPECIALIZED = load_system("specialized-sme")


def test_innovative_sme_points_and_group_minimums(firm):
    r = evaluate(INNOVATIVE, firm(), detail=True).row(0, named=True)
    # IP: no Class I on the main product, 3 Class II -> 5; R&D 2m / 40m = 5% -> 20 (annex 1: the ratio alone)
    # growth: main revenue 38m/30m - 1 = 26.7% -> 20; debt 30m/60m = 50% -> 10
    # specialisation: strategic emerging -> 10; 38m/40m = 95% -> 20.  Total 85
    assert (r["pt_ip_main_product"], r["pt_rd_share"], r["pt_main_revenue_growth"], r["pt_debt_ratio"]) == \
        (5.0, 20.0, 20.0, 10.0)
    assert (r["grp_innovation"], r["grp_growth"], r["grp_specialization"], r["score"]) == (25.0, 30.0, 30.0, 85.0)
    assert r["qualified"] and r["route"] == "score"
    # R&D 1.2m = 3% -> 15: innovation 5 + 15 = 20, the minimum -> qualifies with 80
    r = evaluate(INNOVATIVE, firm(rd_expense=1_200_000.0)).row(0, named=True)
    assert (r["grp_innovation"], r["score"], r["qualified"]) == (20.0, 80.0, True)
    # R&D 1,199,999 = 2.99997% -> 10: innovation 15 < 20 -> not qualified although the score is 75
    r = evaluate(INNOVATIVE, firm(rd_expense=1_199_999.0)).row(0, named=True)
    assert (r["grp_innovation"], r["score"], r["qualified"]) == (15.0, 75.0, False)
    assert r["failed_conditions"] == ["innovation_minimum"]


@pytest.mark.parametrize(("rd", "points"), [
    (2_000_000.0, 20.0), (1_999_999.0, 15.0),   # 5% of 40m
    (1_200_000.0, 15.0), (1_199_999.0, 10.0),   # 3%
    (800_000.0, 10.0), (799_999.0, 5.0),        # 2%
    (400_000.0, 5.0), (399_999.0, 0.0),         # 1%
    (0.0, 0.0),
])
def test_innovative_sme_rd_share_bands(firm, rd, points):
    assert evaluate(INNOVATIVE, firm(rd_expense=rd)).row(0, named=True)["pt_rd_share"] == points


def test_innovative_sme_rd_amount_does_not_count(firm):
    # 5m of R&D on 200m revenue is 2.5%: 10 points (the 专精特新 amount table would give the top band)
    r = evaluate(INNOVATIVE, firm(rd_expense=5e6, revenue=200e6, main_business_revenue=190e6)).row(0, named=True)
    assert r["pt_rd_share"] == 10.0
    # no revenue: the ratio is undefined -> 0 points, not missing
    r = evaluate(INNOVATIVE, firm(revenue=0.0)).row(0, named=True)
    assert r["pt_rd_share"] == 0.0 and "rd_share" not in r["missing_indicators"]


def test_innovative_sme_edges(firm):
    # main revenue growth exactly 15% (34.5m/30m) -> 20
    r = evaluate(INNOVATIVE, firm(main_business_revenue=34.5e6)).row(0, named=True)
    assert r["pt_main_revenue_growth"] == 20.0
    # growth exactly 0 -> 5; below 0 -> 0
    assert evaluate(INNOVATIVE, firm(main_business_revenue=30e6)).row(0, named=True)["pt_main_revenue_growth"] == 5.0
    assert evaluate(INNOVATIVE, firm(main_business_revenue=29e6)).row(0, named=True)["pt_main_revenue_growth"] == 0.0
    # debt ratio 55% exactly -> 5; 75% exactly -> 5 (the policy's "75%以上" is above 75); 75.1% -> 0
    for liab, pts in ((33e6, 5.0), (45e6, 5.0), (45.06e6, 0.0), (32.9e6, 10.0)):
        assert evaluate(INNOVATIVE, firm(liabilities=liab)).row(0, named=True)["pt_debt_ratio"] == pts


LOW = {"ip_class1_main_product": 0, "ip_class2_main_product": 0, "rd_expense": 0.0}


@pytest.mark.parametrize("honour", ["national_tech_innovation_demo", "ip_advantage_enterprise", "ip_demo_enterprise"])
def test_innovative_sme_honours_are_direct_routes(firm, honour):
    # score: 0 + 0 + 20 + 10 + 10 + 20 = 60 but innovation 0 < 20: not by score
    assert not evaluate(INNOVATIVE, firm(**LOW)).row(0, named=True)["qualified"]
    # the honour read from a CSV arrives as text: "true"
    r = evaluate(INNOVATIVE, firm(**LOW).with_columns(pl.lit("true").alias(honour))).row(0, named=True)
    assert r["qualified"] and r["route"] == "direct" and r["direct_routes"] == ["honours"]
    r = evaluate(INNOVATIVE, firm(**LOW).with_columns(pl.lit("false").alias(honour))).row(0, named=True)
    assert not r["qualified"]


def test_innovative_sme_award_window_is_three_years(firm):
    # a national award in five years (top three) does not show a national award in the last three years
    assert not evaluate(INNOVATIVE, firm(**LOW, national_award_5y=True)).row(0, named=True)["qualified"]
    r = evaluate(INNOVATIVE, firm(**LOW).with_columns(pl.lit(True).alias("national_award_3y"))).row(0, named=True)
    assert r["direct_routes"] == ["sci_award"] and r["qualified"]
    assert evaluate(INNOVATIVE, firm(**LOW, provincial_award_3y=True)).row(0, named=True)["qualified"]


def test_declared_input_with_a_bad_value_names_column_and_row(firm):
    df = pl.concat([firm(), firm()]).with_columns(pl.Series("ip_demo_enterprise", ["true", "maybe"]))
    with pytest.raises(InputError, match=r"column 'ip_demo_enterprise', row 2: value 'maybe' is not a bool"):
        evaluate(INNOVATIVE, df)


def test_innovative_sme_direct_route_and_tax_gate(firm):
    low = {"ip_class1_main_product": 0, "ip_class2_main_product": 0, "rd_expense": 0.0}
    r = evaluate(INNOVATIVE, firm(**low, equity_financing_3y=5e6)).row(0, named=True)
    assert r["qualified"] and r["route"] == "direct" and r["direct_routes"] == ["equity_financing"]
    r = evaluate(INNOVATIVE, firm(**low, equity_financing_3y=5e6, tax_credit_rating="D")).row(0, named=True)
    assert not r["qualified"] and "no_tax_violation" in r["failed_conditions"]


def test_specialized_sme_entry_conditions(firm):
    r = evaluate(SPECIALIZED, firm()).row(0, named=True)
    # example 1 is not yet an innovative SME
    assert r["failed_conditions"] == ["innovative_sme"]
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative", years_in_niche=1.9, rd_expense=999_999.0)) \
        .row(0, named=True)
    # 1.9 years in niche; R&D below 1m
    assert r["failed_conditions"] == ["niche_2y", "rd_1m_3pct"]
    # R&D 1.2m of 40m = 3% exactly -> passes
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative", rd_expense=1.2e6)).row(0, named=True)
    assert "rd_1m_3pct" not in r["failed_conditions"]


def test_specialized_sme_points(firm):
    r = evaluate(SPECIALIZED, firm(specialized_level="innovative")).row(0, named=True)
    # main share 38/40 = 95% -> 5; sales growth 26.5% -> 10; 5 years in niche -> 2     (specialisation 17)
    # net margin 2.5m/40m = 6.25% -> 6; debt 50% -> 3 (50% is in [50%, 60%))           (refinement 9)
    # IP: no Class I on main product, Class II 3 -> 2; R&D 2m -> 4 or 5% -> 4: 4; R&D staff 24/120 = 20% -> 5;
    # no provincial R&D institution: city 4, below city 2 or none 0 -> 0-4              (innovation 11-15)
    assert (r["grp_specialization"], r["grp_refinement"], r["grp_innovation"], r["score"]) == (17.0, 9.0, 15.0, 41.0)
    assert (r["score_low"], r["total_low"]) == (37.0, 37.0)
    # the highest reachable adds 30 points of evidence (digital 5, quality 5, field 5, characteristic 15): 71
    assert r["total_high"] == 71.0 and r["state"] == "possible" and not r["qualified"] and r["can_reach_60"]


# a strong firm: specialisation 5 + 10 + 1 (2 years) = 16; refinement margin 6% -> 6, debt 40% -> 5 = 11;
# innovation high-value Class I 10, R&D 5m 10, staff 20% 5, provincial institution 8-10 = 33-35
STRONG = {"specialized_level": "innovative", "years_in_niche": 2.0, "net_profit": 2_400_000.0, "liabilities": 24e6,
          "ip_class1_high_value": 1, "ip_class1_main_product": 1, "rd_expense": 5e6, "provincial_rd_institution": True}


def test_specialized_sme_line_at_60(firm):
    r = evaluate(SPECIALIZED, firm(**STRONG)).row(0, named=True)
    assert (r["total_low"], r["score"], r["total_high"]) == (60.0, 62.0, 92.0)
    assert r["qualified"] and r["state"] == "qualified" and r["route"] == "score"
    # net margin 2,399,999 / 40m just under 6% -> 4: lowest reachable 58 -> possible, not qualified
    r = evaluate(SPECIALIZED, firm(**{**STRONG, "net_profit": 2_399_999.0})).row(0, named=True)
    assert (r["total_low"], r["state"], r["qualified"]) == (58.0, "possible", False)


@pytest.mark.parametrize(("rd", "revenue", "points"), [
    (5e6, 200e6, 10.0), (4_999_999.0, 200e6, 8.0), (4e6, 200e6, 8.0), (3e6, 200e6, 6.0), (2e6, 200e6, 4.0),
    (1e6, 200e6, 2.0), (999_999.0, 200e6, 0.0),                                         # by amount (ratio < 3%)
    (1e6, 10e6, 10.0), (999_999.0, 10e6, 8.0), (800_000.0, 10e6, 8.0), (600_000.0, 10e6, 6.0),
    (400_000.0, 10e6, 4.0), (399_999.0, 10e6, 2.0), (300_000.0, 10e6, 2.0), (299_999.0, 10e6, 0.0),  # by ratio
])
def test_specialized_sme_rd_tiers(firm, rd, revenue, points):
    r = evaluate(SPECIALIZED, firm(rd_expense=rd, revenue=revenue)).row(0, named=True)
    assert r["pt_rd_input"] == points


def test_specialized_sme_direct_routes(firm):
    base = {"specialized_level": "innovative"}
    assert evaluate(SPECIALIZED, firm(**base)).row(0, named=True)["direct_routes"] == []
    # two-year average R&D: (11m + 9m) / 2 = 10m -> route; (11m + 8,999,999) / 2 just under
    r = evaluate(SPECIALIZED, firm(**base, rd_expense=11e6, rd_expense_prev=9e6)).row(0, named=True)
    assert r["direct_routes"] == ["rd_10m"] and r["qualified"] and r["route"] == "direct"
    r = evaluate(SPECIALIZED, firm(**base, rd_expense=11e6, rd_expense_prev=8_999_999.0)).row(0, named=True)
    assert r["direct_routes"] == []
    # awards: a provincial award in three years without its rank is not enough; top three is
    assert evaluate(SPECIALIZED, firm(**base, provincial_award_3y=True)).row(0, named=True)["direct_routes"] == []
    for col in ("provincial_award_3y_top3", "national_award_3y_top5", "maker_china_top500_3y"):
        r = evaluate(SPECIALIZED, firm(**base).with_columns(pl.lit(True).alias(col))).row(0, named=True)
        assert r["qualified"] and len(r["direct_routes"]) == 1
    # equity over two years: 60m -> route, 59,999,999 not
    for amount, n in ((60e6, 1), (59_999_999.0, 0)):
        r = evaluate(SPECIALIZED, firm(**base).with_columns(pl.lit(amount).alias("equity_financing_2y")))
        assert len(r.row(0, named=True)["direct_routes"]) == n


def test_specialized_sme_revenue_or_two_year_equity(firm):
    base = {"specialized_level": "innovative", "revenue": 9_999_999.0}
    # revenue just under 10m; three-year equity 19m: the two-year amount cannot reach 20m -> fails
    r = evaluate(SPECIALIZED, firm(**base, equity_financing_3y=19e6)).row(0, named=True)
    assert "revenue_or_financing" in r["failed_conditions"]
    # three-year equity 25m, two-year amount unknown: undecided (not failed, listed as not computable)
    r = evaluate(SPECIALIZED, firm(**base, equity_financing_3y=25e6)).row(0, named=True)
    assert "revenue_or_financing" not in r["failed_conditions"]
    assert "revenue_or_financing" in r["missing_indicators"] and not r["qualified"]
    r = evaluate(SPECIALIZED, firm(**base, equity_financing_3y=25e6).with_columns(
        pl.lit(20e6).alias("equity_financing_2y"))).row(0, named=True)
    assert "revenue_or_financing" not in r["failed_conditions"] + r["missing_indicators"]
