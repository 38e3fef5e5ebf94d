"""``innocredit relending``: the PBoC tech-innovation relending (科技创新和技术改造再贷款) of a bank.

* ``relending import-list FILE`` records an official list (CSV or Parquet: uscc, kind, valid_from, [valid_to]);
* ``relending refinance --bank B --on DATE`` refinances the bank's eligible disbursed loans within the quota;
* ``relending ledger --bank B --on DATE`` prints the ledger (eligible loans, refinanced, cost saving, quota used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from innocredit.cli._common import day_or_today, echo_json, fail, open_database

relending_app = typer.Typer(help="PBoC tech-innovation relending: official lists, refinancing, the bank's ledger.",
                            no_args_is_help=True)

DatabaseOpt = Annotated[str | None, typer.Option("--database", help="database URL (default: $INNOCREDIT_DATABASE_URL)")]


def _read(path: Path) -> pl.DataFrame:
    if not path.is_file():
        fail(f"{path}: no such file")
    try:
        if path.suffix.lower() == ".parquet":
            return pl.read_parquet(path)
        return pl.read_csv(path, infer_schema_length=0)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is bad input
        fail(f"{path}: cannot read: {exc}")


@relending_app.command("import-list")
def import_list(path: Annotated[Path, typer.Argument(help="CSV or Parquet: uscc, kind, valid_from, [valid_to]")],
                database: DatabaseOpt = None) -> None:
    """Record an official list (kinds: national_tech_sme, high_tech, specialized, little_giant,
    rd_intensive_private_sme)."""
    from innocredit.services import relending as svc
    from innocredit.services.database import UnitOfWork

    rows = _read(path)
    engine = open_database(database)
    try:
        with UnitOfWork(engine) as uow:
            out = svc.import_list(uow.session, rows, source=path.name)
    except svc.RelendingInputError as exc:
        fail(str(exc) if str(exc).startswith(path.name) else f"{path.name}: {exc}")
    echo_json(out)


@relending_app.command("refinance")
def refinance(bank: Annotated[str, typer.Option("--bank", help="the bank id")],
              on: Annotated[str | None, typer.Option("--on", help="date (YYYY-MM-DD), default today")] = None,
              database: DatabaseOpt = None) -> None:
    """Refinance the bank's eligible disbursed loans not yet in its ledger, within the quota in force."""
    from innocredit.services import relending as svc
    from innocredit.services.database import UnitOfWork

    day = day_or_today(on, "--on")
    engine = open_database(database)
    with UnitOfWork(engine) as uow:
        out = svc.refinance(uow.session, bank, on=day)
    echo_json(out)


@relending_app.command("ledger")
def ledger(bank: Annotated[str, typer.Option("--bank", help="the bank id")],
           on: Annotated[str | None, typer.Option("--on", help="date (YYYY-MM-DD), default today")] = None,
           fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
           database: DatabaseOpt = None) -> None:
    """The bank's relending ledger: eligible loans, amount refinanced, cost saving, quota used."""
    from innocredit.services import relending as svc
    from innocredit.services.database import UnitOfWork

    if fmt not in ("text", "json"):
        fail(f"--format: {fmt!r} is not text or json")
    day = day_or_today(on, "--on")
    engine = open_database(database)
    with UnitOfWork(engine) as uow:
        out: dict[str, Any] = svc.ledger(uow.session, bank, on=day)
    if fmt == "json":
        echo_json(out)
        return
    share = out["quota_used_share"]
    typer.echo(f"relending ledger of {bank} on {out['on']} (60% at 1.75%, 1 year + 2 extensions)")
    typer.echo(f"  eligible loans      {out['eligible_loans']}")
    typer.echo(f"  principal           {out['principal']}")
    typer.echo(f"  refinanced          {out['refinanced']}")
    typer.echo(f"  relending interest  {out['relending_interest']}")
    typer.echo(f"  cost saving         {out['cost_saving']}")
    typer.echo(f"  quota in force      {out['quota']}  used on the platform {out['quota_used']}"
               + (f" ({float(share):.6%})" if share is not None else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(relending_app, name="relending")
