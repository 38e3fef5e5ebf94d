"""``innocredit run``: migrate the database, load the demo district on first start, print the
demo users and serve the web app and API (what ``make run`` calls).

``innocredit run --no-demo`` is a deployment: no demo data and no default account (demo accounts left from an
earlier demo run that still have their published password are disabled), and it refuses to start without
``INNOCREDIT_SECRET_KEY``. The first administrator is created with ``innocredit users add --role admin``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.engine import Engine

from innocredit.services.database import database_url, make_engine
from innocredit.services.database import migrate as upgrade

console = Console(stderr=True)


def demo_loaded(engine: Engine) -> bool:
    """Whether any feed was ingested (the ingest batches' table, created by the feeds migration, has a row)."""
    with engine.connect() as conn:
        return bool(conn.scalar(text("SELECT count(*) FROM ingest_batches")))


def prepare_demo(engine: Engine, enterprises: int, seed: int, data_dir: Path) -> dict[str, Any]:
    """Generate the demo feeds, ingest them, and store the coordination year and a first risk model."""
    from innocredit.services.demo import load_demo
    from innocredit.services.feeds import features_as_of, ingest_dir, loans_as_of
    from innocredit.synthetic import write_feeds
    from innocredit.web.demo import train_demo_risk_model

    summary: dict[str, Any] = {}
    t0 = time.perf_counter()
    write_feeds(data_dir, enterprises, seed, fmt="parquet")
    summary["generated_s"] = round(time.perf_counter() - t0, 1)
    report = ingest_dir(engine, data_dir)
    summary["ingest"] = {"files": len(report.files), "rows_loaded": report.total("rows_loaded"),
                         "rows_rejected": report.total("rows_rejected")}
    features = features_as_of(engine)
    summary["coordination"] = load_demo(engine, features, seed, loans=loans_as_of(engine))
    summary["risk_models"] = [
        (train_demo_risk_model(engine, features, bank_id, root=str(data_dir / "models")) or {}).get("id")
        for bank_id in ("bank-hz-01", "bank-hz-02")
    ]
    return summary


def setup(url: str, demo: bool, demo_enterprises: int = 2000, seed: int = 42,
          data_dir: Path = Path("demo-data")) -> list[tuple[str, str, str, str]]:
    """Migrate; with ``demo``, load the demo district on first start and seed the demo users (returned with their
    passwords). Without it, no account is created and demo accounts still on their published password are
    disabled (returned with the password blanked)."""
    from innocredit.web.demo import disable_published_demo_accounts, seed_demo_users

    engine = make_engine(url)
    try:
        upgrade(engine)
        if not demo:
            return [(name, "", "disabled", "") for name in disable_published_demo_accounts(engine)]
        if not demo_loaded(engine):
            console.print(f"loading the demo district ({demo_enterprises} enterprises, seed {seed}) ...")
            summary = prepare_demo(engine, demo_enterprises, seed, data_dir)
            console.print(f"demo loaded: {summary}")
        return seed_demo_users(engine)
    finally:
        engine.dispose()


DEMO_USERS_FILE = "demo-users.txt"


def demo_users_text(users: list[tuple[str, str, str, str]]) -> str:
    """The demo users as plain aligned columns: every character of every row, whatever the terminal width."""
    rows = [("username", "password", "role", "organisation"), *users]
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows) + "\n"


def print_demo_users(users: list[tuple[str, str, str, str]], path: Path) -> Path | None:
    """Print the demo users in full (plain text, never cut at the terminal's width: long lines wrap) and write
    them to ``path``, named on screen; returns the path written (None when it cannot be written)."""
    text_out = demo_users_text(users)
    console.file.write("demo users:\n" + text_out)  # plain text: rich would fit it to the terminal's width
    console.file.flush()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text_out, encoding="utf-8")
    except OSError as exc:
        console.print(f"could not write the demo users to {path}: {exc}", highlight=False, soft_wrap=True)
        return None
    console.print(f"demo users written to {path}", highlight=False, soft_wrap=True)
    return path


def _has_admin(url: str) -> bool:
    from innocredit.services import platform as accounts
    from innocredit.services.database import unit_of_work

    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            return accounts.count_active_admins(session) > 0
    finally:
        engine.dispose()


def _fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        host: str = typer.Option("127.0.0.1", help="address to listen on"),
        port: int = typer.Option(8000, help="port to listen on"),
        database: str | None = typer.Option(None, help="database URL (default: INNOCREDIT_DATABASE_URL or ./innocredit.db)"),
        demo: bool = typer.Option(True, help="load the demo district when the database is empty"),
        demo_enterprises: int = typer.Option(2000, min=100, help="enterprises in the demo district"),
        seed: int = typer.Option(42, help="demo-data seed"),
        data_dir: Path = typer.Option(Path("demo-data"), help="where the demo feeds are written"),
        workers: int = typer.Option(1, min=1, help="server processes (use the number of cores under load)"),
    ) -> None:
        """Set up the database (and demo data on first start) and serve http://HOST:PORT."""
        from sqlalchemy.exc import SQLAlchemyError

        from innocredit.settings import SettingsError, load_settings
        from innocredit.web.server import serve

        try:
            settings = load_settings(**({"database_url": database_url(database)} if database else {}))
        except SettingsError as exc:
            _fail(str(exc))
            return
        if not demo and not settings.secret_key_configured:
            _fail("INNOCREDIT_SECRET_KEY is not set: outside the demo the server needs a fixed secret key for "
                  "sessions and CSRF tokens (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        url = database_url(settings.database_url)
        try:
            users = setup(url, demo, demo_enterprises, seed, data_dir)
            has_admin = demo or _has_admin(url)
        except SQLAlchemyError as exc:
            reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0]
            _fail(f"cannot use the database ({make_engine(url).url.render_as_string(hide_password=True)}): {reason}")
            return
        if demo:
            print_demo_users(users, data_dir / DEMO_USERS_FILE)
        else:
            for username, *_ in users:
                console.print(f"disabled demo account {username!r}: it still had its published password")
            if not has_admin:
                console.print("no administrator yet: create one with "
                              "`innocredit users add <name> --role admin --password-stdin`")
        console.print(f"serving on http://{host}:{port}  (API: http://{host}:{port}/api/v1/openapi.json)")
        serve(host, port, settings.model_copy(update={"database_url": url}), workers=workers)
