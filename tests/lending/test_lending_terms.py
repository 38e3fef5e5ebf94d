"""Loan terms follow the product and the policy (issue 14 item 12), on SQLite and PostgreSQL: an application over
the matched offer's limit, for a product the firm is not eligible for, or over the policy's max_single_loan is
refused naming the field; a contract rate outside (0, 1) is refused; terms beyond the approval go back to the
approvers with an audit entry instead of being signed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from innocredit.lending.lifecycle import LifecycleError
from innocredit.lending.schema import load_policy
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending as svc
from innocredit.storage.base import UnitOfWork

USCC = make_uscc("91330106MA2AAAAA0")
POLICY = load_policy(env={})  # max_single_loan 30,000,000; second approver above 5,000,000
MON = dt.date(2025, 3, 3)
OFFER = {"product_id": "talent_loan", "eligible": True, "failed_rule": None, "limit": 1_500_000.0,
         "term_months": 24, "rate": 0.0385, "pd_grade": "G3"}


def _apply(s, amount, offer=None, product="talent_loan", term=12):  # type: ignore[no-untyped-def]
    return svc.apply(s, bank_id="bank_a", uscc=USCC, product_id=product, amount=amount, term_months=term,
                     actor="officer", on=MON, policy=POLICY, offer=offer)


def test_the_policy_cap_and_the_offer_bound_an_application(engine) -> None:  # type: ignore[no-untyped-def]
    assert POLICY.max_single_loan == 30_000_000
    with UnitOfWork(engine) as uow:
        s = uow.session
        with pytest.raises(ValueError, match=r"^amount: 10000000000.00 is above the lending policy's max_single_loan"
                                             r" of 30000000.00"):
            _apply(s, "10000000000")
        with pytest.raises(ValueError, match="^amount: 30000000.01 is above"):
            _apply(s, "30000000.01")
        assert _apply(s, "30000000")["amount"] == Decimal("30000000.00")  # at the cap: allowed
        with pytest.raises(ValueError, match=r"^amount: 1500000.01 is above the offer's limit of 1500000.00"):
            _apply(s, "1500000.01", OFFER)
        with pytest.raises(ValueError, match=r"^term_months: 36 months is longer than the offer's 24"):
            _apply(s, "1000000", OFFER, term=36)
        ineligible = {**OFFER, "eligible": False, "failed_rule": "talent_team", "limit": None,
                      "failed_reason_en": "a talent programme member in the team"}
        with pytest.raises(ValueError, match=r"^product_id: the firm is not eligible for talent_loan \(talent_team"):
            _apply(s, "100000", ineligible)
        ok = _apply(s, "1500000", OFFER)
        assert ok["status"] == "submitted"
        [create] = [e for e in svc.audit_entries(s, subject_id=ok["id"]) if e["action"] == "create"]
        assert create["details"]["offer"] == {"limit": 1500000.0, "rate": 0.0385, "term_months": 24,
                                              "pd_grade": "G3"}
    with UnitOfWork(engine) as uow:  # the refused ones left nothing behind
        assert len(svc.list_applications(uow.session, "bank_a")) == 2


@pytest.mark.parametrize("rate", ["0", "1", "-0.01", "NaN", "Infinity", "abc", "", "1e30"])
def test_a_contract_rate_outside_zero_and_one_is_refused(engine, rate) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = _apply(s, "100000")
        svc.review(s, "bank_a", app["id"], "reviewer")
        svc.approve(s, "bank_a", app["id"], "approver", policy=POLICY)
        with pytest.raises(ValueError, match="^rate: "):
            svc.contract(s, "bank_a", app["id"], "officer", rate=rate, policy=POLICY)
        assert svc.get_application(s, "bank_a", app["id"])["status"] == "approved"


def _approved(s, amount="1000000", offer=None):  # type: ignore[no-untyped-def]
    app = _apply(s, amount, offer)
    if offer is not None:
        svc.record_offer(s, "bank_a", app["id"], limit=Decimal(str(offer["limit"])), term_months=offer["term_months"],
                         rate=Decimal(str(offer["rate"])), pd_grade=offer["pd_grade"])
    svc.review(s, "bank_a", app["id"], "reviewer")
    svc.approve(s, "bank_a", app["id"], "approver", on=MON, policy=POLICY)
    return app["id"]


def test_terms_beyond_the_approval_go_back_to_the_approvers(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        s = uow.session
        app_id = _approved(s, "1000000", OFFER)
        # a larger principal: not signed, back to under_review with the new amount and no approvals
        out = svc.contract(s, "bank_a", app_id, "officer", rate="0.0385", principal="1200000", policy=POLICY)
        assert out["returned_to_approvers"] is True and out["status"] == "under_review"
        assert out["beyond"] == ["principal 1200000.00 above the approved 1000000.00"]
        assert out["amount"] == Decimal("1200000.00") and out["approver1"] is None and out["decided_on"] is None
        assert svc.loan_of_application(s, app_id) is None
        last = svc.audit_entries(s, subject_id=app_id)[-1]
        assert (last["action"], last["from_state"], last["to_state"], last["actor"]) == (
            "change_terms", "approved", "under_review", "officer")
        assert last["details"]["previous"]["amount"] == "1000000.00"
        assert last["details"]["previous"]["approver1"] == "approver"
        with pytest.raises(LifecycleError):  # nothing is signed until the approvers decide again
            svc.contract(s, "bank_a", app_id, "officer", rate="0.0385", principal="1200000", policy=POLICY)
        with pytest.raises(LifecycleError, match="cannot also approve"):  # four-eyes still holds
            svc.approve(s, "bank_a", app_id, "reviewer", policy=POLICY)
        assert svc.approve(s, "bank_a", app_id, "approver", policy=POLICY)["status"] == "approved"
        # a rate below the offer's 3.85% and a longer term: back again, the approvers' rate recorded
        out = svc.contract(s, "bank_a", app_id, "officer", rate="0.030", principal="1200000", term_months=18,
                           policy=POLICY)
        assert out["beyond"] == ["term_months 18 above the approved 12", "rate 0.030 below the approved 0.0385"]
        assert out["approved_rate"] == Decimal("0.030") and out["term_months"] == 18
        svc.approve(s, "bank_a", app_id, "approver2", policy=POLICY)
        loan = svc.contract(s, "bank_a", app_id, "officer", rate="0.030", principal="1200000", term_months=18,
                            policy=POLICY)
        assert loan["status"] == "contracted" and loan["principal"] == Decimal("1200000.00")
        assert loan["term_months"] == 18 and loan["rate"] == Decimal("0.030")
        assert svc.verify_audit_chain(s).ok


def test_terms_within_the_approval_are_signed(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        s = uow.session
        app_id = _approved(s, "1000000", OFFER)
        loan = svc.contract(s, "bank_a", app_id, "officer", rate="0.04", principal="800000", term_months=12,
                            policy=POLICY)
        assert loan["status"] == "contracted" and loan["principal"] == Decimal("800000.00")
        with pytest.raises(ValueError, match="^principal: 30000001.00 is above"):  # never past the policy cap
            svc.contract(s, "bank_a", _approved(s, "1000000"), "officer", rate="0.04", principal="30000001",
                         policy=POLICY)


def test_the_api_and_the_pages_refuse_terms_naming_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Through the app (SQLite): a 10-billion application answers 422 naming ``amount``; the page's contract form
    refuses a blank, NaN, Infinity or 1e30 rate naming ``rate`` (a blank was taken as 0); a larger principal at the
    API's contract goes back to the approvers (202)."""
    import re

    import polars as pl
    from fastapi.testclient import TestClient

    from innocredit.services import coordination
    from innocredit.storage.base import make_engine, unit_of_work
    from innocredit.storage.migrate import upgrade
    from innocredit.synthetic import feature_table
    from innocredit.web.app import create_app
    from innocredit.web.config import Settings
    from innocredit.web.demo import seed_demo_users

    url = f"sqlite:///{tmp_path / 't.db'}"
    engine = make_engine(url)
    upgrade(engine)
    users = {u[0]: u[1] for u in seed_demo_users(engine)}
    features = feature_table(60, 5).with_columns(pl.lit("active").alias("registry_status"))
    firm = features["uscc"][0]
    with unit_of_work(engine) as s:
        coordination.grant_consent(s, uscc=firm, bank_id="bank-hz-01",
                                   categories=list(coordination.default_consent_policy().categories),
                                   valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=100))
    engine.dispose()
    web = create_app(Settings(database_url=url, secret_key="terms-secret-" + "t" * 30, cookie_secure=False),
                     loader=lambda: features)
    with TestClient(web) as api:
        def h(name: str) -> dict[str, str]:
            r = api.post("/api/v1/auth/token", json={"username": name, "password": users[name]})
            return {"Authorization": f"Bearer {r.json()['access_token']}"}

        officer, approver = h("bank_a_officer"), h("bank_a_approver")
        r = api.post("/api/v1/applications", headers=officer, json={
            "uscc": firm, "product_id": "talent_loan", "amount": "10000000000", "term_months": 12})
        assert r.status_code == 422 and r.json()["detail"].startswith("amount: 10000000000.00 is above the lending "
                                                                      "policy's max_single_loan of 30000000.00")
        app_id = api.post("/api/v1/applications", headers=officer, json={
            "uscc": firm, "product_id": "talent_loan", "amount": "500000", "term_months": 12}).json()["id"]
        api.post(f"/api/v1/applications/{app_id}/review", headers=officer)
        assert api.post(f"/api/v1/applications/{app_id}/approve", headers=approver, json={}).json()["status"] == \
            "approved"
        # the page's contract form, as a logged-in officer
        page = TestClient(web)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.get("/login").text).group(1)  # type: ignore[union-attr]
        page.post("/login", data={"username": "bank_a_officer", "password": users["bank_a_officer"],
                                  "csrf_token": token}, follow_redirects=False)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"',  # type: ignore[union-attr]
                         page.get(f"/applications/{app_id}").text).group(1)
        for bad in ("", "NaN", "Infinity", "1e30", "abc", "0", "1"):
            r = page.post(f"/applications/{app_id}/contract", data={"csrf_token": csrf, "rate": bad},
                          follow_redirects=False)
            assert r.status_code == 422 and "rate" in r.text, (bad, r.status_code)
        assert api.get(f"/api/v1/applications/{app_id}", headers=officer).json()["status"] == "approved"
        r = api.post(f"/api/v1/applications/{app_id}/contract", headers=officer,
                     json={"rate": "0.04", "principal": "600000"})
        assert r.status_code == 202 and r.json()["status"] == "under_review"
        assert r.json()["beyond"] == ["principal 600000.00 above the approved 500000.00"]
        r = page.post(f"/applications/{app_id}/contract", data={"csrf_token": csrf, "rate": "0.04"},
                      follow_redirects=False)
        assert r.status_code == 409  # under review again: nothing to sign
        api.post(f"/api/v1/applications/{app_id}/approve", headers=approver, json={})
        r = page.post(f"/applications/{app_id}/contract", data={"csrf_token": csrf, "rate": "0.04"},
                      follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/loans/")


def test_with_a_risk_model_the_api_holds_an_application_to_the_matched_offer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bank with a risk model (the demo modeller's scorecard): the route passes the matched offer, so a product
    the firm is not eligible for answers 422 naming ``product_id`` and the failed rule, an amount above the offer's
    limit 422 naming ``amount``; the offer's own limit is accepted."""
    import polars as pl
    from fastapi.testclient import TestClient

    from innocredit.services import coordination
    from innocredit.storage.base import make_engine, unit_of_work
    from innocredit.storage.migrate import upgrade
    from innocredit.synthetic import feature_table
    from innocredit.web.app import create_app
    from innocredit.web.config import Settings
    from innocredit.web.demo import seed_demo_users, train_demo_risk_model

    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    users = {u[0]: u[1] for u in seed_demo_users(engine)}
    features = feature_table(600, 11).with_columns(pl.lit("active").alias("registry_status"))
    row = train_demo_risk_model(engine, features, "bank-hz-01", root=str(tmp_path / "models"))
    assert row is not None
    firms = features["uscc"].to_list()[:40]
    with unit_of_work(engine) as s:
        for firm in firms:
            coordination.grant_consent(s, uscc=firm, bank_id="bank-hz-01",
                                       categories=list(coordination.default_consent_policy().categories),
                                       valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=100))
    engine.dispose()
    web = create_app(Settings(database_url=url, secret_key="model-secret-" + "m" * 30, cookie_secure=False),
                     loader=lambda: features)
    with TestClient(web) as api:
        r = api.post("/api/v1/auth/token", json={"username": "bank_a_officer", "password": users["bank_a_officer"]})
        officer = {"Authorization": f"Bearer {r.json()['access_token']}"}
        eligible = ineligible = None
        for firm in firms:
            offers = api.get(f"/api/v1/enterprises/{firm}/offers", headers=officer, params={"size": 50}).json()["items"]
            eligible = eligible or next(((firm, o) for o in offers if o["eligible"] and o["limit"]), None)
            ineligible = ineligible or next(((firm, o) for o in offers if not o["eligible"]
                                             and o["product_id"] != "patent_pool_loan"), None)
            if eligible and ineligible:
                break
        assert eligible and ineligible, "no eligible and ineligible offer among the firms"
        firm, o = ineligible
        r = api.post("/api/v1/applications", headers=officer, json={
            "uscc": firm, "product_id": o["product_id"], "amount": "100000", "term_months": 12})
        assert r.status_code == 422 and r.json()["detail"].startswith(
            f"product_id: the firm is not eligible for {o['product_id']} ({o['failed_rule']}")
        firm, o = eligible
        limit = Decimal(str(round(o["limit"], 2)))
        term = min(12, int(o["term_months"]))
        r = api.post("/api/v1/applications", headers=officer, json={
            "uscc": firm, "product_id": o["product_id"], "amount": str(limit + Decimal("0.01")), "term_months": term})
        assert r.status_code == 422 and r.json()["detail"].startswith(f"amount: {limit + Decimal('0.01')} is above "
                                                                      f"the offer's limit of {limit}")
        r = api.post("/api/v1/applications", headers=officer, json={
            "uscc": firm, "product_id": o["product_id"], "amount": str(min(limit, Decimal(30_000_000))),
            "term_months": term})
        assert r.status_code == 201, r.text
