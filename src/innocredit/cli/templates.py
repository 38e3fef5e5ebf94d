"""``innocredit templates DIR --format xlsx``: one template workbook per department feed and one for the feature
table (bilingual headers, a notes sheet, data validation). See ``docs/data-feeds.md``."""

from __future__ import annotations

from pathlib import Path

import typer

from innocredit.cli._common import echo_json, fail


def templates(
    directory: Path = typer.Argument(..., help="directory to write the templates into (created if absent)"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (headers, notes, validation) or csv (header row)"),
    only: str | None = typer.Option(None, "--only", help="comma-separated template ids (default: all)"),
    as_json: bool = typer.Option(False, "--json", help="print the written files as JSON"),
) -> None:
    """Write the feed and feature-table templates; filled in, the directory can be ingested as it is."""
    from innocredit.ingest.templates import templates as known
    from innocredit.ingest.templates import write_template

    if fmt not in ("xlsx", "csv"):
        fail(f"--format must be xlsx or csv, not {fmt!r}")
    ids = list(known())
    if only:
        wanted = [x.strip() for x in only.split(",") if x.strip()]
        unknown = [x for x in wanted if x not in ids]
        if unknown:
            fail(f"--only: unknown template(s) {', '.join(unknown)}; known: {', '.join(ids)}")
        ids = wanted
    try:
        written = [write_template(tid, directory / f"{tid}.{fmt}") for tid in ids]
    except OSError as exc:
        fail(f"{directory}: cannot write templates: {exc}")
    if as_json:
        echo_json([str(p) for p in written])
    else:
        for p in written:
            typer.echo(str(p))


def register(app: typer.Typer) -> None:
    app.command("templates")(templates)
