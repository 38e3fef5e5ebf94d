"""Data verbs: ``innocredit ingest FEED_DIR``, ``innocredit features --as-of DATE --output FILE``,
``innocredit db upgrade``. See ``docs/data-feeds.md``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from innocredit.cli._common import echo_json, err_console, fail, open_database, print_problems

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)

DB_HELP = "database URL (default: $INNOCREDIT_DATABASE_URL or sqlite:///innocredit.db)"


def ingest(
    feed_dir: Path = typer.Argument(..., help="directory of feed files (tax.csv, ip_office.jsonl, ...)"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    quarantine: Path | None = typer.Option(None, "--quarantine", help="write rejected values here (.csv/.jsonl/.parquet/.xlsx)"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
) -> None:
    """Load department feed files into the store (idempotent; bad rows are quarantined, good rows kept).

    Exit status 2 when any row or file was rejected (the good rows are loaded all the same)."""
    from innocredit.cli._common import Steps, table_rows
    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import table_format, write_table
    from innocredit.services.feeds import feed_files, ingest_files

    if fmt not in ("table", "json"):
        fail(f"--format must be table or json, not {fmt!r}")
    if quarantine is not None:
        try:
            table_format(quarantine)
        except TableError as exc:
            fail(str(exc))
    try:
        files = feed_files(feed_dir)
    except TableError as exc:
        fail(str(exc))
    engine = open_database(database)
    names = [p.name for p, feed in files if feed is not None]
    # rows are counted (Parquet metadata, CSV lines) only when a bar could be shown
    rows = sum(table_rows(p) or 0 for p, feed in files if feed is not None) if err_console.is_terminal else 0
    steps = Steps(rows, names or ["-"], f"ingest {feed_dir}")
    try:
        report = ingest_files(engine, files, str(feed_dir), after_file=lambda p: steps.next(p.name))
    except TableError as exc:
        fail(str(exc))
    finally:
        steps.close()
        engine.dispose()
    if quarantine is not None:
        write_table(report.problems_frame(), quarantine)
    if fmt == "json":
        echo_json(report.as_dict())
    else:
        t = Table(title=f"ingest {feed_dir}")
        for col in ("file", "feed", "status", "read", "loaded", "updated", "unchanged", "rejected"):
            t.add_column(col)
        for f in report.files:
            t.add_row(Path(f.file).name, f.feed or "-", f.status, str(f.rows_read), str(f.rows_loaded),
                      str(f.rows_updated), str(f.rows_unchanged), str(f.rows_rejected))
        Console().print(t)
    n = print_problems(report.problems)
    for f in report.files:
        if f.status == "ignored":
            err_console.print(f"note: {f.file}: ignored ({f.error})", highlight=False, markup=False)
    if not report.ok:
        fail(f"{n} problem(s); the good rows were loaded"
             + (f", rejected values written to {quarantine}" if quarantine else ""))


def features(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: the latest as_of stored)"),
    output: Path = typer.Option(..., "--output", help="feature table file (.parquet, .csv, .jsonl or .xlsx)"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help="table or json (a summary on stdout)"),
) -> None:
    """Build the feature table (spec/features.md) from the stored feeds as of a date."""
    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import table_format, write_table
    from innocredit.services.feeds import features_as_of

    date: dt.date | None = None
    if as_of is not None:
        try:
            date = dt.date.fromisoformat(as_of)
        except ValueError:
            fail(f"--as-of {as_of!r} is not a date in ISO format YYYY-MM-DD")
    try:
        table_format(output)
    except TableError as exc:
        fail(str(exc))
    engine = open_database(database)
    try:
        df = features_as_of(engine, date)
    finally:
        engine.dispose()
    write_table(df, output)
    built_as_of = df["as_of"].max() if df.height else date
    summary = {"as_of": built_as_of, "enterprises": df.height, "output": str(output)}
    if fmt == "json":
        echo_json(summary)
    else:
        Console().print(f"wrote {df.height} enterprises as of {built_as_of!s} to {output}")


@db_app.command("upgrade")
def db_upgrade(database: str | None = typer.Option(None, "--database", help=DB_HELP),
               fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Create or migrate the database schema to the latest revision (all areas)."""
    from innocredit.services.database import database_url, make_engine
    from innocredit.services.database import migrate as upgrade

    url = database_url(database)
    try:
        engine = make_engine(url)
        url = engine.url.render_as_string(hide_password=True)
        upgrade(engine)
        engine.dispose()
    except Exception as exc:
        fail(f"cannot upgrade database {url!s}: {exc}")
    if fmt == "json":
        echo_json({"database": url, "status": "upgraded"})
    else:
        Console().print(f"database {url} is at the latest revision")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("features")(features)
    app.add_typer(db_app, name="db")
