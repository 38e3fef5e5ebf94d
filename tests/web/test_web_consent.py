"""Consent gates every read (issue 14, items 2, 3 and 6 in part).

A bank sees of a firm only the data categories it holds a ground for: a consent in force, a push by the office,
an open application. Every field of the feature table maps to one category in one table
(``coordination/policies/field_categories.yaml``); every route and page that returns enterprise data is walked
with a tax-only consent and must not show a court record."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_support import WebEnv, build_env

from innocredit.coordination.consent import ConsentError, default_field_categories, load_field_categories
from innocredit.coordination.policy import PolicyError
from innocredit.profile.features import COLUMNS
from innocredit.services import coordination as service
from innocredit.services import feeds
from innocredit.storage.base import make_engine
from innocredit.synthetic.writer import write_feeds

N = 150
SEED = 11
COURT_FIELDS = ("open_enforcement_cases", "serious_dishonesty", "major_incident_recent")
ALL_CATEGORIES = ["registry", "tax", "social_insurance", "ip", "science_tech", "courts", "bank_history",
                  "financing_request"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("consent")
    app, features, users, ent, url = build_env(tmp, n=N, seed=SEED)
    write_feeds(tmp / "feeds", N, SEED)
    engine = make_engine(url)
    feeds.ingest_dir(engine, tmp / "feeds")  # the department rows /history shows
    engine.dispose()
    with TestClient(app) as client:
        yield WebEnv(app, client, features, users, ent)


def _until(days: int = 60) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()


def _grant(env: WebEnv, bank: str, categories: list[str]) -> int:
    r = env.client.post("/api/v1/consents", json={"bank_id": bank, "categories": categories,
                                                  "valid_until": _until()}, headers=env.headers("enterprise"))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _revoke(env: WebEnv, consent_id: int) -> None:
    r = env.client.post(f"/api/v1/consents/{consent_id}/revoke", headers=env.headers("enterprise"))
    assert r.status_code == 200 and r.json()["state"] == "revoked", r.text


def _keys(value: object) -> set[str]:
    """Every key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


# ---- one table -------------------------------------------------------------------------------------------------

def test_every_field_of_the_feature_table_has_exactly_one_category():
    fc = default_field_categories()
    names = [c.name for c in COLUMNS]
    assert [n for n in names if fc.category(n) is None] == []
    assert sorted(fc.field_category) == sorted(names)  # nothing in the table that the feature table lacks
    # the court records belong to the courts category, the tax figures to tax
    assert {fc.category(f) for f in COURT_FIELDS} == {"courts"}
    assert fc.category("revenue") == fc.category("tax_credit_rating") == "tax"
    assert fc.category("employees") == "social_insurance"
    assert fc.public == {"public"} and fc.category("name") == "public"
    # every consent category owns fields, and every department feed has its category
    assert set(ALL_CATEGORIES) <= fc.categories
    assert fc.feeds["courts"] == "courts" and fc.feeds["ip_office"] == "ip"


def test_a_field_in_two_categories_or_a_bad_file_is_refused(tmp_path: Path):
    text = (Path(__file__).parents[2] / "src/innocredit/coordination/policies/field_categories.yaml").read_text()
    twice = tmp_path / "twice.yaml"
    twice.write_text(text.replace("social_insurance: [employees]", "social_insurance: [employees, revenue]"))
    with pytest.raises(ConsentError, match="'revenue' is in two categories"):
        load_field_categories(twice)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("public: [public]", "public: 3"))
    with pytest.raises(PolicyError, match=r"\$\.public"):
        load_field_categories(bad)
    missing = tmp_path / "missing.yaml"
    missing.write_text(text.replace("  courts: [serious_dishonesty, open_enforcement_cases, major_incident_recent]\n",
                                    "  judicial: [serious_dishonesty, open_enforcement_cases, major_incident_recent]\n"))
    with pytest.raises(ConsentError, match="consent categories without fields: courts"):
        load_field_categories(missing)


# ---- item 2: a tax-only consent shows tax, never court records ---------------------------------------------------

def _api_routes_with_uscc(env: WebEnv) -> list[str]:
    return sorted({path for path, route in env.app.state.route_table
                   if "{uscc}" in path and "GET" in route.methods and path.startswith("/api/")})


def test_a_tax_only_consent_shows_tax_and_withholds_every_other_category(env):
    uscc = env.ent_uscc
    row = env.features.filter(env.features["uscc"] == uscc).row(0, named=True)
    consent = _grant(env, "bank-hz-02", ["tax"])
    B = env.headers("bank_b_officer")
    try:
        got = env.client.get(f"/api/v1/enterprises/{uscc}/features", headers=B)
        assert got.status_code == 200, got.text
        body = got.json()
        fc = default_field_categories()
        shown = set(body["features"])
        assert shown == {c.name for c in COLUMNS if fc.category(c.name) in ("public", "tax")}
        assert not shown & set(COURT_FIELDS)
        assert body["features"]["revenue"] == pytest.approx(row["revenue"])
        assert body["withheld"] == sorted(fc.categories - {"public", "tax"})
        summary = env.client.get(f"/api/v1/enterprises/{uscc}", headers=B).json()
        assert summary["revenue"] == pytest.approx(row["revenue"]) and summary["name"] == row["name"]
        assert summary["employees"] is None and summary["ip_class1"] is None and summary["high_tech_certified"] is None
        # the directory shows the same, row by row
        # (the ingested bank-loans feed gives bank B live loans to other firms: those it sees in full)
        listed = env.client.get("/api/v1/enterprises?limit=200", headers=B).json()
        mine = [i for i in listed["items"] if i["uscc"] == uscc]
        assert len(mine) == 1 and mine[0]["employees"] is None and mine[0]["revenue"] is not None
        # the history: only the tax feed's rows
        hist = env.client.get(f"/api/v1/enterprises/{uscc}/history?limit=500", headers=B)
        assert hist.status_code == 200, hist.text
        assert {e["values"]["feed"] for e in hist.json()["items"]} == {"tax"}
        every = env.client.get(f"/api/v1/enterprises/{uscc}/history?limit=500", headers=env.headers("coordinator"))
        assert {"tax", "courts", "registry"} <= {e["values"]["feed"] for e in every.json()["items"]}
        # derived results read courts, science and IP fields: none is shown, and their routes say why
        evals = env.client.get(f"/api/v1/enterprises/{uscc}/evaluations", headers=B).json()
        assert evals["total"] == 0
        population = env.client.get("/api/v1/evaluations?system=innovation-points&limit=500", headers=B).json()
        assert uscc not in {i["uscc"] for i in population["items"]}
        explain = env.client.get(f"/api/v1/enterprises/{uscc}/evaluations/innovation-points/explain", headers=B)
        assert explain.status_code == 403 and "courts" in explain.json()["detail"]
        run = env.client.post("/api/v1/evaluations", json={"uscc": uscc, "system": "innovation-points"}, headers=B)
        assert run.status_code == 403
        # the walk: every API route that returns one enterprise's data
        routes = _api_routes_with_uscc(env)
        assert {"/api/v1/enterprises/{uscc}/features", "/api/v1/enterprises/{uscc}/risk",
                "/api/v1/enterprises/{uscc}/ip", "/api/v1/enterprises/{uscc}/offers"} <= set(routes)
        for path in routes:
            url = path.replace("{uscc}", uscc).replace("{system_id}", "innovation-points")
            if path.endswith("/data"):
                url += "?categories=courts&purpose=credit"
            r = env.client.get(url, headers=B)
            assert r.status_code in (200, 403), (path, r.status_code, r.text)
            if r.status_code == 200:
                assert not _keys(r.json()) & set(COURT_FIELDS), path
                assert "score" not in _keys(r.json()) and "pd" not in _keys(r.json()), path
        # bank A has no ground at all: nothing, and the firm's existence is not disclosed
        for path in routes:
            url = path.replace("{uscc}", uscc).replace("{system_id}", "innovation-points")
            assert env.client.get(url + ("?categories=tax&purpose=x" if path.endswith("/data") else ""),
                                  headers=env.headers("bank_a_officer")).status_code in (403, 404), path
    finally:
        _revoke(env, consent)


def _page(env: WebEnv, username: str) -> TestClient:
    c = TestClient(env.app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": username, "password": env.users[username][1], "csrf_token": token})
    assert r.status_code in (200, 303), r.text
    return c


def test_the_profile_page_and_panels_show_only_the_consented_categories(env):
    uscc = env.ent_uscc
    row = env.features.filter(env.features["uscc"] == uscc).row(0, named=True)
    consent = _grant(env, "bank-hz-02", ["tax"])
    try:
        page = _page(env, "bank_b_officer").get(f"/enterprises/{uscc}?lang=en")
        assert page.status_code == 200
        assert row["name"] in page.text
        office = _page(env, "coordinator").get(f"/enterprises/{uscc}?lang=en")
        # the office's page has the evaluation panel and the IP panel; the tax-only bank's has neither
        assert "innovation-points" in office.text or "Innovation points" in office.text
        assert "Innovation points" not in page.text and 'id="radar"' not in page.text
        assert f"{row['employees']:,}" in office.text and f"{row['employees']:,}" not in page.text
        directory = _page(env, "bank_b_officer").get("/enterprises?lang=en")
        assert uscc in directory.text and f"{row['employees']:,}" not in directory.text
    finally:
        _revoke(env, consent)


def test_consent_for_every_category_shows_everything_then_revocation_ends_it(env):
    uscc = env.ent_uscc
    consent = _grant(env, "bank-hz-02", ALL_CATEGORIES)
    B = env.headers("bank_b_officer")
    got = env.client.get(f"/api/v1/enterprises/{uscc}/features", headers=B).json()
    assert set(COURT_FIELDS) <= set(got["features"]) and got["withheld"] == []
    assert env.client.get(f"/api/v1/enterprises/{uscc}/evaluations", headers=B).json()["total"] >= 1
    _revoke(env, consent)
    assert env.client.get(f"/api/v1/enterprises/{uscc}/features", headers=B).status_code == 404


# ---- item 3: only an open application keeps the firm visible -----------------------------------------------------

def test_a_withdrawn_application_gives_no_access(env):
    uscc = env.ent_uscc
    A = env.headers("bank_a_officer")
    consent = _grant(env, "bank-hz-01", ALL_CATEGORIES)
    r = env.client.post("/api/v1/applications", json={"uscc": uscc, "product_id": "innovation_points_credit",
                                                      "amount": "300000", "term_months": 12}, headers=A)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "submitted"
    _revoke(env, consent)
    # the consent is gone, the submitted application keeps what it needs
    features = env.client.get(f"/api/v1/enterprises/{uscc}/features", headers=A)
    assert features.status_code == 200 and "open_enforcement_cases" in features.json()["features"]
    w = env.client.post(f"/api/v1/applications/{app['id']}/withdraw", headers=A)
    assert w.status_code == 200 and w.json()["status"] == "withdrawn", w.text
    for path in ("", "/features", "/history", "/evaluations"):
        assert env.client.get(f"/api/v1/enterprises/{uscc}{path}", headers=A).status_code == 404, path
    assert uscc not in {i["uscc"] for i in env.client.get("/api/v1/enterprises?limit=200", headers=A).json()["items"]}
    # the bank still reads its own application record
    assert env.client.get(f"/api/v1/applications/{app['id']}", headers=A).status_code == 200


# ---- item 6: bank ids, one message, no USCC in the logs -----------------------------------------------------------

def test_a_consent_to_an_unknown_bank_is_refused(env):
    for bank in ("bank-evil", "coord-hz", "platform"):
        r = env.client.post("/api/v1/consents", json={"bank_id": bank, "categories": ["tax"], "valid_until": _until()},
                            headers=env.headers("enterprise"))
        assert r.status_code == 422 and "bank_id" in r.json()["detail"] and bank in r.json()["detail"], r.text
    mine = env.client.get("/api/v1/consents?limit=200", headers=env.headers("enterprise")).json()["items"]
    assert not [c for c in mine if c["bank_id"] in ("bank-evil", "coord-hz", "platform")]


def test_no_such_consent_and_not_yours_give_the_same_answer(env):
    consent = _grant(env, "bank-hz-01", ["tax"])
    other_firm = next(u for u in env.features["uscc"].to_list() if u != env.ent_uscc)
    try:
        missing = env.client.post("/api/v1/consents/999999/revoke", headers=env.headers("enterprise"))
        assert missing.status_code == 404
        session = env.app.state.sessionmaker()
        try:
            with pytest.raises(service.NotFound) as not_yours:
                service.revoke_consent(session, consent_id=consent, uscc=other_firm)
            with pytest.raises(service.NotFound) as no_such:
                service.revoke_consent(session, consent_id=999999, uscc=other_firm)
        finally:
            session.rollback()
            session.close()
        assert str(not_yours.value).replace(str(consent), "N") == str(no_such.value).replace("999999", "N")
        assert missing.json()["detail"].replace("999999", "N") == str(no_such.value).strip("'\"").replace("999999", "N")
        assert env.ent_uscc not in missing.json()["detail"] and other_firm not in str(not_yours.value)
    finally:
        _revoke(env, consent)


def test_the_request_log_carries_no_uscc(env, capsys):
    uscc = env.ent_uscc
    capsys.readouterr()
    env.client.get(f"/api/v1/enterprises/{uscc}/features", headers=env.headers("coordinator"))
    env.client.get(f"/enterprises/{uscc}", headers=env.headers("coordinator"))
    err = capsys.readouterr().err
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    paths = [x.get("path") for x in lines if x.get("msg") == "request"]
    assert "/api/v1/enterprises/{uscc}/features" in paths
    assert uscc not in err
