"""The list pages in headless Chromium, in Chinese and English: each role's first page (screenshots under
test-artifacts/first-pages-<lang>/), paging, sorting and filtering through the page's own links and form, the
officer's worklist columns, the demo's applications in every state and the dashboard's trend charts."""

from __future__ import annotations

import pytest
from browser_support import Shots, chromium, login, serve_in_thread
from web_support import build_env

from innocredit.services.demo import load_demo
from innocredit.storage.base import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]

TEXT = {"zh": {"dashboard": "协同看板", "overdue": "逾期", "late": "已超期"},
        "en": {"dashboard": "Coordination dashboard", "overdue": "in arrears", "late": "working days late"}}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("browser-lists"))
    engine = make_engine(url)
    load_demo(engine, features, 11)
    engine.dispose()
    with serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, {u[0]: u[1] for u in users}


def _go(page, action) -> None:
    with page.expect_navigation(wait_until="domcontentloaded"):
        action()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_roles_first_page_and_the_lists(site, lang):
    base, browser, pw = site
    shots = Shots(f"first-pages-{lang}")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(90000)
    page = ctx.new_page()
    try:
        # the coordinator: the dashboard's monthly trends against their targets
        page.goto(base + f"/login?lang={lang}")
        login(page, base, "coordinator", pw["coordinator"])
        page.wait_for_url("**/dashboard")
        assert page.locator("h1").inner_text() == TEXT[lang]["dashboard"]
        assert page.locator("svg.chart.line").count() == 5
        assert page.locator("svg.chart.line line.target").count() == 2  # coverage target and the SLA
        shots(page, "coordinator-dashboard")
        page.context.clear_cookies()

        # the bank officer: the inbox as a worklist, paged through its own links
        page.goto(base + f"/login?lang={lang}")
        login(page, base, "bank_a_officer", pw["bank_a_officer"])
        page.goto(base + "/inbox")
        rows = page.locator("table[data-testid=inbox] tbody tr")
        assert 1 <= rows.count() <= 50
        for col in ("wl-points", "wl-quals", "wl-grade", "wl-requested", "wl-best", "wl-due"):
            assert page.locator(f"[data-testid={col}]").count() == rows.count()
        shots(page, "officer-inbox")
        if page.locator("[data-testid=next]").count():
            _go(page, lambda: page.click("[data-testid=next]"))
            assert "page=2" in page.url
            assert page.locator("[data-testid=page-of]").inner_text().startswith("第 2" if lang == "zh" else "Page 2")

        # applications: every demo state, sorting by amount and the overdue filter through the form
        page.goto(base + "/applications?size=100")
        states = set(page.locator("[data-testid=app-status]").evaluate_all("els => els.map(e => e.dataset.status)"))
        assert {"draft", "submitted", "under_review", "approved", "rejected", "contracted"} <= states
        assert page.locator("[data-testid=awaiting-second]").count() == 1
        shots(page, "officer-applications")
        _go(page, lambda: page.click("[data-testid=sort-amount]"))
        assert "sort=amount" in page.url
        _go(page, lambda: page.click("[data-testid=sort-amount]"))  # the second click turns the direction
        assert "dir=desc" in page.url
        page.select_option("#f-overdue", "1")
        _go(page, lambda: page.click("[data-testid=filter-submit]"))
        assert "overdue=1" in page.url and "sort=amount" in page.url  # the sort survives the filter
        assert page.locator(".badge.late").count() >= 1
        assert TEXT[lang]["late"] in page.locator(".badge.late").first.inner_text()

        # the portfolio: the loan in arrears by the status filter, named in the page language
        page.goto(base + "/portfolio")
        page.select_option("#f-status", "overdue")
        _go(page, lambda: page.click("[data-testid=filter-submit]"))
        statuses = page.locator("[data-testid=loan-status]")
        assert statuses.count() >= 1
        assert all(TEXT[lang]["overdue"] in t for t in statuses.all_inner_texts())
        shots(page, "officer-portfolio-arrears")
        page.context.clear_cookies()

        # the approver's first page: the application awaiting the second approver
        page.goto(base + f"/login?lang={lang}")
        login(page, base, "bank_a_approver2", pw["bank_a_approver2"])
        page.goto(base + "/applications?status=under_review")
        assert page.locator("[data-testid=awaiting-second]").count() == 1
        shots(page, "approver-applications")
    except BaseException:
        (shots.dir / "FAILED.html").write_text(f"<!-- {page.url} -->\n" + page.content())
        shots(page, "FAILED")
        raise
    finally:
        ctx.close()
