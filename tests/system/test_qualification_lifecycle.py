"""Qualification lifecycles through the whole system, on an ingested demo district, SQLite and PostgreSQL.

The district's certificates feed (S&T department / MIIT) holds each firm's 高新 certificate with its day of issue;
the last valid day is the same day three years on. On that day and the day after:
evaluations (科技型中小企业's direct route), product rules (the guaranteed loan's "tech firm" rule) and the
relending definition (at the loan's date) see "valid on the date"; the 90-day early warning lists the certificate
and is stored on the firm's outstanding loan; the CLI and the API show the same.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from innocredit.cli import app as cli
from innocredit.evaluation.engine import evaluate
from innocredit.evaluation.system import load_system
from innocredit.lending.matching import match_one
from innocredit.lending.schema import load_policy, load_products
from innocredit.services import coordination, qualifications
from innocredit.services import lending as lending_svc
from innocredit.services.database import make_engine, unit_of_work
from innocredit.services.feeds import features_as_of
from innocredit.storage.core import Organisation
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.demo import seed_demo_users

runner = CliRunner()
POLICY = load_policy(env={})
BANK = "bank-hz-01"


def run(*args: Any, code: int = 0) -> str:
    res = runner.invoke(cli, [str(a) for a in args])
    assert res.exit_code == code, f"{args}: {res.output}"
    return res.stdout


@pytest.fixture
def district(db_url: str, tmp_path: Path) -> dict[str, Any]:
    feeds = tmp_path / "demo"
    run("demo-data", feeds, "--enterprises", "300", "--seed", "5")
    run("ingest", feeds, "--database", db_url)
    engine = make_engine(db_url)
    certs = pl.read_parquet(feeds / "certificates.parquet")
    # the 高新 certificate that lapses first after the demo's as-of date (2026-06-30), of a firm with nothing
    # else that could make it 科技型中小企业 directly
    ht = certs.filter(pl.col("qualification") == "high_tech").with_columns(
        pl.col("issued_on").dt.offset_by("3y").alias("last_day")).sort("last_day", "uscc")
    yield {"db": db_url, "engine": engine, "ht": ht, "tmp": tmp_path}
    engine.dispose()


def _firm(d: dict[str, Any]) -> tuple[str, dt.date]:
    feats = features_as_of(d["engine"], dt.date(2026, 6, 30))
    others = feats.filter(~pl.col("national_award_5y").fill_null(False) & ~pl.col("provincial_rd_institution")
                          .fill_null(False) & ~pl.col("led_standard_5y").fill_null(False))["uscc"].to_list()
    row = d["ht"].filter(pl.col("uscc").is_in(others)).row(0, named=True)
    return row["uscc"], row["last_day"]


def test_evaluations_and_product_rules_see_valid_on_the_date(district: dict[str, Any]) -> None:
    d = district
    uscc, last = _firm(d)
    after = last + dt.timedelta(days=1)
    on_last = features_as_of(d["engine"], last).filter(pl.col("uscc") == uscc)
    on_after = features_as_of(d["engine"], after).filter(pl.col("uscc") == uscc)
    assert on_last["high_tech_certified"].item() is True and on_last["high_tech_cert_expires"].item() == last
    assert on_after["high_tech_certified"].item() is False and on_after["high_tech_cert_expires"].item() is None

    tech_sme = load_system("tech-sme")
    assert "high_tech_certificate" in evaluate(tech_sme, on_last, last)["direct_routes"].item().to_list()
    assert "high_tech_certificate" not in evaluate(tech_sme, on_after, after)["direct_routes"].item().to_list()

    # the guaranteed loan's rule "a qualified tech SME or a certified high-tech enterprise": everything else given
    product = [p for p in load_products() if p.id == "guaranteed_tech_loan"]
    extra = [pl.lit("anhui_4321").alias("guarantee_scheme"), pl.lit("G3").alias("pd_grade"),
             pl.lit(False).alias("tech_sme_qualified")]
    ok = match_one(on_last.with_columns(extra), uscc, product, POLICY)[0]
    ko = match_one(on_after.with_columns(extra), uscc, product, POLICY)[0]
    assert ok.get("failed_rule") != "tech_firm"
    assert ko["eligible"] is False and ko["failed_rule"] == "tech_firm"


def _loan(s: Any, uscc: str, on: dt.date) -> dict[str, Any]:
    app = lending_svc.apply(s, bank_id=BANK, uscc=uscc, product_id="new_quality_credit", amount=1_000_000,
                            term_months=12, actor="officer", on=on, policy=POLICY)
    lending_svc.review(s, BANK, app["id"], "reviewer1")
    lending_svc.approve(s, BANK, app["id"], "approver1", on=on, policy=POLICY)
    loan = lending_svc.contract(s, BANK, app["id"], "officer", rate="0.04", on=on)
    return lending_svc.disburse(s, BANK, loan["id"], "officer", on=on)


def test_relending_warning_cli_and_api(district: dict[str, Any]) -> None:
    d = district
    uscc, last = _firm(d)
    feats = features_as_of(d["engine"], last).filter(pl.col("uscc") == uscc)
    only_ht = not feats["tech_sme_registered"].item() and feats["specialized_level"].item() not in (
        "specialized", "little_giant")
    with unit_of_work(d["engine"]) as s:
        if s.get(Organisation, BANK) is None:
            s.add(Organisation(id=BANK, kind="bank", name_zh="银行", name_en="Bank"))
    with unit_of_work(d["engine"]) as s:
        listed = coordination.relending_eligible(s, uscc=uscc, push_id=None, product_kind="credit", on=last)
        later = coordination.relending_eligible(s, uscc=uscc, push_id=None, product_kind="credit",
                                                on=last + dt.timedelta(days=1))
        assert listed is True
        if only_ht:  # nothing else puts it on an official list: the lapsed certificate ends eligibility
            assert later is False
        loan = _loan(s, uscc, last - dt.timedelta(days=120))
        assert loan["relending_eligible"] is True

    warn_day = last - dt.timedelta(days=90)
    with unit_of_work(d["engine"]) as s:
        found = qualifications.expiring_certificates(s, on=warn_day)
        mine = [i for i in found["items"] if i["uscc"] == uscc and i["qualification"] == "high_tech"]
        assert len(mine) == 1 and mine[0]["days_left"] == 90 and mine[0]["banks"] == [BANK]
        assert mine[0]["name"] == feats["name"].item()  # the registry's name
        assert all(i["days_left"] <= 90 for i in found["items"])
        early = qualifications.expiring_certificates(s, on=warn_day - dt.timedelta(days=1))
        assert not [i for i in early["items"] if i["uscc"] == uscc and i["qualification"] == "high_tech"]
        assert qualifications.raise_expiry_alerts(s, on=warn_day) >= 1
        assert qualifications.raise_expiry_alerts(s, on=warn_day + dt.timedelta(days=1)) == 0  # once per loan
        alerts = [a for a in coordination.alerts_for_bank(s, BANK) if a["rule_id"] == qualifications.RULE_ID]
        assert [a["loan_id"] for a in alerts if a["uscc"] == uscc] == [loan["id"]]

    out = json.loads(run("qualifications", "expiring", "--on", warn_day, "--format", "json", "--database", d["db"]))
    assert any(i["uscc"] == uscc and i["days_left"] == 90 for i in out["items"])
    text = run("qualifications", "show", uscc, "--on", last, "--database", d["db"])
    assert "High-tech enterprise" in text and f"last valid day {last}" in text and "0 day(s) left" in text
    run("qualifications", "expiring", "--within", "-3", "--database", d["db"], code=2)
    run("qualifications", "expiring", "--on", "2026-13-01", "--database", d["db"], code=2)

    users = {u[0]: u for u in seed_demo_users(d["engine"])}
    settings = Settings(database_url=d["db"], secret_key="q-secret-" + "k" * 32, cookie_secure=False)
    with TestClient(create_app(settings, loader=lambda: features_as_of(d["engine"]))) as client:
        def h(name: str) -> dict[str, str]:
            r = client.post("/api/v1/auth/token", json={"username": name, "password": users[name][1]})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        office, bank_b = h("coordinator"), h("bank_b_officer")
        r = client.get("/api/v1/qualifications/expiring", params={"on": warn_day.isoformat()}, headers=office)
        assert r.status_code == 200 and any(i["uscc"] == uscc for i in r.json()["items"])
        r = client.get("/api/v1/qualifications/expiring", params={"on": warn_day.isoformat()}, headers=bank_b)
        assert r.status_code == 200 and not [i for i in r.json()["items"] if i["uscc"] == uscc]  # not its borrower
        for bad in ("1e30", "NaN", "abc", "-1"):
            r = client.get("/api/v1/qualifications/expiring", params={"within": bad}, headers=office)
            assert r.status_code == 422 and "within" in r.text
        r = client.get(f"/api/v1/enterprises/{uscc}/certificates", params={"on": last.isoformat()}, headers=office)
        assert r.status_code == 200
        ht = [c for c in r.json()["certificates"] if c["qualification"] == "high_tech"]
        assert ht[0]["valid_until"] == last.isoformat() and ht[0]["valid"] is True and ht[0]["days_left"] == 0
        r = client.get(f"/api/v1/enterprises/{uscc}/certificates", headers=bank_b)
        assert r.status_code in (403, 404)  # no ground to see this firm's S&T data


def test_the_demo_district_warns_its_banks_of_lapsing_certificates(district: dict[str, Any]) -> None:
    """What ``make run`` loads: the demo year's end (2026-06-30) raises the expiry warning on the loans of firms
    whose certificate lapses within 90 days; every alert names a certificate that does."""
    from innocredit.services.demo import load_demo
    from innocredit.services.feeds import loans_as_of
    from innocredit.synthetic.coordination import DEMO_AS_OF

    d = district
    counts = load_demo(d["engine"], features_as_of(d["engine"]), 5, loans=loans_as_of(d["engine"]),
                       lending_states=False)
    assert counts["qualification_alerts"] > 0
    with unit_of_work(d["engine"]) as s:
        expected = qualifications.expiring_certificates(s, on=DEMO_AS_OF)
        lapsing = {(i["uscc"], i["certificate_no"]) for i in expected["items"]}
        banks = set(qualifications.outstanding_loans(s)["bank_id"].to_list())
        stored = [a for bank in sorted(banks) for a in coordination.alerts_for_bank(s, bank)
                  if a["rule_id"] == qualifications.RULE_ID]
    assert len(stored) == counts["qualification_alerts"]
    for a in stored:
        ev = a["evidence"] if isinstance(a["evidence"], dict) else json.loads(a["evidence"])
        assert (a["uscc"], ev["certificate_no"]) in lapsing
        assert 0 <= (dt.date.fromisoformat(ev["valid_until"]) - DEMO_AS_OF).days <= 90
