"""Lending reads and writes scoped to the caller: a bank acts only on its own applications and loans, an
enterprise reads only its own, a guarantor only the loans its schemes guarantee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from innocredit.storage import lending as store
from innocredit.web.auth import BANK_ROLES, Principal
from innocredit.web.problems import ProblemError

GUARANTOR_PARTY = "guarantor"


def bank_of(principal: Principal) -> str:
    if principal.role not in BANK_ROLES or not principal.bank_id:
        raise ProblemError(403, "only a bank's staff may do this", "forbidden")
    return principal.bank_id


def _guaranteed_loan_ids(session: Session, principal: Principal) -> set[str]:
    rows = session.execute(select(store.Guarantee.loan_id).where(store.Guarantee.role == GUARANTOR_PARTY)).scalars()
    return set(rows) if principal.role == "guarantor" else set()


def applications(session: Session, principal: Principal, status: str | None = None) -> list[dict[str, Any]]:
    if principal.role in BANK_ROLES:
        return store.list_applications(session, bank_of(principal), status)
    q = select(store.Application)
    if principal.role == "enterprise":
        q = q.where(store.Application.uscc == (principal.uscc or "-"))
    elif principal.role == "guarantor":
        ids = select(store.Loan.application_id).where(store.Loan.id.in_(_guaranteed_loan_ids(session, principal)))
        q = q.where(store.Application.id.in_(ids))
    elif principal.role not in ("coordinator", "admin"):
        return []
    if status:
        q = q.where(store.Application.status == status)
    rows = session.execute(q.order_by(store.Application.created_on, store.Application.id)).scalars()
    return [store.application_dict(a) for a in rows]


def application(session: Session, principal: Principal, app_id: str) -> dict[str, Any]:
    for a in applications(session, principal) if principal.role not in BANK_ROLES else []:
        if a["id"] == app_id:
            return a
    if principal.role in BANK_ROLES:
        try:
            return store.get_application(session, bank_of(principal), app_id)
        except store.NotFound as exc:
            raise ProblemError(404, "application not found", "not-found") from exc
    raise ProblemError(404, "application not found", "not-found")


def loans(session: Session, principal: Principal, status: str | None = None) -> list[dict[str, Any]]:
    if principal.role in BANK_ROLES:
        return store.list_loans(session, bank_of(principal), status)
    q = select(store.Loan)
    if principal.role == "enterprise":
        q = q.where(store.Loan.uscc == (principal.uscc or "-"))
    elif principal.role == "guarantor":
        q = q.where(store.Loan.id.in_(_guaranteed_loan_ids(session, principal)))
    elif principal.role not in ("coordinator", "admin"):
        return []
    if status:
        q = q.where(store.Loan.status == status)
    return [store.loan_dict(x) for x in session.execute(q.order_by(store.Loan.contracted_on, store.Loan.id)).scalars()]


def loan(session: Session, principal: Principal, loan_id: str) -> dict[str, Any]:
    """The loan if the caller may see it (404 otherwise: another bank's loan is not disclosed)."""
    if principal.role in BANK_ROLES:
        try:
            return store.get_loan(session, bank_of(principal), loan_id)
        except store.NotFound as exc:
            raise ProblemError(404, "loan not found", "not-found") from exc
    row = session.get(store.Loan, loan_id)
    ok = row is not None and (
        principal.role in ("coordinator", "admin")
        or (principal.role == "enterprise" and row.uscc == principal.uscc)
        or (principal.role == "guarantor" and loan_id in _guaranteed_loan_ids(session, principal)))
    if not ok or row is None:
        raise ProblemError(404, "loan not found", "not-found")
    return store.loan_dict(row)


def schedule(session: Session, principal: Principal, loan_id: str) -> list[dict[str, Any]]:
    x = loan(session, principal, loan_id)
    return store.schedule(session, x["bank_id"], loan_id)


def repayments(session: Session, principal: Principal, loan_id: str) -> list[dict[str, Any]]:
    loan(session, principal, loan_id)
    rows = session.execute(select(store.Repayment).where(store.Repayment.loan_id == loan_id)
                           .order_by(store.Repayment.paid_on, store.Repayment.id)).scalars()
    fen = Decimal(100)
    return [{"id": r.id, "paid_on": r.paid_on, "amount": Decimal(r.amount_fen) / fen,
             "principal": Decimal(r.principal_fen) / fen, "interest": Decimal(r.interest_fen) / fen} for r in rows]


def audit(session: Session, principal: Principal, subject_id: str | None = None) -> list[dict[str, Any]]:
    """The bank's own audit trail (coordinator/admin see every bank's)."""
    q = select(store.AuditEntry)
    if principal.role in BANK_ROLES:
        q = q.where(store.AuditEntry.bank_id == bank_of(principal))
    elif principal.role not in ("coordinator", "admin"):
        raise ProblemError(403, "the audit trail is for banks and the coordination office", "forbidden")
    if subject_id:
        q = q.where(store.AuditEntry.subject_id == subject_id)
    return [{"seq": e.seq, "at": e.at, "bank_id": e.bank_id, "subject_type": e.subject_type,
             "subject_id": e.subject_id, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
             "actor": e.actor, "details": e.details, "hash": e.hash}
            for e in session.execute(q.order_by(store.AuditEntry.seq)).scalars()]


def today() -> dt.date:
    return dt.date.today()
