"""Helpers shared by CLI modules: exit codes, JSON output, problem printing."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import typer
from rich.console import Console

from innocredit.ingest.problems import RowProblem

err_console = Console(stderr=True)

EXIT_USAGE = 2  # bad input, unknown id, unreadable file


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def day_or_today(text: str | None, option: str) -> dt.date:
    """A date option (YYYY-MM-DD), today when not given; a bad one fails naming the option."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: not a date (YYYY-MM-DD): {text!r}")


def open_database(database: str | None) -> Any:
    """The engine for ``database`` (default: $INNOCREDIT_DATABASE_URL or ./innocredit.db), migrated to the latest
    schema; a bad URL or an unreachable server is a usage error with the reason."""
    from innocredit.services.database import make_engine
    from innocredit.services.database import migrate as upgrade

    try:
        engine = make_engine(database)
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001 - any connection problem is bad input here
        fail(f"cannot open database {database or '(default)'}: {exc}")
    return engine


def print_problems(problems: Iterable[RowProblem], limit: int = 50) -> int:
    count = 0
    for p in problems:
        if count < limit:
            err_console.print(str(p), highlight=False, markup=False, soft_wrap=True)
        count += 1
    if count > limit:
        err_console.print(f"... and {count - limit} more problems", highlight=False)
    return count


def _default(o: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    if hasattr(o, "as_dict"):
        return o.as_dict()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=_default)


def echo_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


PROGRESS_ROWS = 100_000  # progress bars above this many rows


def table_rows(path: Any) -> int | None:
    """The row count of a table file when it is cheap to know (Parquet metadata, CSV and JSON Lines lines), else
    None (Excel)."""
    from pathlib import Path

    p = Path(path)
    suffix = p.suffix.lower()
    if not p.is_file():
        return None
    try:
        if suffix in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(p).metadata.num_rows)
        if suffix in (".csv", ".jsonl", ".ndjson"):  # lines, counted in blocks (about 1 GB/s)
            lines = 0
            with p.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 22), b""):
                    lines += block.count(b"\n")
            return max(lines - (1 if suffix == ".csv" else 0), 0)
    except Exception:  # noqa: BLE001 - a bad file is reported by the reader itself
        return None
    return None


class Steps:
    """A progress bar over the named steps of a verb, on stderr, shown only above ``PROGRESS_ROWS`` rows and when
    stderr is a terminal (never in pipes, files or tests)."""

    def __init__(self, rows: int | None, steps: list[str], title: str) -> None:
        self.enabled = bool(rows and rows > PROGRESS_ROWS and err_console.is_terminal)
        self.steps = steps
        self._progress: Any = None
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(TextColumn(f"{title} ({rows:,} rows): " + "{task.description}"), BarColumn(),
                                      TimeElapsedColumn(), console=err_console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task(steps[0], total=len(steps))

    def next(self, done: str) -> None:
        """Mark step ``done`` as finished and show the next one."""
        if self._progress is not None:
            i = self.steps.index(done)
            nxt = self.steps[i + 1] if i + 1 < len(self.steps) else "done"
            self._progress.update(self._task, completed=i + 1, description=nxt)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
