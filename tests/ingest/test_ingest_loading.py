"""Ingestion into the store, on SQLite and PostgreSQL: quarantine, idempotency, history, lineage, crashes."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from ingest_feedkit import A, B, C
from sqlalchemy import func, select

from innocredit.services.feeds import enterprise_history, features_as_of, ingest_dir, loans_as_of, patents_as_of
from innocredit.storage.feeds import FEED_TABLES, IngestBatch, IngestProblem

BAD_USCC = "91330106MA2AAAAA03"  # wrong check character (A ends in 2)


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        out = {name: sorted(map(tuple, conn.execute(select(t)).all()), key=repr) for name, t in FEED_TABLES.items()}
        out["batches"] = sorted(map(tuple, conn.execute(select(IngestBatch.__table__)).all()), key=repr)
    return out


def _bad_dir(root: Path) -> Path:
    root.mkdir()
    (root / "registry.csv").write_text(
        "uscc,as_of,name,registered_on,industry_code,region_code,status\n"
        f"{A},2025-06-30,Alpha Tech,2015-03-01,I6513,330106,active\n"  # line 2: good
        f"{BAD_USCC},2025-06-30,Bad Code,2015-03-01,I6513,330106,active\n"  # line 3: bad USCC
        f"{B},2025-06-30,Beta,2019-07-15,Z9999,330108,active\n"  # line 4: unknown industry code
        f"{C},2025-06-30,Gamma,2021/01/10,M7340,330110,active\n"  # line 5: date in the wrong format
        f"{A},2025-06-30,Alpha again,2015-03-01,I6513,330106,active\n",  # line 6: duplicated key
        encoding="utf-8")
    (root / "social_insurance.csv").write_text(
        f"uscc,as_of,employees\n{A},2025-06-30,120\n{B},2025-06-30,-3\n", encoding="utf-8")  # line 3 negative
    (root / "tax.csv").write_text(
        "uscc,as_of,fiscal_year,revenue\n"
        f"{A},2025-05-31,2024,15000000\n{B},2025-05-31,2024,abc\n", encoding="utf-8")  # line 3 not numeric
    return root


def test_bad_rows_are_quarantined_and_good_rows_kept(engine, tmp_path):
    feed_dir = _bad_dir(tmp_path / "bad")
    report = ingest_dir(engine, feed_dir)
    found = {(Path(p.file).name, p.line, p.column): p.reason for p in report.problems}
    assert ("registry.csv", 3, "uscc") in found
    assert ("registry.csv", 4, "industry_code") in found
    assert "YYYY-MM-DD" in found[("registry.csv", 5, "registered_on")]
    assert "duplicated key" in found[("registry.csv", 6, "uscc")]
    assert "negative" in found[("social_insurance.csv", 3, "employees")]
    assert found[("tax.csv", 3, "revenue")] == "not a number"
    assert len(found) == 6
    by_file = {Path(f.file).name: f for f in report.files}
    assert (by_file["registry.csv"].rows_read, by_file["registry.csv"].rows_loaded,
            by_file["registry.csv"].rows_rejected) == (5, 1, 4)
    assert by_file["social_insurance.csv"].rows_loaded == 1
    assert by_file["tax.csv"].rows_loaded == 1
    assert not report.ok
    # good rows are stored; problems are stored with their batch
    assert _count(engine, FEED_TABLES["registry"]) == 1
    assert _count(engine, FEED_TABLES["social_insurance"]) == 1
    assert _count(engine, IngestProblem.__table__) == 6
    feats = features_as_of(engine, dt.date(2025, 12, 31))
    assert feats.filter(pl.col("uscc") == A)["name"].to_list() == ["Alpha Tech"]
    assert feats.filter(pl.col("uscc") == A)["employees"].to_list() == [120]
    # every row of B was rejected: B is not guessed into the table with zeros
    assert B not in feats["uscc"].to_list()


def test_reingest_is_a_noop(engine, feed_dir):
    first = ingest_dir(engine, feed_dir)
    assert first.ok and first.total("rows_loaded") == 24
    before = _snapshot(engine)
    second = ingest_dir(engine, feed_dir)
    assert {f.status for f in second.files} == {"skipped"}
    assert second.total("rows_loaded") == 0 and second.total("rows_unchanged") == 24
    assert _snapshot(engine) == before
    # same rows in a different file (other bytes): every row is unchanged, nothing is rewritten
    (feed_dir / "courts.csv").rename(feed_dir / "courts_copy.csv")
    (feed_dir / "courts_copy.csv").write_text(
        (feed_dir / "courts_copy.csv").read_text(encoding="utf-8").replace("false", "no"), encoding="utf-8")
    third = ingest_dir(engine, feed_dir)
    courts = next(f for f in third.files if f.file.endswith("courts_copy.csv"))
    assert (courts.status, courts.rows_loaded, courts.rows_updated, courts.rows_unchanged) == ("loaded", 0, 0, 1)
    after = _snapshot(engine)
    assert after["courts"] == before["courts"]  # the stored row still points to its first batch
    # the tax returns again, now as CSV instead of Parquet: money round-trips exactly, nothing changes
    pl.read_parquet(feed_dir / "tax_2025.parquet").write_csv(feed_dir / "tax_again.csv")
    fourth = ingest_dir(engine, feed_dir)
    tax = next(f for f in fourth.files if f.file.endswith("tax_again.csv"))
    assert (tax.rows_loaded, tax.rows_updated, tax.rows_unchanged) == (0, 0, 4)
    assert _snapshot(engine)["tax"] == before["tax"]


def test_newer_as_of_supersedes_and_history_is_kept(engine, feed_dir, tmp_path):
    ingest_dir(engine, feed_dir)
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "social_insurance_2026.csv").write_text(
        f"uscc,as_of,employees\n{A},2026-03-31,150\n", encoding="utf-8")
    # a correction of an already stored row (same key and as_of, other value) replaces it
    (newer / "social_insurance_fix.csv").write_text(
        f"uscc,as_of,employees\n{B},2025-06-30,31\n", encoding="utf-8")
    report = ingest_dir(engine, newer)
    assert [(f.rows_loaded, f.rows_updated) for f in report.files] == [(1, 0), (0, 1)]
    old = features_as_of(engine, dt.date(2025, 12, 31)).filter(pl.col("uscc") == A)
    new = features_as_of(engine, dt.date(2026, 6, 30)).filter(pl.col("uscc") == A)
    latest = features_as_of(engine)  # None = the latest as_of stored (2026-03-31)
    assert old["employees"].item() == 120 and new["employees"].item() == 150
    assert latest["as_of"].unique().to_list() == [dt.date(2026, 3, 31)]
    assert latest.filter(pl.col("uscc") == B)["employees"].item() == 31
    hist = enterprise_history(engine, A)["social_insurance"]
    assert hist["employees"].to_list() == [120, 150]
    assert hist["source_file"].to_list() == ["social_insurance.csv", "social_insurance_2026.csv"]
    assert hist["source_line"].to_list() == [2, 2]
    # before any feed row existed nothing is known
    assert features_as_of(engine, dt.date(2020, 1, 1)).height == 0


def test_lineage_and_patent_and_loan_views(engine, feed_dir):
    ingest_dir(engine, feed_dir)
    hist = enterprise_history(engine, A)
    ip = hist["ip_office"]
    assert ip.height == 7
    assert set(ip["source_file"]) == {"ip_office.csv"}
    assert ip.filter(pl.col("patent_id") == "CN1")["source_line"].item() == 2
    assert ip["file_sha256"].str.len_chars().unique().to_list() == [64]
    assert hist["tax"]["fiscal_year"].to_list() == [2022, 2023, 2024]
    pats = patents_as_of(engine)
    assert pats.height == 8 and pats["patent_id"].n_unique() == 8
    assert patents_as_of(engine, dt.date(2025, 1, 1)).height == 0
    loans = loans_as_of(engine, dt.date(2025, 12, 31))
    assert loans["loan_id"].to_list() == ["L1", "L2", "L3"]
    assert loans.filter(pl.col("loan_id") == "L2")["days_past_due"].item() == 95


def _crash_run(db_url: str, feed_dir: Path, rows: int) -> subprocess.CompletedProcess:
    env = dict(os.environ, INNOCREDIT_TEST_CRASH_AFTER_ROWS=str(rows))
    code = ("import sys; from innocredit.storage.base import make_engine; "
            "from innocredit.services.feeds import ingest_dir; "
            "ingest_dir(make_engine(sys.argv[1]), sys.argv[2])")
    return subprocess.run([sys.executable, "-c", code, db_url, str(feed_dir)], env=env, capture_output=True,
                          text=True, timeout=120)


def test_killed_import_leaves_the_store_as_before_that_file(engine, feed_dir, tmp_path):
    ingest_dir(engine, feed_dir)
    before = _snapshot(engine)
    big = tmp_path / "big"
    big.mkdir()
    usccs = [f"91330106MA2{i:06d}"[:17] for i in range(300)]
    from innocredit.profile.uscc import make_uscc
    ips = pl.DataFrame({
        "uscc": [make_uscc(u) for u in usccs],
        "as_of": ["2025-12-31"] * 300,
        "patent_id": [f"P{i}" for i in range(300)],
        "kind": ["invention"] * 300,
        "status": ["granted"] * 300,
    })
    ips.write_csv(big / "ip_office_big.csv")
    url = engine.url.render_as_string(hide_password=False)
    proc = _crash_run(url, big, 120)  # dies after 120 of the 300 rows were sent, before commit
    assert proc.returncode == 9, proc.stderr
    assert _snapshot(engine) == before
    # the same file loads completely afterwards (it was not recorded as loaded)
    report = ingest_dir(engine, big)
    assert report.files[0].rows_loaded == 300
    assert _count(engine, FEED_TABLES["ip_office"]) == 308
