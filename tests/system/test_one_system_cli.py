"""The same paths as test_one_system_api.py, through the command line on an ingested demo district, on SQLite and
PostgreSQL: ``innocredit loans ...`` answers pushes, pledges patents, names guarantors, and the office's
``innocredit metrics`` counts what the bank lent."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.services import coordination, ip
from innocredit.services.database import make_engine, unit_of_work
from innocredit.services.feeds import features_as_of, patents_as_of

runner = CliRunner()
BANK_A, BANK_B = "bank-hz-01", "bank-hz-02"
TODAY = dt.date.today().isoformat()


def run(*args: str, code: int = 0) -> Any:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == code, f"{args}: {res.output}"
    if code == 0 and "--format" in args and "json" in args:
        return json.loads(res.stdout)
    return res.output


@pytest.fixture
def district(db_url: str, tmp_path: Path) -> dict[str, Any]:
    feeds = tmp_path / "demo"
    run("demo-data", feeds, "--enterprises", "300", "--seed", "5")
    run("ingest", feeds, "--database", db_url)
    run("orgs", "add", "guar-e2e", "--kind", "guarantor", "--name-zh", "担保", "--name-en", "Guarantor",
        "--database", db_url)
    engine = make_engine(db_url)
    feats = features_as_of(engine)
    patents = patents_as_of(engine)
    engine.dispose()
    return {"db": db_url, "features": feats, "patents": patents, "tmp": tmp_path}


def _loans(d: dict[str, Any], *args: str, code: int = 0) -> Any:
    return run("loans", *args, "--db", d["db"], "--format", "json", code=code)


def _approved(d: dict[str, Any], uscc: str, product: str, amount: str, bank: str = BANK_A) -> str:
    app_id = _loans(d, "apply", "--bank", bank, "--uscc", uscc, "--product", product, "--amount", amount,
                    "--term", "12", "--actor", "officer1")["id"]
    _loans(d, "review", app_id, "--bank", bank, "--reviewer", "officer1")
    assert _loans(d, "approve", app_id, "--bank", bank, "--approver", "approver1")["status"] == "approved"
    return app_id


def _metrics(d: dict[str, Any]) -> dict[str, Any]:
    return run("metrics", "--as-of", TODAY, "--database", d["db"], "--format", "json")["groups"][0]


def _push(d: dict[str, Any], uscc: str) -> dict[str, Any]:
    with unit_of_work(make_engine(d["db"])) as s:
        return [p for p in coordination.all_pushes(s) if p["uscc"] == uscc][-1]


def test_cli_pushed_firm_and_a_firm_that_was_not_pushed(district: dict[str, Any]) -> None:
    d = district
    items = d["tmp"] / "items.csv"
    firms = d["features"]["uscc"].to_list()[:80]
    items.write_text("uscc,requested_amount,requested_term_months,loan_purpose,fixed_premises\n"
                     + "".join(f"{u},1000000,12,rd,true\n" for u in firms), encoding="utf-8")
    lst = run("lists", "create", "--name", "e2e", "--items", items, "--database", d["db"], "--format", "json")
    screened = run("lists", "screen", lst["id"], "--database", d["db"], "--format", "json")
    reco_id = screened["recommendation_list"]["id"]
    pushed = run("lists", "push", reco_id, "--banks", BANK_A, "--database", d["db"], "--format", "json")
    firm = pushed[0]["uscc"]
    other = next(u for u in d["features"]["uscc"].to_list() if u not in {p["uscc"] for p in pushed})
    before = _metrics(d)

    app_id = _approved(d, firm, "new_quality_credit", "1000000")
    assert _push(d, firm)["status"] == "accepted"
    loan = _loans(d, "contract", app_id, "--bank", BANK_A, "--actor", "officer1", "--rate", "0.0345")
    assert _push(d, firm)["status"] == "credit_granted"
    loan = _loans(d, "disburse", loan["id"], "--bank", BANK_A, "--actor", "officer1")
    push = _push(d, firm)
    assert push["status"] == "disbursed" and loan["push_id"] == push["push_id"]

    other_app = _approved(d, other, "new_quality_credit", "700000")
    other_loan = _loans(d, "contract", other_app, "--bank", BANK_A, "--actor", "officer1", "--rate", "0.04")
    _loans(d, "disburse", other_loan["id"], "--bank", BANK_A, "--actor", "officer1")
    after = _metrics(d)
    assert after["loans_count"] == before["loans_count"] + 2
    assert after["loans_amount"] == pytest.approx(before["loans_amount"] + 1_700_000)
    assert after["recommended_firms_disbursed"] == before["recommended_firms_disbursed"] + 1


def test_cli_ip_pledge_loan_pledges_the_patents_on_record(district: dict[str, Any]) -> None:
    d = district
    counts = d["patents"].group_by("uscc").len().filter(pl.col("len") >= 2).sort("uscc")
    firm = counts["uscc"][0]
    on_record = set(d["patents"].filter(pl.col("uscc") == firm)["patent_id"].to_list())
    app_id = _approved(d, firm, "ip_pledge_loan", "500000")
    loan = _loans(d, "contract", app_id, "--bank", BANK_A, "--actor", "officer1", "--rate", "0.04")
    shown = _loans(d, "show", loan["id"], "--bank", BANK_A)
    pledged = {p["patent_id"] for p in shown["pledges"]}
    assert pledged and pledged <= on_record and {p["pledgee"] for p in shown["pledges"]} == {BANK_A}
    _loans(d, "disburse", loan["id"], "--bank", BANK_A, "--actor", "officer1")

    # bank B's contract on one of those patents is refused with the patent and its pledgee named
    app_b = _approved(d, firm, "ip_pledge_loan", "200000", bank=BANK_B)
    patent = sorted(pledged)[0]
    out = _loans(d, "contract", app_b, "--bank", BANK_B, "--actor", "officer2", "--rate", "0.04",
                 "--patent", patent, code=2)
    assert patent in out and BANK_A in out

    # settle (the whole schedule), close: the pledges are released in the registry
    rows = _loans(d, "schedule", loan["id"], "--bank", BANK_A)
    owed = sum(Decimal(str(r["payment"])) for r in rows)
    assert _loans(d, "repay", loan["id"], "--bank", BANK_A, "--amount", str(owed), "--actor", "o")["status"] == "repaid"
    assert _loans(d, "close", loan["id"], "--bank", BANK_A, "--actor", "o")["status"] == "closed"
    with unit_of_work(make_engine(d["db"])) as s:
        assert {p["status"] for p in ip.loan_pledges(s, loan_id=loan["id"])} == {"released"}


def test_cli_guaranteed_loan_names_its_guarantor(district: dict[str, Any]) -> None:
    d = district
    firm = d["features"]["uscc"].to_list()[5]
    app_id = _approved(d, firm, "guaranteed_tech_loan", "1500000")
    bad = _loans(d, "contract", app_id, "--bank", BANK_A, "--actor", "o", "--rate", "0.036",
                 "--guarantee-scheme", "anhui_4321", "--guarantor", "nobody", code=2)
    assert "guarantor_org_id" in bad
    refused = _loans(d, "contract", app_id, "--bank", BANK_A, "--actor", "o", "--rate", "0.036",
                     "--guarantee-scheme", "anhui_4321", "--guarantor", "guar-e2e", code=2)
    assert "no approved guarantee request" in refused  # the guarantor decides first
    req = _loans(d, "guarantee-request", app_id, "--bank", BANK_A, "--actor", "o", "--scheme", "anhui_4321",
                 "--guarantor", "guar-e2e")
    assert [r["id"] for r in _loans(d, "guarantee-requests", "--guarantor", "guar-e2e", "--status", "open")] \
        == [req["id"]]
    bad_fee = _loans(d, "guarantee-decide", req["id"], "--guarantor", "guar-e2e", "--actor", "g", "--approve",
                     "--fee-rate", "NaN", code=2)
    assert "fee_rate" in bad_fee
    decided = _loans(d, "guarantee-decide", req["id"], "--guarantor", "guar-e2e", "--actor", "g", "--approve",
                     "--fee-rate", "0.009")
    assert decided["status"] == "approved"
    loan = _loans(d, "contract", app_id, "--bank", BANK_A, "--actor", "o", "--rate", "0.036",
                  "--guarantee-scheme", "anhui_4321", "--guarantor", "guar-e2e")
    shown = _loans(d, "show", loan["id"], "--bank", BANK_A)
    assert {g["party_id"]: g["org_id"] for g in shown["guarantees"]}["guarantor"] == "guar-e2e"
    # the approved 0.9% on the whole principal, 12 months: 1,500,000 x 0.9% = 13,500.00
    assert {g["party_id"]: Decimal(str(g["fee"])) for g in shown["guarantees"]}["guarantor"] == Decimal("13500.00")
    assert shown["guarantor_org_id"] == "guar-e2e"
