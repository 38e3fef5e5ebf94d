"""One configuration for the command line, the web app and the batch jobs: ``INNOCREDIT_*`` environment variables.

``Settings()`` (or :func:`load_settings`) reads the environment the same way everywhere; keyword arguments win over
the environment. A bad value raises :class:`SettingsError` whose message names the variable, e.g.
``INNOCREDIT_LPR: must be a fraction between 0 and 1 (got 3.1)``; the CLI prints it and exits with status 2.

See ``README.md`` (Configuration) and ``docs/deployment.md`` for every variable.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "INNOCREDIT_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the environment variable."""


def _random_key() -> str:
    return secrets.token_urlsafe(32)


class Settings(BaseSettings):
    """Everything the platform reads from its environment (``INNOCREDIT_<FIELD>``, case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", env_ignore_empty=True,
                                      validate_default=True)

    database_url: str = "sqlite:///innocredit.db"
    # key for sessions, CSRF tokens and signed values; random at each start when not set (demo only: a deployment
    # must set it, `innocredit run --no-demo` refuses to start without it, and several workers must share it)
    secret_key: str = Field(default_factory=_random_key, min_length=16)
    lpr: Decimal | None = None  # one-year loan prime rate (fraction); None = the lending policy's value
    sla_days: int | None = Field(default=None, ge=1, le=60)  # decision SLA in working days; None = the policy's
    migrate_on_start: bool = False
    # compute the feature table and the evaluations in a background thread at start (the first page is fast);
    # the test suite turns it off (many short-lived apps in one process)
    warm_caches: bool = True
    cookie_secure: bool = True  # Secure cookies with the __Host- prefix, and HSTS; off only for plain-HTTP tests
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    token_hours: int = Field(default=24 * 30, ge=1, le=24 * 366)
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    default_lang: Literal["zh", "en"] = "zh"
    features_path: str | None = None  # a feature-table file to serve instead of the ingested store
    log_level: str = "INFO"
    spark_master: str | None = None  # Spark master for --engine spark; None = local[*] (or spark-submit's)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024 * 1024 * 1024)  # request body limit
    # the limit for the routes that take a feed or list file (uploads), larger than the body limit of the rest
    max_upload_bytes: int = Field(default=256 * 1024 * 1024, ge=1024, le=4 * 1024 * 1024 * 1024)
    hsts_seconds: int = Field(default=365 * 86400, ge=0)  # Strict-Transport-Security max-age when cookie_secure
    # HMAC key of the lending audit chain; the database must not hold it (None: the published development key, and
    # `innocredit loans audit` / GET /api/v1/audit/verify warn that the chain then proves nothing)
    audit_key: str | None = Field(default=None, min_length=16)

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError(f"must be a sqlite:/// or postgresql:// URL (got {value[:40]!r})")
        return value

    @field_validator("lpr")
    @classmethod
    def _lpr(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not (value.is_finite() and Decimal(0) < value < Decimal(1)):
            raise ValueError(f"must be a fraction between 0 and 1, e.g. 0.030 (got {value})")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)} (got {value!r})")
        return level

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The environment's settings, with ``overrides`` (field names) taking precedence."""
        return cls(**overrides)

    @property
    def secret_key_configured(self) -> bool:
        """Whether the secret key was given (environment or argument) rather than made up at start."""
        return "secret_key" in self.model_fields_set

    def env(self) -> dict[str, str]:
        """The ``INNOCREDIT_*`` variables that make ``Settings()`` in another process equal to this one."""
        out: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            out[ENV_PREFIX + name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
        return out


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{ENV_PREFIX}{field.upper()}: {msg}")
    return "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (and ``overrides``); raises :class:`SettingsError` naming the variable."""
    return Settings(**overrides)


def lending_policy(settings: Settings) -> Any:
    """The lending policy with the LPR and decision SLA of ``settings`` (the policy file's values when unset)."""
    from innocredit.lending.schema import load_policy

    return load_policy(lpr=settings.lpr, sla_working_days=settings.sla_days)


def default_lending_policy() -> Any:
    """The lending policy of this process's environment (``INNOCREDIT_LPR``, ``INNOCREDIT_SLA_DAYS``): what the
    services use when the caller passes none, so the CLI and batch jobs read the same settings as the web."""
    return lending_policy(load_settings())


def configure_logging(settings: Settings) -> None:
    """The root log level from the settings (the web app installs its JSON formatter itself)."""
    logging.getLogger("innocredit").setLevel(settings.log_level)
