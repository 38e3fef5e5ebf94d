"""Fair lending: protected attributes by abbreviation, Chinese name and value; declared columns used only for
the fairness checks; proxies; the adverse impact ratio by hand; promotion refused below the four-fifths rule
without a second person's override."""

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.risk import ProtectedAttributeError, Scorecard
from innocredit.risk.fairness import by_group, cramers_v, detect_protected, fairness_report

runner = CliRunner()


def test_detection_by_abbreviation_chinese_name_and_values():
    df = pl.DataFrame({
        "afam": ["yes", "no"], "single": ["no", "yes"], "hisp": [0, 1], "is_female": [1, 0], "FounderMarried": [1, 0],
        "性别": ["男", "女"], "婚姻状况": ["已婚", "未婚"], "法人民族": ["汉", "回"], "户籍所在地": ["a", "b"],
        "x7": ["男", "女"], "status": ["married", "single"], "kind": ["Widowed", "divorced"],
        "revenue": [1.0, 2.0], "industry": ["C39", "I65"], "grade": ["A", "B"],
    })
    found = detect_protected(df)
    assert found == {"afam": "abbreviation", "single": "abbreviation", "hisp": "abbreviation",
                     "is_female": "abbreviation", "FounderMarried": "abbreviation", "性别": "chinese",
                     "婚姻状况": "chinese", "法人民族": "chinese", "户籍所在地": "chinese",
                     "x7": "values: sex", "status": "values: marital status", "kind": "values: marital status"}
    with pytest.raises(ProtectedAttributeError, match=r"x7 \(rule: values: sex\)"):
        Scorecard(features=["revenue", "x7"]).fit(df, [0, 1])
    # an allowed column passes the check (the CLI records the reason in the card)
    assert detect_protected(df, ["revenue", "industry", "grade"]) == {}


def test_german_credit_refusal_is_unchanged(tmp_path):
    from innocredit.risk.policy import protected_columns

    path = Path(__file__).resolve().parent.parent / "data" / "credit" / "german.csv"
    german = pl.read_csv(path)
    features = [c for c in german.columns if c != "creditability"]
    assert protected_columns(features) == ["personal_status_and_sex", "age_in_years"]
    assert set(detect_protected(german, features)) == {"personal_status_and_sex", "age_in_years"}
    r = runner.invoke(app, ["risk", "train", "--data", str(path),
                            "--target", "creditability", "--bad-value", "bad", "--no-register",
                            "--out", str(tmp_path / "m")])
    assert r.exit_code == 2
    assert "personal_status_and_sex (rule: name)" in r.output and "age_in_years (rule: name)" in r.output


def test_adverse_impact_ratio_by_hand():
    # group A: PDs .1 .2 .3 .9 -> 3 of 4 approved at cut-off .5; group B: .2 .6 .7 .8 -> 1 of 4
    groups = np.array(["A"] * 4 + ["B"] * 4)
    pd_ = np.array([.1, .2, .3, .9, .2, .6, .7, .8])
    y = np.array([0, 0, 1, 1, 0, 1, 1, 0])
    out = by_group(groups, y, pd_, 0.5, min_group=1)
    a, b = out["groups"]
    assert a["approval_rate"] == 0.75 and b["approval_rate"] == 0.25
    assert a["default_rate"] == 0.5 and b["default_rate"] == 0.5
    assert a["approved_default_rate"] == pytest.approx(1 / 3) and b["approved_default_rate"] == 0.0
    # AIR = 0.25 / 0.75 = 1/3 < 0.8: adverse impact
    assert out["adverse_impact_ratio"] == pytest.approx(1 / 3) and out["adverse_impact"] is True
    assert a["auc"] is None  # fewer than 20 records: no AUC
    # with the default minimum group size (20) neither group counts: no ratio rather than one from 4 records
    assert by_group(groups, y, pd_, 0.5)["adverse_impact_ratio"] is None


def test_cramers_v_by_hand():
    # 2x2 table [[3, 1], [1, 3]]: chi2 = 2.0, n = 8, V = sqrt(2 / 8) = 0.5
    a = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    b = np.array([0, 0, 0, 1, 1, 1, 1, 0])
    assert cramers_v(a, b) == pytest.approx(0.5)
    assert cramers_v(a, a) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def proxy_table(tmp_path_factory):
    rng = np.random.default_rng(4)
    n = 3000
    group = rng.choice(["g1", "g2"], n)
    # district: 90% determined by the protected group (a proxy); income independent of it
    district = np.where(rng.random(n) < 0.9, np.where(group == "g1", "north", "south"), rng.choice(["north", "south"], n))
    income = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-1.5 - 1.0 * income + 1.2 * (district == "south"))))
    df = pl.DataFrame({"income": income, "district": district, "applicant_group": group,
                       "bad": (rng.random(n) < p).astype(np.int8)})
    d = tmp_path_factory.mktemp("fair")
    df.write_csv(d / "t.csv")
    (d / "dict.yaml").write_text("protected:\n  - applicant_group\n", encoding="utf-8")
    return d, df


def test_proxy_flagged_and_protected_column_kept_out_of_the_features(proxy_table):
    _, df = proxy_table
    y = df["bad"].to_numpy()
    model = Scorecard(features=["income", "district"]).fit(df, y)
    rep = fairness_report(model, df, df.select("applicant_group"), y)
    proxies = {p["feature"]: p for p in rep["attributes"]["applicant_group"]["proxies"]}
    assert proxies["district"]["strong"] and proxies["district"]["cramers_v"] > 0.8
    assert not proxies["income"]["strong"] and proxies["income"]["cramers_v"] < 0.1
    g = rep["attributes"]["applicant_group"]
    assert {r["group"] for r in g["groups"]} == {"g1", "g2"}
    assert all(r["auc"] is not None for r in g["groups"])
    rates = [r["approval_rate"] for r in g["groups"]]
    assert g["adverse_impact_ratio"] == pytest.approx(min(rates) / max(rates))


def test_cli_declared_protected_allow_and_promotion_governance(proxy_table, tmp_path):
    d, _ = proxy_table
    db = f"sqlite:///{tmp_path / 'r.db'}"
    models = tmp_path / "m"
    r = runner.invoke(app, ["risk", "train", "--data", str(d / "t.csv"), "--target", "bad", "--dictionary",
                            str(d / "dict.yaml"), "--out", str(models), "--db", db, "--bank", "bank-a",
                            "--name", "fair", "--format", "json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    card = json.loads((models / "fair" / "v1" / "card.json").read_text())
    assert "applicant_group" not in [f["name"] for f in card["features"]]  # fairness checks only
    assert card["governance"]["declared_protected"] == ["applicant_group"]
    air = res["adverse_impact_ratio"]["applicant_group"]
    assert air < 0.8  # the district proxy makes the model approve one group far less
    assert any(p["strong"] for p in card["fairness"]["attributes"]["applicant_group"]["proxies"])
    # an out-of-time validation run shows the declared column's fairness checks; then promotion: refused
    # without an override
    html = tmp_path / "report.html"
    r = runner.invoke(app, ["risk", "validate", "--model", "fair", "--models-dir", str(models), "--data",
                            str(d / "t.csv"), "--target", "bad", "--oot", "--db", db, "--html", str(html),
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)["fairness"]["attributes"]["applicant_group"]
    assert rep["adverse_impact_ratio"] == pytest.approx(air) and len(rep["groups"]) == 2
    assert "Fairness" in html.read_text() and "adverse impact" in html.read_text()
    r = runner.invoke(app, ["risk", "promote", "--model", "fair", "--version", "1", "--db", db, "--by", "ann"])
    assert r.exit_code == 2 and "adverse impact ratio" in r.output and "override" in r.output
    r = runner.invoke(app, ["risk", "promote", "--model", "fair", "--version", "1", "--db", db, "--by", "ann",
                            "--override-by", "ann", "--reason", "x"])
    assert r.exit_code == 2 and "second person" in r.output
    r = runner.invoke(app, ["risk", "promote", "--model", "fair", "--version", "1", "--db", db, "--by", "ann",
                            "--override-by", "bob", "--reason", "district is the collateral's location",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "champion" and out["fairness_override"]["by"] == "bob"
    assert out["fairness_override"]["requested_by"] == "ann"
    # the registry keeps the override in the card, and the audit log names who and why
    from innocredit.services import risk as risk_service
    from innocredit.storage.base import make_engine
    from innocredit.storage.lending import audit_rows

    with risk_service.session(make_engine(db)) as s:
        row = risk_service.get_model(s, "fair", 1)
        assert row["card"]["governance"]["fairness_override"]["reason"] == "district is the collateral's location"
        entries = [e for e in audit_rows(s, bank_id="bank-a") if e.action == "fairness_override"]
        assert len(entries) == 1 and entries[0].actor == "bob" and "collateral" in entries[0].details
    # --allow needs a reason, and the card records the allowed column with the rule that caught it
    r = runner.invoke(app, ["risk", "train", "--data", str(d / "t.csv"), "--target", "bad", "--no-register",
                            "--out", str(models), "--allow", "applicant_group"])
    assert r.exit_code == 2 and "--reason" in r.output
    pl.read_csv(d / "t.csv").rename({"applicant_group": "single_branch"}).write_csv(tmp_path / "s.csv")
    r = runner.invoke(app, ["risk", "train", "--data", str(tmp_path / "s.csv"), "--target", "bad", "--no-register",
                            "--out", str(models), "--name", "allowed"])
    assert r.exit_code == 2 and "single_branch (rule: abbreviation)" in r.output
    r = runner.invoke(app, ["risk", "train", "--data", str(tmp_path / "s.csv"), "--target", "bad", "--no-register",
                            "--out", str(models), "--name", "allowed", "--allow", "single_branch",
                            "--reason", "a one-branch firm, not marital status"])
    assert r.exit_code == 0, r.output
    card = json.loads((models / "allowed" / "v1" / "card.json").read_text())
    assert card["governance"]["allowed_protected"] == [
        {"column": "single_branch", "rule": "abbreviation", "reason": "a one-branch firm, not marital status"}]


def test_policy_errors_name_the_file_and_the_json_path(tmp_path):
    from innocredit.risk.policy import PolicyError, load_policy

    bad = tmp_path / "protected.yaml"
    bad.write_text("id: p\nversion: 1\nnames: [age]\nwords: [sex]\nvalue_sets:\n  sex: [male]\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"protected\.yaml: \$\.value_sets\.sex: .*too short") as exc:
        load_policy("protected", bad)
    assert exc.value.path == "$.value_sets.sex"
    scale = tmp_path / "scale.yaml"
    scale.write_text("id: s\nversion: 1\ngrades:\n  - {grade: A, pd_max: 0.5}\n  - {grade: B, pd_max: 0.4}\n",
                     encoding="utf-8")
    with pytest.raises(PolicyError, match=r"scale\.yaml: \$\.grades: pd_max must increase"):
        load_policy("master_scale", scale)
    assert load_policy("protected")["version"] == 2  # the packaged policy loads
