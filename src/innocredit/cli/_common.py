"""Helpers shared by CLI modules: exit codes, JSON output, problem printing."""

from __future__ import annotations

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
