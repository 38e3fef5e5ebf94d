"""Lending store and service: applications, offers, loans, schedules, repayments, guarantees, loss
allocations and the hash-chained audit log.

Every function takes a SQLAlchemy ``Session`` (from ``UnitOfWork``) and the *acting bank's* id: a bank
sees and changes only its own applications and loans. The lifecycle rules (transition table, four-eyes,
SLA, delinquency) come from ``innocredit.lending.lifecycle``; every transition appends one audit entry.
Money is stored as integer fen and returned as ``Decimal`` yuan; rates as decimal text.
The audit log has no update or delete function: it is append-only.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.lending import lifecycle as lc
from innocredit.lending.audit import GENESIS, ChainCheck, canonical_json, entry_hash, verify_chain
from innocredit.lending.risk_sharing import allocate_loss, guarantee_fees, money
from innocredit.lending.schedules import build_schedule
from innocredit.lending.schema import Policy, Product, Scheme, load_policy, load_products, load_schemes
from innocredit.profile.uscc import uscc_error
from innocredit.storage.base import Base


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

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("lending_applications.id"), unique=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
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


class LossAllocation(Base):
    __tablename__ = "lending_loss_allocations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    loan_id: Mapped[str] = mapped_column(ForeignKey("lending_loans.id"), index=True)
    party_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    allocated_on: Mapped[dt.date] = mapped_column(Date)


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


# --------------------------------------------------------------------------- helpers

FEN_PER_YUAN = 100


def _fen(x: Decimal | int | str | float) -> int:
    return int(money(x) * FEN_PER_YUAN)


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Product]:
    return {p.id: p for p in load_products()}


@lru_cache(maxsize=1)
def _schemes() -> dict[str, Scheme]:
    return load_schemes()


def _policy(policy: Policy | None) -> Policy:
    return policy or load_policy()


def _today(on: dt.date | None) -> dt.date:
    return on or dt.date.today()


def _audit(session: Session, *, bank_id: str, subject_type: str, subject_id: str, action: str,
           from_state: str | None, to_state: str | None, actor: str, details: dict[str, Any] | None = None,
           at: dt.datetime | None = None) -> AuditEntry:
    last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
    entry = {
        "seq": 1 if last is None else last.seq + 1,
        "at": (at or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds"),
        "bank_id": bank_id, "subject_type": subject_type, "subject_id": subject_id, "action": action,
        "from_state": from_state, "to_state": to_state, "actor": actor, "details": canonical_json(details or {}),
    }
    prev = GENESIS if last is None else last.hash
    row = AuditEntry(**entry, prev_hash=prev, hash=entry_hash(entry, prev))
    session.add(row)
    session.flush()
    return row


def _app(session: Session, bank_id: str, application_id: str) -> Application:
    row = session.execute(select(Application).where(Application.id == application_id,
                                                    Application.bank_id == bank_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no application {application_id} for bank {bank_id}")
    return row


def _loan(session: Session, bank_id: str, loan_id: str) -> Loan:
    row = session.execute(select(Loan).where(Loan.id == loan_id, Loan.bank_id == bank_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no loan {loan_id} for bank {bank_id}")
    return row


def _move(session: Session, obj: Application | Loan, action: str, actor: str,
          details: dict[str, Any] | None = None) -> None:
    new = lc.transition(obj.status, action)
    old, obj.status = obj.status, new
    session.flush()
    _audit(session, bank_id=obj.bank_id, subject_type="application" if isinstance(obj, Application) else "loan",
           subject_id=obj.id, action=action, from_state=old, to_state=new, actor=actor, details=details)


def application_dict(a: Application) -> dict[str, Any]:
    return {"id": a.id, "bank_id": a.bank_id, "uscc": a.uscc, "product_id": a.product_id,
            "product_version": a.product_version, "amount": _yuan(a.amount_fen), "term_months": a.term_months,
            "purpose": a.purpose, "status": a.status, "complete": a.complete, "created_by": a.created_by,
            "created_on": a.created_on, "submitted_on": a.submitted_on, "sla_due_on": a.sla_due_on,
            "decided_on": a.decided_on, "sla_breached": a.sla_breached, "reviewer": a.reviewer,
            "approver1": a.approver1, "approver2": a.approver2, "decision_note": a.decision_note}


def loan_dict(x: Loan) -> dict[str, Any]:
    return {"id": x.id, "application_id": x.application_id, "bank_id": x.bank_id, "uscc": x.uscc,
            "product_id": x.product_id, "principal": _yuan(x.principal_fen), "rate": Decimal(x.rate),
            "term_months": x.term_months, "method": x.method, "day_count": x.day_count,
            "grace_months": x.grace_months, "status": x.status, "guarantee_scheme": x.guarantee_scheme,
            "pool_scheme": x.pool_scheme, "first_loan": x.first_loan, "unsecured": x.unsecured,
            "contracted_on": x.contracted_on, "disbursed_on": x.disbursed_on,
            "outstanding": _yuan(x.outstanding_fen), "days_past_due": x.days_past_due, "dpd_bucket": x.dpd_bucket}


# --------------------------------------------------------------------------- applications


def apply(session: Session, *, bank_id: str, uscc: str, product_id: str, amount: Decimal | int | str,
          term_months: int, actor: str, complete: bool = True, purpose: str | None = None,
          on: dt.date | None = None, policy: Policy | None = None,
          calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Record an application. A complete one is submitted at once and its decision SLA starts."""
    err = uscc_error(uscc)
    if err:
        raise ValueError(f"uscc: {err}")
    product = _catalogue().get(product_id)
    if product is None:
        raise ValueError(f"unknown product {product_id!r}; known: {', '.join(sorted(_catalogue()))}")
    amt = money(amount)
    if amt <= 0:
        raise ValueError("the amount must be positive")
    if not product.min_months <= term_months <= product.max_months:
        raise ValueError(f"term {term_months} months is outside {product.id}'s range "
                         f"{product.min_months}-{product.max_months}")
    today = _today(on)
    app = Application(id=str(uuid.uuid4()), bank_id=bank_id, uscc=uscc, product_id=product.id,
                      product_version=product.version, amount_fen=_fen(amt), term_months=term_months,
                      purpose=purpose, status="draft", complete=complete, created_by=actor, created_on=today)
    session.add(app)
    session.flush()
    _audit(session, bank_id=bank_id, subject_type="application", subject_id=app.id, action="create",
           from_state=None, to_state="draft", actor=actor,
           details={"uscc": uscc, "product_id": product.id, "amount": str(amt), "term_months": term_months})
    if complete:
        _submit(session, app, actor, today, _policy(policy), calendar)
    return application_dict(app)


def _submit(session: Session, app: Application, actor: str, today: dt.date, policy: Policy,
            calendar: lc.Calendar | None) -> None:
    app.complete = True
    app.submitted_on = today
    app.sla_due_on = lc.sla_due(today, policy.sla_working_days, calendar)
    _move(session, app, "submit", actor, {"sla_due_on": app.sla_due_on.isoformat(),
                                          "sla_working_days": policy.sla_working_days})


def submit(session: Session, bank_id: str, application_id: str, actor: str, *, on: dt.date | None = None,
           policy: Policy | None = None, calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Submit a completed draft: the decision SLA starts now."""
    app = _app(session, bank_id, application_id)
    _submit(session, app, actor, _today(on), _policy(policy), calendar)
    return application_dict(app)


def review(session: Session, bank_id: str, application_id: str, reviewer: str) -> dict[str, Any]:
    """Start the credit review; the reviewer may not approve the same application (four-eyes)."""
    app = _app(session, bank_id, application_id)
    app.reviewer = reviewer
    _move(session, app, "start_review", reviewer)
    return application_dict(app)


def _decide(app: Application, today: dt.date, policy: Policy, calendar: lc.Calendar | None) -> None:
    app.decided_on = today
    if app.submitted_on is not None:
        app.sla_breached = lc.sla_breached(app.submitted_on, policy.sla_working_days, today, today, calendar)


def approve(session: Session, bank_id: str, application_id: str, approver: str, *, note: str | None = None,
            on: dt.date | None = None, policy: Policy | None = None,
            calendar: lc.Calendar | None = None) -> dict[str, Any]:
    """Approve (four-eyes). Above the second-approver threshold the first approval is recorded and the
    application stays under review until a different second approver approves."""
    app = _app(session, bank_id, application_id)
    pol = _policy(policy)
    lc.transition(app.status, "approve")  # refuse early when not under review
    decision = lc.check_approval(approver=approver, reviewer=app.reviewer,
                                 prior_approvers=[a for a in (app.approver1, app.approver2) if a],
                                 amount=_yuan(app.amount_fen) or Decimal(0),
                                 second_approver_threshold=pol.second_approver_threshold)
    if app.approver1 is None:
        app.approver1 = approver
    else:
        app.approver2 = approver
    if not decision.final:
        session.flush()
        _audit(session, bank_id=bank_id, subject_type="application", subject_id=app.id, action="first_approval",
               from_state=app.status, to_state=app.status, actor=approver,
               details={"approvals_needed": decision.approvals_needed, "note": note})
        return application_dict(app)
    app.decision_note = note
    _decide(app, _today(on), pol, calendar)
    _move(session, app, "approve", approver, {"approvals_needed": decision.approvals_needed,
                                              "sla_breached": app.sla_breached, "note": note})
    return application_dict(app)


def reject(session: Session, bank_id: str, application_id: str, actor: str, reason: str, *,
           on: dt.date | None = None, policy: Policy | None = None,
           calendar: lc.Calendar | None = None) -> dict[str, Any]:
    app = _app(session, bank_id, application_id)
    lc.transition(app.status, "reject")
    app.decision_note = reason
    _decide(app, _today(on), _policy(policy), calendar)
    _move(session, app, "reject", actor, {"reason": reason, "sla_breached": app.sla_breached})
    return application_dict(app)


def withdraw(session: Session, bank_id: str, application_id: str, actor: str) -> dict[str, Any]:
    app = _app(session, bank_id, application_id)
    _move(session, app, "withdraw", actor)
    return application_dict(app)


def record_offer(session: Session, bank_id: str, application_id: str, *, limit: Decimal | int | str,
                 term_months: int, rate: Decimal | str, pd_grade: str | None = None,
                 on: dt.date | None = None) -> dict[str, Any]:
    """Keep the offer (from ``innocredit.lending.matching``) that an application was made against."""
    app = _app(session, bank_id, application_id)
    offer = Offer(id=str(uuid.uuid4()), application_id=app.id, product_id=app.product_id, limit_fen=_fen(limit),
                  term_months=term_months, rate=str(Decimal(str(rate))), pd_grade=pd_grade, created_on=_today(on))
    session.add(offer)
    session.flush()
    return {"id": offer.id, "application_id": app.id, "product_id": offer.product_id,
            "limit": _yuan(offer.limit_fen), "term_months": offer.term_months, "rate": Decimal(offer.rate),
            "pd_grade": pd_grade}


def list_applications(session: Session, bank_id: str, status: str | None = None) -> list[dict[str, Any]]:
    q = select(Application).where(Application.bank_id == bank_id)
    if status:
        q = q.where(Application.status == status)
    return [application_dict(a) for a in session.execute(q.order_by(Application.created_on, Application.id)).scalars()]


def get_application(session: Session, bank_id: str, application_id: str) -> dict[str, Any]:
    return application_dict(_app(session, bank_id, application_id))


def sla_breaches(session: Session, bank_id: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Applications whose decision came late, or that are still undecided after their due day."""
    today = _today(today)
    out = []
    for a in session.execute(select(Application).where(Application.bank_id == bank_id,
                                                       Application.sla_due_on.is_not(None))).scalars():
        late = a.sla_breached if a.decided_on else (a.status in ("submitted", "under_review")
                                                     and a.sla_due_on is not None and today > a.sla_due_on)
        if late:
            out.append(application_dict(a))
    return out


# --------------------------------------------------------------------------- loans


def contract(session: Session, bank_id: str, application_id: str, actor: str, *, rate: Decimal | str,
             principal: Decimal | int | str | None = None, term_months: int | None = None,
             method: str = "equal_instalment", day_count: str = "30/360", grace_months: int = 0,
             guarantee_scheme: str | None = None, pool_scheme: str | None = None, first_loan: bool = False,
             unsecured: bool = False, on: dt.date | None = None) -> dict[str, Any]:
    """Sign the contract of an approved application: creates the loan (status ``contracted``) and its
    guarantee rows (fee per party) when a guarantee scheme covers it."""
    app = _app(session, bank_id, application_id)
    lc.transition(app.status, "contract")
    schemes = _schemes()
    for sid, kind in ((guarantee_scheme, "guarantee"), (pool_scheme, "compensation_pool")):
        if sid is not None and (sid not in schemes or schemes[sid].kind != kind):
            raise ValueError(f"unknown {kind} scheme {sid!r}")
    amount = money(principal) if principal is not None else (_yuan(app.amount_fen) or Decimal(0))
    if amount <= 0 or _fen(amount) > app.amount_fen:
        raise ValueError("the contracted principal must be positive and at most the approved amount")
    term = term_months or app.term_months
    build_schedule(amount, Decimal(str(rate)), term, method, _today(on), grace_months=grace_months,
                   day_count=day_count)  # validates the terms before anything is written
    loan = Loan(id=str(uuid.uuid4()), application_id=app.id, bank_id=bank_id, uscc=app.uscc,
                product_id=app.product_id, principal_fen=_fen(amount), rate=str(Decimal(str(rate))),
                term_months=term, method=method, day_count=day_count, grace_months=grace_months,
                status="contracted", guarantee_scheme=guarantee_scheme, pool_scheme=pool_scheme,
                first_loan=first_loan, unsecured=unsecured, contracted_on=_today(on), disbursed_on=None,
                outstanding_fen=0, days_past_due=0, dpd_bucket="current")
    session.add(loan)
    session.flush()
    _move(session, app, "contract", actor, {"loan_id": loan.id})
    _audit(session, bank_id=bank_id, subject_type="loan", subject_id=loan.id, action="contract", from_state=None,
           to_state="contracted", actor=actor,
           details={"principal": str(amount), "rate": loan.rate, "term_months": term, "method": method,
                    "guarantee_scheme": guarantee_scheme, "pool_scheme": pool_scheme})
    if guarantee_scheme:
        scheme = schemes[guarantee_scheme]
        fees = {f.party_id: f.amount for f in guarantee_fees(scheme, amount, term)}
        for p in scheme.parties:
            session.add(Guarantee(id=str(uuid.uuid4()), loan_id=loan.id, scheme_id=scheme.id, party_id=p.id,
                                  role=p.role, share=str(p.share), fee_fen=_fen(fees.get(p.id, Decimal(0)))))
        session.flush()
    return loan_dict(loan)


def disburse(session: Session, bank_id: str, loan_id: str, actor: str, *, on: dt.date | None = None) -> dict[str, Any]:
    """Pay out the loan: status ``active``, schedule built from the disbursement date."""
    loan = _loan(session, bank_id, loan_id)
    lc.transition(loan.status, "disburse")
    day = _today(on)
    rows = build_schedule(_yuan(loan.principal_fen) or Decimal(0), Decimal(loan.rate), loan.term_months,
                          loan.method, day, grace_months=loan.grace_months, day_count=loan.day_count)
    for r in rows:
        session.add(ScheduleRow(loan_id=loan.id, number=r.number, due_date=r.due_date, days=r.days,
                                opening_fen=_fen(r.opening_balance), principal_fen=_fen(r.principal),
                                interest_fen=_fen(r.interest), payment_fen=_fen(r.payment),
                                closing_fen=_fen(r.closing_balance), paid_principal_fen=0, paid_interest_fen=0))
    loan.disbursed_on = day
    loan.outstanding_fen = loan.principal_fen
    _move(session, loan, "disburse", actor, {"on": day.isoformat(), "instalments": len(rows)})
    return loan_dict(loan)


def _rows(session: Session, loan_id: str) -> list[ScheduleRow]:
    return list(session.execute(select(ScheduleRow).where(ScheduleRow.loan_id == loan_id)
                                .order_by(ScheduleRow.number)).scalars())


def _oldest_unpaid_due(rows: list[ScheduleRow]) -> dt.date | None:
    for r in rows:
        if r.paid_principal_fen < r.principal_fen or r.paid_interest_fen < r.interest_fen:
            return r.due_date
    return None


def repay(session: Session, bank_id: str, loan_id: str, amount: Decimal | int | str, actor: str, *,
          on: dt.date | None = None) -> dict[str, Any]:
    """Apply a repayment to the instalments in order, interest before principal. Paying off the balance
    moves the loan to ``repaid``; clearing all past-due amounts cures an overdue loan."""
    loan = _loan(session, bank_id, loan_id)
    if loan.status not in ("active", "overdue"):
        raise lc.LifecycleError("not_repayable", f"cannot repay a loan in state {loan.status}",
                                f"{lc.STATE_NAMES.get(loan.status, loan.status)}状态的贷款不能还款")
    left = _fen(amount)
    if left <= 0:
        raise ValueError("the repayment must be positive")
    rows = _rows(session, loan.id)
    owed = sum(r.principal_fen - r.paid_principal_fen + r.interest_fen - r.paid_interest_fen for r in rows)
    if left > owed:
        raise ValueError(f"repayment {_yuan(left)} exceeds the {_yuan(owed)} still owed under the schedule")
    paid_p = paid_i = 0
    for r in rows:
        if left == 0:
            break
        i = min(left, r.interest_fen - r.paid_interest_fen)
        r.paid_interest_fen += i
        left -= i
        p = min(left, r.principal_fen - r.paid_principal_fen)
        r.paid_principal_fen += p
        left -= p
        paid_p, paid_i = paid_p + p, paid_i + i
    day = _today(on)
    session.add(Repayment(id=str(uuid.uuid4()), loan_id=loan.id, paid_on=day, amount_fen=paid_p + paid_i,
                          principal_fen=paid_p, interest_fen=paid_i, actor=actor))
    loan.outstanding_fen -= paid_p
    session.flush()
    details = {"amount": str(_yuan(paid_p + paid_i)), "principal": str(_yuan(paid_p)), "interest": str(_yuan(paid_i)),
               "on": day.isoformat()}
    _audit(session, bank_id=bank_id, subject_type="loan", subject_id=loan.id, action="repayment",
           from_state=loan.status, to_state=loan.status, actor=actor, details=details)
    if loan.outstanding_fen == 0 and _oldest_unpaid_due(rows) is None:
        loan.days_past_due, loan.dpd_bucket = 0, "current"
        _move(session, loan, "repay_in_full", actor)
    elif loan.status == "overdue":
        dpd = lc.days_past_due(_oldest_unpaid_due(rows), day)
        if dpd == 0:
            loan.days_past_due, loan.dpd_bucket = 0, "current"
            _move(session, loan, "cure", actor)
    return loan_dict(loan)


def update_delinquency(session: Session, bank_id: str, as_of: dt.date, actor: str = "system") -> list[dict[str, Any]]:
    """Days past due and bucket of every active or overdue loan of the bank; newly late loans go overdue."""
    out = []
    loans = session.execute(select(Loan).where(Loan.bank_id == bank_id, Loan.status.in_(("active", "overdue")))
                            .order_by(Loan.id)).scalars()
    for loan in list(loans):
        dpd = lc.days_past_due(_oldest_unpaid_due(_rows(session, loan.id)), as_of)
        loan.days_past_due, loan.dpd_bucket = dpd, lc.dpd_bucket(dpd)
        if dpd > 0 and loan.status == "active":
            _move(session, loan, "fall_overdue", actor, {"days_past_due": dpd, "as_of": as_of.isoformat()})
        out.append(loan_dict(loan))
    session.flush()
    return out


def default(session: Session, bank_id: str, loan_id: str, actor: str, *, on: dt.date | None = None) -> dict[str, Any]:
    """Declare an overdue loan defaulted and split the outstanding principal among the risk sharers."""
    loan = _loan(session, bank_id, loan_id)
    lc.transition(loan.status, "default")
    schemes = _schemes()
    scheme = schemes.get(loan.guarantee_scheme) if loan.guarantee_scheme else None
    pool = schemes.get(loan.pool_scheme) if loan.pool_scheme else None
    loss = _yuan(loan.outstanding_fen) or Decimal(0)
    parts = allocate_loss(scheme, loss, pool=pool, first_loan=loan.first_loan, unsecured=loan.unsecured)
    day = _today(on)
    for p in parts:
        session.add(LossAllocation(id=str(uuid.uuid4()), loan_id=loan.id, party_id=p.party_id, role=p.role,
                                   amount_fen=_fen(p.amount), allocated_on=day))
    _move(session, loan, "default", actor,
          {"loss": str(loss), "allocation": {p.party_id: str(p.amount) for p in parts}})
    return {**loan_dict(loan), "loss": loss, "allocation": [p.as_dict() for p in parts]}


def write_off(session: Session, bank_id: str, loan_id: str, actor: str) -> dict[str, Any]:
    loan = _loan(session, bank_id, loan_id)
    _move(session, loan, "write_off", actor)
    return loan_dict(loan)


def close(session: Session, bank_id: str, loan_id: str, actor: str) -> dict[str, Any]:
    loan = _loan(session, bank_id, loan_id)
    _move(session, loan, "close", actor)
    return loan_dict(loan)


def schedule(session: Session, bank_id: str, loan_id: str) -> list[dict[str, Any]]:
    loan = _loan(session, bank_id, loan_id)
    return [{"number": r.number, "due_date": r.due_date, "days": r.days, "opening_balance": _yuan(r.opening_fen),
             "principal": _yuan(r.principal_fen), "interest": _yuan(r.interest_fen), "payment": _yuan(r.payment_fen),
             "closing_balance": _yuan(r.closing_fen), "paid_principal": _yuan(r.paid_principal_fen),
             "paid_interest": _yuan(r.paid_interest_fen)} for r in _rows(session, loan.id)]


def list_loans(session: Session, bank_id: str, status: str | None = None) -> list[dict[str, Any]]:
    q = select(Loan).where(Loan.bank_id == bank_id)
    if status:
        q = q.where(Loan.status == status)
    return [loan_dict(x) for x in session.execute(q.order_by(Loan.contracted_on, Loan.id)).scalars()]


def get_loan(session: Session, bank_id: str, loan_id: str) -> dict[str, Any]:
    return loan_dict(_loan(session, bank_id, loan_id))


def guarantees(session: Session, bank_id: str, loan_id: str) -> list[dict[str, Any]]:
    loan = _loan(session, bank_id, loan_id)
    rows = session.execute(select(Guarantee).where(Guarantee.loan_id == loan.id).order_by(Guarantee.id)).scalars()
    return [{"scheme_id": g.scheme_id, "party_id": g.party_id, "role": g.role, "share": Decimal(g.share),
             "fee": _yuan(g.fee_fen)} for g in rows]


def loss_allocations(session: Session, bank_id: str, loan_id: str) -> list[dict[str, Any]]:
    loan = _loan(session, bank_id, loan_id)
    rows = session.execute(select(LossAllocation).where(LossAllocation.loan_id == loan.id)).scalars()
    return [{"party_id": r.party_id, "role": r.role, "amount": _yuan(r.amount_fen), "on": r.allocated_on}
            for r in rows]


# --------------------------------------------------------------------------- audit (read-only)


def _entry_dict(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "at": e.at, "bank_id": e.bank_id, "subject_type": e.subject_type,
            "subject_id": e.subject_id, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
            "actor": e.actor, "details": e.details, "prev_hash": e.prev_hash, "hash": e.hash}


def audit_entries(session: Session, bank_id: str | None = None, subject_id: str | None = None) -> list[dict[str, Any]]:
    """Audit entries in order (a bank's own only when ``bank_id`` is given); details decoded from JSON."""
    q = select(AuditEntry)
    if bank_id is not None:
        q = q.where(AuditEntry.bank_id == bank_id)
    if subject_id is not None:
        q = q.where(AuditEntry.subject_id == subject_id)
    return [{**_entry_dict(e), "details": json.loads(e.details)}
            for e in session.execute(q.order_by(AuditEntry.seq)).scalars()]


def verify_audit_chain(session: Session) -> ChainCheck:
    """Recompute the whole chain; an edited, deleted or inserted entry is reported by its seq."""
    return verify_chain(_entry_dict(e) for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
