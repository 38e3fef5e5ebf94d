"""One loan's path through the whole system, through the REST API, on SQLite and PostgreSQL.

A pushed firm, a firm the bank found itself, an IP pledge loan and a guaranteed loan: after disbursement the
office's metrics count the loan, the push shows ``disbursed``, the pledges or guarantees exist; settling and
closing releases the pledges; a second bank's pledge of the same patents is refused, naming patent and pledgee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from innocredit.services import platform
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.synthetic import feature_table, generate_feeds
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.demo import pick_enterprise, seed_demo_users

N, SEED = 400, 23
BANK_A, BANK_B, GUARANTOR = "bank-hz-01", "bank-hz-02", "guar-hz"
TODAY = dt.date.today()
ALL_CATEGORIES = ["registry", "tax", "social_insurance", "ip", "science_tech", "courts", "bank_history",
                  "financing_request"]


class System:
    def __init__(self, client: TestClient, users: dict[str, tuple], features: pl.DataFrame, patents: pl.DataFrame,
                 ent: str) -> None:
        self.client, self.users, self.features, self.patents, self.ent = client, users, features, patents, ent
        self._tokens: dict[str, str] = {}

    def h(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": username,
                                                             "password": self.users[username][1]})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def call(self, method: str, path: str, user: str, expect: int = 200, **kw: Any) -> Any:
        r = self.client.request(method, f"/api/v1{path}", headers=self.h(user), **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def metrics(self) -> dict[str, Any]:
        return self.call("GET", "/metrics", "coordinator", params={"as_of": TODAY.isoformat()})["groups"][0]

    def push_of(self, uscc: str) -> dict[str, Any] | None:
        items = self.call("GET", "/pushes", "coordinator", params={"size": 500})["items"]
        mine = [p for p in items if p["uscc"] == uscc]
        return mine[-1] if mine else None

    def consent(self, bank: str) -> None:
        self.call("POST", "/consents", "enterprise", 201, json={
            "bank_id": bank, "categories": ALL_CATEGORIES,  # an application reads every category (item 2)
            "valid_until": (dt.datetime.now(dt.UTC) + dt.timedelta(days=200)).isoformat()})

    def approved(self, uscc: str, product: str, amount: str, officer: str = "bank_a_officer",
                 approver: str = "bank_a_approver") -> str:
        app = self.call("POST", "/applications", officer, 201, json={
            "uscc": uscc, "product_id": product, "amount": amount, "term_months": 12})
        self.call("POST", f"/applications/{app['id']}/review", officer)
        out = self.call("POST", f"/applications/{app['id']}/approve", approver, json={"note": "ok"})
        assert out["status"] == "approved"
        return app["id"]

    def settle(self, loan_id: str, officer: str = "bank_a_officer") -> dict[str, Any]:
        rows = self.call("GET", f"/loans/{loan_id}/schedule", officer, params={"size": 100})["items"]
        owed = sum(Decimal(str(r["payment"])) for r in rows)
        return self.call("POST", f"/loans/{loan_id}/repayments", officer, json={"amount": str(owed)})


@pytest.fixture
def system(db_url: str, tmp_path: Path) -> Iterator[System]:
    engine = make_engine(db_url)
    migrate(engine)
    features = feature_table(N, SEED).with_columns(pl.lit("active").alias("registry_status"))
    patents = generate_feeds(N, SEED)["ip_office"]
    with_patents = set(patents.group_by("uscc").len().filter(pl.col("len") >= 3)["uscc"].to_list())
    ent, name = pick_enterprise(features.filter(pl.col("uscc").is_in(with_patents)))
    users = seed_demo_users(engine, ent, name)
    with unit_of_work(engine) as session:  # a second guarantor organisation with its own user
        platform.create_organisation(session, "guar-2", "guarantor", "第二担保", "Second guarantor")
        platform.create_user(session, "guarantor2", "second-guarantor-pw", "guarantor", "guar-2")
    users.append(("guarantor2", "second-guarantor-pw", "guarantor", "guar-2"))
    engine.dispose()
    settings = Settings(database_url=db_url, secret_key="e2e-secret-" + "k" * 32, cookie_secure=False)
    app = create_app(settings, loader=lambda: features, patents_loader=lambda: patents)
    with TestClient(app) as client:
        yield System(client, {u[0]: u for u in users}, features, patents, ent)


def _push_firms(s: System, usccs: list[str]) -> list[str]:
    """The office lists, screens, recommends and pushes firms to bank A; the firms pushed."""
    lst = s.call("POST", "/lists", "coordinator", 201, json={"name": "e2e visits"})
    s.call("POST", f"/lists/{lst['id']}/items", "coordinator", 201, json={"items": [
        {"uscc": u, "requested_amount": "1000000", "requested_term_months": 12, "loan_purpose": "rd",
         "fixed_premises": True}
        for u in usccs]})
    s.call("POST", f"/lists/{lst['id']}/screen", "coordinator")
    reco = s.call("POST", f"/lists/{lst['id']}/recommendations", "coordinator", 201, json={})
    pushed = s.call("POST", f"/recommendations/{reco['id']}/push", "coordinator", json={"banks": [BANK_A]})
    return [p["uscc"] for p in pushed["items"]]


def test_a_pushed_firm_answers_its_push_at_each_step_and_is_counted(system: System) -> None:
    s = system
    candidates = [u for u in s.features["uscc"].to_list() if u != s.ent][:60]
    pushed = _push_firms(s, candidates)
    assert pushed, "no firm passed the office's screening"
    firm = pushed[0]
    before = s.metrics()
    assert s.push_of(firm)["status"] == "pushed"

    app_id = s.call("POST", "/applications", "bank_a_officer", 201, json={
        "uscc": firm, "product_id": "new_quality_credit", "amount": "1000000", "term_months": 12})["id"]
    assert s.push_of(firm)["status"] == "accepted"  # the application answered the push
    s.call("POST", f"/applications/{app_id}/review", "bank_a_officer")
    s.call("POST", f"/applications/{app_id}/approve", "bank_a_approver", json={})
    loan = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201, json={"rate": "0.0345"})
    push = s.push_of(firm)
    assert push["status"] == "credit_granted" and Decimal(push["credit_amount"]) == Decimal("1000000")
    assert push["rate"] == pytest.approx(0.0345) and push["product"] == "new_quality_credit"
    loan = s.call("POST", f"/loans/{loan['id']}/disburse", "bank_a_officer", json={})
    push = s.push_of(firm)
    assert push["status"] == "disbursed" and Decimal(push["disbursed_amount"]) == Decimal("1000000")
    assert loan["push_id"] == push["push_id"] and loan["origin"] == "platform"

    after = s.metrics()
    assert after["loans_count"] == before["loans_count"] + 1
    assert after["loans_amount"] == pytest.approx(before["loans_amount"] + 1_000_000)
    assert after["recommended_firms_disbursed"] == before["recommended_firms_disbursed"] + 1
    # the points distribution is computed, not "unknown" for every firm
    assert after["points_unknown"] < after["active_small_firms"]


def test_a_rejection_answers_declined_with_its_reason(system: System) -> None:
    s = system
    firm = _push_firms(s, [u for u in s.features["uscc"].to_list() if u != s.ent][:60])[0]
    app_id = s.call("POST", "/applications", "bank_a_officer", 201, json={
        "uscc": firm, "product_id": "new_quality_credit", "amount": "500000", "term_months": 12})["id"]
    s.call("POST", f"/applications/{app_id}/review", "bank_a_officer")
    bad = s.call("POST", f"/applications/{app_id}/reject", "bank_a_approver", 422,
                 json={"reason": "x", "reason_code": "D77"})
    assert "reason_code" in bad["detail"]
    s.call("POST", f"/applications/{app_id}/reject", "bank_a_approver",
           json={"reason": "cash flow too thin", "reason_code": "D02"})
    push = s.push_of(firm)
    assert push["status"] == "declined" and push["decline_code"] == "D02"


def test_a_firm_that_was_not_pushed_is_counted_too(system: System) -> None:
    s = system
    s.consent(BANK_A)
    before = s.metrics()
    app_id = s.approved(s.ent, "new_quality_credit", "800000")
    loan = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201, json={"rate": "0.038"})
    s.call("POST", f"/loans/{loan['id']}/disburse", "bank_a_officer", json={})
    assert s.push_of(s.ent) is None
    after = s.metrics()
    assert after["loans_count"] == before["loans_count"] + 1
    assert after["recommended_firms_disbursed"] == before["recommended_firms_disbursed"]
    # the office sees the loan in the one register; the bank's portfolio lists it once
    loans = s.call("GET", "/loans", "bank_a_officer", params={"size": 200})["items"]
    assert [x["id"] for x in loans].count(loan["id"]) == 1


def test_an_ip_pledge_loan_pledges_its_patents_and_settling_releases_them(system: System) -> None:
    s = system
    s.consent(BANK_A)
    s.consent(BANK_B)
    patents = s.patents.filter(pl.col("uscc") == s.ent)["patent_id"].to_list()[:2]
    app_id = s.approved(s.ent, "ip_pledge_loan", "600000")
    loan = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201,
                  json={"rate": "0.04", "pledged_patents": patents})
    pledges = s.call("GET", f"/loans/{loan['id']}/pledges", "bank_a_officer")
    assert sorted(p["patent_id"] for p in pledges) == sorted(patents)
    assert {p["pledgee"] for p in pledges} == {BANK_A} and {p["status"] for p in pledges} == {"active"}
    s.call("POST", f"/loans/{loan['id']}/disburse", "bank_a_officer", json={})

    # bank B tries to take the same patents: refused, naming the patent and its pledgee; nothing is written
    app_b = s.approved(s.ent, "ip_pledge_loan", "300000", "bank_b_officer", "bank_b_approver")
    refused = s.call("POST", f"/applications/{app_b}/contract", "bank_b_officer", 409,
                     json={"rate": "0.04", "pledged_patents": patents[:1]})
    assert patents[0] in refused["detail"] and BANK_A in refused["detail"]
    assert s.call("GET", f"/applications/{app_b}", "bank_b_officer")["status"] == "approved"

    # settlement releases the pledges; closing keeps them released; then bank B may pledge them
    assert s.settle(loan["id"])["status"] == "repaid"
    assert {p["status"] for p in s.call("GET", f"/loans/{loan['id']}/pledges", "bank_a_officer")} == {"released"}
    assert s.call("POST", f"/loans/{loan['id']}/close", "bank_a_officer")["status"] == "closed"
    loan_b = s.call("POST", f"/applications/{app_b}/contract", "bank_b_officer", 201,
                    json={"rate": "0.04", "pledged_patents": patents[:1]})
    assert [p["pledgee"] for p in s.call("GET", f"/loans/{loan_b['id']}/pledges", "bank_b_officer")] == [BANK_B]


def test_a_guaranteed_loan_names_its_guarantor_organisation(system: System) -> None:
    s = system
    s.consent(BANK_A)
    before = s.metrics()
    app_id = s.approved(s.ent, "guaranteed_tech_loan", "2000000")
    bad = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 422, json={
        "rate": "0.036", "guarantee_scheme": "anhui_4321", "guarantor_org_id": BANK_B})
    assert "guarantor_org_id" in bad["detail"]
    refused = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 409, json={
        "rate": "0.036", "guarantee_scheme": "anhui_4321", "guarantor_org_id": GUARANTOR})
    assert "no approved guarantee request" in refused["detail"]  # the guarantor organisation decides first
    req = s.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 201, json={
        "scheme_id": "anhui_4321", "guarantor_org_id": GUARANTOR})
    s.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", json={
        "decision": "approve", "fee_rate": "0.01"})
    loan = s.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201, json={
        "rate": "0.036", "guarantee_scheme": "anhui_4321", "guarantor_org_id": GUARANTOR})
    assert loan["guarantor_org_id"] == GUARANTOR and loan["unsecured"] is False
    s.call("POST", f"/loans/{loan['id']}/disburse", "bank_a_officer", json={})
    parties = {g["party_id"]: g for g in s.call("GET", f"/loans/{loan['id']}/guarantees", "bank_a_officer")}
    assert parties["guarantor"]["org_id"] == GUARANTOR and parties["bank"]["org_id"] == BANK_A
    # the guarantee fee: 1% a year on the guaranteed amount (the whole principal), 12 months:
    # 2,000,000 x 1% x 12/12 = 20,000 (the rate the guarantor approved, anhui_4321's cap)
    assert Decimal(str(parties["guarantor"]["fee"])) == Decimal("20000.00")
    # the guarantor organisation sees the loan it guarantees
    seen = s.call("GET", "/loans", "guarantor", params={"size": 200})["items"]
    assert loan["id"] in {x["id"] for x in seen}
    # another guarantor organisation sees none of it (guarantors are isolated by organisation, issue 14 item 4)
    other = s.call("GET", "/loans", "guarantor2", params={"size": 200})["items"]
    assert loan["id"] not in {x["id"] for x in other}
    s.call("GET", f"/loans/{loan['id']}", "guarantor2", 404)
    s.call("GET", f"/loans/{loan['id']}/guarantees", "guarantor2", 404)
    assert s.call("GET", f"/loans/{loan['id']}", "guarantor")["guarantor_org_id"] == GUARANTOR
    after = s.metrics()
    assert after["loans_count"] == before["loans_count"] + 1
    # a guaranteed loan is not unsecured: the unsecured amount stays, the loans amount grows
    unsecured = [(g["unsecured_share_amount"] or 0.0) * g["loans_amount"] for g in (before, after)]
    assert unsecured[1] == pytest.approx(unsecured[0])
    assert after["loans_amount"] == pytest.approx(before["loans_amount"] + 2_000_000)


def test_a_loan_reported_by_hand_is_in_the_register_and_the_banks_list(system: System) -> None:
    """A bank answers a push 'disbursed' for a loan made outside the platform: the loan enters the one register
    (origin push_answer, no application), the metrics count it and the bank's loan list shows it."""
    s = system
    firm = _push_firms(s, [u for u in s.features["uscc"].to_list() if u != s.ent][:60])[0]
    push_id = s.push_of(firm)["push_id"]
    before = s.metrics()
    s.call("POST", f"/pushes/{push_id}/answer", "bank_a_officer", json={"kind": "accepted"})
    s.call("POST", f"/pushes/{push_id}/answer", "bank_a_officer", json={
        "kind": "credit_granted", "amount": "900000", "rate": 0.039, "product": "credit", "secured": False})
    s.call("POST", f"/pushes/{push_id}/answer", "bank_a_officer", json={"kind": "disbursed", "amount": "900000"})
    loans = s.call("GET", "/loans", "bank_a_officer", params={"size": 100})["items"]
    mine = [x for x in loans if x["uscc"] == firm]
    assert len(mine) == 1 and mine[0]["origin"] == "push_answer" and mine[0]["application_id"] is None
    assert mine[0]["push_id"] == push_id and Decimal(str(mine[0]["principal"])) == Decimal("900000")
    after = s.metrics()
    assert after["loans_count"] == before["loans_count"] + 1
    assert after["unsecured_share_amount"] > 0  # reported unsecured
