"""List pages people work in all day (issue 18): paging, sorting and filtering done in the query with the state
in the URL, the officer's worklist columns, the demo's applications in every state, the dashboard's monthly
trends, no table page with more than 100 rows, and no untranslated code on a Chinese page."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from web_support import build_env

from innocredit.coordination.calendar import default_calendar
from innocredit.lending.schema import load_products
from innocredit.services import lending
from innocredit.services.database import unit_of_work
from innocredit.services.demo import DEMO_STATES, load_demo
from innocredit.storage.base import make_engine
from innocredit.web.i18n import LABELS
from innocredit.web.pagination import MAX_PAGE_SIZE, PAGE_SIZE

TABLE_PAGES = ("/inbox", "/applications", "/portfolio", "/lists", "/enterprises")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app, features, users, ent_uscc, url = build_env(tmp_path_factory.mktemp("lists"))
    engine = make_engine(url)
    counts = load_demo(engine, features, 11)
    pw = {u[0]: u[1] for u in users}
    with TestClient(app) as client:
        yield client, pw, counts, engine
    engine.dispose()


def _login(client: TestClient, pw: dict, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login?lang=zh")
    field, token = re.search(r'name="(csrf_token)" value="([^"]+)"', page.text).groups()
    r = client.post("/login", data={"username": username, "password": pw[username], field: token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text


def _rows(text: str, testid: str) -> list[str]:
    body = re.search(rf'data-testid="{testid}".*?<tbody>(.*?)</tbody>', text, re.S)
    assert body, f"no table {testid}"
    return [r for r in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S) if 'colspan' not in r]


def _total(text: str) -> int:
    shown = re.search(r'data-testid="page-of">[^<]*?(\d+) 条<', text) or re.search(r'data-testid="page-of">[^<]*?(\d+) rows<', text)
    assert shown, "no page count"
    return int(shown.group(1))


def test_demo_holds_applications_in_every_state_at_both_banks(site):
    client, pw, counts, engine = site
    assert counts["lending_states"] == 2 * len(DEMO_STATES)
    with unit_of_work(engine) as s:
        for bank in ("bank-hz-01", "bank-hz-02"):
            apps = lending.list_applications(s, bank)
            states = {a["status"] for a in apps}
            assert {"draft", "submitted", "under_review", "approved", "rejected", "contracted"} <= states
            # approved above the second-approver threshold, awaiting the second approver
            assert any(a["status"] == "under_review" and a["approver1"] and not a["approver2"] for a in apps)
            loans = {x["status"] for x in lending.list_loans(s, bank) if x["origin"] == "platform"}
            assert {"contracted", "active", "overdue", "repaid"} <= loans
    _login(client, pw, "bank_a_officer")
    page = client.get("/applications?size=100").text
    shown = set(re.findall(r'data-testid="app-status" data-status="(\w+)"', page))
    assert {"draft", "submitted", "under_review", "approved", "rejected", "contracted"} <= shown
    assert 'data-testid="awaiting-second"' in page
    port = client.get("/portfolio?status=overdue").text
    assert set(re.findall(r'data-testid="loan-status" data-status="(\w+)"', port)) == {"overdue"}


def test_inbox_pages_in_the_query_with_the_state_in_the_url(site):
    client, pw, *_ = site
    _login(client, pw, "bank_a_officer")
    first = client.get("/inbox")
    assert first.status_code == 200
    total = _total(first.text)
    assert total > PAGE_SIZE, "the demo gives the officer more than one page"
    assert len(_rows(first.text, "inbox")) == PAGE_SIZE
    second = client.get("/inbox?page=2")
    assert len(_rows(second.text, "inbox")) == min(PAGE_SIZE, total - PAGE_SIZE)
    firms_1 = set(re.findall(r'data-testid="inbox-firm">([^<]+)<', first.text))
    firms_2 = set(re.findall(r'data-testid="inbox-firm">([^<]+)<', second.text))
    assert len(firms_1 & firms_2) < PAGE_SIZE  # a different slice, not the same rows again
    # the next link keeps sort, direction and filters
    nxt = client.get("/inbox?status=declined&sort=due&dir=desc").text
    link = re.search(r'data-testid="next" href="\?([^"]+)"|href="\?([^"]+)" data-testid="next"', nxt)
    if link:
        q = html.unescape(link.group(1) or link.group(2))
        assert "status=declined" in q and "dir=desc" in q and "page=2" in q


def test_bad_list_parameters_are_named(site):
    client, pw, *_ = site
    _login(client, pw, "bank_a_officer")
    for query, name in (("page=x", "page"), ("size=101", "size"), ("sort=uscc", "sort"), ("dir=up", "dir"),
                        ("status=lost", "status"), ("grade=Z", "grade")):
        r = client.get(f"/applications?{query}", headers={"Accept": "application/json"})
        assert r.status_code == 422, query
        assert name in r.text


def test_filters_and_sorting(site):
    client, pw, counts, engine = site
    _login(client, pw, "bank_a_officer")
    page = client.get("/applications?overdue=1&size=100").text
    days = [int(d) for d in re.findall(r'data-testid="wl-due" data-days="(-?\d+)"', page)]
    assert days and all(d < 0 for d in days)
    assert 'class="badge bad late"' in page
    declined = client.get("/inbox?status=declined&size=100").text
    assert "已受理" not in re.sub(r"<option.*?</option>", "", declined)
    # sorting happens in the query: the service's order by outstanding, descending
    with unit_of_work(engine) as s:
        rows, total, outstanding = lending.loan_page(s, role="bank_officer", bank_id="bank-hz-01",
                                                     sort="outstanding", descending=True, limit=10)
        amounts = [r["outstanding"] for r in rows]
        assert amounts == sorted(amounts, reverse=True)
        every = lending.visible_loans(s, role="bank_officer", bank_id="bank-hz-01")
        assert total == len(every)
        assert outstanding == sum((x["outstanding"] or Decimal(0)) for x in every)
        overdue_rows, n_overdue, _ = lending.loan_page(s, role="bank_officer", bank_id="bank-hz-01", overdue=True)
        assert n_overdue == sum(1 for x in every if x["days_past_due"] > 0) and n_overdue >= 1
        # another bank's loans never enter the page
        assert all(r["bank_id"] == "bank-hz-01" for r in overdue_rows)
    region = client.get("/portfolio?region=330108&size=100").text
    assert "滨江区" in region or "暂无数据" in region


def test_worklist_columns(site):
    client, pw, *_ = site
    _login(client, pw, "bank_a_officer")
    page = client.get("/applications?status=submitted").text
    for col in ("wl-points", "wl-quals", "wl-grade", "wl-requested", "wl-best", "wl-due"):
        assert f'data-testid="{col}"' in page
    assert "/ 70" in page  # the points against the policy line
    assert "剩 " in page or "已超期" in page  # the decision deadline counts down in working days
    # a submitted application's deadline: the lending policy's SLA in working days from submission
    cal = default_calendar()
    m = re.findall(r'data-testid="wl-due" data-days="(-?\d+)"', page)
    assert m
    assert all(-30 < int(d) <= 3 for d in m)
    assert cal.working_days_between(dt.date(2026, 12, 4), dt.date(2026, 12, 7)) == 1  # Friday to Monday


def test_no_table_page_renders_more_than_100_rows(site):
    client, pw, *_ = site
    for user, pages in (("bank_a_officer", ("/inbox", "/applications", "/portfolio", "/enterprises")),
                        ("coordinator", ("/lists", "/enterprises", "/portfolio"))):
        _login(client, pw, user)
        for path in pages:
            for query in ("", f"?size={MAX_PAGE_SIZE}"):
                r = client.get(path + query)
                assert r.status_code == 200, (path, query)
                for body in re.findall(r"<tbody>(.*?)</tbody>", r.text, re.S):
                    assert body.count("<tr") <= MAX_PAGE_SIZE, (path, query)
                if not query:
                    for body in re.findall(r"<tbody>(.*?)</tbody>", r.text, re.S):
                        assert body.count("<tr") <= max(PAGE_SIZE, 25), path


def _codes() -> set[str]:
    codes = {p.id for p in load_products()}
    for kind in ("state", "push", "severity", "product_kind", "purpose"):
        codes |= set(LABELS[kind])
    return codes


def _visible(text: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
    text = re.sub(r"<option\b[^>]*>", " ", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def untranslated(text: str) -> list[str]:
    """Codes shown as they are on a page: catalogue codes as words, and bare region codes."""
    visible = _visible(text)
    found = [w for w in re.findall(r"[A-Za-z][A-Za-z_]+", visible) if w in _codes()]
    found += re.findall(r"(?<![\d（(])\b3[0-9]{5}\b(?![\d）)])", visible)
    return found


def test_the_names_check_catches_a_code():
    assert untranslated("<td>innovation</td><td>330108</td>") == ["innovation", "330108"]
    assert untranslated("<td>研发贷</td><td>杭州市滨江区</td><td>91330108MA2CXXXX1A</td>") == []


def test_chinese_pages_show_no_untranslated_code(site):
    client, pw, *_ = site
    for user, pages in (("bank_a_officer", ("/inbox", "/applications", "/portfolio", "/enterprises",
                                            "/applications?size=100", "/portfolio?status=overdue")),
                        ("coordinator", ("/dashboard", "/lists", "/enterprises", "/portfolio"))):
        _login(client, pw, user)
        for path in pages:
            r = client.get(path, params={"lang": "zh"})
            assert r.status_code == 200, path
            assert untranslated(r.text) == [], path


def test_dashboard_tells_the_story_in_monthly_trends(site):
    client, pw, *_ = site
    _login(client, pw, "coordinator")
    page = client.get("/dashboard?lang=zh").text
    assert page.count('class="chart line"') == 5
    assert "目标 40%" in page and "SLA 3" in page
    assert re.search(r'<a href="/enterprises\?region=33\d{4}">', page)  # a district bar links to its firms
    points = [int(n) for n in re.findall(r'data-points="(\d+)"', page)]
    assert max(points) == 12  # twelve months of the demo year
    # no card repeats its heading inside the chart
    for heading, svg in re.findall(r"<h2>([^<]+)</h2>(<svg.*?</svg>)", page, re.S):
        assert f">{heading}</text>" not in svg


def test_the_path_is_shown_only_for_a_system_the_firm_fails(site):
    client, pw, *_ = site
    _login(client, pw, "coordinator")
    data = client.app.state.data
    ev = data.evaluations("innovation-points")
    passing = ev.filter(ev["qualified"].fill_null(False))["uscc"][0]
    failing = ev.filter(~ev["qualified"].fill_null(False) & ev["score"].is_not_null())["uscc"][0]
    page = client.get(f"/enterprises/{passing}?system=innovation-points&lang=zh").text
    assert 'data-testid="paths"' not in page and "达到政策线的路径" not in page
    page = client.get(f"/enterprises/{failing}?system=innovation-points&lang=zh").text
    assert 'data-testid="explanation"' in page
    if 'data-testid="paths"' in page:  # each step says how far it moves the firm and what is left
        assert "分" in re.search(r'data-testid="paths">(.*?)</ol>', page, re.S).group(1)
    ht = data.evaluations("high-tech")
    if ht is not None:
        below = ht.filter(~ht["qualified"].fill_null(False))["uscc"][0]
        page = client.get(f"/enterprises/{below}?system=high-tech&lang=zh").text
        assert 'data-testid="reachable"' in page and "可达区间" in page


def test_directory_sorts_and_a_bank_sorts_only_by_what_it_sees(site):
    client, pw, *_ = site
    _login(client, pw, "coordinator")
    data = client.app.state.data
    page = client.get("/enterprises?sort=revenue&dir=desc").text
    expected = data.features().sort(["revenue", "uscc"], descending=[True, False], nulls_last=True)["uscc"][:25]
    shown = re.findall(r'<a href="/enterprises/(\w{18})">', page)
    assert shown == list(expected)
    assert 'data-testid="sort-revenue"' in page
    _login(client, pw, "bank_a_officer")
    r = client.get("/enterprises?sort=revenue", headers={"Accept": "application/json"})
    assert r.status_code == 422 and "sort" in r.text
    assert client.get("/enterprises?sort=name&dir=desc").status_code == 200


def test_a_list_page_names_the_purposes(site):
    client, pw, *_ = site
    _login(client, pw, "coordinator")
    listing = client.get("/lists?sort=created&dir=asc").text
    first = re.search(r'<a href="/lists/(\d+)">', listing).group(1)
    page = client.get(f"/lists/{first}?lang=zh")
    assert page.status_code == 200
    assert untranslated(page.text.split('data-testid="list-items"')[1].split("</table>")[0]) == []
