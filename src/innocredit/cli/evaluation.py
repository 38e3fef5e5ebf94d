"""Evaluation verbs: ``innocredit evaluate``, ``innocredit systems list|show|validate``, ``innocredit explain``.
See ``docs/evaluation.md``."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from innocredit.cli._common import dumps, echo_json, err_console, fail, print_problems

systems_app = typer.Typer(help="Indicator systems: list, show, validate.", no_args_is_help=True)
FORMATS = ("csv", "jsonl", "parquet", "xlsx", "json")


def _system(ref: str):  # type: ignore[no-untyped-def]
    from innocredit.evaluation import SystemError_, load_system

    try:
        return load_system(ref)
    except SystemError_ as exc:
        fail(str(exc))


def _features(path: Path, sheet: str | None = None):  # type: ignore[no-untyped-def]
    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import read_feature_table

    try:
        table = read_feature_table(path, sheet=sheet)
    except TableError as exc:
        fail(str(exc))
    if table.problems:
        n = print_problems(table.problems)
        fail(f"{path}: {n} bad value(s) in {table.rows_rejected} row(s); nothing was evaluated")
    return table.data


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of {text!r} is not a date YYYY-MM-DD")


def result_records(results: Any, system: Any) -> list[dict[str, Any]]:
    """One JSON-ready object per enterprise: uscc, system, system_version, score, qualified, route,
    indicators (points), groups, failed_conditions, missing, and the system's flags and track columns."""
    ind_ids = [i.id for i in system.indicators]
    grp_ids = [g.id for g in system.groups]
    rest = [c for c in results.columns if not c.startswith(("pt_", "grp_")) and c not in
            ("uscc", "system", "system_version", "as_of", "score", "qualified", "route", "failed_conditions", "missing")]
    out = []
    for r in results.iter_rows(named=True):
        rec = {"uscc": r["uscc"], "system": r["system"], "system_version": r["system_version"], "as_of": r["as_of"],
               "score": r["score"], "qualified": r["qualified"], "route": r["route"],
               "indicators": {i: r[f"pt_{i}"] for i in ind_ids}, "groups": {g: r[f"grp_{g}"] for g in grp_ids},
               "failed_conditions": r["failed_conditions"], "missing": r["missing"]}
        rec.update({c: r[c] for c in rest})
        out.append(rec)
    return out


def _write(results: Any, system: Any, output: Path | None, fmt: str) -> None:
    import polars as pl

    if fmt == "json":
        text = "\n".join(dumps(rec) for rec in result_records(results, system)) + ("\n" if results.height else "")
        if output is None:
            sys.stdout.write(text)
        else:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        return
    if output is None:
        fail(f"--format {fmt} needs --output FILE")
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        results.write_parquet(output)
    elif fmt == "jsonl":
        results.write_ndjson(output)
    else:  # csv and xlsx: lists joined with ";", text guarded against formula injection
        from innocredit.ingest.tables import guard_formulas, write_workbook

        lists = [c for c, t in results.schema.items() if isinstance(t, pl.List)]
        flat = results.with_columns(pl.col(c).list.join(";") for c in lists)
        if fmt == "xlsx":
            write_workbook({"results": flat}, output)
        else:
            guard_formulas(flat).write_csv(output)


def evaluate(
    system: str = typer.Option(..., "--system", help="system id (see `innocredit systems list`) or a YAML file"),
    input: Path = typer.Option(..., "--input", help="feature table: .csv, .jsonl, .parquet or .xlsx"),  # noqa: A002
    sheet: str | None = typer.Option(None, "--sheet", help="the Excel sheet to read (default: the first)"),
    output: Path | None = typer.Option(None, "--output", help="write results here (.csv, .jsonl, .parquet, .xlsx)"),
    fmt: str | None = typer.Option(None, "--format", help="csv, jsonl, parquet, xlsx or json (default: by --output "
                                                          "extension, else json on stdout)"),
    as_of: str | None = typer.Option(None, "--as-of", help="evaluate as of this date instead of each row's as_of"),
    store: bool = typer.Option(False, "--store", help="store the run and its results in the database"),
    database: str | None = typer.Option(None, "--database", help="database URL for --store"),
    user: str | None = typer.Option(None, "--user", help="who ran it (stored with --store; default: login name)"),
) -> None:
    """Evaluate every enterprise in a feature table with an indicator system."""
    from innocredit.evaluation import evaluate as run

    if fmt is None:
        fmt = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".xlsx": "xlsx"}.get(
            output.suffix.lower(), "json") if output is not None else "json"
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    from innocredit.cli._common import Steps, table_rows
    from innocredit.evaluation.context import InputError

    sysdef = _system(system)
    date = _as_of(as_of)
    steps = Steps(table_rows(input), ["read and check", "evaluate", "write"], f"evaluate {sysdef.id}")
    try:
        features = _features(input, sheet)
        steps.next("read and check")
        try:
            results = run(sysdef, features, date)
        except InputError as exc:
            fail(f"{input}: {exc}")
        steps.next("evaluate")
        _write(results, sysdef, output, fmt)
        steps.next("write")
    finally:
        steps.close()
    if store:
        from innocredit.cli._common import open_database
        from innocredit.services.database import unit_of_work
        from innocredit.services.evaluation import record_run

        engine = open_database(database)
        who = user or os.environ.get("INNOCREDIT_USER") or getpass.getuser()
        with unit_of_work(engine) as session:
            run_id = record_run(session, sysdef, results, who, str(input))
        engine.dispose()
        err_console.print(f"stored run {run_id}", highlight=False)
    if output is not None:
        n_q = int(results["qualified"].sum() or 0)
        n_p = int((results["state"] == "possible").sum()) if "state" in results.columns else None
        possible = f", {n_p} possible" if n_p is not None else ""
        err_console.print(f"{results.height} enterprises evaluated with {sysdef.id} v{sysdef.version}: "
                          f"{n_q} qualified{possible} -> {output}", highlight=False)


@systems_app.command("list")
def systems_list(fmt: str = typer.Option("table", "--format", help="table or json"),
                 lang: str = typer.Option("en", "--lang", help="zh or en")) -> None:
    """List the shipped indicator systems."""
    from innocredit.evaluation import SystemError_, list_systems

    try:
        systems = list_systems()
    except SystemError_ as exc:
        fail(str(exc))
    if fmt == "json":
        echo_json([{"id": s.id, "version": s.version, "name": s.name, "source": s.source,
                    "indicators": len(s.indicators)} for s in systems])
        return
    table = Table("id", "version", "name", "indicators", "qualification")
    for s in systems:
        table.add_row(s.id, s.version, s.name.get(lang, s.name["en"]), str(len(s.indicators)),
                      s.qualification.text)
    Console().print(table)


@systems_app.command("show")
def systems_show(system: str = typer.Argument(..., help="system id or YAML file"),
                 fmt: str = typer.Option("text", "--format", help="text or json"),
                 lang: str = typer.Option("en", "--lang", help="zh or en")) -> None:
    """Show a system: source, conditions, indicators with their bands, groups, routes and the qualification rule."""
    s = _system(system)
    if fmt == "json":
        echo_json({"id": s.id, "version": s.version, "file": s.file, "sha256": s.sha256, "definition": s.raw})
        return
    L = lang if lang in ("zh", "en") else "en"  # noqa: N806
    lines = [f"{s.name[L]} — {s.id} v{s.version}", f"{'来源' if L == 'zh' else 'source'}: {s.source[L]}"]
    for title, rules in (("conditions", s.conditions), ("vetoes", s.vetoes), ("direct routes", s.direct_routes),
                         ("bonuses", s.bonuses), ("deductions", s.deductions)):
        if rules:
            lines.append(f"{title}:")
            sign = -1 if title == "deductions" else 1
            lines += [f"  {r.id}: {r.name[L]}  [{r.when.text}]" + (f" ({sign * r.points:+g})" if r.points else "")
                      for r in rules]
    for g in s.groups:
        w = f" weight {g.weight}" if g.weight is not None else ""
        m = f" minimum {g.minimum:g}" if g.minimum is not None else ""
        lines.append(f"group {g.id}: {g.name[L]}{w}{m}")
        for i in s.indicators:
            if i.group != g.id:
                continue
            lines.append(f"  {i.id} ({i.max_points:g}): {i.name[L]}")
            for a in i.alternatives:
                head = f"    {a.name[L]}: " if i.best_of else "    "
                sc = a.scoring
                if sc.method == "bands":
                    desc = ", ".join(f"{'>' if b.exclusive else '≥'}{b.lower} → {_pts(b)}" for b in sc.bands)
                elif sc.method == "cases":
                    desc = ", ".join(f"[{c.when.text}] → {_pts(c)}" for c in sc.cases)
                elif sc.method == "reference":
                    desc = f"min(value / {sc.reference:g}, 1) × {i.max_points:g}"
                else:
                    desc = f"track percentile × {i.max_points:g}"
                lines.append(f"{head}{a.value.text if a.value else ''}: {desc}")
        for j in s.judgement:
            if j.group == g.id:
                lines.append(f"  {j.id} ({j.min_points:g}-{j.max_points:g}, "
                             f"{'专家评价' if L == 'zh' else 'expert judgement'}): {j.name[L]}")
    lines.append(f"qualification: {s.qualification.text}")
    for a in s.raw.get("assumptions", []):
        lines.append(f"{'假设' if L == 'zh' else 'assumption'}: {a['what']} — {a['reasoning']}")
    typer.echo("\n".join(lines))


def _pts(band: Any) -> str:
    """A band's points as the policy writes them: ``8`` or ``7-8``."""
    return f"{band.points:g}" if band.low is None else f"{band.low:g}-{band.points:g}"


@systems_app.command("validate")
def systems_validate(file: Path = typer.Argument(..., help="a system YAML file")) -> None:
    """Check a system file against the schema; exit 2 with file, YAML path and reason when it is wrong."""
    s = _system(str(file))
    typer.echo(f"{file}: valid system {s.id} v{s.version} ({len(s.indicators)} indicators)")


def explain(
    system: str = typer.Option(..., "--system", help="system id or YAML file"),
    input: Path = typer.Option(..., "--input", help="feature table: .csv, .jsonl, .parquet or .xlsx"),  # noqa: A002
    uscc: str = typer.Option(..., "--uscc", help="the enterprise to explain"),
    lang: str = typer.Option("en", "--lang", help="zh or en"),
    fmt: str = typer.Option("text", "--format", help="text or json"),
    as_of: str | None = typer.Option(None, "--as-of", help="evaluate as of this date"),
    sheet: str | None = typer.Option(None, "--sheet", help="the Excel sheet to read (default: the first)"),
) -> None:
    """Explain one enterprise's evaluation: values, points, bands, the reachable range, the smallest single
    changes and the cheapest combination of changes that qualifies."""
    from innocredit.evaluation import explain as run_explain
    from innocredit.evaluation import explain_text

    if lang not in ("zh", "en"):
        fail(f"--lang must be zh or en, not {lang!r}")
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}")
    sysdef = _system(system)
    date = _as_of(as_of)
    features = _features(input, sheet)
    from innocredit.evaluation.context import InputError

    try:
        e = run_explain(sysdef, features, uscc, lang, date)
    except KeyError:
        fail(f"{input}: no enterprise with uscc {uscc}")
    except InputError as exc:
        fail(f"{input}: {exc}")
    if fmt == "json":
        echo_json(e)
    else:
        typer.echo(explain_text(e, lang))


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
    app.command("explain")(explain)
    app.add_typer(systems_app, name="systems")
