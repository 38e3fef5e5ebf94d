"""Authorization walk: every API route and every page, called anonymously, with each wrong role, by the other
bank and by another enterprise, is refused. Authorization is enforced in the queries: another bank's
application, loan, push or firm is not found (404), never shown."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.storage.base import make_engine, unit_of_work
from innocredit.storage.core import Organisation
from innocredit.storage.platform import ROLES
from innocredit.web.auth import create_user

# routes any authenticated user (or anyone) may call, by design
OPEN = {("POST", "/api/v1/auth/token"), ("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}
ANY_USER = {("GET", "/api/v1/auth/me"), ("DELETE", "/api/v1/auth/token"), ("GET", "/home")}
ROLE_USER = {"coordinator": "coordinator", "admin": "admin", "guarantor": "guarantor", "enterprise": "enterprise",
             "bank_officer": "bank_a_officer", "bank_approver": "bank_a_approver",
             "bank_modeller": "bank_a_modeller"}
OTHER_BANK = {"bank_officer": "bank_b_officer", "bank_approver": "bank_b_approver", "bank_modeller": "bank_b_modeller"}


def _roles(route) -> tuple[str, ...] | None:
    stack = [route.dependant]
    while stack:
        d = stack.pop()
        roles = getattr(d.call, "roles", None)
        if roles:
            return tuple(roles)
        stack.extend(d.dependencies)
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app, features, users, ent, url = build_env(tmp_path_factory.mktemp("authz"))
    other_ent = next(u for u in features.sort("uscc")["uscc"].to_list() if u != ent)
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        s.add(Organisation(id="ent-other", kind="enterprise", name_zh="另一家", name_en="Other", uscc=other_ent))
        s.flush()
        create_user(s, "other_enterprise", "demo-other-2024", "enterprise", "ent-other")
    engine.dispose()
    users = [*users, ("other_enterprise", "demo-other-2024", "enterprise", "ent-other")]
    with TestClient(app) as client:
        env = WebEnv(app, client, features, users, ent)
        H = env.headers
        # resources of bank A: a pushed firm, an application, a loan, a consent
        assert client.post("/api/v1/lists", json={"name": "authz"}, headers=H("coordinator")).status_code == 201
        item = {"uscc": ent, "requested_amount": 500000, "requested_term_months": 12, "loan_purpose": "rd",
                "fixed_premises": True}
        assert client.post("/api/v1/lists/1/items", json={"items": [item]}, headers=H("coordinator")).status_code == 201
        assert client.post("/api/v1/lists/1/screen", headers=H("coordinator")).json()["passed"] == 1
        client.post("/api/v1/lists/1/recommendations", json={}, headers=H("coordinator"))
        client.post("/api/v1/recommendations/1/push", json={"banks": ["bank-hz-01"]}, headers=H("coordinator"))
        push_id = client.get("/api/v1/pushes", headers=H("bank_a_officer")).json()["items"][0]["push_id"]
        A = H("bank_a_officer")
        app_id = client.post("/api/v1/applications", json={"uscc": ent, "product_id": "innovation_points_credit",
                                                           "amount": "500000", "term_months": 12}, headers=A).json()["id"]
        client.post(f"/api/v1/applications/{app_id}/review", headers=A)
        assert client.post(f"/api/v1/applications/{app_id}/approve", json={},
                           headers=H("bank_a_approver")).json()["status"] == "approved"
        loan_id = client.post(f"/api/v1/applications/{app_id}/contract", json={"rate": "0.035"}, headers=A).json()["id"]
        assert client.post(f"/api/v1/loans/{loan_id}/disburse", json={}, headers=A).json()["status"] == "active"
        consent = client.post("/api/v1/consents", json={"bank_id": "bank-hz-01", "categories": ["tax"],
                                                        "valid_until": "2027-06-01T00:00:00Z"}, headers=H("enterprise"))
        assert consent.status_code == 201, consent.text
        params = {"uscc": ent, "app_id": app_id, "loan_id": loan_id, "push_id": str(push_id), "list_id": "1",
                  "reco_id": "1", "consent_id": str(consent.json()["id"]), "system_id": "innovation-points",
                  "action": "approve", "model_id": "scorecard-default_12m", "version": "1",
                  "pool_id": "pool-1", "user_id": "1", "org_id": "bank-hz-01", "feed": "registry", "job_id": "1",
                  "template": "registry", "fmt": "csv", "request_id": "no-such-request"}
        yield env, params


QUERIES = {"/data": "?categories=tax&purpose=credit%20review", "/evaluations": "?system=innovation-points"}


def _url(path: str, params: dict[str, str]) -> str:
    url = re.sub(r"\{(\w+)\}", lambda m: params[m.group(1)], path)
    return url + next((q for suffix, q in QUERIES.items() if path.endswith(suffix)), "")


def _page_client(env: WebEnv, username: str) -> tuple[TestClient, str]:
    c = TestClient(env.app)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": username, "password": env.users[username][1], "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303, username
    # the login renews the CSRF token (bound to the new session): forms after it carry the new one
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    return c, token


# valid bodies, so that a refusal is about who asks, not about what is sent
BODIES = {"/reject": {"reason": "test"}, "/contract": {"rate": "0.03"}, "/repayments": {"amount": "1.00"},
          "/answer": {"kind": "accepted"}, "/consents": {"bank_id": "bank-hz-02", "categories": ["tax"],
                                                          "valid_until": "2027-06-01T00:00:00Z"},
          "/guarantee-request": {"scheme_id": "zhejiang_tech", "guarantor_org_id": "guar-hz"}}


def _call(client: TestClient, method: str, url: str, headers=None, csrf: str | None = None):
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if url.startswith("/api/"):
        body = next((b for suffix, b in BODIES.items() if url.endswith(suffix)), {})
        return client.request(method, url, headers=headers, json=body, follow_redirects=False)
    return client.request(method, url, data={"csrf_token": csrf or ""}, follow_redirects=False)


def _routes(env: WebEnv):
    for path, route in env.app.state.route_table:
        for method in sorted(route.methods):
            yield method, path, route


def test_every_route_declares_its_roles(world):
    env, _ = world
    undeclared = [(m, p) for m, p, r in _routes(env) if _roles(r) is None and (m, p) not in OPEN | ANY_USER]
    assert undeclared == []


def test_anonymous_is_refused_everywhere(world):
    env, params = world
    anon = TestClient(env.app)
    accepted = []
    for method, path, _ in _routes(env):
        if (method, path) in OPEN:
            continue
        r = _call(anon, method, _url(path, params))
        refused = r.status_code in (401, 403) or (r.status_code == 303 and "/login" in r.headers.get("location", ""))
        if not refused:
            accepted.append((method, path, r.status_code))
    assert accepted == []


def test_wrong_roles_are_refused_everywhere(world):
    env, params = world
    page_clients = {role: _page_client(env, user) for role, user in ROLE_USER.items()}
    accepted = []
    checked = 0
    for method, path, route in _routes(env):
        allowed = _roles(route)
        if allowed is None:
            continue
        for role in set(ROLES) - set(allowed):
            url = _url(path, params)
            if path.startswith("/api/"):
                r = _call(env.client, method, url, headers=env.headers(ROLE_USER[role]))
            else:
                client, csrf = page_clients[role]
                r = _call(client, method, url, csrf=csrf)
            checked += 1
            if r.status_code != 403:
                accepted.append((method, path, role, r.status_code))
    assert checked > 200
    assert accepted == []


def test_other_bank_and_other_enterprise_see_nothing_of_bank_a(world):
    env, params = world
    scoped = ("uscc", "app_id", "loan_id", "push_id", "consent_id")
    leaks = []
    checked = 0
    for method, path, route in _routes(env):
        allowed = _roles(route) or ()
        if method != "GET" and not path.startswith("/api/"):
            continue  # page actions are checked through their API twins
        if not any("{" + p + "}" in path for p in scoped):
            continue
        outsiders = [OTHER_BANK[r] for r in allowed if r in OTHER_BANK]
        if "enterprise" in allowed:
            outsiders.append("other_enterprise")
        for user in outsiders:
            url = _url(path, params)
            if path.startswith("/api/"):
                r = _call(env.client, method, url, headers=env.headers(user))
            else:
                client, csrf = _page_client(env, user)
                r = _call(client, method, url, csrf=csrf)
            checked += 1
            if r.status_code not in (403, 404):
                leaks.append((method, path, user, r.status_code))
    assert checked > 20
    assert leaks == []


def test_lists_are_scoped_in_the_query(world):
    env, _ = world
    H = env.headers
    assert env.client.get("/api/v1/applications", headers=H("bank_a_officer")).json()["total"] == 1
    assert env.client.get("/api/v1/applications", headers=H("bank_b_officer")).json()["total"] == 0
    assert env.client.get("/api/v1/loans", headers=H("bank_b_approver")).json()["total"] == 0
    assert env.client.get("/api/v1/loans", headers=H("enterprise")).json()["total"] == 1
    assert env.client.get("/api/v1/loans", headers=H("other_enterprise")).json()["total"] == 0
    assert env.client.get("/api/v1/pushes", headers=H("bank_b_officer")).json()["total"] == 0
    assert env.client.get("/api/v1/enterprises", headers=H("bank_b_officer")).json()["total"] == 0
    assert env.client.get("/api/v1/enterprises", headers=H("bank_a_officer")).json()["total"] == 1
    assert env.client.get("/api/v1/consents", headers=H("other_enterprise")).json()["total"] == 0
    assert env.client.get("/api/v1/audit", headers=H("bank_b_officer")).json()["total"] == 0
