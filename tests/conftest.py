"""Shared fixtures.

``db_url`` / ``engine`` are parametrized over SQLite and PostgreSQL: every storage test
runs on both. PostgreSQL is the server at 127.0.0.1:5432 (user postgres, database test);
each test gets its own schema so parallel runs never collide. Under CI (``CI`` set) an
unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from innocredit.storage.base import make_engine
from innocredit.storage.migrate import upgrade

# many short-lived apps share each test process: no background cache warm-up threads (each request computes what
# it needs, as the first request of a server does)
os.environ.setdefault("INNOCREDIT_WARM_CACHES", "0")

PG_URL = os.environ.get("INNOCREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The hand-computed example cases live inside the repository (tests/data/README-examples.md):
# a fresh clone runs its tests without anything beside it.
EXAMPLES = Path(__file__).resolve().parent / "data"


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


_PG = _pg_available()


def _require_pg() -> None:
    if not _PG:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} does not answer; CI must not skip the PostgreSQL storage tests")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not available")


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A URL of the test PostgreSQL server whose search path is a fresh schema, dropped afterwards."""
    _require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for an empty database (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """An empty PostgreSQL schema (for the tests that need the server: several workers, locks)."""
    with _pg_schema() as url:
        yield url


@pytest.fixture(scope="module")
def pg_module_schema_url() -> Iterator[str]:
    """The same, shared by the tests of one module."""
    with _pg_schema() as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database engine on SQLite and on PostgreSQL."""
    eng = make_engine(db_url)
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite engine for tests that are not about storage portability."""
    eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    upgrade(eng)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES
