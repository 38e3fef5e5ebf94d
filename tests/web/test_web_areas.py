"""The areas through the API: evaluation, risk (bank-owned models), IP portfolio, consents and consent-checked
reads, metrics; i18n of the pages; the dashboard charts."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.evaluation import evaluate, load_system
from innocredit.storage.base import make_engine
from innocredit.web.demo import train_demo_risk_model


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("areas")
    app, features, users, ent, url = build_env(tmp)
    engine = make_engine(url)
    model = train_demo_risk_model(engine, features, "bank-hz-01", str(tmp / "models"))
    engine.dispose()
    with TestClient(app) as client:
        w = WebEnv(app, client, features, users, ent)
        w.model = model
        yield w


# the risk score reads the whole profile: a bank needs consent for every category
ALL_CATEGORIES = ["registry", "tax", "social_insurance", "ip", "science_tech", "courts", "bank_history",
                  "financing_request"]


def test_evaluation_matches_the_engine(env):
    h = env.headers("coordinator")
    got = env.client.post("/api/v1/evaluations", json={"uscc": env.ent_uscc, "system": "innovation-points"},
                          headers=h).json()
    row = evaluate(load_system("innovation-points"), env.features)
    row = row.filter(row["uscc"] == env.ent_uscc).row(0, named=True)
    assert got["score"] == pytest.approx(row["score"])
    assert got["qualified"] == row["qualified"]
    listed = env.client.get("/api/v1/evaluations?system=innovation-points&qualified=true&limit=500", headers=h).json()
    all_rows = evaluate(load_system("innovation-points"), env.features)
    assert listed["total"] == int(all_rows["qualified"].fill_null(False).sum())
    explained = env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/evaluations/innovation-points/explain?lang=en",
                               headers=h).json()
    assert explained["score"] == pytest.approx(row["score"]) and explained["system"] == "innovation-points"


def test_risk_uses_only_the_banks_own_model(env):
    # the firm must be visible to the bank: grant a consent first (as the enterprise)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).isoformat()
    r = env.client.post("/api/v1/consents", json={"bank_id": "bank-hz-01", "categories": ALL_CATEGORIES,
                                                  "valid_until": until}, headers=env.headers("enterprise"))
    assert r.status_code == 201 and r.json()["state"] == "in_force"
    score = env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/risk?lang=en", headers=env.headers("bank_a_officer"))
    assert score.status_code == 200, score.text
    body = score.json()
    assert body["pd_grade"].startswith("G") and 0 < body["pd"] < 1 and body["model"].startswith(env.model["id"])
    assert len(body["reasons"]) == len(body["reason_codes"]) >= 1
    models_a = env.client.get("/api/v1/risk/models", headers=env.headers("bank_a_modeller")).json()
    models_b = env.client.get("/api/v1/risk/models", headers=env.headers("bank_b_modeller")).json()
    assert models_a["total"] == 1 and models_b["total"] == 0
    # bank B has neither a consent nor a model
    assert env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/risk",
                          headers=env.headers("bank_b_officer")).status_code == 404


def test_consent_checked_read_and_revocation(env):
    h_ent = env.headers("enterprise")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    granted = env.client.post("/api/v1/consents", json={"bank_id": "bank-hz-02", "categories": ["tax"],
                                                        "valid_until": until}, headers=h_ent).json()
    h_b = env.headers("bank_b_officer")
    ok = env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/data?categories=tax&purpose=credit", headers=h_b)
    assert ok.status_code == 200 and ok.json()["consents"]
    refused = env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/data?categories=courts&purpose=credit",
                             headers=h_b)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/consent-refused")
    assert env.client.post(f"/api/v1/consents/{granted['id']}/revoke", headers=h_ent).json()["state"] == "revoked"
    after = env.client.get(f"/api/v1/enterprises/{env.ent_uscc}/data?categories=tax&purpose=credit", headers=h_b)
    assert after.status_code == 403


def test_ip_portfolio_values_the_patents(env):
    h = env.headers("coordinator")
    owner = env.app.state.data.patents()["uscc"][0]
    got = env.client.get(f"/api/v1/enterprises/{owner}/ip", headers=h).json()
    n = env.app.state.data.patents().filter(env.app.state.data.patents()["uscc"] == owner).height
    assert got["patents"] == n == len(got["items"])
    assert got["value"] == pytest.approx(sum(i["value_base"] for i in got["items"]))
    assert 0 <= got["capacity"] <= got["value"]


def test_metrics_and_dashboard(env):
    m = env.client.get("/api/v1/metrics?by=industry", headers=env.headers("coordinator")).json()
    assert m["by"] == "industry" and m["groups"]
    c = TestClient(env.app)
    import re

    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.post("/login", data={"username": "coordinator", "password": env.users["coordinator"][1], "csrf_token": token})
    dash = c.get("/dashboard?lang=en")
    for title in ("Credit coverage by region", "List outcomes", "Days to credit", "Enterprises by region"):
        assert title in dash.text
    assert dash.text.count("<svg") >= 5


def _page_login(env, username):
    import re

    c = TestClient(env.app)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    c.post("/login", data={"username": username, "password": env.users[username][1], "csrf_token": token})
    # the login renews the CSRF token (bound to the new session): forms after it carry the new one
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    return c, token


def test_enterprise_self_service(env):
    c, csrf = _page_login(env, "enterprise")
    me = c.get("/me")
    assert me.status_code == 200 and env.ent_uscc in me.text and "data-testid=\"evaluation\"" in me.text
    # ask for financing: lands on the office's self-application list
    r = c.post("/me/apply", data={"csrf_token": csrf, "amount": "800000", "term_months": "12", "purpose": "rd"},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me?applied=1"
    lists = env.client.get("/api/v1/lists", headers=env.headers("coordinator")).json()["items"]
    self_list = next(x for x in lists if x["name"].startswith("企业自主申报"))
    items = env.client.get(f"/api/v1/lists/{self_list['id']}", headers=env.headers("coordinator")).json()["items"]
    assert [(i["uscc"], i["source"], i["requested_amount"]) for i in items] == [(env.ent_uscc, "self_application",
                                                                                 800000.0)]
    # grant a consent through the form, then see it listed
    until = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    r = c.post("/me/consents", data={"csrf_token": csrf, "bank_id": "bank-hz-02", "categories": ["registry"],
                                     "valid_until": until}, follow_redirects=False)
    assert r.status_code == 303
    mine = env.client.get("/api/v1/consents", headers=env.headers("enterprise")).json()["items"]
    assert any(x["bank_id"] == "bank-hz-02" and x["categories"] == ["registry"] for x in mine)
