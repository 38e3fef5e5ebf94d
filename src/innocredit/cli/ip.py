"""IP verbs: ``innocredit ip value``, ``innocredit ip pledge register|release|enforce|list|check``,
``innocredit ip pool create|show|value``. Every registry and pool step goes through ``innocredit.services.ip``.
See ``docs/ip.md``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from innocredit.cli._common import echo_json, err_console, fail, open_database, print_problems
from innocredit.ingest.feeds import IP_OFFICE
from innocredit.ingest.problems import RowProblem, TableError
from innocredit.ingest.tables import read_feature_table, read_text_table, table_format, validate_table, write_table

ip_app = typer.Typer(help="IP valuation, pledge registry and patent pools.", no_args_is_help=True)
pledge_app = typer.Typer(help="The pledge registry (专利权质押登记).", no_args_is_help=True)
pool_app = typer.Typer(help="Patent pools (专利池).", no_args_is_help=True)
ip_app.add_typer(pledge_app, name="pledge")
ip_app.add_typer(pool_app, name="pool")

DB_HELP = "database URL (default: $INNOCREDIT_DATABASE_URL or sqlite:///innocredit.db)"
FMT_HELP = "table or json"
PATENT_COLUMNS = ("uscc", "patent_id", "kind", "status", "ipc_main", "filing_date", "grant_date", "quality", "stars",
                  "legal_degree", "technical_degree", "economic_degree", "remaining_life_years",
                  "economic_life_years", "attributed_revenue", "royalty_rate_base", "tax_rate", "discount_rate_base",
                  "method", "value_low", "value_base", "value_high", "pledgeable", "pledge_rate", "haircuts",
                  "pledge_capacity")


# ------------------------------------------------------------------ reading


def read_patents(path: str | Path) -> tuple[pl.DataFrame, list[RowProblem]]:
    """Read an IP-office feed file: the typed schema of ``ingest.feeds.IP_OFFICE`` plus the patent checks of
    ``innocredit.ip.records``. Returns the good rows and one ``RowProblem`` per rejected value."""
    from innocredit.ip.records import patent_problems

    raw, first_line, _ = read_text_table(path)
    raw = raw.with_row_index("__line", offset=first_line).with_columns(pl.col("__line").cast(pl.String))
    table = validate_table(raw, IP_OFFICE.fields, str(path), first_line, key=IP_OFFICE.row_key)
    data = table.data.with_columns(pl.col("__line").cast(pl.Int64))
    found = patent_problems(data, row_col="__line")
    problems = list(table.problems) + [RowProblem(str(path), int(r["__line"]), r["column"], r["value"], r["reason"])
                                       for r in found.iter_rows(named=True)]
    problems.sort(key=lambda p: (p.line, p.column))
    good = data.filter(~pl.col("__line").is_in(found["__line"].implode())).drop("__line")
    # a newer as_of supersedes an older one (ingest/feeds.py): keep each patent's latest rows only
    good = good.filter(pl.col("as_of") == pl.col("as_of").max().over("patent_id"))
    return good, problems


def _date(value: str | None, name: str) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{name} {value!r} is not a date in ISO format YYYY-MM-DD")


def _money(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    from innocredit.core.money import as_decimal, money

    try:
        d = as_decimal(value)
    except ValueError:
        fail(f"{name} {value!r} is not a number")
    if d < 0:
        fail(f"{name} must not be negative")
    if d >= Decimal("1e16"):
        fail(f"{name} {value!r} is too large")
    return money(d)  # half-up to the fen, the platform's money rule


def _check_fmt(fmt: str) -> None:
    if fmt not in ("table", "json"):
        fail(f"--format must be table or json, not {fmt!r}")


def _load_inputs(patents: Path, features: Path | None) -> tuple[pl.DataFrame, pl.DataFrame | None, list[RowProblem]]:
    try:
        good, problems = read_patents(patents)
        feats = None
        if features is not None:
            ft = read_feature_table(features)
            feats = ft.data
            problems += ft.problems
    except TableError as exc:
        fail(str(exc))
    return good, feats, problems


def _policy(bank: str) -> dict[str, Any]:
    from innocredit.ip.config import PolicyError, load_pledge_policy

    try:
        return load_pledge_policy(bank)
    except PolicyError as exc:
        fail(str(exc))


def _finish(problems: list[RowProblem], quarantine: Path | None) -> None:
    if quarantine is not None and problems:
        write_table(pl.DataFrame([p.as_dict() for p in problems],
                                 schema={"file": pl.String, "line": pl.Int64, "column": pl.String, "value": pl.String,
                                         "reason": pl.String}), quarantine)
    if problems:
        print_problems(problems)
        err_console.print(f"{len(problems)} value(s) rejected; their rows were left out (see above)")
        raise typer.Exit(2)


# ------------------------------------------------------------------ ip value


@ip_app.command("value")
def value_cmd(
    patents: Path = typer.Option(..., "--patents", help="IP-office feed file (.csv/.jsonl/.parquet)"),
    features: Path | None = typer.Option(None, "--features", help="feature table (revenue, industry_code)"),
    uscc: str | None = typer.Option(None, "--uscc", help="only this firm"),
    as_of: str | None = typer.Option(None, "--as-of", help="valuation date (default today)"),
    bank: str = typer.Option("default", "--bank", help="pledge policy id or YAML path"),
    output: Path | None = typer.Option(None, "--output", help="write per-patent results (.csv/.jsonl/.parquet)"),
    quarantine: Path | None = typer.Option(None, "--quarantine", help="write rejected values here"),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Value patents (quality, relief from royalty, cost floor) and the pledge capacity per firm.

    Rows with bad values are reported and left out; exit status 2 when any were (results are still written)."""
    from innocredit.ip import cohort_stats, describe_assumptions, firm_capacity, pledge_rates, value_patents

    _check_fmt(fmt)
    for f in (output, quarantine):
        if f is not None:
            try:
                table_format(f)
            except TableError as exc:
                fail(str(exc))
    day = _date(as_of, "--as-of")
    policy = _policy(bank)
    good, feats, problems = _load_inputs(patents, features)
    stats = None
    if uscc:
        # cohorts are normalised over the whole feed, then only this firm's patents are valued
        stats = cohort_stats(good)
        good = good.filter(pl.col("uscc") == uscc)
        if good.height == 0:
            fail(f"{patents}: no valid patent rows for uscc {uscc}")
    from innocredit.cli._common import Steps

    steps = Steps(good.height, ["value", "pledge capacity", "write"], "ip value")
    try:
        valued = pledge_rates(value_patents(good, feats, day, stats=stats), policy)
        steps.next("value")
        firms = firm_capacity(valued, policy)
        steps.next("pledge capacity")
        cols = [c for c in PATENT_COLUMNS if c in valued.columns]
        if output is not None:
            write_table(valued.select(cols), output)
        steps.next("write")
    finally:
        steps.close()
    assumptions = {**describe_assumptions(), "pledge_policy": policy}
    if fmt == "json":
        out: dict[str, Any] = {"as_of": day, "assumptions": assumptions, "firms": firms.to_dicts(),
                               "problems": [p.as_dict() for p in problems]}
        if uscc or valued.height <= 5000:
            out["patents"] = valued.select(cols).to_dicts()
        echo_json(out)
    else:
        _print_value(valued, firms, assumptions, day)
    _finish(problems, quarantine)


def _print_value(valued: pl.DataFrame, firms: pl.DataFrame, a: dict[str, Any], day: dt.date) -> None:
    con = Console()
    v, pol = a["valuation"], a["pledge_policy"]
    con.print(f"[bold]IP valuation as of {day}[/]  ({'; '.join(f'{k}={x}' for k, x in a['provenance'].items())}; "
              f"pledge policy {pol['id']}@{pol['version']})")
    con.print(f"assumptions: tax {v['tax_rate']:.0%} (high-tech {v['tax_rate_high_tech']:.0%}); discount low/base/high "
              f"{v['discount_rate']} + risk premium {v['risk_premium']}; decay {v['decay']}; economic life cap "
              f"{v['economic_life_cap_years']}; grant probability {v['grant_probability']}; replacement cost "
              f"{v['replacement_cost']} x {v['cost_scenario']}; royalty by industry from {a['provenance']['royalty']}",
              highlight=False)
    con.print(f"formula: {a['formula']}", highlight=False)
    if valued.height <= 50:
        t = Table("patent", "kind", "status", "quality", "stars", "life (y)", "method", "low", "base", "high",
                  "pledge rate", "haircuts")
        for r in valued.sort("value_base", descending=True).iter_rows(named=True):
            t.add_row(r["patent_id"], r["kind"], r["status"], f"{r['quality']:.1f}", "★" * r["stars"],
                      f"{r['remaining_life_years'] or 0:.1f}", r["method"], f"{r['value_low']:,.0f}",
                      f"{r['value_base']:,.0f}", f"{r['value_high']:,.0f}", f"{r['pledge_rate']:.1%}", r["haircuts"])
        con.print(t)
    t = Table("uscc", "patents", "pledgeable", "value low", "value base", "value high", "top patent share",
              "pledge capacity")
    for r in firms.head(50).iter_rows(named=True):
        share = "-" if r["top_patent_share"] is None else f"{r['top_patent_share']:.0%}"
        t.add_row(r["uscc"], str(r["n_patents"]), str(r["n_pledgeable"]), f"{r['ip_value_low']:,.0f}",
                  f"{r['ip_value_base']:,.0f}", f"{r['ip_value_high']:,.0f}", share,
                  f"{r['ip_pledge_capacity']:,.0f}" + (" (capped)" if r["capped"] else ""))
    con.print(t)
    if firms.height > 50:
        con.print(f"... {firms.height - 50} more firms (use --output or --format json)")


# ------------------------------------------------------------------ pledge registry


@pledge_app.command("register")
def pledge_register(
    patent_id: str = typer.Option(..., "--patent-id"),
    uscc: str = typer.Option(..., "--uscc", help="pledgor"),
    bank: str = typer.Option(..., "--bank", help="pledgee (bank id)"),
    amount: str | None = typer.Option(None, "--amount", help="secured amount in yuan"),
    value: str | None = typer.Option(None, "--value", help="appraised value at registration, yuan"),
    loan_id: str | None = typer.Option(None, "--loan-id"),
    registered_on: str | None = typer.Option(None, "--registered-on", help="registration date (default today)"),
    registration_no: str | None = typer.Option(None, "--registration-no", help="number issued by CNIPA, if known"),
    patents: Path | None = typer.Option(None, "--patents", help="IP feed: refuse patents that are not in force"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Register a pledge; a patent with an active pledge is refused (exit status 2)."""
    from innocredit.ip.records import application_number_error
    from innocredit.profile.uscc import uscc_error
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, register_pledge

    _check_fmt(fmt)
    err = uscc_error(uscc) or application_number_error(patent_id)
    if err:
        fail(err)
    day = _date(registered_on, "--registered-on")
    transfers = None
    if patents is not None:
        good = _load_inputs(patents, None)[0]
        row = good.filter(pl.col("patent_id") == patent_id)
        if row.height == 0:
            fail(f"{patents}: patent {patent_id} is not in the feed (or its row was rejected)")
        r = row.row(0, named=True)
        if r["status"] != "granted":
            fail(f"patent {patent_id} is {r['status']}, only granted patents can be pledged / 仅有效专利可质押")
        if r["uscc"] != uscc:
            fail(f"patent {patent_id} is held by {r['uscc']}, not {uscc} / 出质人不是专利权人")
        transfers = r.get("transfers")
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            out = register_pledge(s, patent_id=patent_id, uscc=uscc, pledgee=bank, on=day,
                                  secured_amount=_money(amount, "--amount"), loan_id=loan_id,
                                  value=_money(value, "--value"), transfers=transfers,
                                  registration_no=registration_no)
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    _show(out, fmt, f"registered {out['registration_no']} on {out['registered_on']}")


def _show(obj: Any, fmt: str, line: str) -> None:
    if fmt == "json":
        echo_json(obj)
    else:
        Console().print(line, highlight=False)


def _close(action: str, registration_no: str, on: str | None, database: str | None, fmt: str) -> None:
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, enforce_pledge, release_pledge

    _check_fmt(fmt)
    day = _date(on, "--on")
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            fn = release_pledge if action == "release" else enforce_pledge
            out = fn(s, registration_no, day)
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    _show(out, fmt, f"{registration_no}: {out['status']} on {out['released_on']}")


@pledge_app.command("release")
def pledge_release(
    registration_no: str = typer.Option(..., "--registration-no"),
    on: str | None = typer.Option(None, "--on", help="date (default today)"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Release (注销) an active pledge."""
    _close("release", registration_no, on, database, fmt)


@pledge_app.command("enforce")
def pledge_enforce(
    registration_no: str = typer.Option(..., "--registration-no"),
    on: str | None = typer.Option(None, "--on", help="date (default today)"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Record that the pledgee enforced (实现质权) an active pledge."""
    _close("enforce", registration_no, on, database, fmt)


@pledge_app.command("list")
def pledge_list(
    uscc: str | None = typer.Option(None, "--uscc"),
    status: str | None = typer.Option(None, "--status", help="active, released or enforced"),
    bank: str | None = typer.Option(None, "--bank", help="pledgee (bank id)"),
    loan_id: str | None = typer.Option(None, "--loan-id", help="only this loan's pledges"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """List pledges."""
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PLEDGE_STATUSES, list_pledges

    _check_fmt(fmt)
    if status is not None and status not in PLEDGE_STATUSES:
        fail(f"--status must be one of {', '.join(PLEDGE_STATUSES)}")
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            rows = list_pledges(s, uscc=uscc, status=status, pledgee=bank, loan_id=loan_id)
    finally:
        engine.dispose()
    if fmt == "json":
        echo_json(rows)
        return
    t = Table("registration no", "patent", "pledgor", "pledgee", "amount", "status", "registered", "released")
    for r in rows:
        t.add_row(r["registration_no"], r["patent_id"], r["uscc"], r["pledgee"],
                  "-" if r["secured_amount"] is None else f"{r['secured_amount']:,}", r["status"],
                  r["registered_on"].isoformat(), r["released_on"].isoformat() if r["released_on"] else "-")
    Console().print(t)


@pledge_app.command("check")
def pledge_check(
    patents: Path = typer.Option(..., "--patents", help="latest IP-office feed file"),
    as_of: str | None = typer.Option(None, "--as-of"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Compare active pledges with the feed; record and print early warnings (lapse, invalidation, expiry,
    transfer attempts)."""
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, check_pledges

    _check_fmt(fmt)
    day = _date(as_of, "--as-of")
    good, _, problems = _load_inputs(patents, None)
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            checked = check_pledges(s, good, day)
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if fmt == "json":
        echo_json(checked)
    else:
        t = Table("registration no", "patent", "pledgor", "warning", "detail")
        for r in checked["warnings"]:
            t.add_row(r["registration_no"], r["patent_id"], r["uscc"], r["kind"], f"{r['detail_en']} / {r['detail_zh']}")
        Console().print(t)
    _finish(problems, None)


# ------------------------------------------------------------------ pools


@pool_app.command("create")
def pool_create(
    pool_id: str = typer.Option(..., "--id"),
    name: str = typer.Option(..., "--name"),
    patents: Path = typer.Option(..., "--patents", help="IP feed; the pool takes the members' granted, unpledged patents"),
    member: list[str] = typer.Option(..., "--member", help="member USCC (repeat for each firm)"),
    agreement: str = typer.Option("default", "--agreement", help="pool agreement id or YAML path"),
    created_on: str | None = typer.Option(None, "--created-on"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Create a patent pool from the members' granted, unpledged patents in the feed."""
    from innocredit.ip.config import PolicyError, load_pool_agreement
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, create_pool

    _check_fmt(fmt)
    try:
        agr = load_pool_agreement(agreement)
    except PolicyError as exc:
        fail(str(exc))
    day = _date(created_on, "--created-on")
    good, _, _problems = _load_inputs(patents, None)
    chosen = good.filter(pl.col("uscc").is_in(member) & (pl.col("status") == "granted")
                         & ~pl.col("pledged").fill_null(False))
    missing = sorted(set(member) - set(chosen["uscc"].to_list()))
    if missing:
        fail(f"{patents}: no granted, unpledged patents for member(s) {', '.join(missing)}")
    pairs = list(zip(chosen["patent_id"].to_list(), chosen["uscc"].to_list()))
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            create_pool(s, pool_id=pool_id, name=name, agreement_id=agr["id"], on=day, patents=pairs)
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    out = {"pool": pool_id, "agreement": f"{agr['id']}@{agr['version']}", "members": sorted(set(member)),
           "n_patents": len(pairs)}
    _show(out, fmt, f"pool {pool_id}: {len(pairs)} patents from {len(set(member))} members")


@pool_app.command("show")
def pool_show(
    pool_id: str = typer.Option(..., "--id"),
    bank: str | None = typer.Option(None, "--bank", help="only this bank's loans"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Show a pool: its patents and members, the loans drawn on it and the amount still allocated."""
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, pool_overview

    _check_fmt(fmt)
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            out = pool_overview(s, pool_id, bank_id=bank)
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    if fmt == "json":
        echo_json(out)
        return
    con = Console()
    con.print(f"[bold]pool {out['id']}[/] {out['name']} (agreement {out['agreement_id']}, created "
              f"{out['created_on'].isoformat()}): {len(out['patents'])} patents from {len(out['members'])} members; "
              f"allocated {out['allocated']:,}", highlight=False)
    t = Table("loan", "bank", "member", "amount", "allocated", "released")
    for a in out["allocations"]:
        t.add_row(a["loan_id"], a["bank_id"], a["uscc"], f"{a['amount']:,}", a["allocated_on"].isoformat(),
                  a["released_on"].isoformat() if a["released_on"] else "-")
    con.print(t)


@pool_app.command("value")
def pool_value(
    pool_id: str = typer.Option(..., "--id"),
    patents: Path = typer.Option(..., "--patents", help="latest IP-office feed"),
    features: Path | None = typer.Option(None, "--features", help="feature table (revenue, industry_code)"),
    as_of: str | None = typer.Option(None, "--as-of"),
    default_member: str | None = typer.Option(None, "--default", help="simulate a default by this member"),
    loss: str | None = typer.Option(None, "--loss", help="loss to absorb in the simulated default, yuan"),
    database: str | None = typer.Option(None, "--database", help=DB_HELP),
    fmt: str = typer.Option("table", "--format", help=FMT_HELP),
) -> None:
    """Value a pool as a portfolio, with each member's borrowing capacity (and, optionally, a default)."""
    from innocredit.ip import value_patents
    from innocredit.ip.config import PolicyError, load_pool_agreement
    from innocredit.ip.pools import absorb_default, value_pool
    from innocredit.services.database import unit_of_work
    from innocredit.services.ip import PledgeError, pool_patents

    _check_fmt(fmt)
    if (default_member is None) != (loss is None):
        fail("--default and --loss go together")
    day = _date(as_of, "--as-of")
    engine = open_database(database)
    try:
        with unit_of_work(engine) as s:
            pool = pool_patents(s, pool_id)
            agreement_id = pool["agreement_id"]
            members = pl.DataFrame(pool["patents"], schema={"patent_id": pl.String, "uscc": pl.String})
    except PledgeError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    try:
        agr = load_pool_agreement(agreement_id)
    except PolicyError as exc:
        fail(str(exc))
    good, feats, problems = _load_inputs(patents, features)
    valued = value_patents(good, feats, day).join(members.select("patent_id"), on="patent_id", how="semi")
    gone = members.join(valued.select("patent_id"), on="patent_id", how="anti")
    result = value_pool(valued, agr)
    out = {"pool": pool_id, "as_of": day, **result.as_dict(), "patents_missing_from_feed": gone["patent_id"].to_list()}
    if default_member is not None:
        money = _money(loss, "--loss")
        try:
            out["default"] = [a.as_dict() for a in absorb_default(result, default_member, money or Decimal(0), agr)]
        except ValueError as exc:
            fail(str(exc))
    if fmt == "json":
        echo_json(out)
    else:
        con = Console()
        con.print(f"[bold]pool {pool_id}[/] ({out['agreement']}) as of {day}: value low/base/high "
                  f"{result.value_low:,.0f} / {result.value_base:,.0f} / {result.value_high:,.0f}; HHI firms "
                  f"{result.hhi_firms:.2f}, IPC {result.hhi_ipc:.2f}; pool rate {result.pool_rate:.1%}", highlight=False)
        t = Table("member", "patents", "contributed value", "share", "capacity")
        for r in result.members.iter_rows(named=True):
            t.add_row(r["uscc"], str(r["n_patents"]), f"{r['contributed_value']:,.0f}", f"{r['share']:.1%}",
                      f"{r['capacity']:,.0f}")
        con.print(t)
        if "default" in out:
            t = Table("step", "party", "amount")
            for a in out["default"]:
                t.add_row(f"{a['name']['en']} / {a['name']['zh']}", a["party"], a["amount"])
            con.print(t)
        if gone.height:
            con.print(f"warning: {gone.height} pool patent(s) are missing from the feed or rejected")
    _finish(problems, None)


def register(app: typer.Typer) -> None:
    app.add_typer(ip_app, name="ip")
