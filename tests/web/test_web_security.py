"""Accounts and hardening (issue 14 items 1, 5, 6): no default account outside the demo, the first administrator
from the CLI, administration of users and organisations, login throttling that holds under parallel requests,
CSRF bound to the session, request body limit, no-store, HSTS and __Host- cookies.

The apps here are small (a 60-firm feature table, no demo district) so that they test accounts, not data.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner
from web_support import wait_ready

from innocredit.services import platform as accounts
from innocredit.storage.base import make_engine, unit_of_work
from innocredit.storage.migrate import upgrade
from innocredit.storage.platform import LoginAttempt, LoginCounter, User
from innocredit.synthetic import feature_table
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.hardening import Hardening

PW = "correct-horse-battery"
SECRET = "security-test-secret-" + "x" * 24
PG_URL = os.environ.get("INNOCREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as s:
        accounts.ensure_platform_organisation(s)
        accounts.create_organisation(s, "bank-a", "bank", "甲银行", "Bank A", "330100")
        accounts.create_organisation(s, "bank-b", "bank", "乙银行", "Bank B", "330100")
        accounts.create_user(s, "root", PW, "admin", "platform")
        for name, org in (("officer_a", "bank-a"), ("officer_b", "bank-b"), ("victim", "bank-a"),
                          ("throttled", "bank-a")):
            accounts.create_user(s, name, PW, "bank_officer", org)
    engine.dispose()


def _app(url: str, **overrides: Any) -> Any:
    settings = Settings(**{"database_url": url, "secret_key": SECRET, "cookie_secure": False,
                           "login_max_failures": 3, "max_body_bytes": 64 * 1024, **overrides})
    features = feature_table(60, 3)
    app = create_app(settings, loader=lambda: features)
    # the app factory wires the admin router and Hardening (outermost); the tests rely on that wiring
    assert "admin" in app.state.api_wired and any(m.cls is Hardening for m in app.user_middleware)
    return app


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sec') / 's.db'}"
    _seed(url)
    with TestClient(_app(url)) as client:
        yield client, url


def _token(client: TestClient, username: str, password: str = PW) -> str:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def _page_login(app: Any, username: str, base_url: str = "http://testserver") -> tuple[TestClient, str]:
    """A browser-like client logged in through the form; returns it and the login form's (pre-login) token."""
    c = TestClient(app, base_url=base_url)
    before = _csrf(c.get("/login").text)
    r = c.post("/login", data={"username": username, "password": PW, "csrf_token": before}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c, before


# ---- item 1: no default accounts, the first administrator, the secret key ----------------------------------------

def test_no_demo_creates_no_account_and_disables_published_demo_passwords(tmp_path: Path) -> None:
    from innocredit.cli.run import setup
    from innocredit.web.demo import demo_password, seed_demo_users

    url = f"sqlite:///{tmp_path / 'd.db'}"
    assert setup(url, demo=False) == []
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(User)) == 0
    # a database that once ran the demo: every account with a published password is disabled
    seeded = seed_demo_users(engine)
    assert len(seeded) >= 10
    with unit_of_work(engine) as s:  # one demo account changed its password: it stays
        accounts.reset_password(s, "coordinator", "a-private-password")
    disabled = setup(url, demo=False)
    assert sorted(u[0] for u in disabled) == sorted(u[0] for u in seeded if u[0] != "coordinator")
    with unit_of_work(engine) as s:
        for username, *_ in seeded:
            assert accounts.login(s, username, demo_password(username)) is None
        assert accounts.login(s, "coordinator", "a-private-password") is not None
    engine.dispose()


def test_run_without_demo_refuses_to_start_without_a_secret_key(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from innocredit.cli import app

    monkeypatch.delenv("INNOCREDIT_SECRET_KEY", raising=False)
    res = CliRunner().invoke(app, ["run", "--no-demo", "--database", f"sqlite:///{tmp_path / 'r.db'}"])
    assert res.exit_code == 2
    assert "INNOCREDIT_SECRET_KEY is not set" in res.output
    assert not (tmp_path / "r.db").exists()  # refused before touching the database


def test_run_names_a_bad_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from innocredit.cli import app

    monkeypatch.setenv("INNOCREDIT_LPR", "3")
    res = CliRunner().invoke(app, ["run", "--no-demo", "--database", f"sqlite:///{tmp_path / 'r.db'}"])
    assert res.exit_code == 2 and "INNOCREDIT_LPR" in res.output and "Traceback" not in res.output


def test_run_against_an_unreachable_database_prints_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from innocredit.cli import app

    monkeypatch.setenv("INNOCREDIT_SECRET_KEY", SECRET)
    res = CliRunner().invoke(app, ["run", "--no-demo", "--database",
                                   "postgresql://postgres:secret-pw@127.0.0.1:1/nowhere"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot use the database" in lines[0] and "secret-pw" not in lines[0]


def test_users_add_creates_the_first_administrator_from_stdin(tmp_path: Path) -> None:
    from innocredit.cli import app

    db = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()
    res = runner.invoke(app, ["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db],
                        input="a-long-admin-password\n")
    assert res.exit_code == 0, res.output
    assert '"role": "admin"' in res.output and '"org_id": "platform"' in res.output
    engine = make_engine(db)
    with unit_of_work(engine) as s:
        user = accounts.login(s, "root", "a-long-admin-password")
        assert user is not None and user.role == "admin"
        assert user.password_hash.startswith("$argon2id$")
    engine.dispose()
    # a short password, a duplicate, a bank role without a bank: refused with the field named
    res = runner.invoke(app, ["users", "add", "root2", "--role", "admin", "--password-stdin", "--db", db],
                        input="short\n")
    assert res.exit_code == 2 and "password" in res.output
    res = runner.invoke(app, ["users", "add", "root", "--role", "admin", "--password-stdin", "--db", db],
                        input="another-long-password\n")
    assert res.exit_code == 2 and "username" in res.output and "exists" in res.output
    res = runner.invoke(app, ["users", "add", "bob", "--role", "bank_officer", "--org", "platform",
                              "--password-stdin", "--db", db], input="another-long-password\n")
    assert res.exit_code == 2 and "org_id" in res.output
    # the last administrator cannot be disabled
    res = runner.invoke(app, ["users", "disable", "root", "--db", db])
    assert res.exit_code == 2 and "last active administrator" in res.output
    # a generated password works once printed; the CLI's changes are in the administration log
    res = runner.invoke(app, ["users", "reset-password", "root", "--generate", "--db", db])
    assert res.exit_code == 0, res.output
    generated = json.loads(res.output)["password"]
    engine = make_engine(db)
    with unit_of_work(engine) as s:
        assert accounts.login(s, "root", generated) is not None
        assert accounts.login(s, "root", "a-long-admin-password") is None
        assert [(e.action, e.target, e.user_id) for e in reversed(accounts.list_events(s))] == [
            ("user.create", "root", None), ("user.password_reset", "root", None)]
    engine.dispose()


# ---- item 1: administration through the API ----------------------------------------------------------------------

def test_only_admins_reach_the_admin_routes(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    officer = _h(_token(client, "officer_a"))
    for method, path in (("GET", "/api/v1/admin/users"), ("GET", "/api/v1/admin/organisations"),
                         ("POST", "/api/v1/admin/users"), ("PATCH", "/api/v1/admin/users/1"),
                         ("POST", "/api/v1/admin/users/1/password"), ("POST", "/api/v1/admin/organisations"),
                         ("PATCH", "/api/v1/admin/organisations/bank-a")):
        assert client.request(method, path, headers=officer, json={}).status_code == 403, path
        assert client.request(method, path, json={}).status_code == 401, path


def test_admin_creates_disables_resets_and_assigns(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    admin = _h(_token(client, "root"))
    r = client.post("/api/v1/admin/organisations", headers=admin,
                    json={"id": "bank-c", "kind": "bank", "name_zh": "丙银行", "name_en": "Bank C"})
    assert r.status_code == 201 and r.json()["active"] is True
    r = client.post("/api/v1/admin/users", headers=admin, json={"username": "carol", "password": PW,
                                                                 "role": "bank_officer", "org_id": "bank-c"})
    assert r.status_code == 201, r.text
    carol_id = r.json()["id"]
    carol = _h(_token(client, "carol"))
    assert client.get("/api/v1/auth/me", headers=carol).json()["org_id"] == "bank-c"
    # assign another role and bank: the old token ends, a new login acts for the new bank
    r = client.patch(f"/api/v1/admin/users/{carol_id}", headers=admin,
                     json={"role": "bank_approver", "org_id": "bank-a"})
    assert r.status_code == 200 and (r.json()["role"], r.json()["org_id"]) == ("bank_approver", "bank-a")
    assert client.get("/api/v1/auth/me", headers=carol).status_code == 401
    me = client.get("/api/v1/auth/me", headers=_h(_token(client, "carol"))).json()
    assert (me["role"], me["org_id"]) == ("bank_approver", "bank-a")
    # reset the password (generated, shown once): the old one fails, the new one works, old tokens end
    token = _token(client, "carol")
    r = client.post(f"/api/v1/admin/users/{carol_id}/password", headers=admin, json={})
    new = r.json()["password"]
    assert r.status_code == 200 and len(new) >= 16
    assert client.get("/api/v1/auth/me", headers=_h(token)).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "carol", "password": PW}).status_code == 401
    token = _token(client, "carol", new)
    # disable: the token ends at once and no login is possible
    r = client.patch(f"/api/v1/admin/users/{carol_id}", headers=admin, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=_h(token)).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "carol", "password": new}).status_code == 401
    users = client.get("/api/v1/admin/users", headers=admin).json()
    assert any(u["username"] == "carol" and not u["active"] for u in users["items"])
    assert all("password" not in str(u.keys()) for u in users["items"])
    # each change is in the administration log, by whom, never with a password
    events = client.get("/api/v1/admin/events?limit=500", headers=admin).json()["items"]
    mine = [(e["action"], e["detail"]) for e in reversed(events) if e["target"] == "carol"]
    assert mine == [("user.create", "role=bank_officer org=bank-c"), ("user.update", "role=bank_approver org_id=bank-a"),
                    ("user.password_reset", "generated"), ("user.update", "active=False")]
    root_id = next(u["id"] for u in users["items"] if u["username"] == "root")
    assert all(e["user_id"] == root_id for e in events if e["target"] == "carol")
    assert new not in str(events) and PW not in str(events)


def test_disabling_an_organisation_locks_its_users_out(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    admin = _h(_token(client, "root"))
    client.post("/api/v1/admin/organisations", headers=admin,
                json={"id": "guar-x", "kind": "guarantor", "name_zh": "担保", "name_en": "Guarantor X"})
    assert client.post("/api/v1/admin/users", headers=admin, json={
        "username": "gina", "password": PW, "role": "guarantor", "org_id": "guar-x"}).status_code == 201
    token = _token(client, "gina")
    r = client.patch("/api/v1/admin/organisations/guar-x", headers=admin, json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=_h(token)).status_code == 401
    assert client.post("/api/v1/auth/token", json={"username": "gina", "password": PW}).status_code == 401
    # and a new user cannot be placed in it
    r = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "gina2", "password": PW, "role": "guarantor", "org_id": "guar-x"})
    assert r.status_code == 422 and "org_id" in r.json()["detail"]


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"username": "x1", "password": PW, "role": "bank_officer", "org_id": "platform"}, "org_id", 422),
    ({"username": "x2", "password": PW, "role": "bank_officer", "org_id": "bank-nowhere"}, "org_id", 404),
    ({"username": "root", "password": PW, "role": "admin", "org_id": "platform"}, "username", 409),
    ({"username": "x3x3x3x3", "password": "X3x3x3x3", "role": "admin", "org_id": "platform"}, "password", 422),
    ({"username": "x4", "password": "short", "role": "admin", "org_id": "platform"}, "password", 422),
    ({"username": "x5", "password": PW, "role": "superuser", "org_id": "platform"}, "role", 422),
    ({"username": "bad name", "password": PW, "role": "admin", "org_id": "platform"}, "username", 422),
])
def test_admin_input_errors_name_the_field(sec: tuple[TestClient, str], body: dict[str, str], field: str,
                                           status: int) -> None:
    client, _ = sec
    r = client.post("/api/v1/admin/users", headers=_h(_token(client, "root")), json=body)
    assert r.status_code == status, r.text
    assert field in r.text and r.headers["content-type"].startswith("application/problem+json")


def test_the_last_administrator_stays(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    admin = _h(_token(client, "root"))
    root_id = next(u["id"] for u in client.get("/api/v1/admin/users", headers=admin).json()["items"]
                   if u["username"] == "root")
    for patch in ({"active": False}, {"role": "coordinator"}):
        r = client.patch(f"/api/v1/admin/users/{root_id}", headers=admin, json=patch)
        assert r.status_code == 422 and "last active administrator" in r.json()["detail"]
    assert client.patch("/api/v1/admin/organisations/platform", headers=admin,
                        json={"active": False}).status_code == 422


# ---- item 5: throttling ------------------------------------------------------------------------------------------

def test_attempts_are_counted_before_the_password_is_checked(sec: tuple[TestClient, str]) -> None:
    client, url = sec
    for _ in range(3):  # login_max_failures = 3
        assert client.post("/api/v1/auth/token", json={"username": "throttled", "password": "wrong-one"}
                           ).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "throttled", "password": PW})
    assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 15 * 60
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(LoginCounter.attempts).where(LoginCounter.username == "throttled")) == 4
        rows = conn.execute(select(LoginAttempt.ok).where(LoginAttempt.username == "throttled")).all()
    engine.dispose()
    assert [ok for (ok,) in rows] == [False] * 4  # the right password was not even checked
    # the page login is throttled by the same counter
    page = TestClient(client.app)
    r = page.post("/login", data={"username": "throttled", "password": PW,
                                  "csrf_token": _csrf(page.get("/login").text)})
    assert r.status_code == 429


def test_a_success_resets_the_count_and_the_window_expires(tmp_path: Path) -> None:
    import datetime as dt

    url = f"sqlite:///{tmp_path / 'w.db'}"
    _seed(url)
    engine = make_engine(url)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with unit_of_work(engine) as s:
        assert [accounts.count_login_attempt(s, "victim", 15, t0 + dt.timedelta(minutes=i))[0]
                for i in range(3)] == [1, 2, 3]
        # 15 minutes after the window opened it starts again
        assert accounts.count_login_attempt(s, "victim", 15, t0 + dt.timedelta(minutes=15, seconds=1))[0] == 1
    with unit_of_work(engine) as s:
        assert accounts.login(s, "victim", "wrong-one", max_failures=3) is None
        assert accounts.login(s, "victim", PW, max_failures=3) is not None
        assert s.scalar(select(LoginCounter.attempts).where(LoginCounter.username == "victim")) == 0
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(pg_schema_url: str, tmp_path: Path) -> None:
    """25 simultaneous wrong passwords against a real server with two worker processes on PostgreSQL: exactly
    5 (the limit) are checked and answered 401, the other 20 are refused 429 without a password check."""
    _seed(pg_schema_url)
    port = _free_port()
    code = ("from innocredit.web.config import Settings; from innocredit.web.server import serve; "
            f"serve('127.0.0.1', {port}, Settings(database_url={pg_schema_url!r}, secret_key={SECRET!r}, "
            "cookie_secure=False, login_max_failures=5), workers=2)")
    env = {**os.environ, "INNOCREDIT_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server)
        barrier = threading.Barrier(25)
        statuses: list[int] = []
        lock = threading.Lock()

        def attempt(i: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                barrier.wait()
                r = c.post("/api/v1/auth/token", json={"username": "victim", "password": f"wrong-{i}"})
            with lock:
                statuses.append(r.status_code)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(25)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(statuses) == [401] * 5 + [429] * 20, statuses
        engine = make_engine(pg_schema_url)
        with engine.connect() as conn:
            assert conn.scalar(select(LoginCounter.attempts).where(LoginCounter.username == "victim")) == 25
        engine.dispose()
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---- item 6: CSRF bound to the session and renewed at login ------------------------------------------------------

def test_the_login_renews_the_csrf_token(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    c, before = _page_login(client.app, "officer_a")
    # the token of the login form is worthless after the login
    assert c.post("/logout", data={"csrf_token": before}, follow_redirects=False).status_code == 403
    after = _csrf(c.get("/login").text)
    assert after != before
    assert c.post("/logout", data={"csrf_token": after}, follow_redirects=False).status_code == 303


def test_a_csrf_token_is_bound_to_its_session(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    a, _ = _page_login(client.app, "officer_a")
    b, _ = _page_login(client.app, "officer_b")
    token_a, token_b = _csrf(a.get("/login").text), _csrf(b.get("/login").text)
    assert token_a != token_b
    # an API write from a page: the session's own CSRF cookie and header pass
    assert a.delete("/api/v1/auth/token", headers={"X-CSRF-Token": token_a}).status_code == 204
    # B's CSRF cookie and token with A's session: refused (a CSRF pair is not transferable between sessions)
    mixed = TestClient(client.app)
    mixed.cookies.set("ic_session", a.cookies["ic_session"])
    mixed.cookies.set("ic_csrf", b.cookies["ic_csrf"])
    r = mixed.delete("/api/v1/auth/token", headers={"X-CSRF-Token": token_b})
    assert r.status_code == 403 and r.json()["type"].endswith("/csrf")
    # and a random CSRF cookie with its own valid HMAC (the pre-login kind) is refused with a session too
    mixed.cookies.set("ic_csrf", "planted-value")
    from innocredit.web.auth import csrf_for

    r = mixed.delete("/api/v1/auth/token", headers={"X-CSRF-Token": csrf_for(SECRET, "planted-value")})
    assert r.status_code == 403


# ---- item 6: body limit, no-store, HSTS, __Host- cookies -----------------------------------------------------------

def test_a_body_over_the_limit_is_refused_before_it_is_read(sec: tuple[TestClient, str]) -> None:
    client, url = sec
    big = b'{"username": "' + b"a" * (200 * 1024) + b'", "password": "x"}'
    r = client.post("/api/v1/auth/token", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/body-too-large") and r.headers.get("x-request-id")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"username": "'
        for _ in range(100):
            yield b"a" * 4096
        yield b'", "password": "x"}'

    r = client.post("/api/v1/auth/token", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    # the pages' forms too
    r = client.post("/login", content=b"username=" + b"a" * (100 * 1024),
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    # a body under the limit is served as before
    assert client.post("/api/v1/auth/token", json={"username": "nobody", "password": "x" * 10}).status_code == 401
    # a feed file larger than the body limit reaches the upload route (its own, larger limit): refused there for
    # want of credentials, not for its size; above the upload limit it is 413 again
    feed = b"uscc,as_of\n" + b"x" * (200 * 1024)
    r = client.post("/api/v1/feeds/registry", files={"file": ("registry.csv", feed)})
    assert r.status_code in (401, 403), r.status_code
    small_upload = _app(url, max_upload_bytes=128 * 1024)
    with TestClient(small_upload) as other:
        r = other.post("/api/v1/feeds/registry", files={"file": ("registry.csv", feed)})
        assert r.status_code == 413


def test_authenticated_responses_are_not_stored(sec: tuple[TestClient, str]) -> None:
    client, _ = sec
    r = client.get("/api/v1/auth/me", headers=_h(_token(client, "officer_b")))
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    c, _ = _page_login(client.app, "officer_b")
    assert c.get("/login").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/healthz").headers.get("cache-control", "")
    assert "strict-transport-security" not in client.get("/healthz").headers  # plain HTTP: no HSTS


def test_secure_deployment_uses_host_prefixed_cookies_and_hsts(sec: tuple[TestClient, str]) -> None:
    _, url = sec
    app = _app(url, cookie_secure=True)
    with TestClient(app, base_url="https://testserver") as c:
        page = c.get("/login")
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
        set_cookie = page.headers.get("set-cookie", "")
        assert set_cookie.startswith("__Host-ic_csrf=") and "Secure" in set_cookie and "Path=/" in set_cookie
        r = c.post("/login", data={"username": "officer_a", "password": PW, "csrf_token": _csrf(page.text)},
                   follow_redirects=False)
        assert r.status_code == 303
        cookies = r.headers.get_list("set-cookie")
        assert any(x.startswith("__Host-ic_session=") and "Secure" in x and "HttpOnly" in x for x in cookies)
        assert not any(x.startswith("ic_session=") for x in cookies)
        assert c.get("/api/v1/auth/me").json()["username"] == "officer_a"  # the prefixed cookie authenticates
        # logging out removes the prefixed cookies
        r = c.post("/logout", data={"csrf_token": _csrf(c.get("/login").text)}, follow_redirects=False)
        assert r.status_code == 303
        gone = [x for x in r.headers.get_list("set-cookie") if "Max-Age=0" in x]
        assert any(x.startswith("__Host-ic_session=") for x in gone) and any(x.startswith("__Host-ic_csrf=")
                                                                              for x in gone)
        assert c.get("/api/v1/auth/me").status_code == 401
        # a planted unprefixed session cookie (from a sibling subdomain, say) never reaches the app
        planted = TestClient(app, base_url="https://testserver")
        c2, _ = _page_login(app, "officer_a", base_url="https://testserver")
        planted.cookies.set("ic_session", c2.cookies["__Host-ic_session"])
        assert planted.get("/api/v1/auth/me").status_code == 401
