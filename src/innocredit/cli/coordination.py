"""Coordination verbs: ``innocredit metrics``, ``innocredit alerts``, ``innocredit consent grant|revoke|list``,
``innocredit lists create|screen|push|answer|show|escalate`` and ``innocredit coordination-demo``.
See docs/coordination.md. The database comes from ``--database`` or ``INNOCREDIT_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from innocredit.cli._common import echo_json, fail, open_database, print_problems

DB_HELP = "database URL (default: $INNOCREDIT_DATABASE_URL or sqlite:///innocredit.db)"
FORMATS = ("table", "json")

consent_app = typer.Typer(help="Enterprise consents to share data categories with a bank.", no_args_is_help=True)
lists_app = typer.Typer(help="Application lists (申报清单) -> recommendation lists (推荐清单) -> banks.",
                        no_args_is_help=True)


def _fmt(fmt: str) -> str:
    if fmt not in FORMATS:
        fail(f"--format must be table or json, not {fmt!r}")
    return fmt


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date YYYY-MM-DD")


def _when(value: str | None, option: str) -> dt.datetime | None:
    """A date or timestamp option; dates mean midnight UTC, naive timestamps are UTC."""
    if value is None:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date or timestamp (YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


def _read_frame(path: Path, what: str) -> pl.DataFrame:
    if not path.exists():
        fail(f"{path}: no such file ({what})")
    try:
        suffix = path.suffix.lower()
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".jsonl", ".ndjson", ".json"):
            return pl.read_ndjson(path)
        return pl.read_csv(path, try_parse_dates=True, infer_schema_length=10000)
    except Exception as exc:  # noqa: BLE001
        fail(f"{path}: cannot read {what}: {exc}")


def _read_features(path: Path) -> pl.DataFrame:
    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import read_feature_table

    if not path.exists():
        fail(f"{path}: no such file (feature table)")
    try:
        table = read_feature_table(path, key=("uscc",))
    except TableError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{path}: {exc}")
    if table.problems:
        n = print_problems(table.problems)
        fail(f"{path}: {n} problem(s) in the feature table; nothing was done")
    df = table.data
    casts = {"innovation_points": pl.Float64, "tech_sme": pl.Boolean, "registry_status": pl.String}
    return df.with_columns(pl.col(c).cast(t, strict=False) for c, t in casts.items() if c in df.columns)


def _print_rows(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*("" if r.get(c) is None else (f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]))
                        for c in columns))
    Console().print(table)


# ---------------------------------------------------------------- metrics and alerts

def metrics(
    as_of: str = typer.Option(..., "--as-of", help="last day of the period (YYYY-MM-DD)"),
    since: str | None = typer.Option(None, "--since", help="first day of the period (default: 364 days before)"),
    by: str | None = typer.Option(None, "--by", help="region, industry or bank"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    features: Path | None = typer.Option(None, "--features", help="feature table file (default: stored firms)"),
    loans: Path | None = typer.Option(None, "--loans", help="bank-loan file (default: stored loan register)"),
    coverage: str | None = typer.Option(
        None, "--coverage", help="coverage definition: tech_sme_scale (default) or nfra_active_small_micro "
        "(NFRA 活跃经营小微主体融资覆盖率); metrics.yaml"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Coordination metrics for a period: coverage, credit to recommended firms, unsecured and first-loan
    shares, average rate, days to credit and disbursement, innovation points, relending-eligible loans.
    The coverage rate follows ``--coverage``; the title (and the JSON's ``coverage_definition``) names it."""
    from innocredit.coordination.metrics import BY_CHOICES
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    if by is not None and by not in BY_CHOICES:
        fail(f"--by must be one of {', '.join(BY_CHOICES)}, not {by!r}")
    choices = service.coverage_choices()
    if coverage is not None and coverage not in choices:
        fail(f"--coverage must be one of {', '.join(choices)}, not {coverage!r}")
    end = _date(as_of, "--as-of")
    start = _date(since, "--since")
    assert end is not None
    if start is not None and start > end:
        fail(f"--since {start} is after --as-of {end}")
    ent = _read_features(features) if features else None
    ln = _read_frame(loans, "bank loans") if loans else None
    engine = open_database(database)
    with unit_of_work(engine) as s:
        report = service.metrics(s, as_of=end, by=by, since=start, enterprises=ent, loans=ln, coverage=coverage)
    if fmt == "json":
        echo_json(report)
        return
    title = f"coordination metrics {report['since']} .. {report['as_of']} ({report['definitions']})"
    target = report["coverage_definition"].get("target") or {}
    if target.get("value") is not None:
        title += (f"; coverage target {float(target['value']):.0%}"
                  + (" (assumption)" if target.get("assumption") else ""))
    groups = report["groups"]
    if len(groups) == 1:
        _print_rows([{"metric": k, "value": v} for k, v in groups[0].items()], ["metric", "value"], title)
        return
    cols = ["group", "active_small_firms", "coverage_rate", "recommended_firms", "recommended_firms_credited",
            "loans_amount", "unsecured_share_amount", "average_rate", "days_push_to_credit_mean"]
    _print_rows(groups, cols, title)


def alerts(
    bank: str | None = typer.Option(None, "--bank", help="the lending bank whose alerts to list"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    features_before: Path | None = typer.Option(None, "--features-before", help="previous feature snapshot"),
    features_after: Path | None = typer.Option(None, "--features-after", help="new feature snapshot"),
    patents_before: Path | None = typer.Option(None, "--patents-before", help="previous patent snapshot"),
    patents_after: Path | None = typer.Option(None, "--patents-after", help="new patent snapshot"),
    loans_before: Path | None = typer.Option(None, "--loans-before", help="previous loan snapshot"),
    loans_after: Path | None = typer.Option(None, "--loans-after", help="new loan snapshot"),
    now: str | None = typer.Option(None, "--now", help="evaluation time (default: now)"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Early warnings. With snapshot files, evaluate the rules (alerts.yaml) and store new alerts; with
    --bank, list that bank's alerts (a bank sees only alerts on its own loans)."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    snaps = {"features_before": features_before, "features_after": features_after,
             "patents_before": patents_before, "patents_after": patents_after, "loans_before": loans_before,
             "loans_after": loans_after}
    given = {k: v for k, v in snaps.items() if v is not None}
    if not given and bank is None:
        fail("give --bank ID to list alerts, or snapshot files (--features-before/--features-after ...) to evaluate")
    frames: dict[str, Any] = {k: _read_frame(v, k.replace("_", " ")) for k, v in given.items()}
    engine = open_database(database)
    raised = None
    if frames:
        with unit_of_work(engine) as s:
            raised = service.raise_alerts(s, now=_when(now, "--now"), **frames)
    if bank is None:
        assert raised is not None
        if fmt == "json":
            echo_json({"raised": raised.to_dicts()})
        else:
            _print_rows(raised.to_dicts(), ["severity", "rule_id", "uscc", "loan_id", "bank_id", "evidence"],
                        f"{raised.height} alert(s) found")
        return
    with unit_of_work(engine) as s:
        rows = service.alerts_for_bank(s, bank)
    if fmt == "json":
        echo_json({"bank_id": bank, "alerts": rows})
        return
    _print_rows([{**r, "evidence": str(r["evidence"])} for r in rows],
                ["raised_at", "severity", "rule_id", "name_en", "uscc", "loan_id", "evidence"],
                f"alerts for {bank}")


# ---------------------------------------------------------------- consent

@consent_app.command("grant")
def consent_grant(
    uscc: str = typer.Option(..., "--uscc", help="the enterprise granting consent"),
    bank: str = typer.Option(..., "--bank", help="the bank receiving access"),
    categories: str = typer.Option(..., "--categories", help="comma-separated: registry,tax,social_insurance,ip,"
                                   "science_tech,courts,bank_history"),
    until: str = typer.Option(..., "--until", help="end of the consent (exclusive), date or timestamp"),
    start: str | None = typer.Option(None, "--from", help="start (default: now)"),
    purpose: str | None = typer.Option(None, "--purpose"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """An enterprise grants a bank access to data categories for a period."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    cats = [c.strip() for c in categories.split(",") if c.strip()]
    end = _when(until, "--until")
    assert end is not None
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            row = service.grant_consent(s, uscc=uscc, bank_id=bank, categories=cats, valid_until=end,
                                        valid_from=_when(start, "--from"), purpose=purpose)
    except (service.ConsentError, service.CoordinationInputError) as exc:
        fail(str(exc))
    echo_json(row) if fmt == "json" else _print_rows([row], ["id", "uscc", "bank_id", "categories", "valid_from",
                                                             "valid_until", "state"])


@consent_app.command("revoke")
def consent_revoke(
    consent_id: int = typer.Option(..., "--id", help="consent id"),
    uscc: str = typer.Option(..., "--uscc", help="the enterprise that granted it"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Revoke a consent with immediate effect."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            row = service.revoke_consent(s, consent_id=consent_id, uscc=uscc)
    except service.NotFound as exc:
        fail(str(exc))
    echo_json(row) if fmt == "json" else _print_rows([row], ["id", "uscc", "bank_id", "categories", "revoked_at",
                                                             "state"])


@consent_app.command("list")
def consent_list(
    uscc: str | None = typer.Option(None, "--uscc"),
    bank: str | None = typer.Option(None, "--bank"),
    log: bool = typer.Option(False, "--log", help="show the data-access log instead"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """List consents (or, with --log, every read of enterprise data by banks, refusals included)."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    engine = open_database(database)
    with unit_of_work(engine) as s:
        rows = service.access_log(s, uscc=uscc, bank_id=bank) if log else \
            service.list_consents(s, uscc=uscc, bank_id=bank)
    if fmt == "json":
        echo_json(rows)
    elif log:
        _print_rows(rows, ["id", "at", "bank_id", "uscc", "categories", "outcome", "consent_ids", "reason"])
    else:
        _print_rows(rows, ["id", "uscc", "bank_id", "categories", "valid_from", "valid_until", "state"])


# ---------------------------------------------------------------- lists

_ITEM_RE = re.compile(r"item (\d+)")


def _items_from_file(path: Path) -> tuple[list[dict[str, Any]], int]:
    from innocredit.ingest.tables import read_text_table

    if not path.exists():
        fail(f"{path}: no such file (application items)")
    try:
        raw, first_line, _ = read_text_table(path)
    except Exception as exc:  # noqa: BLE001
        fail(f"{path}: cannot read application items: {exc}")
    if "uscc" not in raw.columns or "requested_amount" not in raw.columns:
        fail(f"{path}: needs columns uscc and requested_amount (has {', '.join(raw.columns)})")
    items: list[dict[str, Any]] = []
    for i, r in enumerate(raw.iter_rows(named=True)):  # list files hold hundreds of rows, not a batch path
        line = first_line + i
        item: dict[str, Any] = {k: (v if v not in ("",) else None) for k, v in r.items()}
        for flag in ("fixed_premises",):
            v = item.get(flag)
            if v is not None:
                low = str(v).strip().lower()
                if low in ("true", "1", "yes", "y", "t"):
                    item[flag] = True
                elif low in ("false", "0", "no", "n", "f"):
                    item[flag] = False
                else:
                    fail(f"{path}: line {line}, column {flag}: {v!r} is not true/false")
        try:
            item["requested_amount"] = Decimal(str(item["requested_amount"]))
        except (InvalidOperation, TypeError):
            fail(f"{path}: line {line}, column requested_amount: {item['requested_amount']!r} is not a number")
        items.append(item)
    return items, first_line


@lists_app.command("create")
def lists_create(
    name: str = typer.Option(..., "--name", help="list name, e.g. '2026-07 西湖区 申报清单'"),
    items: Path | None = typer.Option(None, "--items", help="CSV/JSONL/Parquet of requests: uscc, requested_amount, "
                                      "source, visited_on, requested_term_months, loan_purpose, fixed_premises, "
                                      "preferred_bank_id, preferred_product"),
    region: str | None = typer.Option(None, "--region", help="6-digit region code of the list"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Create an application list (申报清单), optionally with its items from a file."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    rows, first_line = _items_from_file(items) if items else ([], 2)
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            lst = service.create_application_list(s, name=name, region_code=region)
            added = service.add_application_items(s, lst["id"], rows) if rows else 0
    except service.CoordinationInputError as exc:
        msg = _ITEM_RE.sub(lambda m: f"line {int(m.group(1)) - 1 + first_line}", str(exc))
        fail(f"{items}: {msg}; nothing was stored" if items else str(exc))
    out = {**lst, "items": added}
    echo_json(out) if fmt == "json" else _print_rows([out], ["id", "name", "region_code", "items"])


@lists_app.command("screen")
def lists_screen(
    list_id: int = typer.Argument(..., help="application list id"),
    features: Path | None = typer.Option(None, "--features", help="feature table (default: the stored feeds)"),
    recommend: bool = typer.Option(True, "--recommend/--no-recommend", help="also create the recommendation list"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Screen an application list by the five criteria; the passing firms form a recommendation list."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    feats = _read_features(features) if features else None
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            res = service.screen_application_list(s, list_id, features=feats)
            reco = service.create_recommendation_list(s, application_list_id=list_id) if recommend else None
    except (service.NotFound, service.CoordinationInputError) as exc:
        fail(str(exc))
    rows = res.select("uscc", "passed", pl.col("failed_criteria").list.join(","),
                      pl.col("unknown_criteria").list.join(",")).to_dicts()
    if fmt == "json":
        echo_json({"list_id": list_id, "recommendation_list": reco, "items": rows})
        return
    _print_rows(rows, ["uscc", "passed", "failed_criteria", "unknown_criteria"], f"screening of list {list_id}")
    if reco:
        Console().print(f"recommendation list {reco['id']}: {reco['firms']} firm(s)")


@lists_app.command("push")
def lists_push(
    reco_id: int = typer.Argument(..., help="recommendation list id"),
    banks: str | None = typer.Option(None, "--banks", help="restrict to these banks (comma-separated)"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Push a recommendation list to banks chosen by region, product fit and the firm's preference."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    engine = open_database(database)
    chosen = [b.strip() for b in banks.split(",")] if banks else None
    try:
        with unit_of_work(engine) as s:
            out = service.push_to_banks(s, reco_id, banks=chosen)
    except (service.NotFound, service.CoordinationInputError) as exc:
        fail(str(exc))
    rows = out.to_dicts()
    echo_json(rows) if fmt == "json" else _print_rows(rows, ["uscc", "bank_id", "rank", "preferred",
                                                             "answer_due_on"])


@lists_app.command("answer")
def lists_answer(
    bank: str = typer.Option(..., "--bank", help="the answering bank"),
    push_id: int = typer.Option(..., "--push", help="push id"),
    kind: str = typer.Option(..., "--kind", help="accepted, declined, credit_granted or disbursed"),
    reason: str | None = typer.Option(None, "--reason", help="decline reason code (flow.yaml), e.g. D01"),
    amount: str | None = typer.Option(None, "--amount", help="credit or disbursed amount in yuan"),
    rate: float | None = typer.Option(None, "--rate", help="annual rate as a fraction, e.g. 0.0345"),
    product: str | None = typer.Option(None, "--product"),
    secured: bool | None = typer.Option(None, "--secured/--unsecured"),
    note: str | None = typer.Option(None, "--note"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """A bank answers one of its pushes."""
    from innocredit.coordination.flow import Answer, FlowError
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    money = None
    if amount is not None:
        try:
            money = Decimal(amount)
        except InvalidOperation:
            fail(f"--amount {amount!r} is not a number")
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            out = service.record_answer(s, bank_id=bank, push_id=push_id,
                                        answer=Answer(kind, reason, money, rate, product, secured, note))
    except (service.NotFound, FlowError) as exc:
        fail(str(exc))
    echo_json(out) if fmt == "json" else _print_rows([out], ["push_id", "uscc", "bank_id", "status",
                                                             "credit_amount", "rate", "decline_code"])


@lists_app.command("escalate")
def lists_escalate(
    now: str | None = typer.Option(None, "--now", help="evaluation time (default: now)"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Escalate pushes whose answer or credit decision is overdue (working days, flow.yaml)."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    engine = open_database(database)
    with unit_of_work(engine) as s:
        rows = service.escalate_overdue(s, now=_when(now, "--now"))
    echo_json(rows) if fmt == "json" else _print_rows(rows, ["push_id", "bank_id", "stage", "working_days",
                                                             "overdue_by"], f"{len(rows)} new escalation(s)")


@lists_app.command("show")
def lists_show(
    list_id: int | None = typer.Argument(None, help="application list id (omit to list all)"),
    bank: str | None = typer.Option(None, "--bank", help="show this bank's pushes instead"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Show an application list with its screening, recommendation lists and pushes; or a bank's pushes."""
    from innocredit.services import coordination as service
    from innocredit.services.database import unit_of_work

    _fmt(fmt)
    engine = open_database(database)
    with unit_of_work(engine) as s:
        if bank is not None:
            rows = service.pushes_for_bank(s, bank)
            echo_json(rows) if fmt == "json" else _print_rows(
                rows, ["push_id", "uscc", "pushed_at", "answer_due_on", "status", "credit_amount", "decline_code"],
                f"pushes to {bank}")
            return
        if list_id is None:
            rows = [{"id": x.id, "name": x.name, "region_code": x.region_code, "created_at": x.created_at.isoformat(),
                     "screened": x.screened_at is not None} for x in service.application_lists(s)]
            echo_json(rows) if fmt == "json" else _print_rows(rows, ["id", "name", "region_code", "created_at",
                                                                     "screened"])
            return
        try:
            view = service.list_overview(s, list_id)
        except service.NotFound as exc:
            fail(str(exc))
    if fmt == "json":
        echo_json(view)
        return
    Console().print(f"[bold]{view['name']}[/] (list {view['id']}, screened {view['screened_at'] or 'no'})")
    _print_rows(view["items"], ["item_id", "uscc", "source", "requested_amount", "loan_purpose", "screen_passed",
                                "screen_failed", "innovation_points"])
    for r in view["recommendation_lists"]:
        _print_rows(r["pushes"], ["push_id", "uscc", "bank_id", "status", "credit_amount", "decline_code"],
                    f"recommendation list {r['id']}: {r['name']}")


def coordination_demo(
    enterprises: int = typer.Option(2000, "--enterprises", "-n", help="number of demo enterprises"),
    seed: int = typer.Option(20260630, "--seed"),
    features: Path | None = typer.Option(None, "--features", help="use this feature table instead of generating"),
    fmt: str = typer.Option("table", "--format", help="table or json"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
) -> None:
    """Load a demo year of coordination activity (visits, lists, pushes, answers, loans, alerts)."""
    from innocredit.services.demo import load_demo

    _fmt(fmt)
    if enterprises < 1:
        fail(f"--enterprises must be at least 1, not {enterprises}")
    if features is not None:
        feats = _read_features(features)
    else:
        from innocredit.synthetic import feature_table

        feats = feature_table(enterprises, seed)
    engine = open_database(database)
    counts = load_demo(engine, feats, seed)
    echo_json(counts) if fmt == "json" else _print_rows([counts], list(counts), "coordination demo loaded")


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics)
    app.command("alerts")(alerts)
    app.command("coordination-demo")(coordination_demo)
    app.add_typer(consent_app, name="consent")
    app.add_typer(lists_app, name="lists")
