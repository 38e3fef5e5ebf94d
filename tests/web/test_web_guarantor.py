"""The guarantor's page in headless Chromium: the demo guarantor logs in, finds the guarantee request the demo's
bank A sent it (seeded by the demo's lending states), is refused a fee above the scheme's cap, approves at 0.8%,
and the bank's guaranteed contract then charges that rate. Screenshots under test-artifacts/guarantor/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from browser_support import Shots, chromium, login, serve_in_thread
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.services.demo import seed_lending_states
from innocredit.storage.base import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("guarantor"), n=200)
    engine = make_engine(url)
    seed_lending_states(engine, features)  # bank A's approved application has a request to guar-hz
    engine.dispose()
    with TestClient(app) as client, serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, WebEnv(app, client, features, users, ent_uscc)


def test_the_demo_guarantor_sees_the_request_and_approves_it(site):
    base, browser, web = site
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
