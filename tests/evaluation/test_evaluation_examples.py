"""The example cases (tests/data/tech_sme_cases.csv, innovative_sme_cases.csv) must match exactly."""

import polars as pl

from innocredit.evaluation import evaluate, load_system


def test_tech_sme_examples_match(cases):
    res = evaluate(load_system("tech-sme"), cases)
    assert res["uscc"].to_list() == cases["uscc"].to_list()
    expected_score = [float(x) for x in cases["expected_tech_sme_score"].to_list()]
    expected_qualified = [x == "true" for x in cases["expected_tech_sme_qualified"].to_list()]
    assert res["score"].to_list() == expected_score
    assert res["qualified"].to_list() == expected_qualified


def test_high_tech_examples_match(cases):
    res = evaluate(load_system("high-tech"), cases)
    expected = [x.split(";") if x else [] for x in cases["expected_high_tech_failed"].fill_null("").to_list()]
    assert res["failed_conditions"].to_list() == expected


def test_example_details_by_hand(cases):
    res = evaluate(load_system("tech-sme"), cases, detail=True)
    r1 = res.row(0, named=True)
    # example 1: 30/120 = 25% -> 16; A 2M/40M = 5% -> 40 (B 2M/36M = 5.6% -> 0); 3 Class II -> 18; 74
    assert (r1["pt_tech_staff"], r1["pt_rd_input"], r1["pt_tech_results"]) == (16.0, 40.0, 18.0)
    assert r1["alt_rd_input"] == 0 and r1["route"] == "score"
    # example 3: A 2M/100M = 2% -> 10; B 2M/8M = 25% -> 40: the better (B) counts
    r3 = res.row(2, named=True)
    assert r3["pt_rd_input"] == 40.0 and r3["alt_rd_input"] == 1
    # example 4: 620 staff > 500: basic condition fails, score still 20+40+18 = 78
    r4 = res.row(3, named=True)
    assert r4["failed_conditions"] == ["max_employees"] and r4["score"] == 78.0 and not r4["qualified"]
    # example 5: score 0 but a valid high-tech certificate: direct route
    r5 = res.row(4, named=True)
    assert r5["route"] == "direct" and r5["direct_routes"] == ["high_tech_certificate"]
    # example 6: 9/100 tech staff -> 0 points, so 80 points do not qualify
    r6 = res.row(5, named=True)
    assert r6["pt_tech_staff"] == 0.0 and r6["score"] == 80.0 and not r6["qualified"]
    # example 8: no sales: A undefined (0 points, not missing); B 1.3M/4M = 32.5% -> 50
    r8 = res.row(7, named=True)
    assert r8["pt_rd_input"] == 50.0 and r8["missing"] == []
    assert res.schema["failed_conditions"] == pl.List(pl.String)


def test_innovative_sme_examples_match(examples_dir):
    from innocredit.ingest.tables import read_feature_table

    cases = read_feature_table(examples_dir / "innovative_sme_cases.csv").data
    res = evaluate(load_system("innovative-sme"), cases)
    assert res["score"].to_list() == [float(x) for x in cases["expected_innovative_sme_score"].to_list()]
    assert res["qualified"].to_list() == [x == "true" for x in cases["expected_innovative_sme_qualified"].to_list()]
