"""``innocredit risk`` end to end: train, score, validate, promote, monitor, compare, list; bad input."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from innocredit.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from innocredit.synthetic import feature_table

    d = tmp_path_factory.mktemp("risk")
    feature_table(4000, 3).write_parquet(d / "dev.parquet")
    feature_table(1500, 4).with_columns(pl.col("as_of").dt.offset_by("1y")).write_parquet(d / "oot.parquet")
    return d


def _run(*args):
    return runner.invoke(app, ["risk", *map(str, args)])


def test_train_score_validate_promote_monitor(files):
    d = files
    db = f"sqlite:///{d / 'r.db'}"
    models = d / "models"
    r = _run("train", "--data", d / "dev.parquet", "--kind", "scorecard", "--out", models, "--db", db,
             "--bank", "bank-a", "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["model_version"] == 1 and res["status"] == "candidate"
    card = json.loads((models / res["model_id"] / "v1" / "card.json").read_text())
    assert {"data_window", "features", "performance", "limits", "intended_use"} <= set(card)
    mid = res["model_id"]
    r = _run("score", "--model", mid, "--models-dir", models, "--input", d / "oot.parquet", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert len(rows) == 1500 and rows[0]["model_id"] == mid and rows[0]["model_version"] == 1
    assert rows[0]["pd_grade"].startswith("G")
    book = d / "scores.xlsx"  # the same scores as an Excel workbook, reason codes joined
    r = _run("score", "--model", mid, "--models-dir", models, "--input", d / "oot.parquet", "--out", book)
    assert r.exit_code == 0, r.output
    sheet = pl.read_excel(book)
    assert sheet.height == 1500 and sheet["pd_grade"].to_list() == [x["pd_grade"] for x in rows]
    r = _run("promote", "--model", mid, "--version", 1, "--db", db)
    assert r.exit_code == 2 and "out-of-time" in r.output
    html = d / "report.html"
    r = _run("validate", "--model", mid, "--models-dir", models, "--data", d / "oot.parquet", "--db", db,
             "--html", html, "--format", "json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["oot"] is True and 0.5 < rep["performance"]["auc"] < 1
    assert "<svg" in html.read_text()
    r = _run("promote", "--model", mid, "--version", 1, "--db", db, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "champion"
    r = _run("monitor", "--model", mid, "--models-dir", models, "--data", d / "oot.parquet", "--format", "json")
    assert r.exit_code == 0, r.output
    mon = json.loads(r.stdout)
    assert mon["score_level"] in ("stable", "watch", "alert") and mon["csi"]
    r = _run("list", "--db", db, "--bank", "bank-a", "--format", "json")
    assert [m["status"] for m in json.loads(r.stdout)] == ["champion"]


def test_any_binary_table_and_bad_input(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 800
    x = rng.normal(size=n)
    df = pl.DataFrame({"x": x, "c": rng.choice(["a", "b", "c"], n),
                       "bad": np.where(rng.random(n) < 1 / (1 + np.exp(-(x - 1))), "yes", "no")})
    df.write_csv(tmp_path / "t.csv")
    r = _run("train", "--data", tmp_path / "t.csv", "--target", "bad", "--bad-value", "yes", "--out",
             tmp_path / "m", "--no-register", "--format", "json")
    assert r.exit_code == 0, r.output
    r = _run("train", "--data", tmp_path / "t.csv", "--target", "bad", "--out", tmp_path / "m", "--no-register")
    assert r.exit_code == 2 and "0/1" in r.output
    df.with_columns(pl.lit("m").alias("gender"), (pl.col("bad") == "yes").cast(pl.Int8).alias("bad")).write_csv(
        tmp_path / "g.csv")
    r = _run("train", "--data", tmp_path / "g.csv", "--target", "bad", "--out", tmp_path / "m", "--no-register")
    assert r.exit_code == 2 and "gender" in r.output
    r = _run("score", "--model", "nope", "--models-dir", tmp_path / "m", "--input", tmp_path / "t.csv")
    assert r.exit_code == 2


def test_compare_on_demo_data():
    r = _run("compare", "--demo", 6000, "--bootstrap", 100, "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert set(res["sets"]) == {"balance_sheet", "technology"}
    for s in res["sets"].values():
        assert 0.5 < s["auc"] < 1 and 0 <= s["approval_rate"] <= 1
