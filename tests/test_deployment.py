"""The deployment files (issue 14 item 15) and the repository standing alone (item 16).

Docker is not available where the tests run, so the image is not built here: these tests parse compose.yaml and
check the Dockerfile's invariants. The backup script runs for real against the PostgreSQL test server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("INNOCREDIT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PINNED = re.compile(r"^[\w./-]+:\d+\.\d+(\.\d+)?[\w.-]*(@sha256:[0-9a-f]{64})?$")


def _dockerfile() -> list[str]:
    """Instructions with continuation lines joined, comments dropped."""
    lines, current = [], ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        if raw.strip().startswith("#") and not current:
            continue
        current += raw.rstrip("\\").strip() + " "
        if not raw.rstrip().endswith("\\"):
            if current.strip():
                lines.append(current.strip())
            current = ""
    return lines


def test_dockerfile_is_pinned_slim_non_root_with_a_health_check() -> None:
    instructions = _dockerfile()
    bases = [line.split()[1] for line in instructions if line.upper().startswith("FROM ")]
    assert bases, "no FROM"
    for image in bases:
        assert PINNED.match(image), f"base image {image} is not pinned to a version"
        assert "slim" in image and "latest" not in image
    users = [line.split()[1] for line in instructions if line.upper().startswith("USER ")]
    assert users, "the image runs as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    final_stage = instructions[max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM ")):]
    assert any(line.upper().startswith("HEALTHCHECK ") and "/readyz" in line for line in final_stage)
    cmd = next(line for line in final_stage if line.upper().startswith("CMD "))
    assert "--no-demo" in cmd and '"run"' in cmd  # a deployment: no demo data, no default account
    installs = [line for line in instructions if "pip install" in line and " . " in line + " "]
    assert installs and all("requirements.lock" in line for line in installs), "packages not held to the lock"
    assert any(line.upper().startswith("EXPOSE 8000") for line in final_stage)


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    for entry in (".git", ".venv", "*.db", ".env", "tests", "demo-data", "models"):
        assert entry in ignored, entry


def test_compose_starts_postgres_and_the_app_with_health_checks() -> None:
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    db, app = doc["services"]["db"], doc["services"]["app"]
    assert PINNED.match(db["image"]) and db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    env = app["environment"]
    # the secrets must be supplied; compose refuses to start without them (${VAR:?message})
    assert re.search(r"\$\{INNOCREDIT_SECRET_KEY:\?", env["INNOCREDIT_SECRET_KEY"])
    assert env["INNOCREDIT_DATABASE_URL"].startswith("postgresql://") and "@db:5432/" in env["INNOCREDIT_DATABASE_URL"]
    assert ":?" in db["environment"]["POSTGRES_PASSWORD"]
    assert env["INNOCREDIT_COOKIE_SECURE"] == "true"
    assert "--no-demo" in app["command"] and app["command"][:2] == ["innocredit", "run"]
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])  # only the TLS proxy reaches it
    assert app.get("read_only") is True and "pgdata" in doc["volumes"]


def test_repository_reads_nothing_outside_itself() -> None:
    """Tests, sources and benchmarks name no path outside the repository (a fresh clone runs `make test`)."""
    pattern = re.compile(r"""\.parent\s*/\s*["']shared["']|["']\.\./shared|/work/shared|parents\[\d+\]\.parent\b""")
    offenders = []
    for folder in ("tests", "src", "benchmarks", "scripts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".sh", ".toml", ".yaml", ".cfg") and path.is_file() \
                    and path != Path(__file__).resolve():
                for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                    if pattern.search(line):
                        offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []
    assert (ROOT / "tests" / "data" / "tech_sme_cases.csv").is_file()


# ---- backup and restore ------------------------------------------------------------------------------------------

def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def scratch_databases() -> Iterator[tuple[str, str]]:
    """Two empty scratch databases on the test server (dropped afterwards)."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (postgresql-client; .ci/run installs it)")
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception:  # noqa: BLE001
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} does not answer")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not available")
    names = [f"ic_backup_{uuid.uuid4().hex[:10]}_{side}" for side in ("src", "dst")]
    base = PG_URL.rsplit("/", 1)[0]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_and_restore_round_trip(scratch_databases: tuple[str, str], tmp_path: Path) -> None:
    from sqlalchemy import select

    from innocredit.services import platform as accounts
    from innocredit.storage.base import make_engine, unit_of_work
    from innocredit.storage.migrate import upgrade
    from innocredit.storage.platform import User

    src, dst = scratch_databases
    engine = make_engine(src)
    upgrade(engine)
    with unit_of_work(engine) as s:
        accounts.ensure_platform_organisation(s)
        accounts.create_organisation(s, "bank-z", "bank", "某银行", "Bank Z")
        accounts.create_user(s, "root", "backup-test-password", "admin", "platform")
        accounts.create_user(s, "zoe", "backup-test-password", "bank_officer", "bank-z")
    with engine.connect() as conn:
        heads = sorted(conn.execute(text("select version_num from alembic_version")).scalars())
        tables = conn.execute(text("select count(*) from information_schema.tables "
                                   "where table_schema = 'public'")).scalar()
    engine.dispose()

    script = str(ROOT / "scripts" / "backup_restore.sh")
    dump = tmp_path / "innocredit.dump"
    run = lambda *args: subprocess.run(["bash", script, *args], capture_output=True, text=True, timeout=120)  # noqa: E731
    res = run("backup", src, str(dump))
    assert res.returncode == 0, res.stderr
    assert dump.stat().st_size > 0 and not (tmp_path / "innocredit.dump.partial").exists()
    res = run("verify", str(dump))
    assert res.returncode == 0 and "tables with data" in res.stdout, res.stderr
    res = run("restore", _libpq(dst), str(dump))
    assert res.returncode == 0, res.stderr

    restored = make_engine(dst)
    with restored.connect() as conn:
        assert sorted(conn.execute(text("select version_num from alembic_version")).scalars()) == heads
        assert conn.execute(text("select count(*) from information_schema.tables "
                                 "where table_schema = 'public'")).scalar() == tables
        assert sorted(conn.execute(select(User.username, User.role, User.org_id)).all()) == [
            ("root", "admin", "platform"), ("zoe", "bank_officer", "bank-z")]
    with unit_of_work(restored) as s:  # the password hashes came across intact
        assert accounts.login(s, "zoe", "backup-test-password") is not None
    # the restored database is at the latest revision: an upgrade finds nothing to do and the app can start on it
    upgrade(restored)
    # restoring again into a database that is not empty fails as a whole and changes nothing
    res = run("restore", dst, str(dump))
    assert res.returncode != 0
    with restored.connect() as conn:
        assert conn.execute(select(User.username).order_by(User.username)).scalars().all() == ["root", "zoe"]
    restored.dispose()


def test_backup_script_refuses_bad_usage() -> None:
    res = subprocess.run(["bash", str(ROOT / "scripts" / "backup_restore.sh"), "restore", "postgresql://x/y",
                          "/nonexistent.dump"], capture_output=True, text=True, timeout=30)
    assert res.returncode != 0
    res = subprocess.run(["bash", str(ROOT / "scripts" / "backup_restore.sh")], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 2 and "backup" in res.stderr
