"""The expiry early-warning page and the certificates panel, in headless Chromium (issue 15 item 5).

The demo district's certificates feed is ingested; for a 高新 certificate of a firm with an outstanding loan, the
office opens /qualifications 30 days before its last valid day (the same day three years after issue), sees the
firm with 30 days left, stores the warning on the lending bank's loans; the lending bank's officer sees the firm on
the same page, the other bank's does not; the firm's profile lists the certificate with its last valid day.
Screenshots: test-artifacts/qualifications-<lang>/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from browser_support import Shots, chromium, login, logout, serve_in_thread
from web_support import build_env

from innocredit.ingest.feeds import FEEDS
from innocredit.services import qualifications
from innocredit.services.database import unit_of_work
from innocredit.services.demo import load_demo
from innocredit.services.feeds import load_file
from innocredit.storage.base import make_engine
from innocredit.synthetic import generate_feeds

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("heavy")]
N, SEED = 600, 11


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("browser-qualifications")
    app, features, users, ent_uscc, url = build_env(tmp, N, SEED)
    engine = make_engine(url)
    load_demo(engine, features, SEED)
    certs = generate_feeds(N, SEED)["certificates"]
    path = Path(tmp) / "certificates.parquet"
    certs.write_parquet(path)
    loaded = load_file(engine, FEEDS["certificates"], path)
    assert loaded.rows_loaded == certs.height and not loaded.problems
    with unit_of_work(engine) as s:
        loans = qualifications.outstanding_loans(s)  # the loans the warning is stored on
    ht = certs.filter(pl.col("qualification") == "high_tech").with_columns(
        pl.col("issued_on").dt.offset_by("3y").alias("last_day"))
    borrowers = loans.group_by("uscc").agg(pl.col("bank_id").unique().alias("banks"))
    demo_banks = ["bank-hz-01", "bank-hz-02"]  # the banks with demo users (bank_a_*, bank_b_*)
    pick = (ht.join(borrowers, on="uscc")
            .filter((pl.col("banks").list.len() == 1) & pl.col("banks").list.first().is_in(demo_banks))
            .sort("last_day", "uscc").row(0, named=True))
    with serve_in_thread(app) as base, chromium() as browser:
        yield base, browser, {u[0]: u for u in users}, pick
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_office_sees_and_raises_the_expiry_warning_and_banks_see_their_borrowers(site, lang: str) -> None:
    base, browser, users, pick = site
    uscc, last, bank = pick["uscc"], pick["last_day"], pick["banks"][0]
    on = last - dt.timedelta(days=30)
    shots = Shots(f"qualifications-{lang}")
    page = browser.new_page()
    try:
        login(page, base, "coordinator", users["coordinator"][1])
        page.goto(f"{base}/qualifications?on={on.isoformat()}&lang={lang}")
        row = page.locator(f"[data-testid=qual-expiring] tr[data-uscc='{uscc}']")
        assert row.count() >= 1
        assert row.first.locator("td").nth(0).inner_text().strip() == "30"
        assert row.first.locator("td").nth(1).inner_text().strip() == last.isoformat()
        assert ("高新技术企业" if lang == "zh" else "High-tech enterprise") in row.first.inner_text()
        assert bank in row.first.inner_text()
        heading = page.locator("h1").inner_text()
        assert heading == ("资质证书到期预警" if lang == "zh" else "Qualification certificates about to lapse")
        shots(page, "office")
        with page.expect_navigation():
            page.click("[data-testid=qual-raise]")
        assert page.locator("[data-testid=qual-raised]").count() == 1
        shots(page, "raised")

        page.goto(f"{base}/enterprises/{uscc}?lang={lang}")
        cert = page.locator("[data-testid=certificates] [data-testid=cert-high_tech]")
        assert cert.count() >= 1 and last.isoformat() in cert.first.inner_text()
        shots(page, "profile")
        logout(page)

        lender = "bank_a" if bank == "bank-hz-01" else "bank_b"
        other = "bank_b" if lender == "bank_a" else "bank_a"
        login(page, base, f"{lender}_officer", users[f"{lender}_officer"][1])
        page.goto(f"{base}/qualifications?on={on.isoformat()}&lang={lang}")
        assert page.locator(f"[data-testid=qual-expiring] tr[data-uscc='{uscc}']").count() >= 1
        assert page.locator("[data-testid=qual-raise]").count() == 0  # storing warnings is the office's
        shots(page, "lender")
        logout(page)
        login(page, base, f"{other}_officer", users[f"{other}_officer"][1])
        page.goto(f"{base}/qualifications?on={on.isoformat()}&lang={lang}")
        assert page.locator(f"[data-testid=qual-expiring] tr[data-uscc='{uscc}']").count() == 0
        r = page.goto(f"{base}/qualifications?within=1e30")
        assert r is not None and r.status == 422
    finally:
        page.close()
