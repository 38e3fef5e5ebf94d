"""Helpers for the web tests: an app on a temp SQLite DB with demo data and demo users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
from fastapi.testclient import TestClient

from innocredit.storage.base import make_engine
from innocredit.storage.migrate import upgrade
from innocredit.synthetic import feature_table, generate_feeds
from innocredit.web.app import create_app
from innocredit.web.config import Settings
from innocredit.web.demo import pick_enterprise, seed_demo_users

N_FIRMS = 600
SEED = 11


class WebEnv:
    def __init__(self, app: Any, client: TestClient, features: pl.DataFrame, users: list, ent_uscc: str) -> None:
        self.app = app
        self.client = client
        self.features = features
        self.users = {u[0]: u for u in users}
        self.ent_uscc = ent_uscc
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            password = self.users[username][1]
            r = self.client.post("/api/v1/auth/token", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}


def build_env(tmp: Path, n: int = N_FIRMS, seed: int = SEED) -> tuple[Any, pl.DataFrame, list, str, str]:
    url = f"sqlite:///{tmp / 'web.db'}"
    engine = make_engine(url)
    upgrade(engine)
    # the registry status comes from the registry feed in a real run; the office screens on it
    features = feature_table(n, seed).with_columns(pl.lit("active").alias("registry_status"))
    ent_uscc, ent_name = pick_enterprise(features)
    users = seed_demo_users(engine, ent_uscc, ent_name)
    engine.dispose()
    settings = Settings(database_url=url, secret_key="test-secret-" + "k" * 32, cookie_secure=False,
                        login_max_failures=3)
    patents = generate_feeds(n, seed)["ip_office"]  # the same seeded population's patent records
    app = create_app(settings, loader=lambda: features, patents_loader=lambda: patents)
    return app, features, users, ent_uscc, url




def wait_ready(base: str, proc: Any, seconds: float = 180.0) -> None:
    """Wait until a server started in ``proc`` answers /readyz several times in a row (so that both of two
    workers are likely up); fail if it exits or does not answer within ``seconds`` (a loaded 2-core machine)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    ready = 0
    while ready < 4:
        try:
            ready = ready + 1 if httpx.get(base + "/readyz", timeout=2).status_code == 200 else 0
        except httpx.HTTPError:
            ready = 0
        assert time.monotonic() < deadline, "server did not become ready"
        assert proc.poll() is None, "server exited"
        time.sleep(0.3)
