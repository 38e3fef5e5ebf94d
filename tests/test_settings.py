"""One Settings for CLI, web and batch: read from INNOCREDIT_* the same way, errors name the variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from innocredit.settings import Settings, SettingsError, lending_policy, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("INNOCREDIT_"):
            monkeypatch.delenv(key)


def test_defaults_without_environment() -> None:
    s = load_settings()
    assert s.database_url == "sqlite:///innocredit.db"
    assert s.lpr is None and s.sla_days is None and s.migrate_on_start is False and s.cookie_secure is True
    assert len(s.secret_key) >= 32 and not s.secret_key_configured
    assert s.max_body_bytes == 1024 * 1024 and s.log_level == "INFO"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"INNOCREDIT_DATABASE_URL": "postgresql://u@db/x", "INNOCREDIT_SECRET_KEY": "s" * 40,
           "INNOCREDIT_LPR": "0.031", "INNOCREDIT_SLA_DAYS": "4", "INNOCREDIT_MIGRATE_ON_START": "yes",
           "INNOCREDIT_COOKIE_SECURE": "off", "INNOCREDIT_LOG_LEVEL": "warning",
           "INNOCREDIT_SPARK_MASTER": "spark://m:7077", "INNOCREDIT_MAX_BODY_BYTES": "65536",
           "INNOCREDIT_FEATURES_PATH": "/data/f.parquet"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    s = Settings()
    assert (s.database_url, s.secret_key, s.lpr, s.sla_days) == ("postgresql://u@db/x", "s" * 40, Decimal("0.031"), 4)
    assert s.migrate_on_start is True and s.cookie_secure is False and s.log_level == "WARNING"
    assert (s.spark_master, s.max_body_bytes, s.features_path) == ("spark://m:7077", 65536, "/data/f.parquet")
    assert s.secret_key_configured
    # keyword arguments win over the environment (what `innocredit run --database` does)
    assert Settings.from_env(database_url="sqlite:///y.db").database_url == "sqlite:///y.db"


@pytest.mark.parametrize(("var", "value", "words"), [
    ("INNOCREDIT_LPR", "3.1", "between 0 and 1"),
    ("INNOCREDIT_LPR", "abc", "decimal"),
    ("INNOCREDIT_LPR", "NaN", "finite"),
    ("INNOCREDIT_SLA_DAYS", "x", "integer"),
    ("INNOCREDIT_SLA_DAYS", "0", "greater than or equal to 1"),
    ("INNOCREDIT_LOG_LEVEL", "LOUD", "one of"),
    ("INNOCREDIT_DATABASE_URL", "mysql://x", "postgresql"),
    ("INNOCREDIT_MIGRATE_ON_START", "perhaps", "boolean"),
    ("INNOCREDIT_SECRET_KEY", "short", "at least 16"),
    ("INNOCREDIT_MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
])
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, var: str, value: str, words: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(var + ":") and words in str(info.value)


def test_empty_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INNOCREDIT_LPR", "")
    assert load_settings().lpr is None


def test_env_round_trips_to_another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Settings(database_url="sqlite:///x.db", secret_key="k" * 40, lpr=Decimal("0.031"), sla_days=4,
                        cookie_secure=False, max_body_bytes=4096, spark_master="local[2]")
    for key, value in original.env().items():
        monkeypatch.setenv(key, value)
    assert Settings() == original


def test_web_config_is_the_same_settings() -> None:
    from innocredit.web.config import Settings as WebSettings

    assert WebSettings is Settings


def test_lending_policy_takes_lpr_and_sla_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    default = lending_policy(load_settings())
    monkeypatch.setenv("INNOCREDIT_LPR", "0.0275")
    monkeypatch.setenv("INNOCREDIT_SLA_DAYS", "7")
    policy = lending_policy(load_settings())
    assert policy.lpr_1y == pytest.approx(0.0275) and policy.sla_working_days == 7
    assert (default.lpr_1y, default.sla_working_days) != (policy.lpr_1y, policy.sla_working_days)
