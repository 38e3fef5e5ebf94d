"""Fixtures for the web tests: one app per module on a temp SQLite DB with demo data and demo users."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))  # the helper modules beside this file (importlib mode)

from web_support import WebEnv, build_env  # noqa: E402


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebEnv]:
    app, features, users, ent_uscc, _ = build_env(tmp_path_factory.mktemp("web"))
    with TestClient(app) as client:
        yield WebEnv(app, client, features, users, ent_uscc)
