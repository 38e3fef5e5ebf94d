"""``innocredit batch``: Parquet in, Parquet out, on both engines; bad input exits 2 with a clear message."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.evaluation import evaluate, load_system
from innocredit.synthetic import feature_table

runner = CliRunner()


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    d = tmp_path_factory.mktemp("batch")
    df = feature_table(800, 9)
    path = d / "features.parquet"
    df.write_parquet(path)
    return df, path


def test_evaluate_polars_writes_parquet(table, tmp_path):
    df, path = table
    out = tmp_path / "eval.parquet"
    r = runner.invoke(app, ["batch", "evaluate", "--system", "innovation-points", "--input", str(path),
                            "--output", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["rows"] == 800 and summary["engine"] == "polars"
    got = pl.read_parquet(out)
    want = evaluate(load_system("innovation-points"), df).sort("uscc")
    assert got["score"].to_list() == want["score"].to_list()
    # the same job for people: an Excel workbook with the same scores
    xlsx = tmp_path / "eval.xlsx"
    r = runner.invoke(app, ["batch", "evaluate", "--system", "innovation-points", "--input", str(path),
                            "--output", str(xlsx), "--format", "json"])
    assert r.exit_code == 0, r.output
    book = pl.read_excel(xlsx)
    assert book.height == 800 and book["score"].round(6).to_list() == got["score"].round(6).to_list()


def test_input_directory_is_read_whole(table, tmp_path):
    df, _ = table
    d = tmp_path / "in"
    d.mkdir()
    df.head(300).write_parquet(d / "a.parquet")
    df.slice(300).write_parquet(d / "b.parquet")
    out = tmp_path / "match.parquet"
    r = runner.invoke(app, ["batch", "match", "--input", str(d), "--output", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out)
    assert got["uscc"].n_unique() == 800


def test_bad_input_exits_2(table, tmp_path):
    df, _ = table
    bad = tmp_path / "bad.parquet"
    df.drop("uscc").write_parquet(bad)
    r = runner.invoke(app, ["batch", "evaluate", "--system", "innovation-points", "--input", str(bad),
                            "--output", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2
    assert "missing column(s) uscc" in r.output and "bad.parquet" in r.output
    r = runner.invoke(app, ["batch", "evaluate", "--system", "no-such-system", "--input", str(bad),
                            "--output", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "--system" in r.output
    r = runner.invoke(app, ["batch", "score", "--model", "x", "--input", str(bad), "--output", "o.parquet",
                            "--engine", "flink"])
    assert r.exit_code == 2 and "unknown engine" in r.output
    csv = tmp_path / "f.csv"
    csv.write_text("uscc\n1\n")
    r = runner.invoke(app, ["batch", "match", "--input", str(csv), "--output", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "Parquet" in r.output


@pytest.mark.spark
@pytest.mark.xdist_group("heavy")
def test_ip_value_on_spark_equals_polars(spark, tmp_path):
    from innocredit.ip.sample import make_usccs, synthetic_features, synthetic_patents

    as_of = dt.date(2026, 6, 30)
    usccs = make_usccs(150)
    synthetic_patents(1500, usccs=usccs, seed=5, as_of=as_of).write_parquet(tmp_path / "patents.parquet")
    synthetic_features(usccs, as_of=as_of).write_parquet(tmp_path / "features.parquet")
    args = ["batch", "ip-value", "--patents", str(tmp_path / "patents.parquet"), "--features",
            str(tmp_path / "features.parquet"), "--as-of", "2026-06-30", "--capacity", "default", "--format", "json"]
    r = runner.invoke(app, [*args, "--output", str(tmp_path / "local.parquet")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*args, "--engine", "spark", "--partitions", "3", "--output", str(tmp_path / "remote")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1])["rows"] == 150
    local = pl.read_parquet(tmp_path / "local.parquet")
    remote = pl.read_parquet(tmp_path / "remote" / "*.parquet").sort("uscc")
    assert_frame_equal(remote, local, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


def test_score_with_a_saved_model(table, tmp_path):
    from innocredit.risk import Scorecard, save_model, score_table
    from innocredit.risk.features import model_features

    df, path = table
    d = model_features(feature_table(3000, 11).filter(pl.col("default_12m").is_not_null()))
    model = Scorecard().fit(d.drop("uscc", "as_of", "industry_code", "region_code", "registered_on", "default_12m"),
                            d["default_12m"].to_numpy())
    model.model_id_ = "batch-test"
    save_model(model, {"purpose": "test"}, tmp_path / "models")
    out = tmp_path / "scores.parquet"
    r = runner.invoke(app, ["batch", "score", "--model", "batch-test", "--models-dir", str(tmp_path / "models"),
                            "--input", str(path), "--output", str(out), "--format", "json"])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out)
    want = score_table(model, model_features(df)).sort("uscc")
    assert got["model_version"].unique().to_list() == [1]
    assert got["score_points"].to_list() == want["score_points"].to_list()
    r = runner.invoke(app, ["batch", "score", "--model", "nope", "--models-dir", str(tmp_path / "models"),
                            "--input", str(path), "--output", str(out)])
    assert r.exit_code == 2 and "--model" in r.output
