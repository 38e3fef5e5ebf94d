"""Innovation points: stage weights, reference and percentile scoring, the track with fall-back, bonuses,
deductions, vetoes and the policy line at 70."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from innocredit.evaluation import cohort_sizes, evaluate, load_system, track_sentence, track_statistics

POINTS = load_system("innovation-points")
# group maxima: tech 12+8+10+6+6+12+10+4+8 = 76; growth 12+8+6+8+6+6 = 46; aux 10+10+5 = 25
# example 1 alone in its track: every percentile is 0.5.
# tech: percentile items (12+10+6+12) * 0.5 = 20; reference: R&D 2m/10m*8 = 1.6, talent 1/3*6 = 2,
#       high-value 0, Class II 5/20*4 = 1, results 3/6*8 = 4  -> 28.6
# growth: percentile items (12+8+6+6) * 0.5 = 16; equity 0; high-tech share 75%/60% capped -> 6  -> 22
# aux: no qualification 0; tax rating B 7; contracts 0 -> 7;  bonus: strategic emerging +2


def one(df):
    return evaluate(POINTS, df).row(0, named=True)


@pytest.mark.parametrize(("changes", "stage", "expected"), [
    ({}, "growth", 28.6 / 76 * 50 + 22 / 46 * 35 + 7 / 25 * 15 + 2),                        # 41.7549
    ({"registered_on": dt.date(2024, 1, 1)}, "startup", 28.6 / 76 * 60 + 22 / 46 * 25 + 7 / 25 * 15 + 2),  # 40.7354
    ({"registered_on": dt.date(2010, 1, 1), "revenue": 100e6, "high_tech_revenue": 60e6}, "mature",
     28.6 / 76 * 40 + 22 / 46 * 45 + 7 / 25 * 15 + 2),                                     # 42.7744
    ({"revenue": 4_999_999.0}, "startup", None),
])
def test_stage_weights(firm, changes, stage, expected):
    r = one(firm(**changes))
    assert r["stage"] == stage
    if expected is not None:
        assert r["score"] == pytest.approx(expected, abs=1e-9)
        assert r["pt_rd_expense"] == pytest.approx(1.6) and r["pt_high_tech_revenue_share"] == 6.0


STRONG = {"rd_expense": 10e6, "talent_programme_members": 3, "ip_class1_high_value": 5, "ip_class2": 20,
          "results_commercialized_3y": 6, "equity_financing_3y": 20e6, "specialized_level": "little_giant",
          "tax_credit_rating": "A", "tech_contract_turnover": 5e6, "national_award_5y": True,
          "led_standard_5y": True, "provincial_rd_institution": True}
# alone in its track: tech (20 + 36)/76*50 = 36.842; growth (16 + 14)/46*35 = 22.826; aux 25/25*15 = 15;
# bonus 5+3+2+2 = 12 capped at 10 -> 84.668
STRONG_SCORE = 56 / 76 * 50 + 30 / 46 * 35 + 15 + 10


def test_bonus_cap_and_policy_line(firm):
    r = one(firm(**STRONG))
    assert r["bonus"] == 10.0
    assert r["score"] == pytest.approx(STRONG_SCORE)
    assert r["qualified"] and r["policy_credit_eligible"] and r["route"] == "score"


def test_deductions(firm):
    r = one(firm(**STRONG, abnormal_operations=True))
    assert r["deduction"] == 10.0 and r["score"] == pytest.approx(STRONG_SCORE - 10) and r["qualified"]  # 74.67
    r = one(firm(**STRONG, abnormal_operations=True, open_enforcement_cases=2))
    assert r["deduction"] == 15.0 and not r["qualified"] and not r["policy_credit_eligible"]  # 69.67 < 70


@pytest.mark.parametrize("veto", ["serious_dishonesty", "major_incident_recent", "prohibited_products"])
def test_vetoes(firm, veto):
    r = one(firm(**STRONG, **{veto: True}))
    assert r["score"] == pytest.approx(STRONG_SCORE)  # the points stay visible
    assert not r["qualified"] and not r["policy_credit_eligible"]
    assert len(r["failed_conditions"]) == 1


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
    # reference-scored indicators are placed in the track too (reported, not scored): R&D amount ranks the same
    assert hz["tpct_rd_expense"].to_list() == pytest.approx([(k - 1) / 30 for k in range(1, 32)])
    assert hz["pt_rd_expense"].to_list() == pytest.approx([8 * min(0.1 * k / 10, 1) for k in range(1, 32)])
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
