"""Lending verbs: ``innocredit match`` (products for enterprises) and ``innocredit loans ...`` (the loan lifecycle).

    innocredit match --input features.csv [--uscc CODE] [--format json] [--output matches.parquet]
    innocredit loans apply --bank B --uscc CODE --product ID --amount 1000000 --term 12 --actor officer1
    innocredit loans review|approve|reject|contract|disburse|repay|schedule|list|audit ...
    innocredit loans guarantee-request|guarantee-decide|guarantee-requests|compensate ...
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import polars as pl
import typer

from innocredit.cli._common import dumps, echo_json, err_console, fail, open_database, print_problems

FORMATS = ("table", "json")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def read_match_input(path: Path) -> tuple[pl.DataFrame, list[Any]]:
    """The feature table plus the enrichment columns of other areas, typed and validated."""
    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import FEATURE_SPECS, FieldSpec, read_text_table, validate_table
    from innocredit.lending.schema import ENRICHMENT_COLUMNS, GRADES
    from innocredit.profile.features import conform

    dtypes = {"float": pl.Float64, "bool": pl.Boolean, "str": pl.String}
    try:
        raw, first_line, _ = read_text_table(path)
    except TableError as exc:
        fail(str(exc))
    specs = list(FEATURE_SPECS)
    for name, kind in ENRICHMENT_COLUMNS.items():
        specs.append(FieldSpec(name, dtypes[kind], choices=GRADES if name == "pd_grade" else None,
                               non_negative=name in ("ip_value_base", "ip_pledge_capacity", "pool_capacity")))
    specs += [FieldSpec(c, pl.Boolean) for c in raw.columns if c.startswith("has_consent_")]
    try:
        table = validate_table(raw, specs, str(path), first_line, key=("uscc", "as_of"))
    except TableError as exc:
        fail(str(exc))
    return conform(table.data), table.problems


def _store_engine(db: str | None) -> Any | None:
    """The store to read patents, pools and the champion model from: ``--db``, else $INNOCREDIT_DATABASE_URL, else
    ./innocredit.db when that file exists (``match`` never creates a database)."""
    import os

    from innocredit.services.database import database_url

    if db is None and not os.environ.get("INNOCREDIT_DATABASE_URL"):
        url = database_url(None)
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            return None
    return open_database(db)


def _enrich_for_match(df: pl.DataFrame, *, risk_model: str | None, bank: str | None, db: str | None,
                      patents: Path | None) -> pl.DataFrame:
    """What the web enriches with, from the same service: the bank's champion (else a demo model, with a warning),
    the patents on record (the store, or ``--patents``), the pools on record and the guarantee schemes."""
    from innocredit.services.matching import enrich_for_matching, pools_on_record

    model, model_name = None, None
    if risk_model:
        from innocredit.risk import load_model

        try:
            model = load_model(risk_model)
        except Exception as exc:  # a missing or unreadable artefact
            fail(f"cannot load risk model {risk_model!r}: {exc}")
        model_name = risk_model
    engine = _store_engine(db)
    if bank and engine is None:
        fail(f"--bank {bank}: no database to read its champion model from (give --db or run ingest first)")
    patent_rows: pl.DataFrame | None = None
    pools: list[dict[str, Any]] | None = None
    if patents is not None:
        from innocredit.cli.ip import read_patents

        patent_rows, problems = read_patents(patents)
        if problems:
            n = print_problems(problems)
            err_console.print(f"{n} problem row(s) in {patents} left out of the IP capacity", highlight=False)
    if engine is not None:
        from innocredit.services import feeds
        from innocredit.services import risk as risk_services
        from innocredit.services.database import UnitOfWork

        try:
            with UnitOfWork(engine) as uow:
                if model is None and bank:
                    model, key, row = risk_services.champion_model(uow.session, bank)
                    if model is not None:
                        model_name = f"{bank} champion {key}"
                    else:
                        err_console.print(f"warning: bank {bank} has no usable champion model"
                                          + (f" ({row['id']}: artefact unreadable)" if row else ""), highlight=False)
                pools = pools_on_record(uow.session)
            if patent_rows is None:
                stored = feeds.patents_as_of(engine)
                patent_rows = stored if stored.height else None
        finally:
            engine.dispose()
    result = enrich_for_matching(df, risk_model=model, risk_model_name=model_name, demo_model=model is None,
                                 patents=patent_rows, pools=pools if pools is not None else
                                 ([] if patent_rows is not None else None))
    if result.pd_source:
        err_console.print(f"PD grade: {result.pd_source}", highlight=False)
    for w in result.warnings:
        err_console.print(f"warning: {w}", highlight=False, markup=False)
    if patent_rows is None:
        err_console.print("warning: no patents on record (no store, no --patents): IP pledge and patent-pool "
                          "capacity are unknown", highlight=False)
    return result.table


def match_cmd(
    input: Path = typer.Option(..., "--input", "-i", help="feature table (CSV, JSON Lines or Parquet), "
                               "optionally with enrichment columns (pd_grade, innovation_points, ...)"),
    uscc: str | None = typer.Option(None, "--uscc", help="only this enterprise: its ranked product list"),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json"),
    output: Path | None = typer.Option(None, "--output", "-o", help="write the long table (csv/jsonl/parquet)"),
    products_dir: Path | None = typer.Option(None, "--products", help="directory of product YAML files"),
    consent: str = typer.Option("if_present", "--consent", help="if_present or require (consent columns)"),
    enrich: bool = typer.Option(False, "--enrich", help="add what the web adds first: evaluations, PD grade (the "
                                "bank's champion, else a demo model), IP and pool capacity, guarantee scheme"),
    risk_model: str | None = typer.Option(None, "--risk-model", help="risk model artefact path or id (PD grade)"),
    bank: str | None = typer.Option(None, "--bank", help="with --enrich: PD grade from this bank's champion model"),
    patents: Path | None = typer.Option(None, "--patents", help="with --enrich: IP-office feed file (default: the "
                                        "patents in the store)"),
    db: str | None = typer.Option(None, "--db", help="database URL (default INNOCREDIT_DATABASE_URL or "
                                  "./innocredit.db when it exists)"),
) -> None:
    """Every product for every enterprise: eligible or not (with the failed rule), limit, term, rate, rank."""
    from innocredit.ingest.tables import write_table
    from innocredit.lending.matching import match, match_one
    from innocredit.lending.schema import PolicyError, load_products
    from innocredit.settings import default_lending_policy

    _check_format(fmt)
    if consent not in ("if_present", "require"):
        fail("--consent must be if_present or require")
    try:
        products, policy = load_products(products_dir), default_lending_policy()
    except PolicyError as exc:
        fail(str(exc))
    df, problems = read_match_input(input)
    if problems:
        n = print_problems(problems)
        fail(f"{n} problem(s) in {input}; fix them and run again")
    if enrich:
        df = _enrich_for_match(df, risk_model=risk_model, bank=bank, db=db, patents=patents)
    elif risk_model:
        from innocredit.risk import load_model
        from innocredit.services.matching import enrich as add_enrichment

        try:
            model = load_model(risk_model)
        except Exception as exc:  # a missing or unreadable artefact
            fail(f"cannot load risk model {risk_model!r}: {exc}")
        df = add_enrichment(df, risk_model=model, schemes=False)
    elif bank or patents is not None:
        fail("--bank and --patents enrich the table: give --enrich with them")
    if uscc is not None:
        try:
            ranked = match_one(df, uscc, products, policy, consent=consent)
        except KeyError as exc:
            fail(str(exc.args[0]))
        if fmt == "json":
            echo_json({"uscc": uscc, "products": ranked})
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title=f"{uscc}")
        for h in ("rank", "product", "eligible", "limit", "term", "rate", "failed rule"):
            t.add_column(h)
        for r in ranked:
            t.add_row(str(r["rank"]), f"{r['product_name_en']} / {r['product_name_zh']}", str(r["eligible"]),
                      "" if r["limit"] is None else f"{r['limit']:,.0f}", str(r["term_months"] or ""),
                      "" if r["rate"] is None else f"{r['rate'] * 100:.2f}%",
                      "" if r["failed_rule"] is None else f"{r['failed_rule']}: {r['failed_reason_en']}")
        Console().print(t)
        return
    out = match(df, products, policy, consent=consent)
    if output is not None:
        write_table(out, output)
    summary = (out.group_by("product_id").agg(pl.col("eligible").sum().alias("eligible"),
                                                pl.col("limit").sum().alias("total_limit"))
               .sort("product_id"))
    firms_eligible = out.filter(pl.col("eligible"))["uscc"].n_unique()
    if fmt == "json":
        echo_json({"enterprises": df.height, "enterprises_with_eligible_product": firms_eligible,
                   "rows": out.height, "output": str(output) if output else None,
                   "summary": summary.to_dicts(), "matches": None if output else out.to_dicts()})
        return
    print(out if output is None else summary)
    share = firms_eligible / df.height if df.height else 0.0
    print(f"{firms_eligible:,} of {df.height:,} enterprises ({share:.1%}) have at least one eligible product")


loans = typer.Typer(help="Loan lifecycle: apply, review, approve, contract, disburse, repay, schedule.",
                    no_args_is_help=True)

_DB = typer.Option(None, "--db", help="database URL (default INNOCREDIT_DATABASE_URL or ./innocredit.db)")
_BANK = typer.Option(..., "--bank", help="the acting bank's organisation id")
_FMT = typer.Option("table", "--format", "-f", help="table or json")


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"not an ISO date (YYYY-MM-DD): {value!r}")


def _money(value: str) -> Decimal:
    try:
        d = Decimal(value)
    except InvalidOperation:
        fail(f"not an amount: {value!r}")
    return d


def _run(db: str | None, fmt: str, fn: Any, *args: Any, **kwargs: Any) -> None:
    """Run one service call in a unit of work; domain refusals become exit 2 with the reason."""
    from innocredit.lending.lifecycle import LifecycleError
    from innocredit.services.database import UnitOfWork
    from innocredit.services.lending import NotFound

    _check_format(fmt)
    engine = open_database(db)
    try:
        with UnitOfWork(engine) as uow:
            result = fn(uow.session, *args, **kwargs)
    except (LifecycleError, NotFound, ValueError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if fmt == "json":
        echo_json(result)
    elif isinstance(result, list):
        for row in result:
            typer.echo(dumps(row))
    else:
        for k, v in (result.as_dict() if hasattr(result, "as_dict") else result).items():
            typer.echo(f"{k}: {v}")


@loans.command("apply")
def apply_cmd(bank: str = _BANK, uscc: str = typer.Option(..., "--uscc"), product: str = typer.Option(..., "--product"),
              amount: str = typer.Option(..., "--amount", help="yuan"), term: int = typer.Option(..., "--term"),
              actor: str = typer.Option(..., "--actor"), draft: bool = typer.Option(False, "--draft"),
              on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Record an application (submitted unless --draft)."""
    from innocredit.profile.uscc import uscc_error
    from innocredit.services import lending as svc

    err = uscc_error(uscc)
    if err:
        fail(f"--uscc: {err}")
    _run(db, fmt, svc.apply, bank_id=bank, uscc=uscc, product_id=product, amount=_money(amount), term_months=term,
         actor=actor, complete=not draft, on=_date(on))


@loans.command("review")
def review_cmd(application: str = typer.Argument(...), bank: str = _BANK,
               reviewer: str = typer.Option(..., "--reviewer"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Start the credit review of an application."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.review, bank, application, reviewer)


@loans.command("approve")
def approve_cmd(application: str = typer.Argument(...), bank: str = _BANK,
                approver: str = typer.Option(..., "--approver"), note: str | None = typer.Option(None, "--note"),
                on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Approve (four-eyes; large loans need a second, different approver)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.approve, bank, application, approver, note=note, on=_date(on))


@loans.command("reject")
def reject_cmd(application: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
               reason: str = typer.Option(..., "--reason"),
               reason_code: str | None = typer.Option(None, "--reason-code", help="decline code for a pushed firm "
                                                      "(the flow policy's decline codes; default D03)"),
               on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Reject an application under review (a pushed firm's push is answered declined)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.reject, bank, application, actor, reason, reason_code=reason_code, on=_date(on))


@loans.command("contract")
def contract_cmd(application: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
                 rate: str = typer.Option(..., "--rate", help="annual rate as a fraction, e.g. 0.035"),
                 method: str = typer.Option("equal_instalment", "--method"),
                 day_count: str = typer.Option("30/360", "--day-count"), grace: int = typer.Option(0, "--grace"),
                 guarantee: str | None = typer.Option(None, "--guarantee-scheme"),
                 guarantor: str | None = typer.Option(None, "--guarantor", help="the guarantor organisation's id"),
                 pool: str | None = typer.Option(None, "--pool-scheme"),
                 patents: list[str] | None = typer.Option(None, "--patent", help="a patent an IP pledge loan pledges "
                                                          "(repeat; default: the firm's unpledged patents on record)"),
                 patent_pool: str | None = typer.Option(None, "--patent-pool", help="the pool a patent-pool loan "
                                                        "draws on"),
                 on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Sign the loan contract of an approved application (an IP pledge loan registers its pledges, a
    patent-pool loan its pool allocation, a guaranteed loan its guarantor organisation)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.contract, bank, application, actor, rate=_money(rate), method=method, day_count=day_count,
         grace_months=grace, guarantee_scheme=guarantee, guarantor_org_id=guarantor, pool_scheme=pool,
         pledged_patents=patents or None, patent_pool_id=patent_pool, on=_date(on))


@loans.command("guarantee-request")
def guarantee_request_cmd(application: str = typer.Argument(...), bank: str = _BANK,
                          actor: str = typer.Option(..., "--actor"),
                          scheme: str = typer.Option(..., "--scheme", help="the guarantee scheme, e.g. zhejiang_tech"),
                          guarantor: str = typer.Option(..., "--guarantor", help="the guarantor organisation's id"),
                          guaranteed: str | None = typer.Option(None, "--guaranteed-amount",
                                                                help="yuan (default: the approved amount)"),
                          on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Ask a guarantor organisation to guarantee an approved application (one open request at a time)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.request_guarantee, bank, application, actor, scheme_id=scheme, guarantor_org_id=guarantor,
         guaranteed_amount=guaranteed, on=_date(on))


@loans.command("guarantee-decide")
def guarantee_decide_cmd(request: str = typer.Argument(..., help="the guarantee request's id"),
                         guarantor: str = typer.Option(..., "--guarantor", help="the deciding guarantor organisation"),
                         actor: str = typer.Option(..., "--actor"),
                         approve: bool = typer.Option(False, "--approve"), decline: bool = typer.Option(False, "--decline"),
                         fee_rate: str | None = typer.Option(None, "--fee-rate", help="annual fraction, e.g. 0.008 "
                                                             "(at most the scheme's cap)"),
                         reason_code: str | None = typer.Option(None, "--reason-code", help="G01..G06 "
                                                                "(lending/guarantee_decline_reasons.yaml)"),
                         note: str | None = typer.Option(None, "--note"), on: str | None = typer.Option(None, "--on"),
                         db: str | None = _DB, fmt: str = _FMT) -> None:
    """The guarantor's decision: --approve --fee-rate R, or --decline --reason-code G0x (final)."""
    from innocredit.services import lending as svc

    if approve == decline:
        fail("give exactly one of --approve and --decline")
    _run(db, fmt, svc.decide_guarantee, guarantor, request, actor, decision="approve" if approve else "decline",
         fee_rate=fee_rate, reason_code=reason_code, note=note, on=_date(on))


@loans.command("guarantee-requests")
def guarantee_requests_cmd(guarantor: str | None = typer.Option(None, "--guarantor", help="a guarantor's requests"),
                           bank: str | None = typer.Option(None, "--bank", help="a bank's requests"),
                           status: str | None = typer.Option(None, "--status", help="open, approved or declined"),
                           db: str | None = _DB, fmt: str = _FMT) -> None:
    """The guarantee requests of a guarantor organisation or of a bank."""
    from innocredit.services import lending as svc

    if (guarantor is None) == (bank is None):
        fail("give exactly one of --guarantor and --bank")
    role = "guarantor" if guarantor else "bank_officer"
    _run(db, fmt, svc.guarantee_requests, role=role, bank_id=bank, org_id=guarantor, status=status)


@loans.command("compensate")
def compensate_cmd(loan: str = typer.Argument(...),
                   guarantor: str = typer.Option(..., "--guarantor", help="the paying guarantor organisation"),
                   actor: str = typer.Option(..., "--actor"), amount: str = typer.Option(..., "--amount", help="yuan"),
                   on: str | None = typer.Option(None, "--on"), note: str | None = typer.Option(None, "--note"),
                   db: str | None = _DB, fmt: str = _FMT) -> None:
    """代偿: the guarantor records its payment to the bank on a defaulted loan (late after the timeline's date)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.compensate, guarantor, loan, actor, amount=amount, on=_date(on), note=note)


@loans.command("disburse")
def disburse_cmd(loan: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
                 on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Disburse a contracted loan and build its repayment schedule."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.disburse, bank, loan, actor, on=_date(on))


@loans.command("repay")
def repay_cmd(loan: str = typer.Argument(...), bank: str = _BANK, amount: str = typer.Option(..., "--amount"),
              actor: str = typer.Option(..., "--actor"), on: str | None = typer.Option(None, "--on"),
              db: str | None = _DB, fmt: str = _FMT) -> None:
    """Record a repayment (interest first, then principal, instalment by instalment)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.repay, bank, loan, _money(amount), actor, on=_date(on))


@loans.command("default")
def default_cmd(loan: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
                on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Declare an overdue loan defaulted and allocate the loss among the risk sharers."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.default, bank, loan, actor, on=_date(on))


@loans.command("write-off")
def write_off_cmd(loan: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
                  on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Write a defaulted loan off (its pledges are recorded as enforced)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.write_off, bank, loan, actor, on=_date(on))


@loans.command("close")
def close_cmd(loan: str = typer.Argument(...), bank: str = _BANK, actor: str = typer.Option(..., "--actor"),
              on: str | None = typer.Option(None, "--on"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """Close a settled or written-off loan (any pledge still active is released)."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.close, bank, loan, actor, on=_date(on))


@loans.command("show")
def show_cmd(loan: str = typer.Argument(...), bank: str = _BANK, db: str | None = _DB, fmt: str = _FMT) -> None:
    """One loan of the bank with its pledges and guarantees."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.loan_details, bank, loan)


@loans.command("schedule")
def schedule_cmd(loan: str | None = typer.Argument(None, help="a stored loan id; or give --principal etc."),
                 bank: str | None = typer.Option(None, "--bank"),
                 principal: str | None = typer.Option(None, "--principal"),
                 rate: str | None = typer.Option(None, "--rate"), term: int | None = typer.Option(None, "--term"),
                 method: str = typer.Option("equal_instalment", "--method"),
                 day_count: str = typer.Option("30/360", "--day-count"), grace: int = typer.Option(0, "--grace"),
                 start: str | None = typer.Option(None, "--start"), db: str | None = _DB, fmt: str = _FMT) -> None:
    """A stored loan's schedule, or a schedule computed from --principal --rate --term [--method ...]."""
    from innocredit.lending.schedules import build_schedule

    _check_format(fmt)
    if loan is not None:
        if bank is None:
            fail("--bank is required with a loan id")
        from innocredit.services import lending as svc

        _run(db, fmt, svc.schedule, bank, loan)
        return
    if principal is None or rate is None or term is None:
        fail("give a loan id, or --principal, --rate and --term")
    try:
        rows = build_schedule(_money(principal), _money(rate), term, method, _date(start) or dt.date.today(),
                              grace_months=grace, day_count=day_count)
    except ValueError as exc:
        fail(str(exc))
    if fmt == "json":
        echo_json([r.as_dict() for r in rows])
        return
    for r in rows:
        typer.echo(f"{r.number:>3} {r.due_date} principal {r.principal:>14} interest {r.interest:>12} "
                   f"payment {r.payment:>14} balance {r.closing_balance:>14}")


@loans.command("list")
def list_cmd(bank: str = _BANK, status: str | None = typer.Option(None, "--status"), db: str | None = _DB,
             fmt: str = _FMT) -> None:
    """The acting bank's loans."""
    from innocredit.services import lending as svc

    _run(db, fmt, svc.list_loans, bank, status)


@loans.command("audit")
def audit_cmd(db: str | None = _DB, fmt: str = _FMT,
              anchor: bool = typer.Option(False, "--anchor", help="anchor the tail of a chain written before the "
                                          "audit key existed (only an intact chain is anchored)")) -> None:
    """Verify the lending audit log with the audit key (INNOCREDIT_AUDIT_KEY): the hash chain, each entry's MAC,
    the head's anchor of the tail and the application and loan rows (exit 1 when anything was altered)."""
    from innocredit.services import lending as svc
    from innocredit.services.database import UnitOfWork

    _check_format(fmt)
    engine = open_database(db)
    try:
        with UnitOfWork(engine) as uow:
            check = svc.anchor_audit_chain(uow.session) if anchor else svc.verify_audit_chain(uow.session)
    except ValueError as exc:
        fail(str(exc), code=1)
    finally:
        engine.dispose()
    if fmt == "json":
        echo_json(check.as_dict())
    else:
        if check.ok:
            typer.echo(f"audit chain intact: {check.entries} entries ({check.keyed_entries} keyed), tail "
                       f"{'anchored' if check.anchored else 'empty'}, {check.rows_checked} rows match")
        else:
            typer.echo(f"audit chain broken at seq {check.first_bad_seq}: {check.reason}" if check.first_bad_seq
                       else f"audit chain broken: {check.reason}")
        for row in check.bad_rows:
            typer.echo(f"  {row}")
        for warning in check.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if not check.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("match")(match_cmd)
    app.add_typer(loans, name="loans")
