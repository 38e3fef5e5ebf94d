"""``innocredit qualifications``: certificates with their lifecycles (高新, 科技型中小企业 入库, 专精特新).

* ``qualifications show USCC [--on DATE]`` lists the firm's certificates, each with its last valid day and
  whether it is valid on the date;
* ``qualifications expiring [--on DATE] [--within DAYS] [--bank B] [--raise-alerts]`` lists the certificates
  that lapse within the horizon (default 90 days, ``profile/qualifications.yaml``) and, with
  ``--raise-alerts``, stores the early warning on each outstanding loan of those firms.

The certificates come in as the ``certificates`` feed (``innocredit ingest``; docs/data-feeds.md).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from innocredit.cli._common import day_or_today, echo_json, fail, open_database

qualifications_app = typer.Typer(help="Qualification certificates and their lifecycles: valid on a date, expiring.",
                                 no_args_is_help=True)

DatabaseOpt = Annotated[str | None, typer.Option("--database", help="database URL (default: $INNOCREDIT_DATABASE_URL)")]
OnOpt = Annotated[str | None, typer.Option("--on", help="date (YYYY-MM-DD), default today")]
FormatOpt = Annotated[str, typer.Option("--format", help="text or json")]


def _format(fmt: str) -> None:
    if fmt not in ("text", "json"):
        fail(f"--format: {fmt!r} is not text or json")


@qualifications_app.command("show")
def show(uscc: Annotated[str, typer.Argument(help="the firm's unified social credit code")], on: OnOpt = None,
         fmt: FormatOpt = "text", database: DatabaseOpt = None) -> None:
    """The firm's certificates as known on the date, each with its last valid day and whether it is valid."""
    from innocredit.services import qualifications as svc
    from innocredit.services.database import unit_of_work

    _format(fmt)
    day = day_or_today(on, "--on")
    with unit_of_work(open_database(database)) as s:
        rows = svc.firm_certificates(s, uscc, on=day)
    if fmt == "json":
        echo_json({"uscc": uscc, "on": day, "certificates": rows})
        return
    if not rows:
        typer.echo(f"{uscc}: no certificate on record as of {day}")
        return
    typer.echo(f"certificates of {uscc} on {day}")
    for r in rows:
        state = f"valid, {r['days_left']} day(s) left" if r["valid"] else "not valid"
        typer.echo(f"  {r['name_en']:<40} {r['certificate_no']:<22} issued {r['issued_on']}  "
                   f"last valid day {r['valid_until'] or 'open'}  {state}")


@qualifications_app.command("expiring")
def expiring(on: OnOpt = None,
             within: Annotated[int | None, typer.Option("--within", help="days ahead (default: the policy's 90)")] = None,
             bank: Annotated[str | None, typer.Option("--bank", help="only the borrowers of this bank")] = None,
             raise_alerts: Annotated[bool, typer.Option("--raise-alerts", help="store the early warning on each "
                                                        "outstanding loan of these firms")] = False,
             fmt: FormatOpt = "text", database: DatabaseOpt = None) -> None:
    """Certificates valid on the date that lapse within the horizon and that no later certificate renews."""
    from innocredit.services import qualifications as svc
    from innocredit.services.database import unit_of_work

    _format(fmt)
    if within is not None and not 0 <= within <= 3650:
        fail(f"--within: {within} is not between 0 and 3650 days")
    day = day_or_today(on, "--on")
    engine = open_database(database)
    with unit_of_work(engine) as s:
        out: dict[str, Any] = svc.expiring_certificates(s, on=day, within_days=within, bank_id=bank)
        raised = svc.raise_expiry_alerts(s, on=day) if raise_alerts else None
    if raised is not None:
        out["alerts_raised"] = raised
    if fmt == "json":
        echo_json(out)
        return
    typer.echo(f"{out['count']} certificate(s) lapse within {out['within_days']} days of {day}")
    for r in out["items"]:
        typer.echo(f"  {r['days_left']:>4} d  {r['valid_until']}  {r['uscc']}  {r['name'] or ''}  {r['name_en']}  "
                   f"{r['certificate_no']}  banks: {', '.join(r['banks']) or '-'}")
    if raised is not None:
        typer.echo(f"{raised} new alert(s) stored on outstanding loans")


def register(app: typer.Typer) -> None:
    app.add_typer(qualifications_app, name="qualifications")
