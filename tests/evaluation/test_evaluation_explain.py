"""Explanation and path: values, bands and the cheapest changes, computed by the engine."""

from pathlib import Path

import polars as pl
import pytest

from innocredit.evaluation import evaluate, explain, explain_text, load_system
from innocredit.ingest.tables import read_feature_table


def test_explain_bands_and_values(cases):
    e = explain(load_system("tech-sme"), cases, "91330106100000016Y", "en")
    ind = {i["id"]: i for i in e["indicators"]}
    assert ind["tech_staff"]["value_text"] == "25%" and ind["tech_staff"]["band"] == "≥ 25%, < 30%"
    assert ind["tech_staff"]["points"] == 16.0
    assert ind["rd_input"]["chosen"] == "A. R&D expense / sales" and ind["rd_input"]["band"] == "≥ 5%, < 6%"
    assert ind["tech_results"]["band"] == "3 Class II IP"
    assert e["qualified"] and e["route"] == "score"
    ez = explain(load_system("tech-sme"), cases, "91330106100000016Y", "zh")
    assert {i["id"]: i for i in ez["indicators"]}["tech_results"]["band"] == "3项Ⅱ类知识产权"


def test_paths_cross_the_line(cases):
    e = explain(load_system("tech-sme"), cases, "913301061000000677", "en")
    # 9 of 100 tech staff: 1 new hire gives 10/101 < 10%; 2 give 11/102 = 10.8% -> 4 points -> 84 qualifies
    best = e["paths"][0]
    assert best["field"] == "tech_staff" and best["change"] == 2.0 and best["points_gain"] == 4.0
    assert best["qualifies"] and best["new_score"] == 84.0
    assert best["text"] == "2 more tech staff (new hires) → +4 points → qualifies"


def test_paths_when_already_qualified_show_next_points(cases):
    e = explain(load_system("tech-sme"), cases, "91330106100000016Y", "en")
    by = {p["field"]: p for p in e["paths"]}
    # R&D 2m on 40m sales (5%): +20% -> 2.4m = 6% -> 50 points (+10)
    assert by["rd_expense"]["relative_change"] == 0.2 and by["rd_expense"]["points_gain"] == 10.0
    assert not by["rd_expense"]["qualifies"]
    # 30/120 tech staff: 9 new hires -> 39/129 = 30.2% -> 20 (+4)
    assert by["tech_staff"]["change"] == 9.0


def test_explain_with_track(cases):
    e = explain(load_system("innovation-points"), cases, "91330106100000016Y", "en")
    assert e["track"]["n"] == 8 and e["track"]["level"] == "all"
    assert e["track"]["text"].startswith("better than ") and "of 8 firms nationally" in e["track"]["text"]
    ind = {i["id"]: i for i in e["indicators"]}
    assert "track" in ind["rd_intensity"] and ind["rd_expense"]["band"] == "track percentile × max points"
    # a path that adds R&D raises the R&D-intensity percentile against the peers, so it gains points
    assert any(p["field"] == "rd_expense" and p["points_gain"] > 0 for p in e["paths"])
    text = explain_text(e, "en")
    assert "track: better than" in text


def test_cheapest_combination_by_declared_costs(firm):
    # 创新型: no main-product IP (0 points), R&D 1,199,999 / 40m = 2.99998% -> 10: innovation 10 < 20.
    # Single changes that qualify: a Class I right (+15, cost 150,000) or R&D +67% to 5% (+20, ~804,000).
    # R&D +1% (+12,000 -> 3.03% -> 15) and a Class II right (+5, cost 50,000) reach innovation 20 for 62,000.
    df = firm(ip_class1_main_product=0, ip_class2_main_product=0, rd_expense=1_199_999.0)
    e = explain(load_system("innovative-sme"), df, df["uscc"][0], "en")
    c = e["combination"]
    assert c["reaches"] and [x["field"] for x in c["changes"]] == ["rd_expense", "ip_class2_main_product"]
    assert c["cost"] == pytest.approx(0.01 * 1_199_999 + 50_000)
    assert c["new_score"] == 80.0  # 5 + 15 + 20 + 10 + 10 + 20
    assert c["text"].endswith("→ 80 points, qualifies; cost 62,000 CNY")
    assert "cheapest combination: more R&D expense +1%" in explain_text(e, "en")
    # the main-business revenue lever declares no cost: it is left out of the combination
    assert all(x["field"] != "main_business_revenue" for x in c["changes"])


def test_combination_says_when_the_line_cannot_be_reached(cases):
    # 高新: without the experts' points the lowest reachable total is at most 51, never above 70
    e = explain(load_system("high-tech"), cases, "91330106100000016Y", "en")
    c = e["combination"]
    assert not c["reaches"] and c["text"].startswith("the line (70) cannot be reached with the levers given")


def test_explain_shows_the_reachable_range_for_high_tech(cases):
    e = explain(load_system("high-tech"), cases, "91330106100000016Y", "en")
    r = e["reachable"]
    assert (r["computable_low"], r["computable_high"], r["total_low"], r["total_high"]) == (21.0, 34.0, 21.0, 70.0)
    assert r["state"] == "not_qualified"
    assert [(j["id"], j["min"], j["max"]) for j in r["judgement"]] == [
        ("ip_advancement", 0.0, 8.0), ("ip_core_support", 0.0, 8.0), ("standards", 0.0, 2.0),
        ("rd_management", 0.0, 20.0)]
    text = explain_text(e, "en")
    assert "reachable total: 21–70 (rule: score > 70) — not qualified" in text
    assert "computable part: 21–34" in text
    assert "可达总分: 21–70" in explain_text(explain(load_system("high-tech"), cases, "91330106100000016Y", "zh"), "zh")


COHORT = Path(__file__).resolve().parents[1] / "data" / "evaluation" / "points_cohort_hangzhou_software.csv"
FIRM_58 = "913301132734513684"


def test_firm_at_58_points_gets_a_combination_reaching_70():
    """issue 19: 359 software firms in Hangzhou (the demo generator, seed 42); one of them has 57.3 points."""
    features = read_feature_table(COHORT).data
    system = load_system("innovation-points")
    e = explain(system, features, FIRM_58, "en")
    assert 56 < e["score"] < 60 and not e["qualified"]
    assert not any(p["qualifies"] for p in e["paths"])  # no single change reaches 70
    c = e["combination"]
    assert c["reaches"] and c["new_score"] >= 70
    # the cost is the levers' declared costs: a yuan of R&D, 200,000 a hire, 300,000 a high-value patent,
    # 500,000 a talent-programme member
    unit = {"rd_expense": 1.0, "rd_staff": 200_000.0, "ip_class1_high_value": 300_000.0,
            "talent_programme_members": 500_000.0}
    assert c["cost"] == pytest.approx(sum(x["change"] * unit[x["field"]] for x in c["changes"]))
    assert c["text"].endswith(f"qualifies; cost {c['cost']:,.0f} CNY")

    def score_with(changes):
        # the whole cohort re-evaluated with the firm's row changed (an independent path from explain's)
        exprs = []
        for x in changes:
            fields = [x["field"], *(["employees"] if x["field"] == "rd_staff" else [])]
            for f in fields:
                col = pl.col(f)
                exprs.append(pl.when(pl.col("uscc") == FIRM_58).then(col.cast(pl.Float64) + x["change"])
                             .otherwise(col.cast(pl.Float64)).cast(features.schema[f]).alias(f))
        res = evaluate(system, features.with_columns(exprs))
        return res.filter(pl.col("uscc") == FIRM_58)["score"][0]

    assert score_with(c["changes"]) >= 70
    # every change is needed: without any one of them the firm stays below 70
    for i in range(len(c["changes"])):
        assert score_with(c["changes"][:i] + c["changes"][i + 1:]) < 70
    assert "cheapest combination:" in explain_text(e, "en") and "最低成本组合" in explain_text(
        explain(system, features, FIRM_58, "zh"), "zh")


def test_explain_says_possible_when_the_line_is_within_reach(firm):
    # 专精特新 example 1 as an innovative SME: 37 to 71 reachable, the line 60 lies between
    df = firm(specialized_level="innovative")
    e = explain(load_system("specialized-sme"), df, df["uscc"][0], "en")
    assert e["reachable"]["state"] == "possible"
    assert "score: 41.00 / 60 — possible (needs the expert review or data)" in explain_text(e, "en")


@pytest.mark.parametrize("system_id", ["tech-sme", "innovative-sme"])
def test_the_combination_is_never_dearer_than_a_single_change_that_qualifies(cases, firms, system_id):
    system = load_system(system_id)
    if system_id == "innovative-sme":  # firms short of the innovation minimum (R&D 3%, 2%, 1% of 40m less a yuan)
        cases = firms([{"ip_class1_main_product": 0, "ip_class2_main_product": 0, "rd_expense": x}
                       for x in (1_199_999.0, 799_999.0, 399_999.0)])
    checked = 0
    for uscc in cases["uscc"].to_list():
        e = explain(system, cases, uscc, "en")
        if e["qualified"]:
            assert e["combination"] is None
            continue
        singles = [p["cost"] for p in e["paths"] if p["qualifies"]
                   and next(lv for lv in system.levers if lv.field == p["field"]).cost is not None]
        c = e["combination"]
        if singles:
            assert c["reaches"] and c["cost"] <= min(singles) + 1e-6
            checked += 1
        if c is not None and c["reaches"]:
            # the changed row qualifies when evaluated directly
            row = cases.filter(pl.col("uscc") == uscc)
            for x in c["changes"]:
                lever = next(lv for lv in system.levers if lv.field == x["field"])
                for f in (lever.field, *lever.also):
                    row = row.with_columns((pl.col(f).cast(pl.Float64) + x["change"]).cast(row.schema[f]).alias(f))
            assert evaluate(system, row).row(0, named=True)["qualified"]
    assert checked >= 1
