"""Lending tables and repositories: applications, offers, the loan register, schedules, repayments, guarantees,
guarantee requests (the guarantor's decision), compensations (代偿), loss allocations and the hash-chained, keyed
audit log.

Repositories read and write rows; they make no decisions. The use cases (apply, approve, contract, disburse …)
and their reactions in other areas live in ``innocredit.services.lending``. Money is stored as integer fen and
returned as ``Decimal`` yuan; rates as decimal text. The audit log has no update or delete function: it is
append-only, and its tail (``lending_audit_head``) is taken with a row lock so that concurrent writers append
one after another. Each entry is sealed with the audit key (``INNOCREDIT_AUDIT_KEY``, see ``lending.audit``), the
head carries the keyed anchor of the tail, and entries about an application or a loan carry the digest of the row's
audited fields (:data:`APPLICATION_AUDITED`, :data:`LOAN_AUDITED`).

The loan register (``lending_loans``) is the only register of loans: platform loans (``origin = 'platform'``,
created by a contract) and loans a bank reports from outside the platform (``origin = 'bank_feed'`` from its
loan feed, ``'push_answer'`` from a manual answer to a push), keyed by the bank's own id (``external_id``).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.core.money import from_fen
from innocredit.lending.audit import DEVELOPMENT_KEY, GENESIS, Head, entry_hash, entry_mac, head_mac, row_digest
from innocredit.settings import Settings
from innocredit.storage.base import Base

ORIGINS = ("platform", "bank_feed", "push_answer")


class NotFound(LookupError):
    """No such application or loan for the acting bank."""


# --------------------------------------------------------------------------- tables


class Application(Base):
    __tablename__ = "lending_applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    product_id: Mapped[str] = mapped_column(String(64))
    product_version: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    complete: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[dt.date] = mapped_column(Date)
    submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    sla_due_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    sla_breached: Mapped[bool | None] = mapped_column(Boolean)
    reviewer: Mapped[str | None] = mapped_column(String(64))
    approver1: Mapped[str | None] = mapped_column(String(64))
    approver2: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    # the lowest rate the approvers accepted, when a contract below the offer's rate went back to them
    approved_rate: Mapped[str | None] = mapped_column(String(16))


class Offer(Base):
    __tablename__ = "lending_offers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("lending_applications.id"), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    limit_fen: Mapped[int] = mapped_column(BigInteger)
    term_months: Mapped[int] = mapped_column(Integer)
    rate: Mapped[str] = mapped_column(String(16))
    pd_grade: Mapped[str | None] = mapped_column(String(4))
    created_on: Mapped[dt.date] = mapped_column(Date)


class Loan(Base):
    __tablename__ = "lending_loans"
    __table_args__ = (UniqueConstraint("bank_id", "external_id", name="uq_lending_loans_bank_external"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str | None] = mapped_column(ForeignKey("lending_applications.id"), unique=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    product_id: Mapped[str] = mapped_column(String(64))
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(16))
    term_months: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(24))
    day_count: Mapped[str] = mapped_column(String(8))
    grace_months: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    guarantee_scheme: Mapped[str | None] = mapped_column(String(64))
    pool_scheme: Mapped[str | None] = mapped_column(String(64))
    first_loan: Mapped[bool] = mapped_column(Boolean)
    unsecured: Mapped[bool] = mapped_column(Boolean)
    contracted_on: Mapped[dt.date] = mapped_column(Date)
    disbursed_on: Mapped[dt.date | None] = mapped_column(Date)
    outstanding_fen: Mapped[int] = mapped_column(BigInteger)
    days_past_due: Mapped[int] = mapped_column(Integer)
    dpd_bucket: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16), default="platform", server_default="platform")
    external_id: Mapped[str | None] = mapped_column(String(64))
    maturity_on: Mapped[dt.date | None] = mapped_column(Date)
    relending_eligible: Mapped[bool | None] = mapped_column(Boolean)
    missed_instalments: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    push_id: Mapped[int | None] = mapped_column(Integer)
    guarantor_org_id: Mapped[str | None] = mapped_column(String(64))
    patent_pool_id: Mapped[str | None] = mapped_column(String(64))


class ScheduleRow(Base):
    __tablename__ = "lending_schedules"

    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    due_date: Mapped[dt.date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    opening_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    payment_fen: Mapped[int] = mapped_column(BigInteger)
    closing_fen: Mapped[int] = mapped_column(BigInteger)
    paid_principal_fen: Mapped[int] = mapped_column(BigInteger)
    paid_interest_fen: Mapped[int] = mapped_column(BigInteger)


class Repayment(Base):
    __tablename__ = "lending_repayments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(64))


class Guarantee(Base):
    __tablename__ = "lending_guarantees"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    party_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    share: Mapped[str] = mapped_column(String(16))
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    org_id: Mapped[str | None] = mapped_column(String(64), index=True)


class LossAllocation(Base):
    __tablename__ = "lending_loss_allocations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    party_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    allocated_on: Mapped[dt.date] = mapped_column(Date)
    org_id: Mapped[str | None] = mapped_column(String(64))


class GuaranteeRequest(Base):
    """A bank's request to a guarantor organisation to guarantee an approved application, and the guarantor's
    decision (``open`` -> ``approved`` with the fee rate, or ``declined`` with a reason code). One open request per
    application is a database rule (a partial unique index); a contract uses an approved one (``loan_id``)."""

    __tablename__ = "lending_guarantee_requests"
    __table_args__ = (
        Index("ix_lending_guarantee_requests_open_application", "application_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_lending_guarantee_requests_guarantor_org_id", "guarantor_org_id"),
        Index("ix_lending_guarantee_requests_application_id", "application_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("lending_applications.id",
                                                           name="fk_lending_guarantee_requests_application"))
    bank_id: Mapped[str] = mapped_column(String(64))
    uscc: Mapped[str] = mapped_column(String(18))
    scheme_id: Mapped[str] = mapped_column(String(64))
    guarantor_org_id: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the loan principal the guarantee covers at most
    guaranteed_fen: Mapped[int] = mapped_column(BigInteger)  # the guaranteed amount (the fee's base)
    term_months: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # open, approved, declined
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    fee_rate: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    loan_id: Mapped[str | None] = mapped_column(String(36))  # the loan whose contract used the approval


class Compensation(Base):
    """代偿: what the guarantor owes the bank on a defaulted guaranteed loan (amount and due date from the scheme's
    timeline, written at the default) and what it paid (amount, day, late or not). One per loan."""

    __tablename__ = "lending_compensations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), unique=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    guarantor_org_id: Mapped[str | None] = mapped_column(String(64), index=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    loss_fen: Mapped[int] = mapped_column(BigInteger)
    due_fen: Mapped[int] = mapped_column(BigInteger)  # the bank's claim: the loss less the bank's own share
    own_share_fen: Mapped[int] = mapped_column(BigInteger)  # the guarantor's final share of the loss
    claim_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # due, paid
    paid_fen: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    late: Mapped[bool | None] = mapped_column(Boolean)
    paid_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "lending_audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    mac: Mapped[str | None] = mapped_column(String(64))  # HMAC(audit key, "entry:" + hash); None before lending_0003
    row_digest: Mapped[str | None] = mapped_column(String(64))  # the subject row's audited fields after the action


class AuditHead(Base):
    """The tail of the audit chain (one row): taken ``FOR UPDATE`` by every append, so appends are serialised."""

    __tablename__ = "lending_audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))  # HMAC(audit key, "head:<seq>:<hash>"): the tail's anchor


# --------------------------------------------------------------------------- rows and dicts


def yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def application_dict(a: Application) -> dict[str, Any]:
    return {"id": a.id, "bank_id": a.bank_id, "uscc": a.uscc, "product_id": a.product_id,
            "product_version": a.product_version, "amount": yuan(a.amount_fen), "term_months": a.term_months,
            "purpose": a.purpose, "status": a.status, "complete": a.complete, "created_by": a.created_by,
            "created_on": a.created_on, "submitted_on": a.submitted_on, "sla_due_on": a.sla_due_on,
            "decided_on": a.decided_on, "sla_breached": a.sla_breached, "reviewer": a.reviewer,
            "approver1": a.approver1, "approver2": a.approver2, "decision_note": a.decision_note,
            "approved_rate": None if a.approved_rate is None else Decimal(a.approved_rate)}


def loan_dict(x: Loan) -> dict[str, Any]:
    return {"id": x.id, "application_id": x.application_id, "bank_id": x.bank_id, "uscc": x.uscc,
            "product_id": x.product_id, "principal": yuan(x.principal_fen), "rate": Decimal(x.rate),
            "term_months": x.term_months, "method": x.method, "day_count": x.day_count,
            "grace_months": x.grace_months, "status": x.status, "guarantee_scheme": x.guarantee_scheme,
            "pool_scheme": x.pool_scheme, "first_loan": x.first_loan, "unsecured": x.unsecured,
            "contracted_on": x.contracted_on, "disbursed_on": x.disbursed_on,
            "outstanding": yuan(x.outstanding_fen), "days_past_due": x.days_past_due, "dpd_bucket": x.dpd_bucket,
            "origin": x.origin, "external_id": x.external_id, "maturity_on": x.maturity_on,
            "relending_eligible": x.relending_eligible, "push_id": x.push_id,
            "guarantor_org_id": x.guarantor_org_id, "patent_pool_id": x.patent_pool_id}


def entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "at": e.at, "bank_id": e.bank_id, "subject_type": e.subject_type,
            "subject_id": e.subject_id, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
            "actor": e.actor, "details": e.details, "prev_hash": e.prev_hash, "hash": e.hash, "mac": e.mac,
            "row_digest": e.row_digest}


# the fields of a row that only a use case with an audit entry changes: the entry carries their digest
APPLICATION_AUDITED = ("id", "bank_id", "uscc", "product_id", "amount_fen", "term_months", "status", "reviewer",
                       "approver1", "approver2", "approved_rate")
LOAN_AUDITED = ("id", "application_id", "bank_id", "uscc", "product_id", "principal_fen", "rate", "term_months",
                "method", "status", "guarantee_scheme", "pool_scheme", "guarantor_org_id", "patent_pool_id",
                "disbursed_on", "outstanding_fen")


def audited_digest(row: Application | Loan) -> str:
    names = APPLICATION_AUDITED if isinstance(row, Application) else LOAN_AUDITED
    return row_digest({n: getattr(row, n) for n in names})


# --------------------------------------------------------------------------- repositories


def get_application(session: Session, bank_id: str | None, application_id: str, *,
                    lock: bool = False) -> Application:
    """One application (of ``bank_id`` when given); ``lock`` takes the row ``FOR UPDATE`` until the commit."""
    q = select(Application).where(Application.id == application_id)
    if bank_id is not None:
        q = q.where(Application.bank_id == bank_id)
    if lock:  # and re-read: an earlier read in this session must not hide a change committed while we waited
        q = q.with_for_update().execution_options(populate_existing=True)
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no application {application_id} for bank {bank_id}")
    return row


def get_loan(session: Session, bank_id: str | None, loan_id: str, *, lock: bool = False) -> Loan:
    q = select(Loan).where(Loan.id == loan_id)
    if bank_id is not None:
        q = q.where(Loan.bank_id == bank_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no loan {loan_id} for bank {bank_id}")
    return row


def loan_of_application(session: Session, application_id: str) -> Loan | None:
    return session.execute(select(Loan).where(Loan.application_id == application_id)).scalar_one_or_none()


def applications(session: Session, *, bank_id: str | None = None, status: str | None = None,
                 uscc: str | None = None, ids: Any = None) -> list[Application]:
    q = select(Application)
    if bank_id is not None:
        q = q.where(Application.bank_id == bank_id)
    if status:
        q = q.where(Application.status == status)
    if uscc is not None:
        q = q.where(Application.uscc == uscc)
    if ids is not None:
        q = q.where(Application.id.in_(ids))
    return list(session.execute(q.order_by(Application.created_on, Application.id)).scalars())


def loans(session: Session, *, bank_id: str | None = None, status: str | None = None, uscc: str | None = None,
          ids: Any = None, origin: str | None = None) -> list[Loan]:
    q = select(Loan)
    if bank_id is not None:
        q = q.where(Loan.bank_id == bank_id)
    if status:
        q = q.where(Loan.status == status)
    if uscc is not None:
        q = q.where(Loan.uscc == uscc)
    if ids is not None:
        q = q.where(Loan.id.in_(ids))
    if origin is not None:
        q = q.where(Loan.origin == origin)
    return list(session.execute(q.order_by(Loan.contracted_on, Loan.id)).scalars())


def latest_offer(session: Session, application_id: str) -> Offer | None:
    return session.execute(select(Offer).where(Offer.application_id == application_id)
                           .order_by(Offer.created_on.desc(), Offer.id)).scalars().first()


def schedule_rows(session: Session, loan_id: str) -> list[ScheduleRow]:
    return list(session.execute(select(ScheduleRow).where(ScheduleRow.loan_id == loan_id)
                                .order_by(ScheduleRow.number)).scalars())


def repayments(session: Session, loan_id: str) -> list[Repayment]:
    return list(session.execute(select(Repayment).where(Repayment.loan_id == loan_id)
                                .order_by(Repayment.paid_on, Repayment.id)).scalars())


def guarantees(session: Session, loan_id: str) -> list[Guarantee]:
    return list(session.execute(select(Guarantee).where(Guarantee.loan_id == loan_id)
                                .order_by(Guarantee.id)).scalars())


def guaranteed_loan_ids(session: Session, org_id: str) -> set[str]:
    """The loans whose guarantee names the guarantor organisation ``org_id``."""
    return set(session.execute(select(Guarantee.loan_id).where(Guarantee.org_id == org_id)).scalars())


def guarantee_request_dict(r: GuaranteeRequest) -> dict[str, Any]:
    return {"id": r.id, "application_id": r.application_id, "bank_id": r.bank_id, "uscc": r.uscc,
            "scheme_id": r.scheme_id, "guarantor_org_id": r.guarantor_org_id, "amount": yuan(r.amount_fen),
            "guaranteed_amount": yuan(r.guaranteed_fen), "term_months": r.term_months, "status": r.status,
            "requested_by": r.requested_by, "requested_on": r.requested_on,
            "fee_rate": None if r.fee_rate is None else Decimal(r.fee_rate), "reason_code": r.reason_code,
            "note": r.note, "decided_by": r.decided_by, "decided_on": r.decided_on, "loan_id": r.loan_id}


def get_guarantee_request(session: Session, request_id: str, *, guarantor_org_id: str | None = None,
                          bank_id: str | None = None, lock: bool = False) -> GuaranteeRequest:
    """One request (of the guarantor organisation or the bank when given: another's is not found); ``lock`` takes
    the row ``FOR UPDATE`` and re-reads it, so two deciders are taken one after the other."""
    q = select(GuaranteeRequest).where(GuaranteeRequest.id == request_id)
    if guarantor_org_id is not None:
        q = q.where(GuaranteeRequest.guarantor_org_id == guarantor_org_id)
    if bank_id is not None:
        q = q.where(GuaranteeRequest.bank_id == bank_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no guarantee request {request_id}")
    return row


def guarantee_requests(session: Session, *, application_id: str | None = None, guarantor_org_id: str | None = None,
                       bank_id: str | None = None, status: str | None = None) -> list[GuaranteeRequest]:
    q = select(GuaranteeRequest)
    if application_id is not None:
        q = q.where(GuaranteeRequest.application_id == application_id)
    if guarantor_org_id is not None:
        q = q.where(GuaranteeRequest.guarantor_org_id == guarantor_org_id)
    if bank_id is not None:
        q = q.where(GuaranteeRequest.bank_id == bank_id)
    if status:
        q = q.where(GuaranteeRequest.status == status)
    return list(session.execute(q.order_by(GuaranteeRequest.requested_on, GuaranteeRequest.id)).scalars())


def requested_application_ids(session: Session, org_id: str) -> Any:
    """A select of the applications the guarantor organisation ``org_id`` was asked to guarantee."""
    return select(GuaranteeRequest.application_id).where(GuaranteeRequest.guarantor_org_id == org_id)


def guaranteed_balance(session: Session, uscc: str, scheme_id: str) -> int:
    """The firm's in-force balance (fen) under a guarantee scheme: contracted loans at their principal, disbursed
    and not settled loans at their outstanding."""
    contracted = session.execute(select(func.coalesce(func.sum(Loan.principal_fen), 0)).where(
        Loan.uscc == uscc, Loan.guarantee_scheme == scheme_id, Loan.status == "contracted")).scalar_one()
    live = session.execute(select(func.coalesce(func.sum(Loan.outstanding_fen), 0)).where(
        Loan.uscc == uscc, Loan.guarantee_scheme == scheme_id, Loan.status.in_(("active", "overdue")))).scalar_one()
    return int(contracted) + int(live)


def compensation_dict(c: Compensation) -> dict[str, Any]:
    return {"id": c.id, "loan_id": c.loan_id, "bank_id": c.bank_id, "guarantor_org_id": c.guarantor_org_id,
            "scheme_id": c.scheme_id, "loss": yuan(c.loss_fen), "due": yuan(c.due_fen),
            "own_share": yuan(c.own_share_fen), "claim_on": c.claim_on, "due_on": c.due_on, "status": c.status,
            "paid": yuan(c.paid_fen), "paid_on": c.paid_on, "late": c.late, "paid_by": c.paid_by, "note": c.note}


def compensation_of_loan(session: Session, loan_id: str, *, guarantor_org_id: str | None = None,
                         lock: bool = False) -> Compensation | None:
    q = select(Compensation).where(Compensation.loan_id == loan_id)
    if guarantor_org_id is not None:
        q = q.where(Compensation.guarantor_org_id == guarantor_org_id)
    if lock:
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.execute(q).scalar_one_or_none()


def compensations_of_guarantor(session: Session, org_id: str) -> list[Compensation]:
    return list(session.execute(select(Compensation).where(Compensation.guarantor_org_id == org_id)
                                .order_by(Compensation.due_on, Compensation.id)).scalars())


def loss_allocations(session: Session, loan_id: str) -> list[LossAllocation]:
    return list(session.execute(select(LossAllocation).where(LossAllocation.loan_id == loan_id)
                                .order_by(LossAllocation.id)).scalars())


def earlier_loan_exists(session: Session, uscc: str, before: dt.date, exclude: str | None = None) -> bool:
    """Whether the register holds a loan of the firm disbursed before ``before`` (any bank, any origin)."""
    q = select(Loan.id).where(Loan.uscc == uscc, Loan.disbursed_on.is_not(None), Loan.disbursed_on < before)
    if exclude is not None:
        q = q.where(Loan.id != exclude)
    return session.execute(q.limit(1)).first() is not None


def external_keys(session: Session) -> dict[tuple[str, str], str]:
    """(bank, the bank's own loan id) -> register id, for every reported loan."""
    rows = session.execute(select(Loan.bank_id, Loan.external_id, Loan.id).where(Loan.external_id.is_not(None)))
    return {(b, str(e)): i for b, e, i in rows}


def first_disbursement_by_firm(session: Session, usccs: list[str]) -> pl.DataFrame:
    """(uscc, _register_first): each firm's earliest disbursement in the register."""
    out: list[tuple[str, dt.date]] = []
    for i in range(0, len(usccs), 1000):
        q = (select(Loan.uscc, func.min(Loan.disbursed_on)).where(Loan.uscc.in_(usccs[i:i + 1000]))
             .group_by(Loan.uscc))
        out += [(u, d) for u, d in session.execute(q) if d is not None]
    return pl.DataFrame(out, schema={"uscc": pl.String, "_register_first": pl.Date}, orient="row")


def bulk_insert_loans(session: Session, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        session.execute(insert(Loan), rows[i:i + chunk])


def bulk_update_loans(session: Session, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    """Update loans by primary key (each dict carries ``id``)."""
    for i in range(0, len(rows), chunk):
        session.execute(update(Loan), rows[i:i + chunk])


def audit_key() -> tuple[str, bool]:
    """The audit key (``INNOCREDIT_AUDIT_KEY``) and whether it is the published development key (not set)."""
    key = Settings().audit_key
    return (key, False) if key else (DEVELOPMENT_KEY, True)


def append_audit(session: Session, entry: dict[str, Any], key: str | None = None) -> AuditEntry:
    """Append one entry to the chain, sealed with the audit key, and move the head's keyed anchor to it. The head
    row is locked first, so two transactions never take the same ``seq`` or the same ``prev_hash``
    (PostgreSQL: ``SELECT … FOR UPDATE``, re-read after the wait; SQLite serialises writers)."""
    key = key or audit_key()[0]
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one_or_none()
    if head is None:  # a database created without the migration's head row
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
        head = AuditHead(id=1, seq=last.seq if last else 0, hash=last.hash if last else GENESIS)
        session.add(head)
        session.flush()
    full = {**entry, "seq": head.seq + 1}
    digest = entry_hash(full, head.hash)
    row = AuditEntry(**full, prev_hash=head.hash, hash=digest, mac=entry_mac(digest, key))
    session.add(row)
    head.seq, head.hash, head.mac = row.seq, row.hash, head_mac(row.seq, row.hash, key)
    session.flush()
    return row


def audit_head(session: Session) -> Head | None:
    h = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one_or_none()
    return None if h is None else Head(h.seq, h.hash, h.mac)


def anchor_head(session: Session, key: str) -> None:
    """Set the keyed anchor of the head (a chain from before lending_0003; the caller verified it)."""
    h = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()
                        .execution_options(populate_existing=True)).scalar_one()
    h.mac = head_mac(h.seq, h.hash, key)
    session.flush()


def last_row_digests(session: Session) -> dict[tuple[str, str], str | None]:
    """(subject_type, id) -> the row digest of the last entry about each application and loan."""
    q = (select(AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.row_digest)
         .where(AuditEntry.subject_type.in_(("application", "loan"))).order_by(AuditEntry.seq))
    return {(t, i): d for t, i, d in session.execute(q)}


def audited_rows(session: Session) -> dict[tuple[str, str], str]:
    """(subject_type, id) -> the current digest of every application and platform loan."""
    out = {("application", a.id): audited_digest(a) for a in session.execute(select(Application)).scalars()}
    out.update({("loan", x.id): audited_digest(x)
                for x in session.execute(select(Loan).where(Loan.origin == "platform")).scalars()})
    return out


def audit_rows(session: Session, *, bank_id: str | None = None, subject_id: str | None = None) -> list[AuditEntry]:
    q = select(AuditEntry)
    if bank_id is not None:
        q = q.where(AuditEntry.bank_id == bank_id)
    if subject_id is not None:
        q = q.where(AuditEntry.subject_id == subject_id)
    return list(session.execute(q.order_by(AuditEntry.seq)).scalars())


def decoded(e: AuditEntry) -> dict[str, Any]:
    return {**entry_dict(e), "details": json.loads(e.details)}


# --------------------------------------------------------------------------- the register as a frame

REGISTER_SCHEMA: dict[str, Any] = {
    "loan_id": pl.String, "uscc": pl.String, "bank_id": pl.String, "amount": pl.Float64, "rate": pl.Float64,
    "secured": pl.Boolean, "product": pl.String, "disbursed_on": pl.Date, "maturity_on": pl.Date,
    "outstanding": pl.Float64, "status": pl.String, "first_loan": pl.Boolean, "relending_eligible": pl.Boolean,
    "missed_instalments": pl.Int64, "days_past_due": pl.Int64, "push_id": pl.Int64, "origin": pl.String,
}


def register_frame(session: Session, *, bank_id: str | None = None, disbursed_only: bool = True) -> pl.DataFrame:
    """The loan register in the shape the coordination metrics and early warnings read (one row per loan;
    amounts in yuan). Loans not yet disbursed are left out unless ``disbursed_only`` is False."""
    t = Loan
    q = select(t.id, t.uscc, t.bank_id, t.principal_fen, t.rate, t.unsecured, t.product_id, t.disbursed_on,
               t.maturity_on, t.outstanding_fen, t.status, t.first_loan, t.relending_eligible,
               t.missed_instalments, t.days_past_due, t.push_id, t.origin)
    if bank_id is not None:
        q = q.where(t.bank_id == bank_id)
    if disbursed_only:
        q = q.where(t.disbursed_on.is_not(None))
    rows = [(r[0], r[1], r[2], r[3] / 100, float(r[4]), not r[5], r[6], r[7], r[8], r[9] / 100, r[10], r[11],
             r[12], r[13], r[14], r[15], r[16]) for r in session.execute(q.order_by(t.id))]
    return pl.DataFrame(rows, schema=REGISTER_SCHEMA, orient="row")
