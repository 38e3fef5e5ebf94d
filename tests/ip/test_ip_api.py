"""The IP routes through the API, backed by services/ip.py: a pool's loans (a bank sees only its own), the
pledge list by loan, and bad query values answered 4xx with the field named."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient

from innocredit.ip.records import make_application_number
from innocredit.profile.uscc import make_uscc
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.services.ip import allocate_pool, create_pool, pledge_loan_patents
from innocredit.synthetic import feature_table, generate_feeds
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.demo import BANKS, pick_enterprise, seed_demo_users

BANK_A, BANK_B = BANKS[0][0], BANKS[1][0]
A, B = make_uscc("91330100MA2A00001"), make_uscc("91330100MA2A00002")
P = [make_application_number(2021, 1, 700 + i) for i in range(4)]
DAY = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("ip_api")
    url = f"sqlite:///{tmp / 'web.db'}"
    engine = make_engine(url)
    migrate(engine)
    features = feature_table(60, 5).with_columns(pl.lit("active").alias("registry_status"))
    picked = pick_enterprise(features)
    assert picked is not None
    users = {u[0]: u[1] for u in seed_demo_users(engine, *picked)}
    with unit_of_work(engine) as s:
        create_pool(s, pool_id="pool-1", name="Pool one", agreement_id="default", on=DAY,
                    patents=[(P[0], A), (P[1], B)])
        allocate_pool(s, pool_id="pool-1", loan_id="L-A", bank_id=BANK_A, uscc=A, amount="300000", on=DAY)
        allocate_pool(s, pool_id="pool-1", loan_id="L-B", bank_id=BANK_B, uscc=B, amount="200000", on=DAY)
        pledge_loan_patents(s, loan_id="L-P1", uscc=A, bank_id=BANK_A, patent_ids=[P[2]], on=DAY,
                            secured_amount=100000)
        pledge_loan_patents(s, loan_id="L-P2", uscc=A, bank_id=BANK_A, patent_ids=[P[3]], on=DAY,
                            secured_amount=50000)
    engine.dispose()
    settings = Settings(database_url=url, secret_key="test-secret-" + "k" * 32, cookie_secure=False)
    app = create_app(settings, loader=lambda: features, patents_loader=lambda: generate_feeds(60, 5)["ip_office"])
    with TestClient(app) as client:
        yield client, users


def _h(api: Any, username: str) -> dict[str, str]:
    client, users = api
    r = client.post("/api/v1/auth/token", json={"username": username, "password": users[username]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_pool_detail_shows_allocations_a_bank_only_its_own(api):
    client, _ = api
    r = client.get("/api/v1/ip/pools/pool-1", headers=_h(api, "coordinator"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["members"] == sorted([A, B]) and [p["patent_id"] for p in body["patents"]] == sorted(P[:2])
    assert [(a["loan_id"], a["bank_id"]) for a in body["allocations"]] == [("L-A", BANK_A), ("L-B", BANK_B)]
    assert Decimal(str(body["allocated"])) == Decimal("500000.00")
    r = client.get("/api/v1/ip/pools/pool-1", headers=_h(api, "bank_b_officer"))
    assert r.status_code == 200
    assert [a["loan_id"] for a in r.json()["allocations"]] == ["L-B"]
    assert Decimal(str(r.json()["allocated"])) == Decimal("200000.00")
    r = client.get("/api/v1/ip/pools/pool-9", headers=_h(api, "coordinator"))
    assert r.status_code == 404 and "pool-9" in r.json()["detail"]
    assert client.get("/api/v1/ip/pools/pool-1", headers=_h(api, "enterprise")).status_code == 403


def test_pledges_by_loan_and_a_bad_status_named(api):
    client, _ = api
    h = _h(api, "bank_a_officer")
    r = client.get("/api/v1/ip/pledges", params={"loan_id": "L-P2"}, headers=h)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(x["patent_id"], x["pledgee"], x["loan_id"]) for x in items] == [(P[3], BANK_A, "L-P2")]
    assert Decimal(str(items[0]["secured_amount"])) == Decimal("50000.00")
    # bank B sees none of bank A's pledges, even by loan id
    r = client.get("/api/v1/ip/pledges", params={"loan_id": "L-P2"}, headers=_h(api, "bank_b_officer"))
    assert r.status_code == 200 and r.json()["items"] == []
    r = client.get("/api/v1/ip/pledges", params={"status": "bogus"}, headers=h)
    assert r.status_code == 422 and "status" in r.json()["detail"]
