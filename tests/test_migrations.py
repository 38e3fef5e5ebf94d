"""Alembic migrations create exactly the tables the models declare, on SQLite and PostgreSQL."""

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import innocredit.storage as storage_pkg
from innocredit.storage.base import metadata


def _load_all_models() -> None:
    for info in pkgutil.iter_modules(storage_pkg.__path__):
        if info.name not in {"base", "migrate", "migrations"}:
            importlib.import_module(f"innocredit.storage.{info.name}")


def test_migrations_match_models(engine):
    _load_all_models()
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(ctx, metadata) if not (isinstance(d, tuple) and d[0] == "remove_table"
                                                                  and d[1].name == "alembic_version")]
    assert diff == []
