"""Lending reads scoped to the caller (a bank its own applications and loans, an enterprise its own, a guarantor
organisation the loans it guarantees), as problem details when the caller may not see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from innocredit.services import lending as svc
from innocredit.web.auth import BANK_ROLES, Principal
from innocredit.web.problems import ProblemError


def bank_of(principal: Principal) -> str:
    if principal.role not in BANK_ROLES or not principal.bank_id:
        raise ProblemError(403, "only a bank's staff may do this", "forbidden")
    return principal.bank_id


def _who(principal: Principal) -> dict[str, Any]:
    return {"role": principal.role, "bank_id": principal.bank_id, "uscc": principal.uscc,
            "org_id": principal.org_id}


def applications(session: Session, principal: Principal, status: str | None = None) -> list[dict[str, Any]]:
    return svc.visible_applications(session, **_who(principal), status=status)


def application(session: Session, principal: Principal, app_id: str) -> dict[str, Any]:
    for a in applications(session, principal):
        if a["id"] == app_id:
            return a
    raise ProblemError(404, "application not found", "not-found")


def loans(session: Session, principal: Principal, status: str | None = None) -> list[dict[str, Any]]:
    return svc.visible_loans(session, **_who(principal), status=status)


def loan(session: Session, principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan if the caller may see it (404 otherwise: another bank's loan is not disclosed)."""
    try:
        return svc.visible_loan(session, loan_id, **_who(principal))
    except svc.NotFound as exc:
        raise ProblemError(404, "loan not found", "not-found") from exc


def schedule(session: Session, principal: Principal, loan_id: str) -> list[dict[str, Any]]:
    x = loan(session, principal, loan_id)
    return svc.schedule(session, x["bank_id"], loan_id)


def repayments(session: Session, principal: Principal, loan_id: str) -> list[dict[str, Any]]:
    loan(session, principal, loan_id)
    return svc.repayments(session, loan_id)


def audit(session: Session, principal: Principal, subject_id: str | None = None) -> list[dict[str, Any]]:
    """The bank's own audit trail (coordinator/admin see every bank's)."""
    if principal.role in BANK_ROLES:
        bank: str | None = bank_of(principal)
    elif principal.role in ("coordinator", "admin"):
        bank = None
    else:
        raise ProblemError(403, "the audit trail is for banks and the coordination office", "forbidden")
    return svc.audit_entries(session, bank, subject_id, raw=True)


def today() -> dt.date:
    return dt.date.today()
