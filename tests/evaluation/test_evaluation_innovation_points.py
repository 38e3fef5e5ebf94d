"""Innovation points: stage weights, reference and percentile scoring, the track with fall-back, bonuses,
deductions, vetoes and the policy line at 70."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from innocredit.evaluation import cohort_sizes, evaluate, load_system, track_sentence, track_statistics

POINTS = load_system("innovation-points")            # relative: percentile within the track
ABSOLUTE = load_system("innovation-points-absolute")  # absolute: against full-mark reference values
# group maxima: tech 12+8+10+6+6+12+10+4+8 = 76; growth 12+8+6+8+6+6 = 46; aux 10+10+5 = 25
# Example 1 on the absolute scale (reference values in innovation-points-absolute.yaml):
#   tech: R&D 2m/40m = 5% of 10% -> 6; R&D 2m of 10m -> 1.6; R&D staff 24/120 = 20% of 30% -> 6.667;
#         master's/PhD 8/120 = 6.67% of 30% -> 1.333; talent 1 of 3 -> 2; Class I 1 of 10 -> 1.2; high-value 0;
#         Class II 5 of 20 -> 1; results 3 of 15 -> 1.6                                     = 21.4
#   growth: ½(32/25 + 40/32) - 1 = 26.5% of 35% -> 12 * 0.265/0.35; margin 6.25% of 10% -> 5;
#         net assets ½(26/22 + 30/26) - 1 of 35% -> 6 * g/0.35; equity 0; taxes 1.8m of 5m -> 2.16;
#         high-tech share 75% of 60% -> 6
#   aux: no qualification 0; tax rating B 7; contracts 0 -> 7;  bonus: strategic emerging +2
NA_GROWTH = (26 / 22 + 30 / 26) / 2 - 1
TECH = 6 + 1.6 + 10 * 0.2 / 0.3 + 6 * (8 / 120) / 0.3 + 2 + 1.2 + 0 + 1 + 1.6
GROWTH = 12 * 0.265 / 0.35 + 5 + 6 * NA_GROWTH / 0.35 + 0 + 2.16 + 6


def one(df, system=POINTS):
    return evaluate(system, df).row(0, named=True)


@pytest.mark.parametrize(("changes", "stage", "weights"), [
    ({}, "growth", (50, 35)),
    ({"registered_on": dt.date(2024, 1, 1)}, "startup", (60, 25)),
    ({"registered_on": dt.date(2010, 1, 1), "revenue": 100e6, "high_tech_revenue": 60e6}, "mature", (40, 45)),
    ({"revenue": 4_999_999.0}, "startup", None),
])
def test_stage_weights_on_the_absolute_scale(firm, changes, stage, weights):
    r = one(firm(**changes), ABSOLUTE)
    assert r["stage"] == stage
    if weights is not None and stage != "mature":
        assert r["score"] == pytest.approx(TECH / 76 * weights[0] + GROWTH / 46 * weights[1] + 7 / 25 * 15 + 2)
        assert r["pt_rd_expense"] == pytest.approx(1.6) and r["pt_high_tech_revenue_share"] == 6.0
    if stage == "mature":
        # revenue 100m: intensity 2% -> 2.4; growth ½(32/25 + 100/32) - 1 = 120% -> full 12; margin 2.5% -> 2;
        # high-tech 60m / 100m = 60% -> 6
        growth = 12 + 8 * 0.025 / 0.1 + 6 * NA_GROWTH / 0.35 + 2.16 + 6
        tech = TECH - 6 + 12 * 0.02 / 0.1
        assert r["score"] == pytest.approx(tech / 76 * 40 + growth / 46 * 45 + 7 / 25 * 15 + 2)


def test_relative_scoring_alone_in_the_track(firm):
    # alone: every percentile is 0.5, so each scored indicator gets half its points:
    # tech 38/76*50 = 25; growth 23/46*35 = 17.5; aux (0 + 7 + 2.5)/25*15 = 5.7; bonus 2 -> 50.2
    r = one(firm())
    assert r["score"] == pytest.approx(50.2) and r["pt_rd_expense"] == 4.0 and not r["qualified"]


STRONG = {"rd_expense": 10e6, "talent_programme_members": 3, "ip_class1_high_value": 5, "ip_class2": 20,
          "results_commercialized_3y": 15, "equity_financing_3y": 20e6, "specialized_level": "little_giant",
          "tax_credit_rating": "A", "tech_contract_turnover": 5e6, "national_award_5y": True,
          "led_standard_5y": True, "provincial_rd_institution": True}
# absolute: tech TECH - 6 - 1.6 - 2 - 1 - 1.6 + 12 + 8 + 6 + 10 + 4 + 8 (10m / 40m = 25% -> full intensity);
# growth GROWTH + 8 (equity); aux 25 -> 15; bonus 5+3+2+2+2 = 14 capped at 10
STRONG_TECH = TECH - 6 - 1.6 - 2 - 1 - 1.6 + 12 + 8 + 6 + 10 + 4 + 8
STRONG_SCORE = STRONG_TECH / 76 * 50 + (GROWTH + 8) / 46 * 35 + 15 + 10


def test_bonus_cap_and_line(firm):
    r = one(firm(**STRONG), ABSOLUTE)
    assert r["bonus"] == 10.0
    assert r["score"] == pytest.approx(STRONG_SCORE)  # 87.3
    assert r["qualified"] and r["route"] == "score"
    assert "policy_credit_eligible" not in r  # the policy flag is on the relative scale only


def test_deductions(firm):
    r = one(firm(**STRONG, abnormal_operations=True), ABSOLUTE)
    assert r["deduction"] == 10.0 and r["score"] == pytest.approx(STRONG_SCORE - 10) and r["qualified"]  # 77.3
    r = one(firm(**STRONG, abnormal_operations=True, open_enforcement_cases=2), ABSOLUTE)
    assert r["deduction"] == 15.0 and r["score"] == pytest.approx(STRONG_SCORE - 15) and r["qualified"]  # 72.3
    # tax rating D: 10 more deducted and the rating's 10 auxiliary points lost (aux 15/25*15 = 9): 61.3
    r = one(firm(**{**STRONG, "tax_credit_rating": "D"}, abnormal_operations=True), ABSOLUTE)
    assert r["deduction"] == 20.0 and r["score"] == pytest.approx(STRONG_SCORE - 6 - 20) and not r["qualified"]


@pytest.mark.parametrize("veto", ["serious_dishonesty", "major_incident_recent", "prohibited_products"])
def test_vetoes(firm, veto):
    r = one(firm(**STRONG, **{veto: True}), ABSOLUTE)
    assert r["score"] == pytest.approx(STRONG_SCORE)  # the points stay visible
    assert not r["qualified"]
    assert len(r["failed_conditions"]) == 1
    assert not one(firm(**STRONG, **{veto: True}))["policy_credit_eligible"]


def _cohort(firms):
    """31 software firms in Hangzhou with R&D 0.1m..3.1m on 40m sales, and one in Ningbo."""
    changes = [{"rd_expense": 100_000.0 * k, "region_code": "330106"} for k in range(1, 32)]
    changes.append({"rd_expense": 1_550_000.0, "region_code": "330203"})
    return firms(changes)


def test_percentile_within_track_and_fall_back(firms):
    df = _cohort(firms)
    res = evaluate(POINTS, df)
    hz = res.head(31)
    assert hz["track_level"].unique().to_list() == ["city"]
    assert hz["track_cohort"].unique().to_list() == ["city|I65|3301"]
    assert hz["track_n"].unique().to_list() == [31]
    # firm k (1..31) beats k-1 of the 30 others: percentile (k-1)/30, points 12 * (k-1)/30
    assert hz["tpct_rd_intensity"].to_list() == pytest.approx([(k - 1) / 30 for k in range(1, 32)])
    assert hz["pt_rd_intensity"].to_list() == pytest.approx([12 * (k - 1) / 30 for k in range(1, 32)])
    # relative scoring: the R&D amount ranks the same and scores by its percentile
    assert hz["tpct_rd_expense"].to_list() == pytest.approx([(k - 1) / 30 for k in range(1, 32)])
    assert hz["pt_rd_expense"].to_list() == pytest.approx([8 * (k - 1) / 30 for k in range(1, 32)])
    # ties: every firm has 5 Class II rights, none is strictly lower: percentile 0
    assert hz["pt_other_ip"].to_list() == [0.0] * 31
    # the Ningbo firm is alone in its city: falls back to the province cohort (32 firms)
    nb = res.row(31, named=True)
    assert (nb["track_level"], nb["track_cohort"], nb["track_n"]) == ("province", "province|I65|33", 32)
    # R&D 1.55m lies between firms 15 (1.5m) and 16 (1.6m): beats 15 of the 31 others
    assert nb["tpct_rd_intensity"] == pytest.approx(15 / 31)
    # the 31 Hangzhou firms all have growth (32+40)/(25+32)... the industry's own growth is the cohort's sales growth
    assert hz["track_industry_growth"][0] == pytest.approx(40 / 32 - 1)


def test_missing_values_leave_the_ranking(firms):
    df = _cohort(firms).with_columns(pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("rd_expense"))
                                     .alias("rd_expense"))
    res = evaluate(POINTS, df)
    first = res.row(0, named=True)
    assert first["pt_rd_intensity"] is None and "rd_expense" in first["missing"]
    # firm 2 is now the lowest known value among 30: percentile 0
    assert res["tpct_rd_intensity"][1] == 0.0 and res["tpct_rd_intensity"][30] == 1.0


def test_track_split_for_spark_gives_the_same_result(firms):
    df = _cohort(firms)
    sizes = cohort_sizes(POINTS, df)
    assert sizes.filter(pl.col("level") == "city").sort("n")["n"].to_list() == [1, 31]
    ts = track_statistics(POINTS, df, sizes=sizes)
    # score partitions separately with the global track statistics: same rows as one pass
    parts = [evaluate(POINTS, df.slice(0, 10), track_stats=ts, total_percentile=False),
             evaluate(POINTS, df.slice(10), track_stats=ts, total_percentile=False)]
    whole = evaluate(POINTS, df, total_percentile=False)
    assert_frame_equal(pl.concat(parts), whole)


def test_track_sentence():
    assert track_sentence(0.82, 214, "city", "city|I65|3301") == \
        "better than 82% of 214 software and IT services firms in Hangzhou"
    assert track_sentence(0.82, 214, "city", "city|I65|3301", "zh") == "优于杭州214家软件和信息技术服务业企业中的82%"
    assert track_sentence(0.5, 40, "province", "province|C99|33") == "better than 50% of 40 C99 firms in province 330000"
