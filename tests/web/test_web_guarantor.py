"""The guarantor's page in headless Chromium: the demo guarantor logs in, finds the guarantee request the demo's
bank A sent it (seeded by the demo's lending states), is refused a fee above the scheme's cap, approves at 0.8%,
and the bank's guaranteed contract then charges that rate. Screenshots under test-artifacts/guarantor/."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from browser_support import Shots, chromium, login, serve_in_thread
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.services import lending as svc
from innocredit.services.demo import seed_lending_states
from innocredit.storage.base import make_engine, unit_of_work

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("guarantor"), n=200)
    engine = make_engine(url)
    seed_lending_states(engine, features)  # bank A's approved application has a request to guar-hz
    engine.dispose()
    with TestClient(app) as client, serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, WebEnv(app, client, features, users, ent_uscc), url


def test_the_demo_guarantor_sees_the_request_and_approves_it(site):
    base, browser, web, _ = site
    api = web.client
    [req] = api.get("/api/v1/guarantee-requests", headers=web.headers("guarantor")).json()["items"]
    assert req["status"] == "open" and req["scheme_id"] == "zhejiang_tech" and req["bank_id"] == "bank-hz-01"
    assert Decimal(str(req["amount"])) == Decimal("900000")  # the demo's approved talent loan
    shots = Shots("guarantor")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(60000)
    page = ctx.new_page()
    try:
        login(page, base, "guarantor", web.users["guarantor"][1])
        page.goto(base + "/home")
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("nav a[href='/guarantees']")
        assert page.locator("h1").inner_text() == "担保申请与代偿"  # Chinese by default
        row = page.locator(f"[data-testid=request-{req['id']}]")
        assert row.count() == 1
        assert "浙江政府性融资担保分险" in row.inner_text() and "900,000.00" in row.inner_text()
        assert row.locator("[data-testid=fee-rate]").input_value() == "0.008"  # the scheme's rate, editable
        assert row.locator("[data-testid=decline-reason] option").count() == 6
        shots(page, "open-request")

        # above the scheme's 1% cap: refused, naming the field; nothing decided
        row.locator("[data-testid=fee-rate]").fill("0.02")
        with page.expect_navigation(wait_until="domcontentloaded"):
            row.locator("[data-testid=approve-guarantee]").click()
        assert "fee_rate" in page.content() and "0.01" in page.content()
        shots(page, "fee-above-cap")
        page.goto(base + "/guarantees")
        row = page.locator(f"[data-testid=request-{req['id']}]")
        row.locator("[data-testid=fee-rate]").fill("0.008")
        with page.expect_navigation(wait_until="domcontentloaded"):
            row.locator("[data-testid=approve-guarantee]").click()
        assert page.url.endswith("/guarantees")
        assert page.locator(f"[data-testid=request-{req['id']}]").count() == 0
        decided = page.locator(f"[data-testid=decided-{req['id']}]")
        assert "已同意" in decided.inner_text() and "0.80%" in decided.inner_text()
        shots(page, "approved")
        page.goto(base + "/guarantees?lang=en")
        assert page.locator("h1").inner_text() == "Guarantee requests and compensation"
        assert "Approved" in page.locator(f"[data-testid=decided-{req['id']}]").inner_text()
        shots(page, "approved-en")
    finally:
        ctx.close()
    done = api.get(f"/api/v1/guarantee-requests/{req['id']}", headers=web.headers("bank_a_officer")).json()
    assert done["status"] == "approved" and done["decided_by"] == "guarantor" and done["fee_rate"] == "0.008"
    # the bank contracts the guaranteed loan at the approved rate: 900,000 x 0.8% x 12/12 = 7,200.00
    loan = api.post(f"/api/v1/applications/{req['application_id']}/contract", headers=web.headers("bank_a_officer"),
                    json={"rate": "0.0345", "guarantee_scheme": "zhejiang_tech"})
    assert loan.status_code == 201, loan.text
    fees = {g["party_id"]: Decimal(str(g["fee"])) for g in
            api.get(f"/api/v1/loans/{loan.json()['id']}/guarantees", headers=web.headers("guarantor")).json()}
    assert fees["guarantor"] == Decimal("7200.00")


def _page_client(web: WebEnv, username: str) -> tuple[TestClient, str]:
    c = TestClient(web.app, raise_server_exceptions=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": username, "password": web.users[username][1], "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    return c, re.search(r'name="csrf_token" value="([^"]+)"', c.get("/guarantees" if username == "guarantor"
                                                                    else "/home").text).group(1)


def test_the_page_forms_decline_refuse_bad_input_and_record_a_compensation(site):
    _, _, web, url = site
    engine = make_engine(url)
    with unit_of_work(engine) as s:  # two more approved applications of bank A asking guar-hz
        ids = []
        for uscc in web.features.sort("uscc")["uscc"].to_list()[-2:]:
            app = svc.apply(s, bank_id="bank-hz-01", uscc=uscc, product_id="new_quality_credit", amount=1_000_000,
                            term_months=12, actor="bank_a_officer", on=dt.date(2025, 3, 3))
            svc.review(s, "bank-hz-01", app["id"], "bank_a_officer")
            svc.approve(s, "bank-hz-01", app["id"], "bank_a_approver", on=dt.date(2025, 3, 3))
            ids.append(svc.request_guarantee(s, "bank-hz-01", app["id"], "bank_a_officer", scheme_id="zhejiang_tech",
                                             guarantor_org_id="guar-hz", on=dt.date(2025, 3, 3))["id"])
    guar, csrf = _page_client(web, "guarantor")
    for bad in ("NaN", "1e30", "abc", ""):
        r = guar.post(f"/guarantees/{ids[0]}/approve", data={"csrf_token": csrf, "fee_rate": bad})
        assert r.status_code == 422 and "fee_rate" in r.text, (bad, r.status_code)
    r = guar.post(f"/guarantees/{ids[0]}/decline", data={"csrf_token": csrf, "reason_code": "G05", "note": "资料缺"},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/guarantees"
    assert guar.post(f"/guarantees/{ids[0]}/approve", data={"csrf_token": csrf, "fee_rate": "0.005"}).status_code == 409
    bank, bank_csrf = _page_client(web, "bank_a_officer")
    assert bank.post(f"/guarantees/{ids[1]}/approve", data={"csrf_token": bank_csrf,
                                                            "fee_rate": "0.005"}).status_code == 403
    assert guar.post(f"/guarantees/{ids[1]}/approve", data={"csrf_token": csrf, "fee_rate": "0.005"},
                     follow_redirects=False).status_code == 303
    with unit_of_work(engine) as s:
        declined = svc.guarantee_request(s, ids[0], role="guarantor", org_id="guar-hz")
        assert (declined["status"], declined["reason_code"], declined["note"]) == ("declined", "G05", "资料缺")
        app_id = svc.guarantee_request(s, ids[1], role="guarantor", org_id="guar-hz")["application_id"]
        loan = svc.contract(s, "bank-hz-01", app_id, "bank_a_officer", rate="0.036", method="interest_only",
                            guarantee_scheme="zhejiang_tech", on=dt.date(2025, 3, 3))
        svc.disburse(s, "bank-hz-01", loan["id"], "bank_a_officer", on=dt.date(2025, 3, 3))
        svc.update_delinquency(s, "bank-hz-01", dt.date(2025, 5, 5))
        svc.default(s, "bank-hz-01", loan["id"], "bank_a_approver", on=dt.date(2025, 5, 5))
    engine.dispose()
    page = guar.get("/guarantees").text
    assert "800,000.00" in page and "2025-08-01" in page  # owed: the loss less the bank's 20%, by 1 August
    r = guar.post(f"/guarantees/{loan['id']}/compensate", data={"csrf_token": csrf, "amount": "400000"})
    assert r.status_code == 422 and "amount" in r.text  # its own share is not what it owes the bank
    r = guar.post(f"/guarantees/{loan['id']}/compensate", data={"csrf_token": csrf, "amount": "800000.00"},
                  follow_redirects=False)
    assert r.status_code == 303
    comp = web.client.get(f"/api/v1/loans/{loan['id']}/compensation", headers=web.headers("bank_a_officer")).json()
    assert comp[0]["status"] == "paid" and comp[0]["late"] is (dt.date.today() > dt.date(2025, 8, 1))
    shown = bank.get(f"/loans/{loan['id']}").text  # the bank's loan page shows the 代偿 paid to it
    card = shown[shown.index('data-testid="loan-compensation"'):]
    assert "guar-hz" in card and "800,000.00" in card and "2025-08-01" in card and 'data-status="paid"' in card


def test_the_bank_asks_for_a_guarantee_and_signs_the_guaranteed_contract_on_its_application_page(site):
    _, _, web, url = site
    engine = make_engine(url)
    uscc = web.features.sort("uscc")["uscc"].to_list()[-3]
    with unit_of_work(engine) as s:
        app = svc.apply(s, bank_id="bank-hz-01", uscc=uscc, product_id="new_quality_credit", amount=2_000_000,
                        term_months=24, actor="bank_a_officer")
        svc.review(s, "bank-hz-01", app["id"], "bank_a_officer")
        svc.approve(s, "bank-hz-01", app["id"], "bank_a_approver")
    engine.dispose()
    bank, csrf = _page_client(web, "bank_a_officer")
    page = bank.get(f"/applications/{app['id']}").text
    assert 'data-testid="ask-guarantee"' in page and 'data-testid="guaranteed-contract"' not in page
    form = {"csrf_token": csrf, "scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-hz"}
    r = bank.post(f"/guarantees/ask/{app['id']}", data={**form, "guaranteed_amount": "NaN"})
    assert r.status_code == 422 and "guaranteed_amount" in r.text
    r = bank.post(f"/guarantees/ask/{app['id']}", data={**form, "guaranteed_amount": "1,500,000"},
                  follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/applications/{app['id']}"
    page = bank.get(f"/applications/{app['id']}").text
    assert 'data-status="open"' in page and 'data-testid="ask-guarantee"' not in page  # one open request
    approver, approver_csrf = _page_client(web, "bank_a_approver")
    assert 'data-testid="guarantee-panel"' in approver.get(f"/applications/{app['id']}").text
    assert approver.post(f"/guarantees/ask/{app['id']}", data={**form, "csrf_token": approver_csrf}).status_code == 403
    [req] = [r for r in web.client.get("/api/v1/guarantee-requests", params={"status": "open"},
                                       headers=web.headers("guarantor")).json()["items"]
             if r["application_id"] == app["id"]]
    guar, gcsrf = _page_client(web, "guarantor")
    assert guar.post(f"/guarantees/{req['id']}/approve", data={"csrf_token": gcsrf, "fee_rate": "0.0075"},
                     follow_redirects=False).status_code == 303
    page = bank.get(f"/applications/{app['id']}").text
    assert 'data-testid="guaranteed-contract"' in page and "0.75%" in page
    r = bank.post(f"/guarantees/contract/{app['id']}", data={"csrf_token": csrf, "request_id": req["id"],
                                                             "rate": "abc"})
    assert r.status_code == 422 and "rate" in r.text
    r = bank.post(f"/guarantees/contract/{app['id']}", data={"csrf_token": csrf, "request_id": req["id"],
                                                             "rate": "0.0345"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/loans/")
    loan_id = r.headers["location"].rsplit("/", 1)[1]
    fees = {g["party_id"]: Decimal(str(g["fee"])) for g in
            web.client.get(f"/api/v1/loans/{loan_id}/guarantees", headers=web.headers("bank_a_officer")).json()}
    # 1,500,000 guaranteed x 0.75% x 24/12 = 22,500.00
    assert fees["guarantor"] == Decimal("22500.00")
