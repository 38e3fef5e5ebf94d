"""The pages in headless Chromium: login, dashboard, directory, profile, language switch, phone width."""

from __future__ import annotations

import pytest
from browser_support import Shots, chromium, login, logout, serve_in_thread
from web_support import build_env

from innocredit.web.app import create_app
from innocredit.web.config import Settings

# One worker runs the browser and Spark tests one after another (group "heavy"), never side by side.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("browser"))
    # secure cookies, as in production: Chromium accepts them from http://localhost
    app = create_app(Settings(database_url=url, secret_key="browser-secret-" + "s" * 32), loader=lambda: features)
    with serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, {u[0]: u[1] for u in users}, ent_uscc, features


def test_coordinator_pages_zh_and_en(site):
    base, browser, pw, ent_uscc, features = site
    shots = Shots("pages")
    ctx = browser.new_context(viewport={"width": 1366, "height": 800})
    ctx.set_default_timeout(60000)
    page = ctx.new_page()
    login(page, base, "coordinator", "wrong-password")
    assert page.locator("[data-testid=login-error]").is_visible()
    login(page, base, "coordinator", pw["coordinator"])
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text() == "协同看板"
    assert page.locator("svg.chart").count() >= 2
    cookies = {c["name"]: c for c in ctx.cookies()}
    session_cookie = cookies["__Host-ic_session"]  # secure cookies go out with the __Host- prefix
    assert session_cookie["httpOnly"] and session_cookie["secure"] and session_cookie["path"] == "/"
    shots(page, "dashboard-zh")
    page.goto(base + "/enterprises")
    assert page.locator("table[data-testid=directory] tbody tr").count() == 25
    page.fill("#q", features.sort("uscc")["name"][3])
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("form.filters button")
    assert page.locator("table[data-testid=directory] tbody tr").count() >= 1
    shots(page, "directory-filtered")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.locator("table[data-testid=directory] tbody a").first.click()
    page.wait_for_url("**/enterprises/*")
    assert page.locator("[data-testid=evaluation]").is_visible()
    assert page.locator("[data-testid=radar] svg").count() == 1
    shots(page, "profile-zh")
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.click("[data-testid=lang-switch]")
    assert page.locator("[data-testid=evaluation] h2").first.inner_text() == "Technology evaluation"
    shots(page, "profile-en")
    page.goto(base + "/dashboard")  # the language sticks (cookie)
    assert page.locator("h1").inner_text() == "Coordination dashboard"
    logout(page)
    ctx.close()


def test_phone_width_has_no_horizontal_page_scroll(site):
    base, browser, pw, ent_uscc, _ = site
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    ctx.set_default_timeout(60000)
    page = ctx.new_page()
    login(page, base, "enterprise", pw["enterprise"])
    page.goto(base + f"/enterprises/{ent_uscc}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400
    Shots("pages-phone")(page, "enterprise-profile")
    ctx.close()
