"""Settings from environment variables, with safe defaults for the demo."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal

from pydantic import BaseModel, Field


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Settings(BaseModel):
    """Everything the app reads from its environment (``INNOCREDIT_*``)."""

    database_url: str = "sqlite:///innocredit.db"
    secret_key: str = Field(default_factory=lambda: secrets.token_urlsafe(32))
    lpr: Decimal | None = None  # one-year loan prime rate (fraction); None = the lending policy's value
    sla_days: int | None = None  # decision SLA in working days; None = the lending policy's value
    migrate_on_start: bool = False
    cookie_secure: bool = True
    session_hours: int = 12
    token_hours: int = 24 * 30
    login_max_failures: int = 5
    login_window_minutes: int = 15
    default_lang: str = "zh"
    features_path: str | None = None  # a feature-table file to serve instead of the ingested store
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values: dict[str, object] = {}
        if "INNOCREDIT_DATABASE_URL" in env:
            values["database_url"] = env["INNOCREDIT_DATABASE_URL"]
        if "INNOCREDIT_SECRET_KEY" in env:
            values["secret_key"] = env["INNOCREDIT_SECRET_KEY"]
        if "INNOCREDIT_LPR" in env:
            values["lpr"] = Decimal(env["INNOCREDIT_LPR"])
        if "INNOCREDIT_SLA_DAYS" in env:
            values["sla_days"] = int(env["INNOCREDIT_SLA_DAYS"])
        if "INNOCREDIT_FEATURES_PATH" in env:
            values["features_path"] = env["INNOCREDIT_FEATURES_PATH"]
        if "INNOCREDIT_LOG_LEVEL" in env:
            values["log_level"] = env["INNOCREDIT_LOG_LEVEL"]
        values["migrate_on_start"] = _env_bool("INNOCREDIT_MIGRATE_ON_START", False)
        values["cookie_secure"] = _env_bool("INNOCREDIT_COOKIE_SECURE", True)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
