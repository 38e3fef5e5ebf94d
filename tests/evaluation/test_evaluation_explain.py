"""Explanation and path: values, bands and the cheapest changes, computed by the engine."""

from innocredit.evaluation import explain, explain_text, load_system


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
    assert "track" in ind["rd_intensity"] and ind["rd_expense"]["band"] == "min(value / ¥10,000,000, 1) × max points"
    # a path that adds R&D raises the R&D-intensity percentile against the peers, so it gains points
    assert any(p["field"] == "rd_expense" and p["points_gain"] > 0 for p in e["paths"])
    text = explain_text(e, "en")
    assert "track: better than" in text
