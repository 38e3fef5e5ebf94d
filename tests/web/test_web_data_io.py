"""Data in and out of the web app: a feed file uploaded (API and page) is ingested in the background, its problems
download as Excel; templates and exports download as Excel/CSV with the expected content. The browser test drives
Chromium and opens the downloaded files."""

from __future__ import annotations

import io
import time
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from innocredit.profile.uscc import make_uscc

A = make_uscc("91330106MA2UPLD10")
B = make_uscc("91330106MA2UPLD20")


def _social_insurance_xlsx(path: Path, bad: str = "thirty", as_of: str = "2025-06-30") -> Path:
    with xlsxwriter.Workbook(str(path)) as wb:
        ws = wb.add_worksheet("参保")
        ws.write_row(0, 0, ["统一社会信用代码", "数据日期", "参保人数"])
        ws.write_row(1, 0, [A, as_of, 120])
        ws.write_row(2, 0, [B, as_of, bad])
    return path


def _wait(client, job_id: str, headers: dict) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/feeds/jobs/{job_id}", headers=headers).json()
        if job["stage"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("the ingest job did not finish")


def _user(web, role_suffix: str) -> str:
    return next(u for u in web.users if u.endswith(role_suffix))


def test_upload_api_ingests_in_the_background_and_the_problems_download_as_excel(web, tmp_path):
    web.app.state.upload_dir = str(tmp_path / "uploads")
    h = web.headers("coordinator")
    book = _social_insurance_xlsx(tmp_path / "si.xlsx").read_bytes()
    r = web.client.post("/api/v1/feeds/social_insurance", headers=h, files={"file": ("si.xlsx", book)})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/feeds/jobs/{r.json()['id']}"
    job = _wait(web.client, r.json()["id"], h)
    assert (job["stage"], job["status"], job["rows_read"], job["rows_loaded"], job["rows_rejected"]) == \
        ("done", "loaded", 2, 1, 1)
    x = web.client.get(f"/api/v1/feeds/jobs/{job['id']}/problems.xlsx", headers=h)
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
    problems = pl.read_excel(io.BytesIO(x.content))
    assert problems.columns == ["file", "line", "column", "value", "reason"]
    assert problems.rows() == [(problems["file"][0], 3, "employees", "thirty", "not a whole number")]
    assert problems["file"][0].startswith("social_insurance_")
    # the job is stored: another server process on the same database (a second worker) answers for it too
    from fastapi.testclient import TestClient

    from innocredit.web.app import create_app

    other = create_app(web.app.state.settings, loader=lambda: web.features)
    second = TestClient(other)  # no lifespan: no cache warm-up thread beside the module's app
    seen = second.get(f"/api/v1/feeds/jobs/{job['id']}", headers=h).json()
    assert (seen["stage"], seen["rows_loaded"], seen["problems"]) == ("done", 1, 1)
    assert second.get(f"/api/v1/feeds/jobs/{job['id']}/problems.xlsx", headers=h).status_code == 200
    other.state.engine.dispose()
    # the same bytes again: idempotent (skipped, nothing loaded twice)
    again = _wait(web.client, web.client.post("/api/v1/feeds/social_insurance", headers=h,
                                              files={"file": ("si.xlsx", book)}).json()["id"], h)
    assert (again["status"], again["rows_loaded"]) == ("skipped", 0)


def test_upload_refuses_unknown_feeds_bad_files_and_other_roles(web, tmp_path):
    web.app.state.upload_dir = str(tmp_path / "uploads")
    h = web.headers("coordinator")
    r = web.client.post("/api/v1/feeds/weather", headers=h, files={"file": ("w.csv", b"a\n1\n")})
    assert r.status_code == 422 and "unknown feed 'weather'" in r.json()["detail"]
    r = web.client.post("/api/v1/feeds/tax", headers=h, files={"file": ("t.docx", b"xx")})
    assert r.status_code == 422 and ".csv, .xlsx, .parquet, .jsonl" in r.json()["detail"]
    officer = _user(web, "_officer")
    r = web.client.post("/api/v1/feeds/tax", headers=web.headers(officer), files={"file": ("t.csv", b"uscc\n")})
    assert r.status_code == 403
    assert web.client.get("/api/v1/feeds/jobs/nope", headers=h).status_code == 404


def test_exports_download_with_the_expected_content(web):
    h = web.headers("coordinator")
    x = web.client.get("/api/v1/exports/evaluations/tech-sme.xlsx", headers=h)
    assert x.status_code == 200, x.text
    assert x.headers["content-disposition"] == 'attachment; filename="evaluations_tech-sme.xlsx"'
    results = pl.read_excel(io.BytesIO(x.content))
    expected = web.app.state.data.evaluations("tech-sme")
    assert results.height == expected.height
    assert results.columns[:6] == ["uscc", "system", "system_version", "as_of", "score", "qualified"]
    by_uscc = dict(zip(expected["uscc"].to_list(), expected["score"].to_list()))
    assert all(abs(s - by_uscc[u]) < 1e-9 for u, s in zip(results["uscc"].to_list(), results["score"].to_list()))
    c = web.client.get("/api/v1/exports/evaluations/tech-sme.csv", headers=h)
    assert c.content.startswith(b"\xef\xbb\xbfuscc,system,system_version,as_of,score,qualified")
    assert pl.read_csv(io.BytesIO(c.content[3:])).height == expected.height
    assert web.client.get("/api/v1/exports/evaluations/tech-sme.pdf", headers=h).status_code == 404
    m = web.client.get("/api/v1/exports/metrics.xlsx?by=region&as_of=2026-06-30", headers=h)
    assert m.status_code == 200, m.text
    officer = _user(web, "_officer")
    assert web.client.get("/api/v1/exports/evaluations/tech-sme.xlsx", headers=web.headers(officer)).status_code == 403
    p = web.client.get("/api/v1/exports/portfolio.csv", headers=web.headers(officer))
    assert p.status_code == 200 and p.headers["content-type"].startswith("text/csv")
    r = web.client.get("/api/v1/exports/recommendations.xlsx", headers=web.headers(officer))
    assert r.status_code == 200


@pytest.mark.browser
def test_browser_upload_progress_problems_and_template_downloads(web, tmp_path):
    from browser_support import Shots, chromium, login, serve_in_thread

    web.app.state.upload_dir = str(tmp_path / "uploads")
    book = _social_insurance_xlsx(tmp_path / "social_insurance.xlsx", bad="-3", as_of="2025-09-30")
    shots = Shots("data-io")
    with serve_in_thread(web.app) as base, chromium() as browser:
        ctx = browser.new_context(accept_downloads=True, locale="zh-CN")
        page = ctx.new_page()
        login(page, base, "coordinator", web.users["coordinator"][1])
        page.goto(base + "/data")
        shots(page, "upload-form")
        page.select_option("[data-testid=upload-feed]", "social_insurance")
        page.set_input_files("[data-testid=upload-file]", str(book))
        with page.expect_navigation():
            page.click("[data-testid=upload-submit]")
        page.wait_for_selector("[data-testid=job][data-stage=done]", timeout=60_000)
        shots(page, "upload-done")
        assert page.inner_text("[data-testid=rows-loaded]") == "1"
        assert page.inner_text("[data-testid=rows-rejected]") == "1"
        with page.expect_download() as dl:
            page.click("[data-testid=problems-xlsx]")
        got = tmp_path / "problems.xlsx"
        dl.value.save_as(got)
        problems = pl.read_excel(got)
        assert problems.select("line", "column", "value", "reason").rows() == [
            (3, "employees", "-3", "must not be negative")]
        page.goto(base + "/data")
        with page.expect_download() as dl:
            page.click("[data-testid=template-tax]")
        tpl = tmp_path / "tax.xlsx"
        dl.value.save_as(tpl)
        assert pl.read_excel(tpl, sheet_name="data").columns[:3] == [
            "统一社会信用代码 (uscc)", "数据日期 (as_of)", "会计年度 (fiscal_year)"]
        with page.expect_download() as dl:
            page.click("[data-testid=export-tech-sme-xlsx]")
        results = tmp_path / "tech_sme.xlsx"
        dl.value.save_as(results)
        got = pl.read_excel(results)
        expected = web.app.state.data.evaluations("tech-sme")
        assert got.height == expected.height and got["uscc"].to_list() == expected["uscc"].to_list()
        assert got["qualified"].to_list() == expected["qualified"].to_list()
        ctx.close()


def _application(web) -> str:
    import datetime as dt

    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).isoformat()
    cats = ["registry", "tax", "social_insurance", "ip", "science_tech", "courts", "bank_history", "financing_request"]
    web.client.post("/api/v1/consents", json={"bank_id": "bank-hz-01", "categories": cats, "valid_until": until},
                    headers=web.headers("enterprise"))
    A = web.headers("bank_a_officer")
    app = web.client.post("/api/v1/applications", json={"uscc": web.ent_uscc, "product_id": "innovation_points_credit",
                                                        "amount": "300000", "term_months": 12}, headers=A)
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    web.client.post(f"/api/v1/applications/{app_id}/review", headers=A)
    web.client.post(f"/api/v1/applications/{app_id}/approve", json={}, headers=web.headers("bank_a_approver"))
    return app_id


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def test_credit_report_html_and_pdf_in_both_languages(web):
    app_id = _application(web)
    A = web.headers("bank_a_officer")
    name = web.app.state.data.row(web.ent_uscc)["name"]
    zh = web.client.get(f"/applications/{app_id}/report?lang=zh", headers=A)
    assert zh.status_code == 200, zh.text[:500]
    for text in ("授信调查报告", "一、企业概况", "统一社会信用代码", "四、审批记录", "/static/report.css", web.ent_uscc,
                 name):
        assert text in zh.text, text
    assert "300,000" in zh.text and "<svg" in zh.text  # the amount and the pages' charts
    assert "bank_a_approver" in zh.text  # the approval trail
    en = web.client.get(f"/applications/{app_id}/report?lang=en", headers=A)
    assert "Credit investigation report" in en.text and "1. The firm" in en.text
    assert "@media print" in web.client.get("/static/report.css").text
    pdf = web.client.get(f"/applications/{app_id}/report.pdf?lang=en", headers=A)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Credit investigation report" in text and web.ent_uscc in text and "4. Approval trail" in text
    # another bank's staff cannot read it
    assert web.client.get(f"/applications/{app_id}/report", headers=web.headers("bank_b_officer")).status_code in (403, 404)


@pytest.mark.browser
def test_browser_credit_report_page_and_pdf_download(web, tmp_path):
    from browser_support import Shots, chromium, login, serve_in_thread

    app_id = _application(web)
    shots = Shots("credit-report")
    with serve_in_thread(web.app) as base, chromium() as browser:
        ctx = browser.new_context(accept_downloads=True)
        page = ctx.new_page()
        login(page, base, "bank_a_officer", web.users["bank_a_officer"][1])
        page.goto(f"{base}/applications/{app_id}/report?lang=zh")
        page.wait_for_selector("[data-testid=credit-report]")
        shots(page, "report-zh")
        assert "一、企业概况" in page.inner_text("[data-testid=report-profile]")
        assert web.ent_uscc in page.inner_text("[data-testid=report-profile]")
        page.emulate_media(media="print")  # the print stylesheet hides the navigation
        assert not page.is_visible("header.top")
        page.emulate_media(media="screen")
        with page.expect_download() as dl:
            page.click("[data-testid=report-pdf]")
        got = tmp_path / "report.pdf"
        dl.value.save_as(got)
        text = _pdf_text(got.read_bytes())
        assert "授信调查报告" in text and web.ent_uscc in text and "四、审批记录" in text
        ctx.close()


def _page_login(client, web, username: str) -> str:
    import re

    client.cookies.clear()
    page = client.get("/login?lang=zh")
    field, token = re.search(r'name="(csrf_token)" value="([^"]+)"', page.text).groups()
    r = client.post("/login", data={"username": username, "password": web.users[username][1], field: token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/data")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_lists_page_takes_an_excel_file_of_application_items(web, tmp_path):
    from fastapi.testclient import TestClient

    firms = web.features["uscc"].to_list()[:3]
    with TestClient(web.app) as client:
        h = web.headers("coordinator")
        list_id = client.post("/api/v1/lists", json={"name": "excel items"}, headers=h).json()["id"]
        token = _page_login(client, web, "coordinator")
        page = client.get(f"/lists/{list_id}?lang=zh").text  # the list page offers the upload
        assert f'action="/lists/{list_id}/items/upload"' in page and "上传申报清单" in page
        book = tmp_path / "申报清单.xlsx"
        with xlsxwriter.Workbook(str(book)) as wb:
            ws = wb.add_worksheet("申报清单")
            ws.write_row(0, 0, ["统一社会信用代码", "申请金额", "申请期限（月）", "贷款用途", "有固定经营场所"])
            ws.write_row(1, 0, [firms[0], 500000, 12, "rd", "是"])
            ws.write_row(2, 0, [firms[1], 800000, 24, "equipment", "否"])
        r = client.post(f"/lists/{list_id}/items/upload", data={"csrf_token": token},
                        files={"file": (book.name, book.read_bytes())}, follow_redirects=False)
        assert r.status_code == 303, r.text
        items = client.get(f"/api/v1/lists/{list_id}", headers=h).json()
        text = str(items)
        assert firms[0] in text and firms[1] in text and firms[2] not in text
        # a bad cell: named with file, sheet, row and column; nothing is added
        bad = tmp_path / "bad.xlsx"
        with xlsxwriter.Workbook(str(bad)) as wb:
            ws = wb.add_worksheet("清单")
            ws.write_row(0, 0, ["统一社会信用代码", "申请金额"])
            ws.write_row(1, 0, [firms[2], 300000])
            ws.write_row(2, 0, [firms[2][:17] + "0", "lots"])
        r = client.post(f"/lists/{list_id}/items/upload", data={"csrf_token": token},
                        files={"file": ("bad.xlsx", bad.read_bytes())}, follow_redirects=False)
        import html

        assert r.status_code == 422
        shown = html.unescape(r.text)  # the page's error page
        assert "bad.xlsx[清单]:3: column 'requested_amount': not a number (value 'lots')" in shown
        assert "bad.xlsx[清单]:3: column 'uscc'" in shown and "2 problem(s), nothing added" in shown
        assert firms[2] not in str(client.get(f"/api/v1/lists/{list_id}", headers=h).json())


def test_bank_pages_link_their_downloads(web):
    """The portfolio and the inbox offer their tables as Excel and CSV, and the links answer with the files."""
    import re

    from fastapi.testclient import TestClient

    with TestClient(web.app) as client:
        page = client.get("/login?lang=zh")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"username": "bank_a_officer", "password": web.users["bank_a_officer"][1],
                                    "csrf_token": token})
        for path, link in (("/portfolio", "/api/v1/exports/portfolio.xlsx"),
                           ("/inbox", "/api/v1/exports/recommendations.xlsx")):
            html_page = client.get(path + "?lang=zh").text
            assert f'href="{link}"' in html_page and "下载" in html_page
            r = client.get(link)
            assert r.status_code == 200 and r.content[:2] == b"PK"  # an .xlsx is a zip archive
