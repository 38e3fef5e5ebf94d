"""`risk train` fits on every row and validates by k-fold, a file, an out-of-time split or a holdout; `risk
monitor` on small samples with unseen categories; `risk compare` with bootstrap intervals."""

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.risk import Scorecard
from innocredit.risk.compare import approval_rate_at, bootstrap_differences
from innocredit.risk.training import train_validated

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["risk", *map(str, args)])


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(1)
    n = 1200
    x = rng.normal(size=n)
    region = rng.choice([f"R{i}" for i in range(15)], n)
    year = rng.choice([2021, 2022, 2023], n)
    p = 1 / (1 + np.exp(-(1.2 * x - 1.0 + (region == "R3") * 1.0)))
    df = pl.DataFrame({"x": x, "region": region, "year": year,
                       "bad": (rng.random(n) < p).astype(np.int8)})
    d = tmp_path_factory.mktemp("train")
    df.write_csv(d / "t.csv")
    df.head(300).write_csv(d / "v.csv")
    return d, df


def test_default_is_five_fold_cv_and_the_final_model_sees_every_row(table):
    d, df = table
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "cv",
             "--time-column", "year", "--oot-from", "2023", "--holdout", "0.3")
    assert r.exit_code == 2 and "choose one validation method" in r.output
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "cv",
             "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["n_fit"] == df.height and res["validation_method"] == "cv"
    card = json.loads((d / "m" / "cv" / "v1" / "card.json").read_text())
    v = card["validation"]
    assert v["method"] == "cv" and v["folds"] == 5 and len(v["per_fold"]) == 5
    assert sum(f["n"] for f in v["per_fold"]) == df.height  # every row scored once, out of fold
    assert 0.6 < v["performance"]["auc"] < 1 and card["data"]["n_train"] == df.height
    assert card["performance"]["validation"] == v["performance"]


def test_holdout_file_and_out_of_time(table):
    d, df = table
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "ho",
             "--holdout", "0.25", "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["n_fit"] == df.height - 300  # 25% of 1,200 held out; that model is kept
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "vf",
             "--validation", d / "v.csv", "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["validation_method"] == "file" and res["validation"]["n"] == 300 and res["n_fit"] == df.height
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "oot",
             "--time-column", "year", "--oot-from", "2023", "--format", "json")
    assert r.exit_code == 0, r.output
    card = json.loads((d / "m" / "oot" / "v1" / "card.json").read_text())
    n_oot = int((df["year"] >= 2023).sum())
    assert card["validation"]["method"] == "oot" and card["validation"]["n_validation"] == n_oot
    assert card["validation"]["n_development"] == df.height - n_oot and card["data"]["n_train"] == df.height
    assert "year" not in [f["name"] for f in card["features"]]  # the time column is not a feature
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register",
             "--time-column", "nope", "--oot-from", "2023")
    assert r.exit_code == 2 and "nope" in r.output


def test_train_validated_cv_equals_manual_folds(table):
    from sklearn.model_selection import StratifiedKFold

    _, df = table
    X, y = df.drop("bad"), df["bad"].to_numpy()
    model, summary, idx = train_validated(lambda: Scorecard(features=["x", "region"]), X, y, folds=3)
    assert len(idx) == len(y)
    oof = np.empty(len(y))
    for a, b in StratifiedKFold(3, shuffle=True, random_state=42).split(X, y):
        oof[b] = Scorecard(features=["x", "region"]).fit(X[a], y[a]).predict_proba(X[b])[:, 1]
    from sklearn.metrics import roc_auc_score
    assert summary["performance"]["auc"] == pytest.approx(roc_auc_score(y, oof))
    np.testing.assert_allclose(model.coef_, Scorecard(features=["x", "region"]).fit(X, y).coef_)


def test_monitor_on_fifty_rows_with_unseen_categories(table):
    d, df = table
    r = _run("train", "--data", d / "t.csv", "--target", "bad", "--out", d / "m", "--no-register", "--name", "mon",
             "--format", "json")
    assert r.exit_code == 0, r.output
    new = df.head(50).with_columns(pl.when(pl.int_range(50) < 20).then(pl.lit("R-new")).otherwise(pl.col("region"))
                                   .alias("region"))
    new.write_parquet(d / "new.parquet")
    r = _run("monitor", "--model", "mon", "--models-dir", d / "m", "--input", d / "new.parquet", "--target", "bad",
             "--html", d / "mon.html", "--out", d / "mon.json", "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["n_later"] == 50 and len(res["score_bands"]) >= 2
    assert sum(b["count"] for b in res["score_bands"]) == 50
    assert res["score_psi"] == pytest.approx(sum(b["psi"] for b in res["score_bands"]), abs=1e-9)
    # 20 of 50 records in a new region: the region's CSI must alert (>= 0.25)
    assert res["csi"]["region"]["level"] == "alert"
    assert any(a["what"] == "region" and a["level"] == "alert" for a in res["alerts"])
    assert sum(g["n"] for g in res["default_rate_by_grade"]) == 50
    assert "Score PSI" in (d / "mon.html").read_text() and json.loads((d / "mon.json").read_text())["n_later"] == 50


def test_approval_rate_and_bootstrap_by_hand():
    # 10 applicants by PD; defaults at ranks 3 and 8. At <= 15% portfolio default rate: all 10 give 2/10 = 20%,
    # the 9 best 2/9 = 22%, the 8 best 2/8 = 25%, the 7 best 1/7 = 14.3%: 7 of 10 approved. At <= 20%: all 10.
    y = np.array([0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    pd_ = np.arange(10) / 10
    assert approval_rate_at(y, pd_, 0.15)["approval_rate"] == pytest.approx(0.7)
    assert approval_rate_at(y, pd_, 0.15)["approved_default_rate"] == pytest.approx(1 / 7)
    assert approval_rate_at(y, pd_, 0.2)["approval_rate"] == pytest.approx(1.0)
    # identical models: every resample gives a difference of 0, never significant
    b = bootstrap_differences(y, pd_, pd_.copy(), 0.15, n_boot=50)
    assert b["auc"]["difference"] == 0 and b["auc"]["ci_low"] == 0 == b["auc"]["ci_high"]
    assert not b["auc"]["significant"] and "not significant" in b["auc"]["statement"]
    # a perfect model against a reversed one on 400 records: the AUC difference (1 - 0 = 1) is significant
    y2 = np.r_[np.zeros(300), np.ones(100)]
    good = np.r_[np.linspace(0, 0.5, 300), np.linspace(0.6, 1, 100)]
    b = bootstrap_differences(y2, 1 - good, good, 0.05, n_boot=100)
    assert b["auc"]["difference"] == pytest.approx(1.0) and b["auc"]["significant"]


def test_compare_prints_intervals_and_says_demo_is_not_evidence():
    r = _run("compare", "--demo", 3000, "--bootstrap", 100)
    assert r.exit_code == 0, r.output
    assert "95% interval" in r.output and "not evidence" in r.output
    r = _run("compare", "--demo", 3000, "--bootstrap", 100, "--format", "json")
    d = json.loads(r.stdout)["difference"]
    assert d["n_boot"] == 100 and d["auc"]["ci_low"] <= d["auc"]["difference"] <= d["auc"]["ci_high"]
    assert d["auc"]["significant"] == (d["auc"]["ci_low"] > 0 or d["auc"]["ci_high"] < 0)
