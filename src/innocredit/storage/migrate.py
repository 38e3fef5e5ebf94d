"""Run Alembic migrations programmatically (``innocredit db upgrade``, app start, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from innocredit.storage.base import database_url


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "innocredit.storage:migrations")
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return cfg


def upgrade(url_or_engine: str | Engine | None = None, revision: str = "heads") -> None:
    if isinstance(url_or_engine, Engine):
        cfg = alembic_config(url_or_engine.url.render_as_string(hide_password=False))
        with url_or_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    else:
        command.upgrade(alembic_config(url_or_engine), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)
