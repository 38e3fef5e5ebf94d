"""End to end in headless Chromium: the coordinator pushes a recommendation list; a bank officer opens the firm,
sees its evaluation and offers, applies and submits for approval; a second user approves (two approvers above the
policy threshold); the officer signs and disburses; the enterprise logs in and sees its loan and schedule.
The same flow in Chinese and in English; screenshots of each step go to test-artifacts/e2e-<lang>/."""

from __future__ import annotations

import re

import pytest
from browser_support import Shots, chromium, login, logout, serve_in_thread
from web_support import build_env

from innocredit.storage.base import make_engine
from innocredit.web.demo import train_demo_risk_model
from innocredit.web.render import product_label, state_label

# One worker runs the browser and Spark tests one after another (group "heavy"), never side by side.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]

TEXT = {
    "zh": {"pushed": "已推送", "approve_done": "approved", "schedule": "还款计划"},
    "en": {"pushed": "Pushed", "approve_done": "approved", "schedule": "Repayment schedule"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    app, features, users, ent_uscc, url = build_env(tmp)
    engine = make_engine(url)
    assert train_demo_risk_model(engine, features, "bank-hz-01", str(tmp / "models")) is not None
    engine.dispose()
    with serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, {u[0]: u[1] for u in users}, ent_uscc, features


def _submit(page, locator) -> None:
    """Click a form's submit button and wait for the page the server answers with."""
    with page.expect_navigation(wait_until="domcontentloaded"):
        (page.locator(locator) if isinstance(locator, str) else locator).click()


def _flow(site, lang: str, product: str, amount: str, approvers: list[str]) -> None:
    shots = Shots(f"e2e-{lang}")
    ctx = site[1].new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(90000)
    page = ctx.new_page()
    try:
        _steps(site, page, shots, lang, product, amount, approvers)
    except BaseException:
        # keep what the browser saw when a step failed: the page's HTML and a screenshot beside the step shots
        (shots.dir / "FAILED.html").write_text(f"<!-- {page.url} -->\n" + page.content())
        shots(page, "FAILED")
        raise
    finally:
        ctx.close()


def _steps(site, page, shots: Shots, lang: str, product: str, amount: str, approvers: list[str]) -> None:
    base, _, pw, ent, features = site
    name = features.filter(features["uscc"] == ent)["name"][0]
    page.goto(f"{base}/login?lang={lang}")

    # 1. the coordinator builds an application list, screens it, recommends and pushes to bank A
    login(page, base, "coordinator", pw["coordinator"])
    page.goto(base + "/lists")
    page.fill("#list-name", f"e2e {lang}")
    _submit(page, "[data-testid=create-list]")
    page.wait_for_url(re.compile(r".*/lists/\d+$"))
    page.fill("#items", f"{ent},{amount},12,rd")
    _submit(page, "[data-testid=add-items]")
    _submit(page, "[data-testid=screen]")
    assert page.locator("[data-testid=list-items] .badge.ok").count() == 1
    _submit(page, "[data-testid=recommend]")
    page.locator("input[name=banks][value=bank-hz-01]").last.check()
    shots(page, "coordinator-recommendation")
    _submit(page, page.locator("[data-testid=push]").last)
    assert TEXT[lang]["pushed"] in page.locator("[data-testid=pushes]").last.inner_text()
    shots(page, "coordinator-pushed")
    logout(page)

    # 2. the bank officer finds the firm in the inbox, sees evaluation, PD and offers, applies
    login(page, base, "bank_a_officer", pw["bank_a_officer"])
    page.goto(base + "/inbox")
    _submit(page, page.locator("[data-testid=inbox-firm]", has_text=name).first)
    page.wait_for_url(f"**/enterprises/{ent}")
    assert page.locator("[data-testid=evaluation]").is_visible(), page.content()[:3000]
    assert page.locator("[data-testid=radar] svg").count() == 1
    assert page.locator("[data-testid=pd-grade]").inner_text().startswith("G")
    offer = page.locator(f"[data-testid=offer-{product}]")
    offer.locator("input[name=amount]").fill(amount)
    shots(page, "officer-firm-offers")
    _submit(page, offer.locator(f"[data-testid=apply-{product}]"))
    page.wait_for_url(re.compile(r".*/applications/[0-9a-f-]+$"))
    app_url = page.url
    _submit(page, "[data-testid=submit-approval]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=app-status]").get_attribute("data-status") == "under_review"
    assert page.locator("[data-testid=app-status]").inner_text() == state_label("under_review", lang)
    shots(page, "officer-submitted")
    logout(page)

    # 3. approvers: a different user from the officer (four-eyes); two above the threshold
    for i, approver in enumerate(approvers):
        login(page, base, approver, pw[approver])
        page.goto(app_url)
        _submit(page, "[data-testid=approve]")
        page.wait_for_load_state("domcontentloaded")
        expected = "approved" if i == len(approvers) - 1 else "under_review"
        assert page.locator("[data-testid=app-status]").get_attribute("data-status") == expected
        shots(page, f"approved-by-{approver}")
        logout(page)

    # 4. the officer signs the contract and disburses
    login(page, base, "bank_a_officer", pw["bank_a_officer"])
    page.goto(app_url)
    _submit(page, "[data-testid=contract]")
    page.wait_for_url("**/loans/*")
    _submit(page, "[data-testid=disburse]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator("[data-testid=loan-status]").get_attribute("data-status") == "active"
    assert page.locator("[data-testid=loan-status]").inner_text() == {"zh": "已放款（正常）", "en": "active"}[lang]
    shots(page, "officer-disbursed")
    logout(page)

    # 5. the enterprise sees its loan and the schedule
    login(page, base, "enterprise", pw["enterprise"])
    shots(page, "enterprise-after-login")
    page.goto(base + "/me")  # the enterprise's home; an anonymous visitor would be sent back to /login
    assert "/me" in page.url, page.url
    assert page.locator("[data-testid=my-loan-link]").count() >= 1
    shots(page, "enterprise-home")
    # the row of this flow's loan, found by the product's name in the page language (the firm may have others)
    _submit(page, page.locator("tr", has_text=product_label(product, lang)).locator("[data-testid=my-loan-link]"))
    page.wait_for_url("**/loans/*")
    assert TEXT[lang]["schedule"] in page.content()
    assert page.locator("[data-testid=schedule] tbody tr").count() == 12
    assert product_label(product, lang) in page.content()  # the product by its name in the page language
    assert product_label(product, lang) != product
    shots(page, "enterprise-schedule")


def test_flow_in_chinese(site):
    # 800,000 yuan is under the second-approver threshold (5,000,000 in lending/policy.yaml): one approver
    _flow(site, "zh", "innovation_points_credit", "800000", ["bank_a_approver"])


def test_flow_in_english_with_two_approvers(site):
    # 6,000,000 yuan is above the 5,000,000 threshold: a second, different approver completes the approval
    _flow(site, "en", "guaranteed_tech_loan", "6000000", ["bank_a_approver", "bank_a_approver2"])


def test_modeller_models_and_officer_portfolio(site):
    """The risk models page with its validation report (SVG plots) for the bank's modeller, in Chinese, and the
    portfolio with its early-warning and loan tables for the bank's officer. Other banks' models stay hidden."""
    base, browser, pw, _, _ = site
    shots = Shots("e2e-bank-pages")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(90000)
    page = ctx.new_page()
    try:
        login(page, base, "bank_a_modeller", pw["bank_a_modeller"])
        page.goto(base + "/models")
        card = page.locator("[data-testid=model-bank-hz-01-tech-scorecard]")
        assert card.is_visible()
        assert page.locator("[data-testid^=model-bank-hz-02]").count() == 0
        badge = card.locator("[data-status]").first
        assert badge.get_attribute("data-status") == "candidate"  # validated in time only: not yet champion
        assert badge.inner_text() == "候选"
        assert "模型类型" in card.inner_text()
        shots(page, "models-zh")
        with page.expect_navigation(wait_until="domcontentloaded"):
            card.locator("a[href$='/report']").click()
        assert page.locator("svg").count() >= 2  # ROC and calibration plots, drawn on the server
        assert "AUC" in page.content()
        shots(page, "validation-report")
        page.goto(base + "/models")
        logout(page)

        login(page, base, "bank_a_officer", pw["bank_a_officer"])
        page.goto(base + "/portfolio")
        assert page.locator("table[data-testid=alerts]").is_visible()
        assert page.locator("table[data-testid=loans]").is_visible()
        shots(page, "portfolio-zh")
    except BaseException:
        (shots.dir / "FAILED.html").write_text(f"<!-- {page.url} -->\n" + page.content())
        raise
    finally:
        ctx.close()
