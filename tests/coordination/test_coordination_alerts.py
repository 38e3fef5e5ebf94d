"""Each early-warning rule fires where it should and stays quiet where it should not."""

import datetime as dt
import json

import polars as pl
import pytest

from innocredit.coordination.alerts import evaluate_alerts, load_alert_rules
from innocredit.coordination.policy import PolicyError, parse_policy

LOANS = pl.DataFrame({
    "loan_id": ["L1", "L2", "L3"],
    "uscc": ["F1", "F2", "F3"],
    "bank_id": ["bank-1", "bank-2", "bank-1"],
    "amount": [1e6, 2e6, 5e5],
    "outstanding": [8e5, 2e6, 0.0],
    "status": ["active", "active", "repaid"],   # F3's loan is repaid: no alert reaches anyone for F3
    "missed_instalments": [0, 1, 2],
    "days_past_due": [0, 12, 40],
})


def feats(**over):
    base = {"uscc": ["F1", "F2", "F3"], "as_of": [dt.date(2026, 3, 31)] * 3, "tax_credit_rating": ["A", "B", "B"],
            "employees": [100, 50, 40], "open_enforcement_cases": [0, 0, 0], "abnormal_operations": [False] * 3,
            "serious_dishonesty": [False] * 3}
    base.update(over)
    return pl.DataFrame(base)


BEFORE = feats()


def fired(after=None, *, patents_before=None, patents_after=None, loans_before=None, rule=None):
    out = evaluate_alerts(LOANS, features_before=BEFORE if after is not None else None, features_after=after,
                          patents_before=patents_before, patents_after=patents_after, loans_before=loans_before,
                          loans_after=LOANS if loans_before is not None else None)
    if rule:
        out = out.filter(pl.col("rule_id") == rule)
    return out


def test_nothing_changes_nothing_fires():
    assert fired(feats(as_of=[dt.date(2026, 6, 30)] * 3)).is_empty()


def test_tax_rating_falls_to_c_or_d():
    out = fired(feats(tax_credit_rating=["C", "B", "D"]), rule="tax_rating_c_or_d")
    assert out["loan_id"].to_list() == ["L1"]           # F3 fell to D but has no outstanding loan
    assert out["bank_id"].to_list() == ["bank-1"] and out["severity"].to_list() == ["high"]
    ev = json.loads(out["evidence"][0])
    assert ev == {"tax_credit_rating": "C", "tax_credit_rating_before": "A"}
    # already C before and still C: no new alert
    before_c = feats(tax_credit_rating=["C", "B", "B"])
    again = evaluate_alerts(LOANS, features_before=before_c, features_after=before_c)
    assert again.filter(pl.col("rule_id") == "tax_rating_c_or_d").is_empty()


def test_headcount_drop_over_30_percent_in_a_quarter():
    # F1 100 -> 69 is a 31% drop (fires); F2 50 -> 36 is a 28% drop (does not)
    after = feats(employees=[69, 36, 40], as_of=[dt.date(2026, 6, 30)] * 3)
    assert fired(after, rule="headcount_drop")["loan_id"].to_list() == ["L1"]
    # the same drop over a year is not "in a quarter"
    late = feats(employees=[69, 36, 40], as_of=[dt.date(2027, 3, 31)] * 3)
    assert fired(late, rule="headcount_drop").is_empty()


def test_new_enforcement_case():
    out = fired(feats(open_enforcement_cases=[0, 1, 0]), rule="new_enforcement_case")
    assert out["loan_id"].to_list() == ["L2"] and out["bank_id"].to_list() == ["bank-2"]
    assert fired(feats(), rule="new_enforcement_case").is_empty()


def test_abnormal_operations_and_dishonesty_listing():
    out = fired(feats(abnormal_operations=[True, False, False], serious_dishonesty=[False, True, False]))
    assert set(zip(out["rule_id"], out["loan_id"])) == {("abnormal_operations", "L1"), ("serious_dishonesty", "L2")}
    assert out["severity"][0] == "critical"   # sorted most severe first


def test_pledged_patent_lapses_or_is_invalidated():
    before = pl.DataFrame({"uscc": ["F1", "F1", "F2"], "patent_id": ["P1", "P2", "P3"],
                           "pledged": [True, False, True], "status": ["granted"] * 3})
    after = pl.DataFrame({"uscc": ["F1", "F1", "F2"], "patent_id": ["P1", "P2", "P3"],
                          "pledged": [True, False, True], "status": ["lapsed", "lapsed", "granted"]})
    out = fired(patents_before=before, patents_after=after, rule="pledged_patent_lapsed")
    # P1 pledged and lapsed fires; P2 lapsed but not pledged does not; P3 still granted does not
    assert out["loan_id"].to_list() == ["L1"]
    assert json.loads(out["evidence"][0])["patent_id"] == "P1"
    invalid = after.with_columns(pl.when(pl.col("patent_id") == "P3").then(pl.lit("invalidated"))
                                 .otherwise(pl.col("status")).alias("status"))
    out2 = fired(patents_before=before, patents_after=invalid, rule="pledged_patent_lapsed")
    assert sorted(out2["loan_id"].to_list()) == ["L1", "L2"]


def test_missed_instalment():
    before = LOANS.with_columns(pl.lit(0).alias("missed_instalments"))
    out = fired(loans_before=before, rule="missed_instalment")
    assert out["loan_id"].to_list() == ["L2"]   # L3 missed too but is repaid (not outstanding)
    same = fired(loans_before=LOANS, rule="missed_instalment")
    assert same.is_empty()


def test_bad_rules_file_names_the_problem(tmp_path):
    with pytest.raises(PolicyError) as e:
        parse_policy("id: a\nversion: '1'\nrules:\n  - id: x\n    name: {zh: 甲, en: A}\n    severity: huge\n"
                     "    source: features\n    when: [{field: a, change: increased}]\n",
                     __import__("innocredit.coordination.alerts", fromlist=["ALERTS_SCHEMA"]).ALERTS_SCHEMA,
                     "alerts.yaml")
    assert "$.rules[0].severity" in str(e.value) and "alerts.yaml" in str(e.value)
    p = tmp_path / "dup.yaml"
    p.write_text("id: a\nversion: '1'\nrules:\n" + "".join(
        "  - {id: x, name: {zh: 甲, en: A}, severity: low, source: loans, when: [{field: a, change: increased}]}\n"
        for _ in range(2)), encoding="utf-8")
    with pytest.raises(PolicyError, match="not unique"):
        load_alert_rules(p)
