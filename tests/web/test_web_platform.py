"""The platform frame: accounts, tokens, sessions, CSRF, throttling, problem details, pagination, i18n, ops."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from innocredit.web.auth import hash_password, verify_password
from innocredit.web.i18n import MESSAGES


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def test_password_hash_is_argon2_and_verifies():
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "wrong")
    assert not verify_password("not-a-hash", "x")


def test_token_me_and_revoke(web):
    r = web.client.post("/api/v1/auth/token", json={"username": "bank_a_officer", "password": "demo-bank_a_officer-2024"})
    assert r.status_code == 200
    tok = r.json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    me = web.client.get("/api/v1/auth/me", headers=h).json()
    assert (me["role"], me["org_id"], me["org_kind"]) == ("bank_officer", "bank-hz-01", "bank")
    assert web.client.delete("/api/v1/auth/token", headers=h).status_code == 204
    r = web.client.get("/api/v1/auth/me", headers=h)
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_errors_are_problem_details(web):
    r = web.client.get("/api/v1/enterprises")
    body = r.json()
    assert r.status_code == 401 and body["status"] == 401 and body["title"] == "Unauthorized"
    assert body["instance"] == "/api/v1/enterprises"
    r = web.client.get("/api/v1/enterprises?limit=0", headers=web.headers("coordinator"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "limit"]
    r = web.client.get("/api/v1/enterprises/911111111111111111", headers=web.headers("coordinator"))
    assert r.status_code == 404 and r.json()["type"].endswith("/not-found")


def test_pagination(web):
    h = web.headers("coordinator")
    first = web.client.get("/api/v1/enterprises?limit=7&offset=0", headers=h).json()
    second = web.client.get("/api/v1/enterprises?limit=7&offset=7", headers=h).json()
    assert first["total"] == web.features.height == second["total"]
    assert len(first["items"]) == 7 and first["limit"] == 7 and second["offset"] == 7
    assert not {e["uscc"] for e in first["items"]} & {e["uscc"] for e in second["items"]}
    everything = sorted(web.features["uscc"].to_list())
    assert [e["uscc"] for e in first["items"] + second["items"]] == everything[:14]


def test_directory_filters(web):
    h = web.headers("coordinator")
    region = web.features["region_code"][0]
    expect = web.features.filter(web.features["region_code"].str.starts_with(region)).height
    got = web.client.get(f"/api/v1/enterprises?region={region}&limit=1", headers=h).json()
    assert got["total"] == expect


def test_enterprise_sees_only_itself(web):
    h = web.headers("enterprise")
    listing = web.client.get("/api/v1/enterprises", headers=h).json()
    assert [e["uscc"] for e in listing["items"]] == [web.ent_uscc]
    other = sorted(web.features["uscc"].to_list())[1]
    assert web.client.get(f"/api/v1/enterprises/{other}", headers=h).status_code == 404
    assert web.client.get(f"/api/v1/enterprises/{web.ent_uscc}", headers=h).status_code == 200
    assert web.client.get(f"/api/v1/enterprises/{other}/features", headers=h).status_code == 404


def test_login_page_flow(web):
    c = TestClient(web.app)
    r = c.get("/dashboard", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    page = c.get("/login")
    assert page.status_code == 200 and "登录" in page.text  # zh by default
    # without the CSRF field: refused
    r = c.post("/login", data={"username": "coordinator", "password": "demo-coordinator-2024"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/login", data={"username": "coordinator", "password": "demo-coordinator-2024",
                               "csrf_token": _csrf(page.text), "next": "/dashboard"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = r.headers["set-cookie"]
    assert "ic_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    dash = c.get("/dashboard")
    assert dash.status_code == 200 and "<svg" in dash.text and "协同看板" in dash.text
    en = c.get("/dashboard?lang=en")
    assert "Coordination dashboard" in en.text and "lang=en" in en.headers.get("set-cookie", "")
    # a cookie-authenticated API write without the CSRF header is refused
    r = c.post("/api/v1/evaluations", json={"uscc": web.ent_uscc, "system": "innovation-points"})
    assert r.status_code == 403 and r.json()["type"].endswith("/csrf")
    # logout needs the CSRF field too, then the session is gone
    r = c.post("/logout", data={"csrf_token": _csrf(dash.text)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/dashboard", follow_redirects=False).status_code == 303


def test_login_throttled_after_repeated_failures(web):
    # settings.login_max_failures = 3 in the fixture
    for _ in range(3):
        r = web.client.post("/api/v1/auth/token", json={"username": "guarantor", "password": "wrong-password"})
        assert r.status_code == 401
    r = web.client.post("/api/v1/auth/token", json={"username": "guarantor", "password": "demo-guarantor-2024"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["type"].endswith("/login-throttled")


def test_health_and_ready(web):
    assert web.client.get("/healthz").json() == {"status": "ok"}
    ready = web.client.get("/readyz")
    assert ready.status_code == 200 and "enterprises" in ready.json()["api"]


def test_openapi_document(web):
    doc = web.client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert all(p.startswith("/api/v1/") for p in doc["paths"])
    assert "/api/v1/enterprises" in doc["paths"]
    assert not any(p.startswith("/login") for p in doc["paths"])


def test_request_id_and_json_logs(web, caplog):
    from innocredit.web.logging import JsonFormatter

    r = web.client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    rec = logging.LogRecord("innocredit.web", logging.INFO, __file__, 1, "request", None, None)
    rec.path = "/x"
    line = json.loads(JsonFormatter().format(rec))
    assert line["msg"] == "request" and line["path"] == "/x"


def test_catalogue_is_bilingual():
    missing = [k for k, v in MESSAGES.items() if not v.get("zh") or not v.get("en")]
    assert missing == []


def test_security_headers_on_pages(web):
    r = web.client.get("/login")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "ic_csrf=" in r.headers.get("set-cookie", "") or "ic_csrf" in web.client.cookies


def test_charts_are_svg_with_the_values():
    from xml.etree import ElementTree

    from innocredit.web.charts import bar_chart, hbar_chart, radar_chart

    bars = hbar_chart([("330102", 40), ("330106", 10)], "by region")
    root = ElementTree.fromstring(str(bars))
    widths = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert widths[0] == pytest.approx(4 * widths[1])  # 40 vs 10: bar lengths in proportion
    radar = ElementTree.fromstring(str(radar_chart([("tech", 1.0), ("growth", 0.5), ("aux", 0.0)], "groups")))
    area = [p for p in radar.iter("{http://www.w3.org/2000/svg}polygon") if p.get("class") == "area"][0]
    pts = [tuple(map(float, xy.split(","))) for xy in area.get("points").split()]
    # centre (160, 160), radius 100: tech at the top at full length, aux at the centre
    assert pts[0] == pytest.approx((160.0, 60.0)) and pts[2] == pytest.approx((160.0, 160.0))
    assert "<svg" in str(bar_chart([("0-5", 3)], "days"))


def test_radar_labels_stay_inside_the_picture():
    """Long Chinese group names at the left and right corners of a radar are not cut off by the SVG's edge."""

    from innocredit.web.charts import _text_width, radar_chart

    names = ["技术创新指标", "成长经营指标", "辅助指标加分项", "人才指标", "knowledge capital", "产业链协同"]
    for n in (3, 4, 5, 6):
        _check_inside(radar_chart([(name, 0.3 + 0.1 * i) for i, name in enumerate(names[:n])], "groups"))
    # 技术创新指标 90% is 6 CJK characters + 4 others at 11 px: 66 + 26.4 units wide
    assert _text_width("技术创新指标 90%") == pytest.approx(6 * 11 + 4 * 6.6)


def _check_inside(svg) -> None:  # type: ignore[no-untyped-def]
    from xml.etree import ElementTree

    from innocredit.web.charts import _text_width

    root = ElementTree.fromstring(str(svg))
    left, top, width, height = map(float, root.get("viewBox").split())
    for text in root.iter("{http://www.w3.org/2000/svg}text"):
        x, y, w = float(text.get("x")), float(text.get("y")), _text_width(text.text)
        start = {"start": x, "end": x - w, "middle": x - w / 2}[text.get("text-anchor")]
        assert left <= start and start + w <= left + width, (text.text, start, w, left, width)
        assert top <= y - 11 and y + 3 <= top + height, (text.text, y, top, height)  # 11 px glyphs, baseline y
    for poly in root.iter("{http://www.w3.org/2000/svg}polygon"):  # the rings and the area are inside too
        for xy in poly.get("points").split():
            px, py = map(float, xy.split(","))
            assert left <= px <= left + width and top <= py <= top + height


def test_readyz_fails_before_migration_and_migrate_on_start(tmp_path):
    from innocredit.web.app import create_app
    from innocredit.web.config import Settings

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    cold = create_app(Settings(database_url=url, secret_key="k" * 32))
    with TestClient(cold) as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/readyz").status_code == 503
    warm = create_app(Settings(database_url=url, secret_key="k" * 32, migrate_on_start=True))
    with TestClient(warm) as c:
        assert c.get("/readyz").status_code == 200


def test_settings_from_env(monkeypatch):
    from decimal import Decimal

    from innocredit.web.config import Settings

    monkeypatch.setenv("INNOCREDIT_DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("INNOCREDIT_LPR", "0.031")
    monkeypatch.setenv("INNOCREDIT_SLA_DAYS", "4")
    monkeypatch.setenv("INNOCREDIT_MIGRATE_ON_START", "1")
    s = Settings.from_env()
    assert (s.database_url, s.lpr, s.sla_days, s.migrate_on_start) == ("sqlite:///x.db", Decimal("0.031"), 4, True)
    assert len(Settings.from_env().secret_key) >= 32  # a random key when none is configured


def test_a_write_is_committed_before_the_answer_is_sent(web):
    """The request's session commits before the response goes out: when the commit fails, the client gets an
    error (not a 201 for a write that never happened), and after a success the next request reads the write."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    headers = web.headers("coordinator")
    ok = web.client.post("/api/v1/lists", json={"name": "committed before answer"}, headers=headers)
    assert ok.status_code == 201
    names = [x["name"] for x in web.client.get("/api/v1/lists?limit=200", headers=headers).json()["items"]]
    assert "committed before answer" in names

    real = web.app.state.sessionmaker

    def failing_sessions():  # the database refuses to commit a write (a lock timeout, a lost connection)
        session = real()
        wrote: list[bool] = []
        event.listen(session, "do_orm_execute", lambda state: wrote.append(state.is_insert or state.is_update))
        real_commit = session.commit

        event.listen(session, "after_flush", lambda s, ctx: wrote.append(bool(s.new or s.dirty or s.deleted)))

        def commit():
            if not any(wrote):
                return real_commit()  # reads (the token lookup) commit as usual
            session.rollback()
            raise OperationalError("COMMIT", {}, Exception("database is locked"))

        session.commit = commit
        return session

    web.app.state.sessionmaker = failing_sessions
    try:
        client = TestClient(web.app, raise_server_exceptions=False)  # no lifespan: the module's app keeps running
        lost = client.post("/api/v1/lists", json={"name": "never committed"}, headers=headers)
    finally:
        web.app.state.sessionmaker = real
    assert lost.status_code == 503, lost.status_code  # a database that cannot commit: "try again", not a crash
    assert lost.headers["content-type"].startswith("application/problem+json")
    names = [x["name"] for x in web.client.get("/api/v1/lists?limit=200", headers=headers).json()["items"]]
    assert "never committed" not in names


def test_codes_are_shown_with_their_names():
    from innocredit.web.render import code_label

    assert code_label("C3976", "industry", "zh") == "C3976 · 计算机、通信和其他电子设备制造业"
    assert code_label("I6513", "industry", "en") == "I6513 · software and IT services"
    assert code_label("330102", "region", "zh") == "330102 · 杭州"
    assert code_label("Z9999", "industry", "en") == "Z9999"  # unknown division: the bare code
    assert code_label(None, "region", "en") == "—"


def test_profile_page_names_industry_and_city(web):
    uscc = web.ent_uscc
    row = web.features.filter(web.features["uscc"] == uscc).row(0, named=True)
    from innocredit.web.render import code_label

    html = web.client.get(f"/enterprises/{uscc}?lang=en", headers=web.headers("coordinator")).text
    assert code_label(row["industry_code"], "industry", "en") in html
    assert code_label(row["region_code"], "region", "en") in html


def test_bar_labels_fit_and_sections_are_named():
    from xml.etree import ElementTree

    from innocredit.web.charts import _text_width, hbar_chart
    from innocredit.web.render import code_label

    assert code_label("I", "section", "zh") == "I · 信息传输、软件和信息技术服务业"
    assert code_label("M", "section", "en") == "M · R&D and tech services"
    items = [(code_label(s, "section", "zh"), v) for s, v in (("C", 20.0), ("I", 10.0), ("M", 5.0))]
    root = ElementTree.fromstring(str(hbar_chart(items, "by section", "%")))
    labels = [x for x in root.iter("{http://www.w3.org/2000/svg}text") if x.get("text-anchor") == "end"]
    assert [x.text for x in labels] == [label for label, _ in items]
    for x in labels:  # right-aligned at x: the label starts at x - width, inside the picture
        assert float(x.get("x")) - _text_width(x.text) >= 0
