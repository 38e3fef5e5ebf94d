"""Integrity under concurrent use (issue 14 items 7 and 8): a real server with two worker processes on a
PostgreSQL schema of its own, requests from threads released together by a barrier.

* 20 simultaneous applications from two banks: every one answered 201 (no 500), 20 applications stored, the
  audit chain verifies (keyed, anchored) and its sequence has no gap.
* 6 simultaneous approvals of an application above the second-approver threshold, 3 by each of two approvers:
  exactly two succeed, by two different people, in order (first_approval, then approve); the other four are
  refused 409; the audit log holds exactly the right entries and none after the approval.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import polars as pl
import pytest
from sqlalchemy import text
from web_support import wait_ready

from innocredit.services import coordination
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.synthetic import feature_table
from innocredit.web.demo import pick_enterprise, seed_demo_users

PG_URL = os.environ.get("INNOCREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "concurrency-test-secret-" + "c" * 24
AUDIT_KEY = "concurrency-audit-key-" + "a" * 24
BANKS = ("bank-hz-01", "bank-hz-02")
N_FIRMS = 20


@pytest.fixture(scope="module")
def pg_schema_url(pg_module_schema_url: str) -> str:
    return pg_module_schema_url


class Server:
    def __init__(self, base: str, users: dict[str, str], firms: list[str], url: str) -> None:
        self.base, self.users, self.firms, self.url = base, users, firms, url
        self._tokens: dict[str, str] = {}

    def h(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = httpx.post(self.base + "/api/v1/auth/token", timeout=60,
                           json={"username": username, "password": self.users[username]})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def call(self, method: str, path: str, user: str, expect: int = 200, **kw: Any) -> Any:
        r = httpx.request(method, f"{self.base}/api/v1{path}", headers=self.h(user), timeout=60, **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(pg_schema_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("concurrency")
    features = feature_table(120, 17).with_columns(pl.lit("active").alias("registry_status"))
    features_path = tmp / "features.parquet"
    features.write_parquet(features_path)
    ent, name = pick_enterprise(features)
    firms = [u for u in features["uscc"].to_list() if u != ent][:N_FIRMS]
    engine = make_engine(pg_schema_url)
    migrate(engine)
    users = {u[0]: u[1] for u in seed_demo_users(engine, ent, name)}
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    categories = list(coordination.default_consent_policy().categories)
    with unit_of_work(engine) as s:  # each firm opens all its data to both banks (an application reads it all)
        for uscc in firms:
            for bank in BANKS:
                coordination.grant_consent(s, uscc=uscc, bank_id=bank, categories=categories, valid_until=until)
    engine.dispose()
    port = _free_port()
    code = ("from innocredit.web.config import Settings; from innocredit.web.server import serve; "
            f"serve('127.0.0.1', {port}, Settings(database_url={pg_schema_url!r}, secret_key={SECRET!r}, "
            f"cookie_secure=False, features_path={str(features_path)!r}, audit_key={AUDIT_KEY!r}, "
            "login_max_failures=1000), workers=2)")
    env = {**os.environ, "INNOCREDIT_LOG_LEVEL": "WARNING"}
    env.pop("INNOCREDIT_AUDIT_KEY", None)
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        srv = Server(base, users, firms, pg_schema_url)
        for firm in firms[:2]:  # warm both workers' feature caches (the first read loads the table)
            for bank in ("bank_a_officer", "bank_b_officer"):
                srv.call("GET", f"/enterprises/{firm}/features", bank)
        yield srv
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _together(calls: list[tuple[str, str, str, dict[str, Any]]], base: str) -> list[httpx.Response]:
    """Send the calls (method, path, token header, json) from one thread each, released at once."""
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        method, path, token, body = calls[i]
        with httpx.Client(base_url=base, timeout=120) as c:
            barrier.wait()
            out[i] = c.request(method, "/api/v1" + path, headers={"Authorization": token}, json=body)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert all(r is not None for r in out), "a request did not finish"
    return [r for r in out if r is not None]


def _seqs(url: str) -> list[int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        seqs = [r[0] for r in conn.execute(text("SELECT seq FROM lending_audit_log ORDER BY seq"))]
    engine.dispose()
    return seqs


def test_twenty_simultaneous_applications_from_two_banks(server: Server) -> None:
    before = len(_seqs(server.url))
    calls = []
    for i, firm in enumerate(server.firms):
        officer = "bank_a_officer" if i % 2 == 0 else "bank_b_officer"
        calls.append(("POST", "/applications", server.h(officer)["Authorization"],
                      {"uscc": firm, "product_id": "talent_loan", "amount": "300000", "term_months": 12}))
    responses = _together(calls, server.base)
    assert [r.status_code for r in responses] == [201] * 20, [(r.status_code, r.text[:200]) for r in responses]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 20
    mine_a = {a["id"] for a in server.call("GET", "/applications", "bank_a_officer", params={"size": 100})["items"]}
    mine_b = {a["id"] for a in server.call("GET", "/applications", "bank_b_officer", params={"size": 100})["items"]}
    assert len(ids & mine_a) == 10 and len(ids & mine_b) == 10 and not mine_a & mine_b
    # each complete application wrote "create" and "submit": 40 entries, numbered without a gap
    seqs = _seqs(server.url)
    assert len(seqs) == before + 40 and seqs == list(range(1, len(seqs) + 1))
    check = server.call("GET", "/audit/verify", "admin")
    assert check["ok"] is True and check["anchored"] is True and check["keyed_entries"] == len(seqs), check
    assert check["warnings"] == []  # the server's own key, not the development key


def test_six_simultaneous_approvals_of_a_two_approver_application(server: Server) -> None:
    firm = server.firms[0]
    app = server.call("POST", "/applications", "bank_a_officer", 201, json={
        "uscc": firm, "product_id": "talent_loan", "amount": "6000000", "term_months": 12})
    server.call("POST", f"/applications/{app['id']}/review", "bank_a_officer")
    approvers = ["bank_a_approver", "bank_a_approver2"] * 3
    calls = [("POST", f"/applications/{app['id']}/approve", server.h(u)["Authorization"], {"note": f"#{i}"})
             for i, u in enumerate(approvers)]
    responses = _together(calls, server.base)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 409, 409, 409, 409], [(r.status_code, r.text[:200]) for r in responses]
    winners = [approvers[i] for i, r in enumerate(responses) if r.status_code == 200]
    assert sorted(winners) == ["bank_a_approver", "bank_a_approver2"]
    final = server.call("GET", f"/applications/{app['id']}", "bank_a_officer")
    assert final["status"] == "approved" and final["approver1"] != final["approver2"]
    assert {final["approver1"], final["approver2"]} == {"bank_a_approver", "bank_a_approver2"}
    entries = server.call("GET", "/audit", "bank_a_officer", params={"subject_id": app["id"], "size": 100})["items"]
    assert [e["action"] for e in entries] == ["create", "submit", "start_review", "first_approval", "approve"]
    assert [e["actor"] for e in entries[-2:]] == [final["approver1"], final["approver2"]]
    assert entries[-1]["to_state"] == "approved"
    # the refusals named the reason: the same approver twice, or the application already approved
    for r in responses:
        if r.status_code == 409:
            assert r.json()["errors"][0]["code"] in ("four_eyes_second", "illegal_transition"), r.text
    check = server.call("GET", "/audit/verify", "admin")
    assert check["ok"] is True and check["bad_rows"] == [], check
