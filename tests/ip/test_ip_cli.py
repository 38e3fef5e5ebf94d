"""The ``innocredit ip`` verbs end to end (CliRunner, a real SQLite file)."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.ip.sample import make_usccs, synthetic_features, synthetic_patents

runner = CliRunner()


def _files(tmp_path, bad=True):
    u = make_usccs(4)
    p = synthetic_patents(40, usccs=u, seed=9)
    if bad:
        p = pl.concat([p, p.head(1).with_columns(pl.lit("CN202110123456.8").alias("patent_id"))])
    p.write_csv(tmp_path / "ip_office.csv")
    synthetic_features(u).write_csv(tmp_path / "features.csv")
    return u, p


def test_value_json_with_quarantine(tmp_path):
    u, p = _files(tmp_path)
    q = tmp_path / "quarantine.csv"
    r = runner.invoke(app, ["ip", "value", "--patents", str(tmp_path / "ip_office.csv"), "--features",
                            str(tmp_path / "features.csv"), "--as-of", "2026-06-30", "--format", "json",
                            "--quarantine", str(q)])
    assert r.exit_code == 2  # a row was rejected; the good rows are still valued
    out = json.loads(r.stdout.splitlines()[0])
    assert len(out["patents"]) == 40 and {f["uscc"] for f in out["firms"]} <= set(u)
    assert out["assumptions"]["valuation"]["tax_rate"] == 0.25
    assert {p["line"] for p in out["problems"]} == {42}  # header + 40 good rows, the bad one is line 42
    assert pl.read_csv(q)["line"].unique().to_list() == [42]


def test_value_single_firm_and_bad_file(tmp_path):
    u, _ = _files(tmp_path, bad=False)
    r = runner.invoke(app, ["ip", "value", "--patents", str(tmp_path / "ip_office.csv"), "--uscc", u[1],
                            "--as-of", "2026-06-30", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {p["uscc"] for p in out["patents"]} == {u[1]} and len(out["firms"]) == 1
    # cohorts are normalised over the whole feed: the firm's values equal those of a run over every firm
    r_all = runner.invoke(app, ["ip", "value", "--patents", str(tmp_path / "ip_office.csv"), "--as-of", "2026-06-30",
                                "--format", "json"])
    every = {p["patent_id"]: p["value_base"] for p in json.loads(r_all.stdout)["patents"]}
    assert all(p["value_base"] == pytest.approx(every[p["patent_id"]]) for p in out["patents"])
    r = runner.invoke(app, ["ip", "value", "--patents", str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "no such file" in " ".join(r.output.split())


def test_pledge_register_twice_refused(tmp_path):
    u, p = _files(tmp_path, bad=False)
    db = ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    row = p.filter((pl.col("status") == "granted") & ~pl.col("pledged")).row(0, named=True)
    args = ["ip", "pledge", "register", "--patent-id", row["patent_id"], "--uscc", row["uscc"], "--bank", "bank-a",
            "--registered-on", "2026-07-01", "--patents", str(tmp_path / "ip_office.csv"), "--format", "json", *db]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["registration_no"] == "Y2026980000001"
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "already pledged" in " ".join(r.output.split())
    r = runner.invoke(app, ["ip", "pledge", "list", "--format", "json", *db])
    assert [x["status"] for x in json.loads(r.stdout)] == ["active"]
    r = runner.invoke(app, ["ip", "pledge", "release", "--registration-no", "Y2026980000001", "--on", "2026-08-01",
                            "--format", "json", *db])
    assert r.exit_code == 0 and json.loads(r.stdout)["status"] == "released"


def test_pool_create_and_value(tmp_path):
    u, _ = _files(tmp_path, bad=False)
    db = ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    r = runner.invoke(app, ["ip", "pool", "create", "--id", "p1", "--name", "Pool", "--patents",
                            str(tmp_path / "ip_office.csv"), "--member", u[0], "--member", u[1], "--format", "json",
                            *db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ip", "pool", "value", "--id", "p1", "--patents", str(tmp_path / "ip_office.csv"),
                            "--features", str(tmp_path / "features.csv"), "--as-of", "2026-06-30", "--default", u[0],
                            "--loss", "100000", "--format", "json", *db])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {m["uscc"] for m in out["members"]} == {u[0], u[1]}
    assert sum(float(a["amount"]) for a in out["default"]) == 100000.0


def test_pledge_list_table_loan_filter_and_refusals_name_the_field(tmp_path):
    u, p = _files(tmp_path, bad=False)
    db = ["--database", f"sqlite:///{tmp_path / 'db.sqlite'}"]
    rows = p.filter((pl.col("status") == "granted") & ~pl.col("pledged")).head(2).rows(named=True)
    for i, row in enumerate(rows):
        r = runner.invoke(app, ["ip", "pledge", "register", "--patent-id", row["patent_id"], "--uscc", row["uscc"],
                                "--bank", "bank-a", "--amount", "500000.005", "--loan-id", f"L-{i}",
                                "--registered-on", "2026-07-01", *db])
        assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["ip", "pledge", "list", "--loan-id", "L-1", "--format", "json", *db])
    listed = json.loads(r.stdout)
    assert [(x["patent_id"], x["loan_id"], x["secured_amount"]) for x in listed] == [
        (rows[1]["patent_id"], "L-1", "500000.01")]  # half-up to the fen
    r = runner.invoke(app, ["ip", "pledge", "list", *db], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Y2026980000002" in r.stdout and "500,000.01" in r.stdout and "2026-07-01" in r.stdout
    r = runner.invoke(app, ["ip", "pledge", "release", "--registration-no", "Y2026980000001", "--on", "2026-06-30",
                            *db])
    assert r.exit_code == 2 and "before pledge Y2026980000001 was registered" in " ".join(r.output.split())
    r = runner.invoke(app, ["ip", "pledge", "release", "--registration-no", "Y2026980000001", "--on", "0001-01-01",
                            *db])
    assert r.exit_code == 2 and "on 0001-01-01 is outside 1985-9999" in " ".join(r.output.split())
    r = runner.invoke(app, ["ip", "pledge", "release", "--registration-no", "Y2026980000099", *db])
    assert r.exit_code == 2 and "no pledge with registration number Y2026980000099" in " ".join(r.output.split())


def test_pool_show_lists_the_loans_drawn_on_it(tmp_path):
    import datetime as dt

    from innocredit.services.database import make_engine, unit_of_work
    from innocredit.services.ip import allocate_pool

    u, _ = _files(tmp_path, bad=False)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = ["--database", url]
    r = runner.invoke(app, ["ip", "pool", "create", "--id", "p1", "--name", "Pool", "--patents",
                            str(tmp_path / "ip_office.csv"), "--member", u[0], "--member", u[1],
                            "--created-on", "2026-01-05", *db])
    assert r.exit_code == 0, r.output
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        allocate_pool(s, pool_id="p1", loan_id="L-1", bank_id="bank-a", uscc=u[0], amount="250000",
                      on=dt.date(2026, 2, 1))
        allocate_pool(s, pool_id="p1", loan_id="L-2", bank_id="bank-b", uscc=u[1], amount="100000",
                      on=dt.date(2026, 2, 2))
    engine.dispose()
    r = runner.invoke(app, ["ip", "pool", "show", "--id", "p1", "--format", "json", *db])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["members"] == sorted([u[0], u[1]]) and out["allocated"] == "350000.00"
    assert [(a["loan_id"], a["bank_id"], a["amount"]) for a in out["allocations"]] == [
        ("L-1", "bank-a", "250000.00"), ("L-2", "bank-b", "100000.00")]
    r = runner.invoke(app, ["ip", "pool", "show", "--id", "p1", "--bank", "bank-b", *db], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "L-2" in r.stdout and "L-1" not in r.stdout and "allocated 100,000.00" in r.stdout
    r = runner.invoke(app, ["ip", "pool", "show", "--id", "p9", *db])
    assert r.exit_code == 2 and "no pool p9" in r.output
