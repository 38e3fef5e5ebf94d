"""The guarantor's decision on a guarantee request and the 代偿 path, on SQLite and PostgreSQL.

A bank requests a guarantee for an approved application; a guarantor user of the named organisation approves it
with a fee rate (at most the scheme's cap) or declines it with a reason code; a guaranteed contract needs that
approval and charges the approved rate. A default records what the guarantor owes by the scheme's timeline; the
guarantor records its payment, late or not. Through the services, the REST API, and two deciders at once on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from innocredit.lending.lifecycle import LifecycleError
from innocredit.lending.schema import load_policy
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending as svc
from innocredit.services import platform
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.storage import lending as repo
from innocredit.storage.base import UnitOfWork
from innocredit.storage.core import Organisation
from innocredit.synthetic import feature_table
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.demo import seed_demo_users

USCC = make_uscc("91330106MA2BBBBB0")
POLICY = load_policy(env={})  # second approver above 5,000,000
MON = dt.date(2025, 3, 3)
BANK, GUAR, GUAR2 = "bank_a", "guar-a", "guar-b"


def _orgs(s: Any) -> None:
    s.add(Organisation(id=BANK, kind="bank", name_zh="A", name_en="A"))
    for oid in (GUAR, GUAR2):
        s.add(Organisation(id=oid, kind="guarantor", name_zh=oid, name_en=oid))
    s.flush()


def _approved(s: Any, amount: int = 1_500_000, term: int = 12, uscc: str = USCC) -> dict[str, Any]:
    app = svc.apply(s, bank_id=BANK, uscc=uscc, product_id="new_quality_credit", amount=amount, term_months=term,
                    actor="officer", on=MON, policy=POLICY)
    svc.review(s, BANK, app["id"], "reviewer1")
    return svc.approve(s, BANK, app["id"], "approver1", on=MON, policy=POLICY)


@pytest.fixture
def eng(db_url: str) -> Iterator[Any]:
    engine = make_engine(db_url)
    migrate(engine)
    with UnitOfWork(engine) as uow:
        _orgs(uow.session)
    try:
        yield engine
    finally:
        engine.dispose()


def test_request_approve_contract_charges_the_approved_rate(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR,
                                    guaranteed_amount="1200000", on=MON)
        assert req["status"] == "open" and req["amount"] == Decimal("1500000.00")
        assert req["guaranteed_amount"] == Decimal("1200000.00") and req["term_months"] == 12
        out = svc.decide_guarantee(s, GUAR, req["id"], "guar_user", decision="approve", fee_rate="0.008", on=MON)
        assert out["status"] == "approved" and out["fee_rate"] == Decimal("0.008") and out["decided_by"] == "guar_user"
        assert svc.get_application(s, BANK, app["id"])["status"] == "approved"
        loan = svc.contract(s, BANK, app["id"], "officer", rate="0.036", guarantee_scheme="zhejiang_tech", on=MON)
        assert loan["guarantor_org_id"] == GUAR  # taken from the approved request
        fees = {g["party_id"]: g["fee"] for g in svc.guarantees(s, BANK, loan["id"])}
        # the guarantee fee on the guaranteed amount at the approved rate: 1,200,000 x 0.8% x 12/12 = 9,600.00
        # (not the scheme's default 0.8% on the principal: 1,500,000 x 0.8% = 12,000); re-guarantee fees on each
        # party's share of the principal at the small-guarantee rate (guaranteed <= 5,000,000): 1,500,000 x 20% x
        # 0.3% = 900.00 for the provincial group and the same for the national fund
        assert fees == {"guarantor": Decimal("9600.00"), "provincial_reguarantor": Decimal("900.00"),
                        "national_fund": Decimal("900.00"), "bank": Decimal("0.00")}
        assert svc.guarantee_requests(s, role="guarantor", org_id=GUAR)[0]["loan_id"] == loan["id"]
    with UnitOfWork(eng) as uow:
        actions = [e["action"] for e in svc.audit_entries(uow.session, BANK, app["id"])]
        assert actions == ["create", "submit", "start_review", "approve", "guarantee_request", "guarantee_approve",
                           "contract"]
        approve_entry = [e for e in svc.audit_entries(uow.session, BANK, app["id"])
                         if e["action"] == "guarantee_approve"][0]
        assert approve_entry["actor"] == "guar_user" and approve_entry["details"]["fee_rate"] == "0.008"
        assert svc.verify_audit_chain(uow.session).ok


def test_contract_refused_without_an_approved_request(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s)
        with pytest.raises(LifecycleError, match="no approved guarantee request") as exc:
            svc.contract(s, BANK, app["id"], "officer", rate="0.036", guarantee_scheme="zhejiang_tech",
                         guarantor_org_id=GUAR, on=MON)
        assert exc.value.code == "guarantee_not_approved"
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        with pytest.raises(LifecycleError, match="no approved guarantee request"):  # open, not yet approved
            svc.contract(s, BANK, app["id"], "officer", rate="0.036", guarantee_scheme="zhejiang_tech",
                         guarantor_org_id=GUAR, on=MON)
        svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate="0.01")
        with pytest.raises(LifecycleError, match="no approved guarantee request"):  # another scheme
            svc.contract(s, BANK, app["id"], "officer", rate="0.036", guarantee_scheme="tech_special_2024",
                         guarantor_org_id=GUAR, on=MON)
        with pytest.raises(LifecycleError, match="no approved guarantee request"):  # another guarantor
            svc.contract(s, BANK, app["id"], "officer", rate="0.036", guarantee_scheme="zhejiang_tech",
                         guarantor_org_id=GUAR2, on=MON)
        # without a guarantee the contract stays possible (the product is not a guaranteed one)
        assert svc.get_application(s, BANK, app["id"])["status"] == "approved"


def test_decline_leaves_the_application_approved_and_another_guarantor_may_be_asked(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        with pytest.raises(LifecycleError, match="already has a guarantee request open"):  # one open at a time
            svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR2)
        with pytest.raises(ValueError, match="reason_code"):
            svc.decide_guarantee(s, GUAR, req["id"], "g", decision="decline", reason_code="D01")
        out = svc.decide_guarantee(s, GUAR, req["id"], "g", decision="decline", reason_code="G03",
                                   note="no counter-guarantee")
        assert out["status"] == "declined" and out["reason_code"] == "G03" and out["fee_rate"] is None
        assert svc.get_application(s, BANK, app["id"])["status"] == "approved"
        again = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech",
                                      guarantor_org_id=GUAR2)
        assert again["status"] == "open" and again["guarantor_org_id"] == GUAR2
        codes = {r["code"]: r for r in svc.guarantee_decline_reasons()}
        assert codes["G03"]["name_zh"] == "反担保措施不足" and codes["G03"]["name_en"] == "Insufficient counter-guarantee"


def test_fee_above_the_cap_other_guarantor_and_second_decision_are_refused(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        # zhejiang_tech: guarantee_fee.max_rate 0.01 (policy guarantees at most 1% a year)
        with pytest.raises(ValueError, match=r"fee_rate: 0.0101 is above the cap of 0.01"):
            svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate="0.0101")
        for bad in ("NaN", "1e30", "abc", "-0.001", ""):
            with pytest.raises(ValueError, match="fee_rate"):
                svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate=bad)
        with pytest.raises(svc.NotFound):  # another guarantor organisation does not see the request
            svc.decide_guarantee(s, GUAR2, req["id"], "g2", decision="approve", fee_rate="0.005")
        assert svc.guarantee_requests(s, role="guarantor", org_id=GUAR2) == []
        assert repo.get_guarantee_request(s, req["id"]).status == "open"  # the refusals wrote nothing
        svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate="0.01")  # the cap itself is fine
        with pytest.raises(LifecycleError, match="already approved") as exc:
            svc.decide_guarantee(s, GUAR, req["id"], "g", decision="decline", reason_code="G01")
        assert exc.value.code == "guarantee_decided"


def test_request_checks_state_scheme_guarantor_and_caps(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = svc.apply(s, bank_id=BANK, uscc=USCC, product_id="new_quality_credit", amount=1_000_000,
                        term_months=12, actor="officer", on=MON, policy=POLICY)
        with pytest.raises(LifecycleError, match="approved application"):
            svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        ok = _approved(s, uscc=make_uscc("91330106MA2CCCCC0"))
        with pytest.raises(ValueError, match="scheme_id"):
            svc.request_guarantee(s, BANK, ok["id"], "officer", scheme_id="tech_risk_pool", guarantor_org_id=GUAR)
        with pytest.raises(ValueError, match="guarantor_org_id"):
            svc.request_guarantee(s, BANK, ok["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=BANK)
        with pytest.raises(ValueError, match="guaranteed_amount"):
            svc.request_guarantee(s, BANK, ok["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR,
                                  guaranteed_amount="1500000.01")
        with pytest.raises(svc.NotFound):  # another bank's application
            svc.request_guarantee(s, "bank_b", ok["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        # zhejiang_tech caps a firm's in-force guaranteed balance at 10,000,000: a contracted 9,000,000 guaranteed
        # loan of the firm leaves room for 1,000,000, not for 1,500,000
        big_firm = make_uscc("91330106MA2DDDDD0")
        big = _approved(s, amount=9_000_000, uscc=big_firm)
        svc.approve(s, BANK, big["id"], "approver2", on=MON, policy=POLICY)  # above 5,000,000: four-eyes twice
        r = svc.request_guarantee(s, BANK, big["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        svc.decide_guarantee(s, GUAR, r["id"], "g", decision="approve", fee_rate="0.008")
        svc.contract(s, BANK, big["id"], "officer", rate="0.036", guarantee_scheme="zhejiang_tech", on=MON)
        more = _approved(s, amount=1_500_000, uscc=big_firm)
        with pytest.raises(ValueError, match="10000000"):
            svc.request_guarantee(s, BANK, more["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        fits = _approved(s, amount=1_000_000, uscc=big_firm)
        assert svc.request_guarantee(s, BANK, fits["id"], "officer", scheme_id="zhejiang_tech",
                                     guarantor_org_id=GUAR)["status"] == "open"


def test_one_open_request_per_application_is_a_database_rule(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        app_id = app["id"]
    # behind the use case's back: a second open row for the same application
    with pytest.raises(IntegrityError), UnitOfWork(eng) as uow:
        row = repo.get_guarantee_request(uow.session, req["id"])
        uow.session.add(repo.GuaranteeRequest(
            id="dup", application_id=app_id, bank_id=BANK, uscc=USCC, scheme_id="zhejiang_tech",
            guarantor_org_id=GUAR2, amount_fen=row.amount_fen, guaranteed_fen=row.guaranteed_fen,
            term_months=12, status="open", requested_by="x", requested_on=MON))
        uow.session.flush()
    with UnitOfWork(eng) as uow:  # a declined request does not block: only open ones are unique
        uow.session.add(repo.GuaranteeRequest(
            id="old", application_id=app_id, bank_id=BANK, uscc=USCC, scheme_id="zhejiang_tech",
            guarantor_org_id=GUAR2, amount_fen=1, guaranteed_fen=1, term_months=12, status="declined",
            requested_by="x", requested_on=MON))


def test_default_records_the_compensation_due_and_the_guarantor_pays_late(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s, amount=1_000_000)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="zhejiang_tech", guarantor_org_id=GUAR)
        svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate="0.008")
        loan = svc.contract(s, BANK, app["id"], "officer", rate="0.036", method="interest_only",
                            guarantee_scheme="zhejiang_tech", on=MON)
        svc.disburse(s, BANK, loan["id"], "officer", on=MON)
        svc.update_delinquency(s, BANK, dt.date(2025, 5, 5))  # first instalment due 3 April 2025, unpaid
        res = svc.default(s, BANK, loan["id"], "approver1", on=dt.date(2025, 5, 5))
        comp = res["compensation"]
        # zhejiang_tech on a loss of 1,000,000: guarantor 40%, provincial group 20%, fund 20%, bank 20%; the bank
        # claims the loss less its own 200,000 = 800,000, 90 days after 3 April = 2 July 2025 (after the default);
        # the guarantor pays within 30 days: by 1 August 2025
        assert comp["due"] == Decimal("800000.00") and comp["own_share"] == Decimal("400000.00")
        assert comp["claim_on"] == dt.date(2025, 7, 2) and comp["due_on"] == dt.date(2025, 8, 1)
        assert comp["status"] == "due" and comp["guarantor_org_id"] == GUAR
        with pytest.raises(ValueError, match="amount: 400000.00 is not the 800000.00"):  # its own share only
            svc.compensate(s, GUAR, loan["id"], "g", amount="400000", on=dt.date(2025, 7, 20))
        with pytest.raises(ValueError, match="amount"):
            svc.compensate(s, GUAR, loan["id"], "g", amount="NaN")
        with pytest.raises(svc.NotFound):
            svc.compensate(s, GUAR2, loan["id"], "g2", amount="800000")
        paid = svc.compensate(s, GUAR, loan["id"], "g", amount="800000", on=dt.date(2025, 8, 4))
        assert paid["status"] == "paid" and paid["late"] is True and paid["paid"] == Decimal("800000.00")
        with pytest.raises(LifecycleError, match="already paid"):
            svc.compensate(s, GUAR, loan["id"], "g", amount="800000", on=dt.date(2025, 8, 4))
        assert svc.compensations(s, loan["id"])[0]["paid_on"] == dt.date(2025, 8, 4)
        assert svc.loan_details(s, BANK, loan["id"])["compensations"][0]["late"] is True
    with UnitOfWork(eng) as uow:
        entries = svc.audit_entries(uow.session, BANK, loan["id"])
        assert [e["action"] for e in entries][-2:] == ["default", "compensate"]
        assert entries[-1]["details"]["late"] is True and svc.verify_audit_chain(uow.session).ok


def test_compensation_on_time_is_not_late(eng: Any) -> None:
    with UnitOfWork(eng) as uow:
        s = uow.session
        app = _approved(s, amount=1_000_000)
        req = svc.request_guarantee(s, BANK, app["id"], "officer", scheme_id="anhui_4321", guarantor_org_id=GUAR)
        svc.decide_guarantee(s, GUAR, req["id"], "g", decision="approve", fee_rate="0.01")
        loan = svc.contract(s, BANK, app["id"], "officer", rate="0.036", method="interest_only",
                            guarantee_scheme="anhui_4321", on=MON)
        svc.disburse(s, BANK, loan["id"], "officer", on=MON)
        svc.update_delinquency(s, BANK, dt.date(2025, 8, 1))
        # declared 1 Sep 2025, after 3 April + 90 days: the claim is the default day, the payment due 1 Oct 2025
        comp = svc.default(s, BANK, loan["id"], "approver1", on=dt.date(2025, 9, 1))["compensation"]
        # 4321 on 1,000,000: the bank keeps 20%, the guarantor pays 800,000 and bears 400,000 itself
        assert (comp["claim_on"], comp["due_on"]) == (dt.date(2025, 9, 1), dt.date(2025, 10, 1))
        paid = svc.compensate(s, GUAR, loan["id"], "g", amount="800000.00", on=dt.date(2025, 10, 1))
        assert paid["late"] is False


# --------------------------------------------------------------------------- two deciders at once (PostgreSQL)


def test_two_guarantor_users_deciding_at_once_give_one_decision(pg_schema_url: str) -> None:
    engine = make_engine(pg_schema_url)
    migrate(engine)
    with UnitOfWork(engine) as uow:
        _orgs(uow.session)
        app = _approved(uow.session)
        req = svc.request_guarantee(uow.session, BANK, app["id"], "officer", scheme_id="zhejiang_tech",
                                    guarantor_org_id=GUAR)
    first_holds_lock = threading.Event()
    release_first = threading.Event()
    results: dict[str, Any] = {}

    def first() -> None:
        with UnitOfWork(engine) as uow:  # decides, then keeps its transaction (and the row lock) open a moment
            results["first"] = svc.decide_guarantee(uow.session, GUAR, req["id"], "g1", decision="approve",
                                                    fee_rate="0.008")
            first_holds_lock.set()
            release_first.wait(10)
        results["first_committed_at"] = time.monotonic()

    def second() -> None:
        first_holds_lock.wait(10)
        try:
            with UnitOfWork(engine) as uow:
                svc.decide_guarantee(uow.session, GUAR, req["id"], "g2", decision="decline", reason_code="G02")
            results["second"] = "decided"
        except LifecycleError as exc:
            results["second"] = exc.code
        results["second_done_at"] = time.monotonic()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_holds_lock.wait(10)
    time.sleep(0.5)  # the second is now waiting for the row lock
    assert "second" not in results
    release_first.set()
    for t in threads:
        t.join(20)
    assert results["first"]["status"] == "approved"
    assert results["second"] == "guarantee_decided"  # it waited, re-read the row and saw the decision
    assert results["second_done_at"] >= results["first_committed_at"]
    with UnitOfWork(engine) as uow:
        row = repo.get_guarantee_request(uow.session, req["id"])
        assert (row.status, row.decided_by, row.fee_rate) == ("approved", "g1", "0.008")
        actions = [e["action"] for e in svc.audit_entries(uow.session, BANK, app["id"])]
        assert actions.count("guarantee_approve") == 1 and "guarantee_decline" not in actions
        assert svc.verify_audit_chain(uow.session).ok
    engine.dispose()


# --------------------------------------------------------------------------- the REST API


class Api:
    def __init__(self, client: TestClient, users: dict[str, str], engine: Any) -> None:
        self.client, self.users, self.engine = client, users, engine
        self._tokens: dict[str, str] = {}

    def call(self, method: str, path: str, user: str, expect: int = 200, **kw: Any) -> Any:
        if user not in self._tokens:
            r = self.client.post("/api/v1/auth/token", json={"username": user, "password": self.users[user]})
            assert r.status_code == 200, r.text
            self._tokens[user] = r.json()["access_token"]
        r = self.client.request(method, f"/api/v1{path}", headers={"Authorization": f"Bearer {self._tokens[user]}"},
                                **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()


@pytest.fixture
def api(db_url: str) -> Iterator[Api]:
    engine = make_engine(db_url)
    migrate(engine)
    users = {u[0]: u[1] for u in seed_demo_users(engine)}
    with unit_of_work(engine) as session:  # a second guarantor organisation with its own user
        platform.create_organisation(session, "guar-2", "guarantor", "第二担保", "Second guarantor")
        platform.create_user(session, "guarantor2", "second-guarantor-pw", "guarantor", "guar-2")
    users["guarantor2"] = "second-guarantor-pw"
    features = feature_table(40, 5).with_columns(pl.lit("active").alias("registry_status"))
    app = create_app(Settings(database_url=db_url, secret_key="guar-secret-" + "k" * 32, cookie_secure=False),
                     loader=lambda: features)
    with TestClient(app) as client:
        yield Api(client, users, engine)
    engine.dispose()


def _approved_via_services(engine: Any, amount: int = 2_000_000) -> str:
    with unit_of_work(engine) as s:  # the application as the bank's staff made it (the API path is tested elsewhere)
        app = svc.apply(s, bank_id="bank-hz-01", uscc=USCC, product_id="guaranteed_tech_loan", amount=amount,
                        term_months=12, actor="bank_a_officer", policy=POLICY)
        svc.review(s, "bank-hz-01", app["id"], "bank_a_officer")
        svc.approve(s, "bank-hz-01", app["id"], "bank_a_approver", policy=POLICY)
        return str(app["id"])


def test_api_request_decide_and_contract(api: Api) -> None:
    app_id = _approved_via_services(api.engine)
    api.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 409, json={
        "rate": "0.036", "guarantee_scheme": "zhejiang_tech", "guarantor_org_id": "guar-hz"})
    api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 422, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "bank-hz-02"})
    api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_b_officer", 404, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-hz"})  # another bank's application
    req = api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 201, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-hz"})
    api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 409, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-2"})  # one open request per application
    # the guarantor sees its organisation's requests only
    assert [r["id"] for r in api.call("GET", "/guarantee-requests", "guarantor")["items"]] == [req["id"]]
    assert api.call("GET", "/guarantee-requests", "guarantor2")["items"] == []
    api.call("GET", f"/guarantee-requests/{req['id']}", "guarantor2", 404)
    assert api.call("GET", f"/applications/{app_id}", "guarantor")["id"] == app_id  # it may read what it decides
    # bad fee rates: 422 naming the field, nothing decided
    for bad in ("NaN", "1e30", "one percent", "0.0101"):
        r = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 422,
                     json={"decision": "approve", "fee_rate": bad})
        assert "fee_rate" in r["detail"], r
    r = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 422,
                 json={"decision": "approve", "fee_rate": 0.02})  # a JSON number is checked the same way
    assert "fee_rate: 0.02 is above the cap of 0.01" in r["detail"]
    r = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 422,
                 json={"decision": "approve", "fee_rate": "x" * 5000})  # long text: refused, the echo is cut
    assert "fee_rate" in r["detail"] and len(r["detail"]) < 200
    # a bank cannot decide for the guarantor; another guarantor organisation does not find the request
    api.call("POST", f"/guarantee-requests/{req['id']}/decision", "bank_a_approver", 403,
             json={"decision": "approve", "fee_rate": "0.008"})
    api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor2", 404,
             json={"decision": "approve", "fee_rate": "0.008"})
    out = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor",
                   json={"decision": "approve", "fee_rate": "0.008", "note": "ok"})
    assert out["status"] == "approved" and Decimal(str(out["fee_rate"])) == Decimal("0.008")
    api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 409,
             json={"decision": "decline", "reason_code": "G01"})
    loan = api.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201, json={
        "rate": "0.036", "guarantee_scheme": "zhejiang_tech", "guarantor_org_id": "guar-hz"})
    parties = {g["party_id"]: g for g in api.call("GET", f"/loans/{loan['id']}/guarantees", "guarantor")}
    # 2,000,000 x 0.8% x 12/12 = 16,000.00 (the guaranteed amount is the whole principal)
    assert Decimal(str(parties["guarantor"]["fee"])) == Decimal("16000.00")
    assert parties["guarantor"]["org_id"] == "guar-hz"
    audit = api.call("GET", "/audit", "bank_a_officer", params={"subject_id": app_id})["items"]
    assert [a["action"] for a in audit][-3:] == ["guarantee_request", "guarantee_approve", "contract"]
    reasons = api.call("GET", "/guarantee-decline-reasons", "bank_a_officer")
    assert {"code": "G01", "name_zh": "不属于担保计划支持范围", "name_en": "Outside the guarantee scheme's scope"} in reasons


def test_api_decline_with_a_reason_and_compensation_route(api: Api) -> None:
    app_id = _approved_via_services(api.engine, 1_000_000)
    req = api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 201, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-hz"})
    r = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 422,
                 json={"decision": "decline", "reason_code": "X9"})
    assert "reason_code" in r["detail"]
    api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor", 422,
             json={"decision": "maybe"})
    out = api.call("POST", f"/guarantee-requests/{req['id']}/decision", "guarantor",
                   json={"decision": "decline", "reason_code": "G02"})
    assert out["status"] == "declined" and out["reason_code"] == "G02"
    assert api.call("GET", f"/applications/{app_id}", "bank_a_officer")["status"] == "approved"
    # 代偿 through the API: the guarantor pays on a defaulted loan it guarantees
    again = api.call("POST", f"/applications/{app_id}/guarantee-request", "bank_a_officer", 201, json={
        "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-2"})
    api.call("POST", f"/guarantee-requests/{again['id']}/decision", "guarantor2",
             json={"decision": "approve", "fee_rate": "0.005"})
    loan = api.call("POST", f"/applications/{app_id}/contract", "bank_a_officer", 201, json={
        "rate": "0.036", "method": "interest_only", "guarantee_scheme": "zhejiang_tech"})
    assert loan["guarantor_org_id"] == "guar-2"
    with unit_of_work(api.engine) as s:
        svc.disburse(s, "bank-hz-01", loan["id"], "bank_a_officer", on=MON)
        svc.update_delinquency(s, "bank-hz-01", dt.date(2025, 5, 5))
        svc.default(s, "bank-hz-01", loan["id"], "bank_a_approver", on=dt.date(2025, 5, 5))
    api.call("GET", f"/loans/{loan['id']}/compensation", "guarantor", 404)  # not its loan
    [due] = api.call("GET", f"/loans/{loan['id']}/compensation", "guarantor2")
    assert Decimal(str(due["due"])) == Decimal("800000.00") and due["due_on"] == "2025-08-01"
    for bad in ("NaN", "1e30", "lots"):
        r = api.call("POST", f"/loans/{loan['id']}/compensation", "guarantor2", 422, json={"amount": bad})
        assert "amount" in r["detail"]
    api.call("POST", f"/loans/{loan['id']}/compensation", "bank_a_officer", 403, json={"amount": "800000"})
    paid = api.call("POST", f"/loans/{loan['id']}/compensation", "guarantor2",
                    json={"amount": "800000", "on": "2025-07-30"})
    assert paid["status"] == "paid" and paid["late"] is False
    assert api.call("GET", f"/loans/{loan['id']}/compensation", "bank_a_officer")[0]["paid_on"] == "2025-07-30"


# --------------------------------------------------------------------------- the domain rules (no database)


def test_fee_rate_cap_and_claim_date_rules() -> None:
    from innocredit.lending.risk_sharing import compensation_timeline, fee_rate_problem, guarantee_fees
    from innocredit.lending.schema import load_schemes

    z = load_schemes()["zhejiang_tech"]
    assert fee_rate_problem(z, Decimal("0.01")) is None and fee_rate_problem(z, Decimal("0")) is None
    assert "above the cap of 0.01" in (fee_rate_problem(z, Decimal("0.010001")) or "")
    assert "at least 0" in (fee_rate_problem(z, Decimal("-0.001")) or "")
    with pytest.raises(ValueError, match="fee_rate"):
        guarantee_fees(z, Decimal(1_000_000), 12, fee_rate=Decimal("0.02"))
    # 24 months at 0.5% on 600,000 guaranteed: 600,000 x 0.5% x 24/12 = 6,000.00
    fee = next(f for f in guarantee_fees(z, Decimal(1_000_000), 24, Decimal(600_000), Decimal("0.005"))
               if f.kind == "guarantee")
    assert (fee.amount, fee.base, fee.rate) == (Decimal("6000.00"), Decimal("600000.00"), Decimal("0.005"))
    # the claim is 90 days after the first unpaid due date, but never before the default is declared
    early = compensation_timeline(z, dt.date(2025, 4, 3), Decimal(1_000_000))
    late = compensation_timeline(z, dt.date(2025, 4, 3), Decimal(1_000_000), not_before=dt.date(2025, 9, 1))
    assert early[0].due_on == dt.date(2025, 7, 2) and early[1].due_on == dt.date(2025, 8, 1)
    assert late[0].due_on == dt.date(2025, 9, 1) and late[1].due_on == dt.date(2025, 10, 1)
