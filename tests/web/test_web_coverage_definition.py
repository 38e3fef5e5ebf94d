"""The dashboard in headless Chromium names the coverage definition in use (with its source and target, in Chinese
and English) and switching to the NFRA 活跃经营小微主体融资覆盖率 through the page's own link changes the named
definition, the coverage KPI and the charts' titles (issue 15 item 9). Screenshots: test-artifacts/coverage-<lang>/."""

from __future__ import annotations

import pytest
from browser_support import Shots, chromium, login, serve_in_thread
from web_support import build_env

from innocredit.services import coordination as service
from innocredit.services.database import unit_of_work
from innocredit.services.demo import load_demo
from innocredit.storage.base import make_engine

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]

NFRA = "nfra_active_small_micro"
TEXT = {
    "zh": {"ours": "科技型中小企业规模口径融资覆盖率", "nfra": "活跃经营小微主体融资覆盖率", "kpi": "融资覆盖率（{}） / 目标 40%",
           "trend": "授信覆盖率（近12个月，按月）（{}）"},
    "en": {"ours": "coverage of active small firms (tech-SME scale limits)",
           "nfra": "financing coverage of active small and micro business entities (NFRA)",
           "kpi": "Financing coverage ({}) / target 40%", "trend": "Credit coverage (12 months to each month) ({})"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("browser-coverage"))
    engine = make_engine(url)
    load_demo(engine, features, 11)
    with serve_in_thread(app) as base, chromium() as browser:
        # what the service says the last month's coverage is, under each definition, on the page's own data
        feats = app.state.data.screening_features()
        with unit_of_work(engine) as s:
            rates = {c: service.monthly_story(s, enterprises=feats, coverage=c)[-1]["coverage_rate"]
                     for c in service.coverage_choices()}
        yield base, browser, {u[0]: u[1] for u in users}, rates
    engine.dispose()


def _kpi(page, label: str) -> str:
    card = page.locator("[data-testid=kpis] .kpi").filter(has=page.locator(".k", has_text=label))
    assert card.count() == 1, f"no KPI {label!r}"
    return card.locator(".v").inner_text()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_names_and_switches_the_coverage_definition(site, lang):
    base, browser, pw, rates = site
    text = TEXT[lang]
    assert rates["tech_sme_scale"] != rates[NFRA], "the demo district must tell the two definitions apart"
    shots = Shots(f"coverage-{lang}")
    ctx = browser.new_context(viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(90000)
    page = ctx.new_page()
    try:
        page.goto(base + f"/login?lang={lang}")
        login(page, base, "coordinator", pw["coordinator"])
        page.goto(base + f"/dashboard?lang={lang}")
        panel = page.locator("[data-testid=coverage-definition]")
        assert panel.get_attribute("data-definition") == "tech_sme_scale"
        assert page.locator("[data-testid=coverage-name]").inner_text() == text["ours"]
        assert "国科发政〔2017〕115号" in page.locator("[data-testid=coverage-source]").inner_text()
        assert "40%" in page.locator("[data-testid=coverage-target]").inner_text()
        assert _kpi(page, text["kpi"].format(text["ours"])) == f"{rates['tech_sme_scale'] * 100:.1f}%"
        assert page.locator("h2", has_text=text["trend"].format(text["ours"])).count() == 1
        shots(page, "tech-sme-scale")

        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click(f"[data-testid=coverage-{NFRA}]")
        assert f"coverage={NFRA}" in page.url and f"lang={lang}" in page.url
        assert panel.get_attribute("data-definition") == NFRA
        assert page.locator("[data-testid=coverage-name]").inner_text() == text["nfra"]
        assert page.locator("[data-testid=coverage-current]").inner_text() == text["nfra"]
        assert "工信部联企业〔2011〕300号" in page.locator("[data-testid=coverage-source]").inner_text()
        assert "active_requires_operations" in page.locator("[data-testid=coverage-assumption]").inner_text()
        assert "40%" in page.locator("[data-testid=coverage-target]").inner_text()
        assert _kpi(page, text["kpi"].format(text["nfra"])) == f"{rates[NFRA] * 100:.1f}%"
        assert page.locator("h2", has_text=text["trend"].format(text["nfra"])).count() == 1
        assert page.locator("h2", has_text=text["trend"].format(text["ours"])).count() == 0
        assert page.locator("svg.chart.line line.target").count() == 2   # the coverage target and the SLA
        shots(page, "nfra")

        with page.expect_navigation(wait_until="domcontentloaded"):
            page.click("[data-testid=coverage-tech_sme_scale]")
        assert page.locator("[data-testid=coverage-name]").inner_text() == text["ours"]
    except Exception:
        (shots.dir / "FAILED.html").write_text(page.content(), encoding="utf-8")
        raise
    finally:
        ctx.close()
