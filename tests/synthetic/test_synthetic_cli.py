"""``innocredit demo-data``: files, JSON summary, bad input exits 2 and loses nothing."""

import json

import polars as pl
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.ingest.feeds import FEEDS

runner = CliRunner()


def test_writes_every_feed_and_a_json_summary(tmp_path):
    out = tmp_path / "feeds"
    res = runner.invoke(app, ["demo-data", str(out), "--enterprises", "300", "--seed", "9", "--format", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["enterprises"] == 300 and summary["file_format"] == "parquet"
    assert set(summary["feeds"]) == set(FEEDS)
    reg = pl.read_parquet(out / "registry.parquet")
    assert reg.height == 300 == summary["feeds"]["registry"]["rows"]
    ip = pl.read_parquet(out / "ip_office.parquet")
    assert ip.height == summary["feeds"]["ip_office"]["rows"]


def test_file_format_option_and_the_issue_spelling(tmp_path):
    res = runner.invoke(app, ["demo-data", str(tmp_path / "a"), "-n", "50", "--file-format", "csv", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "tax.csv").exists()
    res = runner.invoke(app, ["demo-data", str(tmp_path / "b"), "-n", "50", "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "b" / "courts.jsonl").exists()
    assert "registry" in res.stdout  # the summary table


def test_existing_files_are_kept_unless_overwrite(tmp_path):
    out = tmp_path / "f"
    assert runner.invoke(app, ["demo-data", str(out), "-n", "40", "--seed", "1"]).exit_code == 0
    before = (out / "registry.parquet").read_bytes()
    res = runner.invoke(app, ["demo-data", str(out), "-n", "40", "--seed", "2"])
    assert res.exit_code == 2
    assert "already exists" in res.output and "--overwrite" in res.output
    assert (out / "registry.parquet").read_bytes() == before
    res = runner.invoke(app, ["demo-data", str(out), "-n", "40", "--seed", "2", "--overwrite"])
    assert res.exit_code == 0
    assert (out / "registry.parquet").read_bytes() != before


def test_bad_options_exit_2_with_a_message(tmp_path):
    cases = [
        (["-n", "0"], "--enterprises must be at least 1"),
        (["--seed", "-1"], "--seed must be a non-negative integer"),
        (["--format", "xml"], "--format must be table or json"),
        (["--file-format", "xlsx"], "--file-format must be one of parquet, csv, jsonl"),
        (["--format", "csv", "--file-format", "parquet"], "disagree"),
    ]
    for args, message in cases:
        res = runner.invoke(app, ["demo-data", str(tmp_path / "x"), *args])
        assert res.exit_code == 2, args
        assert message in res.output, (args, res.output)
    assert not (tmp_path / "x").exists()
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    res = runner.invoke(app, ["demo-data", str(a_file), "-n", "5"])
    assert res.exit_code == 2 and "not a directory" in res.output
    assert a_file.read_text() == "keep me"
