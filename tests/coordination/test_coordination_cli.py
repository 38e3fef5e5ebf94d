"""The coordination CLI end to end on SQLite: consent, lists, push, answer, escalate, metrics, alerts."""

import json

import polars as pl
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.profile.uscc import make_uscc

runner = CliRunner()
U = [make_uscc(f"91330106MA2CG{i:03d}X") for i in range(3)]


def call(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_cli_flow(tmp_path):
    db = f"sqlite:///{tmp_path / 'c.db'}"
    r = call("consent", "grant", "--uscc", U[0], "--bank", "bank-hz-01", "--categories", "tax,registry",
             "--from", "2026-01-01", "--until", "2027-06-01", "--format", "json", "--database", db)
    assert r.exit_code == 0, r.output
    cid = json.loads(r.stdout)["id"]
    r = call("consent", "grant", "--uscc", U[0], "--bank", "bank-hz-01", "--categories", "salary",
             "--until", "2099-01-01", "--database", db)
    assert r.exit_code == 2 and "unknown data categories salary" in r.output
    r = call("consent", "revoke", "--id", cid, "--uscc", U[0], "--format", "json", "--database", db)
    assert r.exit_code == 0 and json.loads(r.stdout)["state"] == "revoked"

    items = tmp_path / "items.csv"
    items.write_text("uscc,requested_amount,loan_purpose,fixed_premises\n"
                     f"{U[0]},1000000,rd,true\n{U[1]},-5,rd,true\n", encoding="utf-8")
    r = call("lists", "create", "--name", "July", "--items", items, "--database", db)
    assert r.exit_code == 2 and "line 3" in r.output and "requested_amount" in r.output
    items.write_text("uscc,requested_amount,loan_purpose,fixed_premises\n"
                     f"{U[0]},1000000,rd,true\n{U[1]},500000,working_capital,yes\n{U[2]},800000,other,true\n",
                     encoding="utf-8")
    r = call("lists", "create", "--name", "July", "--region", "330106", "--items", items, "--format", "json",
             "--database", db)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["items"] == 3
    list_id = json.loads(r.stdout)["id"]

    feats = tmp_path / "features.csv"
    pl.DataFrame({"uscc": U, "region_code": ["330106"] * 3, "revenue": [1e7] * 3,
                  "abnormal_operations": [False] * 3, "serious_dishonesty": [False] * 3,
                  "tax_credit_rating": ["A", "A", "A"], "open_enforcement_cases": [0, 0, 0],
                  "registry_status": ["active"] * 3, "innovation_points": [70.0, 80.0, 90.0]}).write_csv(feats)
    r = call("lists", "screen", list_id, "--features", feats, "--format", "json", "--database", db)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [i["passed"] for i in out["items"]] == [True, True, False]   # U[2]: purpose "other"
    reco_id = out["recommendation_list"]["id"]

    r = call("lists", "push", reco_id, "--format", "json", "--database", db)
    assert r.exit_code == 0, r.output
    pushes = json.loads(r.stdout)
    bank, uscc = pushes[0]["bank_id"], pushes[0]["uscc"]
    r = call("lists", "show", "--bank", bank, "--format", "json", "--database", db)
    push_id = next(p["push_id"] for p in json.loads(r.stdout) if p["uscc"] == uscc)
    r = call("lists", "answer", "--bank", "bank-nobody", "--push", push_id, "--kind", "accepted", "--database", db)
    assert r.exit_code == 2 and "no push" in r.output
    r = call("lists", "answer", "--bank", bank, "--push", push_id, "--kind", "declined", "--reason", "D02",
             "--format", "json", "--database", db)
    assert r.exit_code == 0 and json.loads(r.stdout)["decline_code"] == "D02"
    r = call("lists", "escalate", "--now", "2099-01-01", "--format", "json", "--database", db)
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == len(pushes) - 1
    r = call("lists", "show", list_id, "--format", "json", "--database", db)
    assert r.exit_code == 0 and len(json.loads(r.stdout)["recommendation_lists"][0]["pushes"]) == len(pushes)

    r = call("metrics", "--as-of", "2099-01-01", "--since", "2000-01-01", "--by", "bank", "--format", "json",
             "--features", feats, "--database", db)
    assert r.exit_code == 0, r.output
    groups = {g["group"]: g for g in json.loads(r.stdout)["groups"]}
    assert groups[bank]["pushes_declined"] == 1
    r = call("metrics", "--as-of", "2026-13-01", "--database", db)
    assert r.exit_code == 2 and "--as-of" in r.output
    r = call("metrics", "--as-of", "2026-06-30", "--by", "city", "--database", db)
    assert r.exit_code == 2 and "--by" in r.output


def test_cli_demo_metrics_and_alerts(tmp_path):
    db = f"sqlite:///{tmp_path / 'd.db'}"
    r = call("coordination-demo", "-n", "300", "--seed", "3", "--format", "json", "--database", db)
    assert r.exit_code == 0, r.output
    counts = json.loads(r.stdout)
    assert counts["pushes"] > 0 and counts["alerts"] > 0
    r = call("metrics", "--as-of", "2026-06-30", "--by", "region", "--format", "json", "--database", db)
    assert r.exit_code == 0
    assert sum(g["recommended_firms"] for g in json.loads(r.stdout)["groups"]) > 0
    r = call("metrics", "--as-of", "2026-06-30", "--database", db)
    assert r.exit_code == 0 and "coverage_rate" in r.stdout
    for bank in (f"bank-hz-0{i}" for i in range(1, 9)):
        r = call("alerts", "--bank", bank, "--format", "json", "--database", db)
        assert r.exit_code == 0
        assert {a["bank_id"] for a in json.loads(r.stdout)["alerts"]} <= {bank}
    r = call("alerts", "--database", db)
    assert r.exit_code == 2 and "--bank" in r.output


def test_metrics_from_ingested_feeds_alone(tmp_path):
    """A store with only the department feeds (no office firm or loan register): the metrics read the stored
    loans and compute the innovation points of the stored firms."""
    import datetime as dt

    db = f"sqlite:///{tmp_path / 'feeds.db'}"
    feeds = tmp_path / "feeds"
    assert call("demo-data", feeds, "--enterprises", 150, "--seed", 3).exit_code == 0
    r = call("ingest", feeds, "--database", db)
    assert r.exit_code == 0, r.output
    loans = pl.read_parquet(feeds / "bank_loans.parquet").unique("loan_id", keep="last")
    since, as_of = dt.date(2015, 1, 1), dt.date(2026, 6, 30)
    expected = loans.filter(pl.col("disbursed_on").is_between(since, as_of)).height
    assert expected > 0
    r = call("metrics", "--as-of", as_of, "--since", since, "--format", "json", "--database", db)
    assert r.exit_code == 0, r.output
    (district,) = json.loads(r.stdout)["groups"]
    assert district["loans_count"] == expected
    assert district["points_unknown"] == 0
    assert sum(district[k] for k in district if k.startswith("points_") and k[7:8].isdigit()) > 0
