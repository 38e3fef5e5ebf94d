"""Bad input answers a clear 4xx naming the field, never a 500 (issue 14, item 11): amounts and rates of NaN,
Infinity, 1e30, words or blanks in page forms; ids beyond 2^63 in every path that takes an integer id;
dates such as 0001-01-01 in queries and bodies."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from decimal import Decimal

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.web.forms import parse_amount, parse_rate
from innocredit.web.problems import ProblemError

HUGE_IDS = (2**63, 2**64, 10**30)
BAD_AMOUNTS = ("NaN", "nan", "Infinity", "-Infinity", "1e30", "abc", "", "-5", "0")
BAD_RATES = ("NaN", "Infinity", "1e30", "abc", "", "0", "1", "-0.01")
BAD_DATES = ("0001-01-01", "9999-12-31", "1899-12-31")
ROLES = ("coordinator", "admin", "enterprise", "bank_a_officer", "bank_a_approver", "bank_a_modeller", "guarantor")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app, features, users, ent, _ = build_env(tmp_path_factory.mktemp("bad"), n=60)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield WebEnv(app, client, features, users, ent)


def _page_client(env: WebEnv, username: str) -> tuple[TestClient, str]:
    c = TestClient(env.app, raise_server_exceptions=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": username, "password": env.users[username][1], "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    page = c.get("/me" if username == "enterprise" else "/home")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return c, found.group(1) if found else token


# ---- the shared parsers ---------------------------------------------------------------------------------------

def test_the_form_parsers_refuse_each_bad_value_naming_the_field():
    for raw in BAD_AMOUNTS:
        with pytest.raises(ProblemError) as exc:
            parse_amount(raw, "amount")
        assert exc.value.status == 422 and exc.value.detail.startswith("amount: "), raw
    for raw in BAD_RATES:
        with pytest.raises(ProblemError) as exc:
            parse_rate(raw, "rate")
        assert exc.value.status == 422 and exc.value.detail.startswith("rate: "), raw
    # good values, rounded half-up to the fen
    assert parse_amount("1,234.565", "amount") == Decimal("1234.57")
    assert parse_amount("10000000000", "amount") == Decimal("10000000000.00")
    assert parse_rate(" 0.035 ") == Decimal("0.035")


# ---- ids beyond 2^63 -------------------------------------------------------------------------------------------

def _int_id_routes(env: WebEnv) -> list[tuple[str, str, list[str]]]:
    out = []
    for path, route in env.app.state.route_table:
        if not isinstance(route, APIRoute):
            continue
        ints = [p.name for p in route.dependant.path_params if p.field_info.annotation is int
                or getattr(p, "type_", None) is int]
        if not ints:
            sig = inspect.signature(route.endpoint)
            ints = [n for n in re.findall(r"{(\w+)}", path)
                    if n in sig.parameters and sig.parameters[n].annotation in (int, "int", "DbId")]
        if ints:
            for method in sorted(route.methods):
                out.append((method, path, ints))
    return out


def test_ids_beyond_2_63_are_refused_on_every_route(env):
    routes = _int_id_routes(env)
    paths = {p for _, p, _ in routes}
    assert {"/api/v1/consents/{consent_id}/revoke", "/api/v1/lists/{list_id}",
            "/api/v1/pushes/{push_id}/answer", "/me/consents/{consent_id}/revoke"} <= paths
    pages = {role: _page_client(env, role) for role in ("coordinator", "enterprise", "bank_a_officer", "admin")}
    failures = []
    for method, path, names in routes:
        for huge in HUGE_IDS:
            url = path
            for n in names:
                url = url.replace("{" + n + "}", str(huge))
            url = re.sub(r"{\w+}", "x", url)
            if path.startswith("/api/"):
                answers = [env.client.request(method, url, json={}, headers=env.headers(role)).status_code
                           for role in ROLES]
            else:
                answers = [c.request(method, url, data={"csrf_token": tok}, follow_redirects=False).status_code
                           for c, tok in pages.values()]
            if any(s >= 500 for s in answers) or not any(s in (404, 422) for s in answers):
                failures.append((method, path, huge, answers))
    assert failures == [], "\n".join(sorted({f"{m} {p} {a}" for m, p, _, a in failures}))


def test_a_huge_id_is_named_in_the_answer(env):
    r = env.client.post(f"/api/v1/consents/{2**63}/revoke", headers=env.headers("enterprise"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["path", "consent_id"]


# ---- dates ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["as_of", "since"])
def test_metrics_dates_out_of_range_name_the_field(env, field):
    for day in BAD_DATES:
        r = env.client.get(f"/api/v1/metrics?{field}={day}", headers=env.headers("coordinator"))
        assert r.status_code == 422, (day, r.text)
        assert r.json()["detail"].startswith(f"{field}: ")


def test_consent_and_list_dates_out_of_range(env):
    for day in ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"):
        r = env.client.post("/api/v1/consents", json={"bank_id": "bank-hz-01", "categories": ["tax"],
                                                      "valid_until": day}, headers=env.headers("enterprise"))
        assert r.status_code == 422 and "valid_until" in r.text, r.text
    lst = env.client.post("/api/v1/lists", json={"name": "dates"}, headers=env.headers("coordinator")).json()
    for day in ("0001-01-01", "9999-12-31"):
        r = env.client.post(f"/api/v1/lists/{lst['id']}/items", headers=env.headers("coordinator"), json={
            "items": [{"uscc": env.ent_uscc, "requested_amount": 1000, "visited_on": day}]})
        assert r.status_code == 422 and "visited_on" in r.text, r.text
    c, tok = _page_client(env, "enterprise")
    for day in BAD_DATES:
        r = c.post("/me/consents", data={"csrf_token": tok, "bank_id": "bank-hz-01", "categories": ["tax"],
                                         "valid_until": day}, follow_redirects=False)
        assert r.status_code == 422 and "valid_until" in r.text, (day, r.status_code)


# ---- the enterprise's own forms ---------------------------------------------------------------------------------

def test_self_application_amounts(env):
    c, tok = _page_client(env, "enterprise")
    for raw in BAD_AMOUNTS:
        r = c.post("/me/apply", data={"csrf_token": tok, "amount": raw, "term_months": "12", "purpose": "rd"},
                   follow_redirects=False)
        assert r.status_code == 422 and "amount" in r.text, (raw, r.status_code)
    ok = c.post("/me/apply", data={"csrf_token": tok, "amount": "800,000", "term_months": "12", "purpose": "rd"},
                follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/me?applied=1"


def test_push_answers_refuse_nan_and_infinite_numbers(env):
    for body in ('{"kind": "credit_granted", "amount": 1000, "rate": NaN}',
                 '{"kind": "credit_granted", "amount": 1000, "rate": Infinity}',
                 '{"kind": "credit_granted", "amount": NaN, "rate": 0.04}',
                 '{"kind": "disbursed", "amount": 1e30}'):
        r = env.client.post("/api/v1/pushes/1/answer", content=body, headers={
            **env.headers("bank_a_officer"), "Content-Type": "application/json"})
        assert r.status_code == 422, (body, r.text)


# ---- the lending forms and bodies (web/pages/bank.py, web/routers/lending.py) -----------------------------------

def _contracted(env: WebEnv) -> dict[str, str]:
    """A contracted loan of bank A to the demo firm, through the API (the firm consents to every category)."""
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=60)).isoformat()
    cats = ["registry", "tax", "social_insurance", "ip", "science_tech", "courts", "bank_history", "financing_request"]
    env.client.post("/api/v1/consents", json={"bank_id": "bank-hz-01", "categories": cats, "valid_until": until},
                    headers=env.headers("enterprise"))
    A = env.headers("bank_a_officer")
    app = env.client.post("/api/v1/applications", json={"uscc": env.ent_uscc, "product_id": "innovation_points_credit",
                                                        "amount": "300000", "term_months": 12}, headers=A)
    assert app.status_code == 201, app.text
    app_id = app.json()["id"]
    env.client.post(f"/api/v1/applications/{app_id}/review", headers=A)
    env.client.post(f"/api/v1/applications/{app_id}/approve", json={}, headers=env.headers("bank_a_approver"))
    env.client.post(f"/api/v1/applications/{app_id}/approve", json={}, headers=env.headers("bank_a_approver2"))
    contracted = env.client.post(f"/api/v1/applications/{app_id}/contract", json={"rate": "0.035"}, headers=A)
    assert contracted.status_code == 201, contracted.text
    return {"app_id": app_id, "loan_id": contracted.json()["id"]}


@pytest.fixture(scope="module")
def loan(env):
    """An active loan (disbursed today)."""
    out = _contracted(env)
    ok = env.client.post(f"/api/v1/loans/{out['loan_id']}/disburse", json={}, headers=env.headers("bank_a_officer"))
    assert ok.status_code == 200, ok.text
    return out


def test_disbursement_dates_far_away_are_refused(env):
    loan = _contracted(env)
    for day in BAD_DATES:
        r = env.client.post(f"/api/v1/loans/{loan['loan_id']}/disburse", json={"on": day},
                            headers=env.headers("bank_a_officer"))
        assert 400 <= r.status_code < 500 and "on" in r.text, (day, r.status_code, r.text)


def test_repayment_dates_far_away_are_refused(env, loan):
    for day in BAD_DATES:
        r = env.client.post(f"/api/v1/loans/{loan['loan_id']}/repayments", json={"amount": "100.00", "on": day},
                            headers=env.headers("bank_a_officer"))
        assert 400 <= r.status_code < 500 and "on" in r.text, (day, r.status_code, r.text)


def test_lending_page_forms_refuse_bad_amounts_and_rates(env, loan):
    c, tok = _page_client(env, "bank_a_officer")
    for raw in BAD_AMOUNTS:
        r = c.post(f"/enterprises/{env.ent_uscc}/apply", data={"csrf_token": tok, "product_id":
                                                              "innovation_points_credit", "amount": raw,
                                                              "term_months": "12"}, follow_redirects=False)
        assert 400 <= r.status_code < 500 and "amount" in r.text, (raw, r.status_code)
        r = c.post(f"/loans/{loan['loan_id']}/repay", data={"csrf_token": tok, "amount": raw},
                   follow_redirects=False)
        assert 400 <= r.status_code < 500, (raw, r.status_code)
    for raw in BAD_RATES:
        r = c.post(f"/applications/{loan['app_id']}/contract", data={"csrf_token": tok, "rate": raw},
                   follow_redirects=False)
        assert 400 <= r.status_code < 500, (raw, r.status_code)


def test_every_date_query_refuses_year_1_and_9999(env):
    """Every route with a date query parameter (as_of, since, ...): no 500 for dates near the calendar's ends, and
    4xx for 0001-01-01."""
    found = []
    for path, route in env.app.state.route_table:
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        dates = [p.name for p in route.dependant.query_params if p.field_info.annotation in (dt.date, dt.date | None)]
        if not dates:
            continue
        url = re.sub(r"{(\w+)}", lambda m: "csv" if m.group(1) == "fmt" else "x", path)
        for name in dates:
            found.append((path, name))
            for day in BAD_DATES:
                answers = [env.client.get(url, params={name: day}, headers=env.headers(role)).status_code
                           for role in ("coordinator", "admin")]
                assert all(s < 500 for s in answers), (path, name, day, answers)
                if day == "0001-01-01":  # the case: a clear refusal, not an answer about year 1
                    assert any(400 <= s < 500 for s in answers), (path, name, day, answers)
    assert ("/api/v1/metrics", "as_of") in found


def test_a_bulk_answer_with_a_huge_push_id_is_refused(env):
    c, tok = _page_client(env, "bank_a_officer")
    r = c.post("/inbox/answer", data={"csrf_token": tok, "kind": "accepted", "push_id": str(2**64)},
               follow_redirects=False)
    assert 400 <= r.status_code < 500, r.status_code
