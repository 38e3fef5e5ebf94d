"""``innocredit demo-data OUT_DIR --enterprises N --seed S``: write a coherent set of department
feeds for a fictional population of Zhejiang technology SMEs. See ``docs/demo-data.md``.

Options: ``--file-format parquet|csv|jsonl`` chooses the feed files (default parquet) and
``--format table|json`` the summary printed on stdout, as for every other verb. For the issue's
spelling, ``--format parquet|csv|jsonl`` is accepted as well and means the file format (the two
value sets do not overlap).
"""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from innocredit.cli._common import echo_json, err_console, fail

SUMMARY_FORMATS = ("table", "json")


def demo_data(
    out_dir: Path = typer.Argument(..., help="directory to write the feed files into (created if absent)"),
    enterprises: int = typer.Option(2000, "--enterprises", "-n", help="number of enterprises"),
    seed: int = typer.Option(20260630, "--seed", help="random seed; the same seed gives byte-identical files"),
    file_format: str | None = typer.Option(None, "--file-format", help="parquet (default), csv or jsonl"),
    fmt: str = typer.Option("table", "--format",
                            help="summary: table or json; parquet/csv/jsonl are taken as --file-format"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace feed files that already exist in OUT_DIR"),
) -> None:
    """Generate demo department feeds (registry, tax, social insurance, S&T, IP office, courts, bank loans,
    applications) for N enterprises; same seed, same files."""
    from innocredit.synthetic import FEED_ORDER, FILE_FORMATS, write_feeds
    from innocredit.synthetic.reference import AS_OF

    if fmt in FILE_FORMATS:
        if file_format is not None and file_format != fmt:
            fail(f"--format {fmt} and --file-format {file_format} disagree; give one file format")
        file_format, fmt = fmt, "table"
    if fmt not in SUMMARY_FORMATS:
        fail(f"--format must be table or json (or a file format: {', '.join(FILE_FORMATS)}), not {fmt!r}")
    file_format = file_format or "parquet"
    if file_format not in FILE_FORMATS:
        fail(f"--file-format must be one of {', '.join(FILE_FORMATS)}, not {file_format!r}")
    if enterprises < 1:
        fail(f"--enterprises must be at least 1, not {enterprises}")
    if enterprises > 100_000_000:
        fail(f"--enterprises must be at most 100,000,000 (USCC serial space), not {enterprises}")
    if seed < 0:
        fail(f"--seed must be a non-negative integer, not {seed}")
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"{out_dir}: exists and is not a directory")
    targets = [out_dir / f"{feed_id}.{file_format}" for feed_id in FEED_ORDER]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not overwrite:
        fail(f"{existing[0]} already exists ({len(existing)} feed file(s) in {out_dir}); "
             "use --overwrite to replace them or choose another directory")

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    steps: dict[str, dict[str, float | int]] = {}
    started = time.perf_counter()
    progress = Progress(TextColumn("[bold]{task.description:<18}"), BarColumn(), TextColumn("{task.fields[info]}"),
                        TimeElapsedColumn(), console=err_console, transient=True,
                        disable=not err_console.is_terminal)
    with progress:
        task = progress.add_task("population", total=len(FEED_ORDER) + 1, info="")

        def report(step: str, rows: int, seconds: float) -> None:
            steps[step] = {"rows": rows, "seconds": round(seconds, 3)}
            following = [f for f in ("population", *FEED_ORDER) if f not in steps]
            progress.update(task, advance=1, description=following[0] if following else "done",
                            info=f"{step}: {rows:,} rows")

        try:
            paths = write_feeds(out_dir, enterprises, seed, fmt=file_format, progress=report)
        except OSError as exc:
            fail(f"cannot write into {out_dir}: {exc}")
    elapsed = time.perf_counter() - started
    feeds = {fid: {"path": str(p), "rows": steps[fid]["rows"], "seconds": steps[fid]["seconds"]}
             for fid, p in paths.items()}
    summary = {
        "out_dir": str(out_dir), "enterprises": enterprises, "seed": seed, "file_format": file_format,
        "as_of": AS_OF.isoformat(), "seconds": round(elapsed, 3),
        "feeds": feeds,
    }
    if fmt == "json":
        echo_json(summary)
        return
    table = Table(title=f"demo data: {enterprises:,} enterprises, seed {seed}, as of {AS_OF}")
    table.add_column("feed")
    table.add_column("rows", justify="right")
    table.add_column("file")
    for fid, info in feeds.items():
        table.add_row(fid, f"{info['rows']:,}", str(info["path"]))
    Console().print(table)
    Console().print(f"written in {elapsed:.1f} s")


def register(app: typer.Typer) -> None:
    app.command("demo-data")(demo_data)
