"""``innocredit run``: migrate the database, load the demo district on first start, print the
demo users and serve the web app and API (what ``make run`` calls)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from innocredit.storage.base import database_url, make_engine
from innocredit.storage.migrate import upgrade

console = Console(stderr=True)


def demo_loaded(engine: Engine) -> bool:
    from innocredit.storage.feeds import IngestBatch

    with engine.connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(IngestBatch)))


def prepare_demo(engine: Engine, enterprises: int, seed: int, data_dir: Path) -> dict[str, Any]:
    """Generate the demo feeds, ingest them, and store the coordination year and a first risk model."""
    from innocredit.ingest.service import features_as_of, ingest_dir, loans_as_of
    from innocredit.synthetic import write_feeds
    from innocredit.synthetic.coordination import load_demo
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
        from innocredit.web.config import Settings
        from innocredit.web.demo import seed_demo_users
        from innocredit.web.server import serve

        url = database_url(database)
        engine = make_engine(url)
        upgrade(engine)
        if demo and not demo_loaded(engine):
            console.print(f"loading the demo district ({demo_enterprises} enterprises, seed {seed}) ...")
            summary = prepare_demo(engine, demo_enterprises, seed, data_dir)
            console.print(f"demo loaded: {summary}")
        users = seed_demo_users(engine)
        engine.dispose()
        table = Table(title="demo users")
        for col in ("username", "password", "role", "organisation"):
            table.add_column(col, no_wrap=True, overflow="ignore")
        for username, password, role, org in users:
            table.add_row(username, password, role, org)
        Console(stderr=True, width=max(console.width, 120)).print(table)
        console.print(f"serving on http://{host}:{port}  (API: http://{host}:{port}/api/v1/openapi.json)")
        serve(host, port, Settings.from_env(database_url=url), workers=workers)
