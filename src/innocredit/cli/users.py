"""``innocredit users`` and ``innocredit orgs``: accounts and organisations from the command line.

The first administrator of a deployment (there is no default account outside the demo)::

    printf '%s\\n' "$ADMIN_PASSWORD" | innocredit users add root --role admin --password-stdin

An administrator belongs to the platform organisation (``platform``), created on first use. Other users are
usually created through the admin API (``/api/v1/admin/users``); these verbs serve scripts and recovery.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import typer

from innocredit.cli._common import echo_json, fail

users_app = typer.Typer(help="user accounts: add, list, disable, enable, reset a password", no_args_is_help=True)
orgs_app = typer.Typer(help="organisations: add, list, disable, enable", no_args_is_help=True)

DB = typer.Option(None, "--database", "--db", help="database URL (default: $INNOCREDIT_DATABASE_URL or ./innocredit.db)")
PLATFORM_ORG = ("platform",)


def _engine(database: str | None) -> Any:
    from innocredit.cli._common import open_database

    return open_database(database)


def _read_password(stdin: bool, username: str) -> str:
    if stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            fail("--password-stdin: no password on standard input")
        return password
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password on; pass it with --password-stdin")
    first = getpass.getpass(f"password for {username}: ")
    if getpass.getpass("again: ") != first:
        fail("the two passwords differ")
    return first


def _user_dict(u: Any) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "role": u.role, "org_id": u.org_id,
            "display_name": u.display_name, "active": bool(u.active)}


def _org_dict(o: Any) -> dict[str, Any]:
    return {"id": o.id, "kind": o.kind, "name_zh": o.name_zh, "name_en": o.name_en, "region_code": o.region_code,
            "uscc": o.uscc, "active": bool(o.active)}


def _run(database: str | None, action: Any) -> Any:
    """Run ``action(session)`` in one unit of work; an account rule broken is a usage error naming the field."""
    from innocredit.services import platform as accounts
    from innocredit.services.database import unit_of_work

    engine = _engine(database)
    try:
        with unit_of_work(engine) as session:
            return action(session)
    except accounts.AccountError as exc:
        fail(str(exc))
    finally:
        engine.dispose()


@users_app.command("add")
def add(
    username: str = typer.Argument(..., help="login name (letters, digits, _ . @ -)"),
    role: str = typer.Option(..., "--role", help="coordinator, bank_officer, bank_approver, bank_modeller, guarantor, "
                                                 "enterprise or admin"),
    org: str | None = typer.Option(None, "--org", help="organisation id (default for admin: platform)"),
    display_name: str | None = typer.Option(None, "--display-name"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from the first line of "
                                                                       "standard input (else: asked twice)"),
    database: str | None = DB,
) -> None:
    """Create a user; ``--role admin`` creates an administrator (the first one of a deployment)."""
    from innocredit.services import platform as accounts

    if org is None:
        if role != "admin":
            fail("--org: name the user's organisation (its bank for a bank role)")
        org = PLATFORM_ORG[0]
    password = _read_password(password_stdin, username)

    def action(session: Any) -> dict[str, Any]:
        if role == "admin" and org == PLATFORM_ORG[0]:
            accounts.ensure_platform_organisation(session)
        user = accounts.create_user(session, username, password, role, org, display_name)
        accounts.record_event(session, "user.create", username, detail=f"cli role={role} org={org}")
        return _user_dict(user)

    echo_json(_run(database, action))


@users_app.command("list")
def list_users(org: str | None = typer.Option(None, "--org"), database: str | None = DB) -> None:
    """Every user (JSON lines: id, username, role, organisation, active); never a password hash."""
    from innocredit.services import platform as accounts

    for row in _run(database, lambda s: [_user_dict(u) for u in accounts.list_users(s, org)]):
        echo_json(row)


def _set_active(username: str, active: bool, database: str | None) -> None:
    from innocredit.services import platform as accounts

    def action(session: Any) -> dict[str, Any]:
        user = accounts.update_user(session, username, active=active)
        accounts.record_event(session, "user.update", username, detail=f"cli active={active}")
        return _user_dict(user)

    echo_json(_run(database, action))


@users_app.command("disable")
def disable(username: str, database: str | None = DB) -> None:
    """Disable a user: no login, and its sessions and API tokens end (the last administrator stays)."""
    _set_active(username, False, database)


@users_app.command("enable")
def enable(username: str, database: str | None = DB) -> None:
    _set_active(username, True, database)


@users_app.command("set-role")
def set_role(username: str, role: str = typer.Option(..., "--role"), org: str | None = typer.Option(None, "--org"),
             database: str | None = DB) -> None:
    """Assign a role and/or an organisation (bank); the user's sessions and tokens end."""
    from innocredit.services import platform as accounts

    def action(session: Any) -> dict[str, Any]:
        user = accounts.update_user(session, username, role=role, org_id=org)
        accounts.record_event(session, "user.update", username, detail=f"cli role={role} org_id={org}")
        return _user_dict(user)

    echo_json(_run(database, action))


@users_app.command("reset-password")
def reset_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the new password from standard input"),
    generate: bool = typer.Option(False, "--generate", help="generate a random password and print it once"),
    database: str | None = DB,
) -> None:
    """Set a new password; the user's sessions and tokens end."""
    from innocredit.services import platform as accounts

    password = None if generate else _read_password(password_stdin, username)
    def action(session: Any) -> Any:
        result = accounts.reset_password(session, username, password)
        accounts.record_event(session, "user.password_reset", username, detail="cli")
        return result

    user, new = _run(database, action)
    echo_json({**_user_dict(user), **({"password": new} if generate else {})})


@orgs_app.command("add")
def add_org(
    org_id: str = typer.Argument(..., help="id, e.g. bank-hz-03"),
    kind: str = typer.Option(..., "--kind", help="coordination_office, bank, guarantor, enterprise or platform"),
    name_zh: str = typer.Option(..., "--name-zh"),
    name_en: str = typer.Option(..., "--name-en"),
    region: str | None = typer.Option(None, "--region", help="six-digit region code"),
    uscc: str | None = typer.Option(None, "--uscc", help="for an enterprise"),
    database: str | None = DB,
) -> None:
    """Register an organisation (a bank, an office, a guarantor, an enterprise)."""
    from innocredit.services import platform as accounts

    def action(session: Any) -> dict[str, Any]:
        org = accounts.create_organisation(session, org_id, kind, name_zh, name_en, region, uscc)
        accounts.record_event(session, "organisation.create", org_id, detail=f"cli kind={kind}")
        return _org_dict(org)

    echo_json(_run(database, action))


@orgs_app.command("list")
def list_orgs(database: str | None = DB) -> None:
    from innocredit.services import platform as accounts

    for row in _run(database, lambda s: [_org_dict(o) for o in accounts.list_organisations(s)]):
        echo_json(row)


def _set_org_active(org_id: str, active: bool, database: str | None) -> None:
    from innocredit.services import platform as accounts

    def action(session: Any) -> dict[str, Any]:
        org = accounts.update_organisation(session, org_id, active=active)
        accounts.record_event(session, "organisation.update", org_id, detail=f"cli active={active}")
        return _org_dict(org)

    echo_json(_run(database, action))


@orgs_app.command("disable")
def disable_org(org_id: str, database: str | None = DB) -> None:
    """Disable an organisation: its users cannot log in and their sessions and tokens end."""

    _set_org_active(org_id, False, database)


@orgs_app.command("enable")
def enable_org(org_id: str, database: str | None = DB) -> None:

    _set_org_active(org_id, True, database)


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(orgs_app, name="orgs")
