"""Feature building from feeds (pure polars) and the CLI verbs end to end."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest
from ingest_feedkit import A, B, C
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.profile import features
from innocredit.profile.building import build_features
from innocredit.services.feeds import features_as_of, ingest_dir


def _row(df: pl.DataFrame, uscc: str) -> dict:
    rows = df.filter(pl.col("uscc") == uscc).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_features_from_stored_feeds(sqlite_engine, feed_dir):
    ingest_dir(sqlite_engine, feed_dir)
    df = features_as_of(sqlite_engine, dt.date(2025, 12, 31))
    assert df.columns == list(features.FEATURE_COLUMNS)
    assert df.schema == pl.Schema(features.SCHEMA)
    assert df["uscc"].to_list() == sorted([A, B, C])
    a = _row(df, A)
    # tax: latest fiscal year 2024, prev 2023, prev2 2022
    assert (a["revenue"], a["revenue_prev"], a["revenue_prev2"]) == (15e6, 12e6, 10e6)
    assert (a["net_assets"], a["net_assets_prev"], a["net_assets_prev2"]) == (6e6, 5e6, 4e6)
    assert a["net_profit"] == 2e6 and a["tax_credit_rating"] == "A"
    assert a["rd_expense_domestic_3y"] == pytest.approx(0.9e6 + 1.1e6 + 1.4e6)  # = 3.4e6
    # IP: granted inventions CN1, CN2 (class I); utility model CN4 + software SW1 (class II);
    # pending CN3, lapsed CN5 and the trademark do not count
    assert (a["ip_class1"], a["ip_class2"]) == (2, 2)
    assert (a["ip_class1_main_product"], a["ip_class2_main_product"], a["ip_class1_high_value"]) == (1, 1, 1)
    assert a["employees"] == 120 and a["tech_staff"] == 40 and a["specialized_level"] == "specialized"
    assert a["high_tech_certified"] is True  # expires 2026-12-31
    assert (a["requested_amount"], a["requested_term_months"], a["loan_purpose"]) == (3e6, 36, "rd")
    b = _row(df, B)
    assert b["high_tech_certified"] is False  # certificate expired 2025-09-30
    assert b["revenue_prev"] is None  # no 2023 return: unknown, not 0
    assert b["abnormal_operations"] is True and b["open_enforcement_cases"] == 2
    c = _row(df, C)
    # C is only in the registry: every other feed's column is unknown; IP counts are 0 (the IP feed is present)
    assert c["employees"] is None and c["revenue"] is None and c["serious_dishonesty"] is None
    assert c["ip_class1"] == 0
    # as of mid-2025 the design patent of B (granted 2025-08-01) is not yet held
    mid = features_as_of(sqlite_engine, dt.date(2025, 7, 1))
    assert _row(mid, B)["ip_class2"] == 0
    # as of 2024-06-30 only A's two first tax returns are known: latest fiscal year 2023
    early = features_as_of(sqlite_engine, dt.date(2024, 6, 30))
    assert early["uscc"].to_list() == [A]
    e = _row(early, A)
    assert (e["revenue"], e["revenue_prev"], e["revenue_prev2"]) == (12e6, 10e6, None)
    assert e["ip_class1"] is None  # no IP office data as of that date: unknown


def _loans(*rows: tuple) -> dict[str, pl.DataFrame]:
    cols = ["uscc", "as_of", "loan_id", "disbursed_on", "status", "days_past_due", "default_12m"]
    df = pl.DataFrame(list(rows), schema=dict(zip(cols, [pl.String, pl.Date, pl.String, pl.Date, pl.String,
                                                         pl.Int64, pl.Int64])), orient="row")
    return {"bank_loans": df}


def test_default_12m_definition():
    d = dt.date
    feeds = _loans(
        (A, d(2025, 6, 30), "L1", d(2025, 3, 1), "active", 0, None),  # not yet observed 12 months -> null
        (B, d(2025, 6, 30), "L2", d(2025, 2, 1), "overdue", 95, None),  # 90+ DPD -> 1
        (B, d(2025, 6, 30), "L3", d(2024, 1, 1), "repaid", 0, None),  # older loan: not the most recent
        (C, d(2025, 9, 30), "L4", d(2025, 1, 10), "active", 0, None),
        (C, d(2026, 2, 1), "L4", d(2025, 1, 10), "active", 0, None),  # later row: 12 months observed -> 0
        (C, d(2025, 9, 30), "L5", d(2023, 1, 1), "defaulted", 200, 1),  # older loan, defaulted
        (C, d(2025, 9, 30), "L6", d(2025, 12, 1), "active", 0, 1),  # disbursed after 2025-10-31
    )
    out = build_features(feeds, d(2025, 10, 31))
    # the label reads each loan's latest row (the outcome), also the one of 2026-02-01
    assert out.select("uscc", "default_12m").rows() == [(A, None), (B, 1), (C, 0)]
    # as of 2025-12-31 C's most recent loan is L6 (bank flag 1); as of 2024-06-30 B's is L3 (repaid -> 0)
    assert build_features(feeds, d(2025, 12, 31)).filter(pl.col("uscc") == C)["default_12m"].item() == 1
    early = _loans(*[r for r in [
        (B, d(2024, 6, 30), "L3", d(2024, 1, 1), "active", 0, None),
        (B, d(2025, 6, 30), "L3", d(2024, 1, 1), "repaid", 0, None),
    ]])
    assert build_features(early, d(2024, 6, 30))["default_12m"].to_list() == [0]


def test_missing_feeds_give_null_columns():
    reg = pl.DataFrame({"uscc": [A], "as_of": [dt.date(2025, 1, 1)], "name": ["Alpha"]})
    out = build_features({"registry": reg.with_columns(
        pl.lit(None, pl.Date).alias("registered_on"), pl.lit(None, pl.String).alias("industry_code"),
        pl.lit(None, pl.String).alias("region_code"), pl.lit(None, pl.Boolean).alias("abnormal_operations"),
        pl.lit(None, pl.Boolean).alias("prohibited_products"))}, dt.date(2025, 12, 31))
    assert out.height == 1
    nulls = [c for c in features.FEATURE_COLUMNS if c not in ("uscc", "name", "as_of") and out[c].item() is not None]
    assert nulls == []


def test_cli_ingest_features_and_db_upgrade(tmp_path, feed_dir):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    res = runner.invoke(app, ["db", "upgrade", "--database", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["status"] == "upgraded"
    res = runner.invoke(app, ["ingest", str(feed_dir), "--database", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["totals"]["rows_loaded"] == 24
    # a bad row: exit 2, the quarantine file names file, line, column; the good row is loaded
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "courts.csv").write_text(f"uscc,as_of,open_enforcement_cases\n{A},2025-12-01,1\n{C},2025-12-01,x\n",
                                    encoding="utf-8")
    q = tmp_path / "quarantine.csv"
    res = runner.invoke(app, ["ingest", str(bad), "--database", url, "--quarantine", str(q)])
    assert res.exit_code == 2
    assert "courts.csv:3" in res.stderr
    qdf = pl.read_csv(q)
    assert qdf.select("line", "column", "value").rows() == [(3, "open_enforcement_cases", "x")]
    assert qdf["file"].str.ends_with("courts.csv").all()
    out = tmp_path / "features.parquet"
    res = runner.invoke(app, ["features", "--as-of", "2025-12-31", "--output", str(out), "--database", url,
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["enterprises"] == 3
    df = pl.read_parquet(out)
    assert df.filter(pl.col("uscc") == A)["open_enforcement_cases"].item() == 1
    res = runner.invoke(app, ["features", "--as-of", "31/12/2025", "--output", str(out), "--database", url])
    assert res.exit_code == 2 and "YYYY-MM-DD" in " ".join(res.stderr.split())
    res = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--database", url])
    assert res.exit_code == 2 and "not a directory" in " ".join(res.stderr.split())


def test_synthetic_feeds_round_trip_to_the_synthetic_feature_table(engine, tmp_path):
    """End to end on SQLite and PostgreSQL: the demo generator's feeds, ingested and built as of its
    date, give exactly the generator's own feature table (same meaning on both sides)."""
    import innocredit.synthetic as synthetic
    synthetic.write_feeds(tmp_path / "syn", 300, 7, fmt="csv")
    report = ingest_dir(engine, tmp_path / "syn")
    assert report.ok and report.total("rows_loaded") > 300
    ours = features_as_of(engine, synthetic.AS_OF)
    theirs = synthetic.feature_table(300, 7).sort("uscc")
    assert ours.height == 300
    joined = ours.join(theirs, on="uscc", suffix="__t")
    differ = [c for c in ours.columns if c != "uscc"
              and joined.filter(~pl.col(c).eq_missing(pl.col(f"{c}__t"))).height]
    assert differ == []
