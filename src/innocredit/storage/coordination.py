"""Coordination tables and repositories: consents, data-access log, application and recommendation lists,
pushes, bank answers, escalations and alerts. (Firms are read from the department feeds and loans from the
loan register, ``storage.lending``: nothing here copies them.)

Repository functions take a SQLAlchemy ``Session`` (the caller's unit of work). Functions a bank calls take
the acting ``bank_id`` and only ever return or change that bank's own pushes, answers and alerts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, overload

import polars as pl
from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.storage.base import Base

_TS = DateTime(timezone=True)
_MONEY = Numeric(16, 2)


@overload
def utc(t: dt.datetime) -> dt.datetime: ...


@overload
def utc(t: None) -> None: ...


def utc(t: dt.datetime | None) -> dt.datetime | None:
    """Stored timestamps as aware UTC (SQLite hands back naive values)."""
    if t is None:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


class NotFound(LookupError):
    """No such record — or not one the acting bank may see."""


class CoordConsent(Base):
    __tablename__ = "coord_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    categories: Mapped[str] = mapped_column(String(300))  # comma-separated category ids
    purpose: Mapped[str | None] = mapped_column(String(300))
    valid_from: Mapped[dt.datetime] = mapped_column(_TS)
    valid_until: Mapped[dt.datetime] = mapped_column(_TS)
    granted_at: Mapped[dt.datetime] = mapped_column(_TS)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    policy_version: Mapped[str] = mapped_column(String(32))


class CoordDataAccess(Base):
    __tablename__ = "coord_data_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(_TS, index=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    categories: Mapped[str] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16))  # allowed | refused
    consent_ids: Mapped[str | None] = mapped_column(String(300))  # category:consent_id,...
    reason: Mapped[str | None] = mapped_column(String(500))


class CoordApplicationList(Base):
    __tablename__ = "coord_app_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS)
    screened_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    screening_version: Mapped[str | None] = mapped_column(String(32))


class CoordApplicationItem(Base):
    __tablename__ = "coord_app_items"
    __table_args__ = (UniqueConstraint("list_id", "uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("coord_app_lists.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    source: Mapped[str] = mapped_column(String(16))  # visit | self_application
    visited_on: Mapped[dt.date | None] = mapped_column(Date)
    requested_amount: Mapped[Decimal] = mapped_column(_MONEY)
    requested_term_months: Mapped[int | None] = mapped_column(Integer)
    loan_purpose: Mapped[str | None] = mapped_column(String(32))
    fixed_premises: Mapped[bool | None] = mapped_column(Boolean)
    preferred_bank_id: Mapped[str | None] = mapped_column(String(64))
    preferred_product: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(_TS)
    screen_passed: Mapped[bool | None] = mapped_column(Boolean)
    screen_failed: Mapped[str | None] = mapped_column(String(300))
    screen_unknown: Mapped[str | None] = mapped_column(String(300))
    innovation_points: Mapped[float | None] = mapped_column(Float)
    tech_sme: Mapped[bool | None] = mapped_column(Boolean)


class CoordRecommendationList(Base):
    __tablename__ = "coord_reco_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_list_id: Mapped[int] = mapped_column(ForeignKey("coord_app_lists.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(_TS)


class CoordRecommendationItem(Base):
    __tablename__ = "coord_reco_items"
    __table_args__ = (UniqueConstraint("list_id", "uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("coord_reco_lists.id"), index=True)
    application_item_id: Mapped[int] = mapped_column(ForeignKey("coord_app_items.id"))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    innovation_points: Mapped[float | None] = mapped_column(Float)


class CoordPush(Base):
    __tablename__ = "coord_pushes"
    __table_args__ = (UniqueConstraint("reco_item_id", "bank_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reco_item_id: Mapped[int] = mapped_column(ForeignKey("coord_reco_items.id"))
    reco_list_id: Mapped[int] = mapped_column(ForeignKey("coord_reco_lists.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    pushed_at: Mapped[dt.datetime] = mapped_column(_TS)
    answer_due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    declined_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    decline_code: Mapped[str | None] = mapped_column(String(8))
    credit_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    credit_amount: Mapped[Decimal | None] = mapped_column(_MONEY)
    rate: Mapped[float | None] = mapped_column(Float)
    product: Mapped[str | None] = mapped_column(String(32))
    secured: Mapped[bool | None] = mapped_column(Boolean)
    disbursed_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    disbursed_amount: Mapped[Decimal | None] = mapped_column(_MONEY)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS)


class CoordBankAnswer(Base):
    __tablename__ = "coord_bank_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("coord_pushes.id"), index=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[dt.datetime] = mapped_column(_TS)
    decline_code: Mapped[str | None] = mapped_column(String(8))
    amount: Mapped[Decimal | None] = mapped_column(_MONEY)
    rate: Mapped[float | None] = mapped_column(Float)
    product: Mapped[str | None] = mapped_column(String(32))
    secured: Mapped[bool | None] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)


class CoordEscalation(Base):
    __tablename__ = "coord_escalations"
    __table_args__ = (UniqueConstraint("push_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    push_id: Mapped[int] = mapped_column(ForeignKey("coord_pushes.id"), index=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # answer | credit
    escalated_at: Mapped[dt.datetime] = mapped_column(_TS)
    working_days: Mapped[int] = mapped_column(Integer)
    overdue_by: Mapped[int] = mapped_column(Integer)


class CoordAlert(Base):
    __tablename__ = "coord_alerts"
    __table_args__ = (UniqueConstraint("rule_id", "loan_id", "evidence_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    loan_id: Mapped[str] = mapped_column(String(64))
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    evidence: Mapped[str] = mapped_column(Text)
    evidence_key: Mapped[str] = mapped_column(String(64))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    raised_at: Mapped[dt.datetime] = mapped_column(_TS)
    rules_version: Mapped[str] = mapped_column(String(32))


def _frame(rows: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def _bulk(session: Session, model: type[Base], rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        session.execute(insert(model), rows[i:i + chunk])


# ---------------------------------------------------------------- consents and access log

def add_consent(session: Session, *, uscc: str, bank_id: str, categories: Iterable[str], valid_from: dt.datetime,
                valid_until: dt.datetime, granted_at: dt.datetime, policy_version: str,
                purpose: str | None = None) -> CoordConsent:
    row = CoordConsent(uscc=uscc, bank_id=bank_id, categories=",".join(categories), purpose=purpose,
                       valid_from=valid_from, valid_until=valid_until, granted_at=granted_at,
                       policy_version=policy_version)
    session.add(row)
    session.flush()
    return row


def get_consent(session: Session, consent_id: int) -> CoordConsent:
    row = session.get(CoordConsent, consent_id)
    if row is None:
        raise NotFound(f"no consent {consent_id}")
    return row


def consents(session: Session, *, uscc: str | None = None, bank_id: str | None = None) -> list[CoordConsent]:
    stmt = select(CoordConsent).order_by(CoordConsent.id)
    if uscc is not None:
        stmt = stmt.where(CoordConsent.uscc == uscc)
    if bank_id is not None:
        stmt = stmt.where(CoordConsent.bank_id == bank_id)
    return list(session.scalars(stmt))


def log_access(session: Session, *, at: dt.datetime, bank_id: str, uscc: str, categories: Iterable[str],
               purpose: str | None, outcome: str, consent_ids: dict[str, int] | None = None,
               reason: str | None = None) -> CoordDataAccess:
    ids = ",".join(f"{k}:{v}" for k, v in (consent_ids or {}).items()) or None
    row = CoordDataAccess(at=at, bank_id=bank_id, uscc=uscc, categories=",".join(categories), purpose=purpose,
                          outcome=outcome, consent_ids=ids, reason=reason)
    session.add(row)
    session.flush()
    return row


def access_log(session: Session, *, uscc: str | None = None, bank_id: str | None = None) -> list[CoordDataAccess]:
    stmt = select(CoordDataAccess).order_by(CoordDataAccess.id)
    if uscc is not None:
        stmt = stmt.where(CoordDataAccess.uscc == uscc)
    if bank_id is not None:
        stmt = stmt.where(CoordDataAccess.bank_id == bank_id)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- application lists

APP_ITEM_FIELDS = ("uscc", "source", "visited_on", "requested_amount", "requested_term_months", "loan_purpose",
                   "fixed_premises", "preferred_bank_id", "preferred_product", "note")


def add_application_list(session: Session, *, name: str, created_at: dt.datetime, region_code: str | None = None,
                         created_by: str | None = None) -> CoordApplicationList:
    row = CoordApplicationList(name=name, region_code=region_code, created_by=created_by, created_at=created_at)
    session.add(row)
    session.flush()
    return row


def get_application_list(session: Session, list_id: int) -> CoordApplicationList:
    row = session.get(CoordApplicationList, list_id)
    if row is None:
        raise NotFound(f"no application list {list_id}")
    return row


def application_lists(session: Session) -> list[CoordApplicationList]:
    return list(session.scalars(select(CoordApplicationList).order_by(CoordApplicationList.id)))


def add_application_items(session: Session, list_id: int, items: list[dict[str, Any]],
                          recorded_at: dt.datetime) -> int:
    rows = [{**{k: it.get(k) for k in APP_ITEM_FIELDS}, "list_id": list_id, "recorded_at": recorded_at}
            for it in items]
    _bulk(session, CoordApplicationItem, rows)
    session.flush()
    return len(rows)


APP_ITEM_SCHEMA: dict[str, Any] = {
    "item_id": pl.Int64, "list_id": pl.Int64, "uscc": pl.String, "source": pl.String, "visited_on": pl.Date,
    "requested_amount": pl.Float64, "requested_term_months": pl.Int64, "loan_purpose": pl.String,
    "fixed_premises": pl.Boolean, "preferred_bank_id": pl.String, "preferred_product": pl.String,
    "recorded_at": pl.Datetime("us", "UTC"), "screen_passed": pl.Boolean, "screen_failed": pl.String,
    "screen_unknown": pl.String, "innovation_points": pl.Float64, "tech_sme": pl.Boolean,
}


def application_items(session: Session, list_id: int) -> pl.DataFrame:
    t = CoordApplicationItem
    stmt = select(t.id, t.list_id, t.uscc, t.source, t.visited_on, t.requested_amount, t.requested_term_months,
                  t.loan_purpose, t.fixed_premises, t.preferred_bank_id, t.preferred_product, t.recorded_at,
                  t.screen_passed, t.screen_failed, t.screen_unknown, t.innovation_points,
                  t.tech_sme).where(t.list_id == list_id).order_by(t.id)
    rows = [(*r[:5], float(r[5]) if r[5] is not None else None, *r[6:11], utc(r[11]), *r[12:])
            for r in session.execute(stmt)]
    return _frame(rows, APP_ITEM_SCHEMA)


def save_screening(session: Session, list_id: int, results: pl.DataFrame, screened_at: dt.datetime,
                   version: str) -> None:
    """``results``: item_id, passed, failed_criteria, unknown_criteria, innovation_points, tech_sme_registered."""
    lst = get_application_list(session, list_id)
    lst.screened_at = screened_at
    lst.screening_version = version
    r = results.select(
        pl.col("item_id"), pl.col("passed"),
        pl.col("failed_criteria").list.join(",").alias("failed"),
        pl.col("unknown_criteria").list.join(",").alias("unknown"),
        pl.col("innovation_points").cast(pl.Float64),
        pl.col("tech_sme_registered").cast(pl.Boolean),
    )
    for row in r.iter_rows(named=True):  # one row per list item (hundreds), not a batch path
        session.execute(update(CoordApplicationItem).where(CoordApplicationItem.id == row["item_id"]).values(
            screen_passed=row["passed"], screen_failed=row["failed"] or None, screen_unknown=row["unknown"] or None,
            innovation_points=row["innovation_points"], tech_sme=row["tech_sme_registered"]))
    session.flush()


# ---------------------------------------------------------------- recommendation lists and pushes

def add_recommendation_list(session: Session, *, application_list_id: int, name: str, created_at: dt.datetime,
                            items: list[dict[str, Any]], created_by: str | None = None) -> CoordRecommendationList:
    """``items``: application_item_id, uscc, rank, innovation_points."""
    get_application_list(session, application_list_id)
    row = CoordRecommendationList(application_list_id=application_list_id, name=name, created_by=created_by,
                                  created_at=created_at)
    session.add(row)
    session.flush()
    _bulk(session, CoordRecommendationItem, [{**it, "list_id": row.id} for it in items])
    session.flush()
    return row


def get_recommendation_list(session: Session, list_id: int) -> CoordRecommendationList:
    row = session.get(CoordRecommendationList, list_id)
    if row is None:
        raise NotFound(f"no recommendation list {list_id}")
    return row


def recommendation_lists(session: Session) -> list[CoordRecommendationList]:
    return list(session.scalars(select(CoordRecommendationList).order_by(CoordRecommendationList.id)))


def recommendation_items(session: Session, list_id: int) -> pl.DataFrame:
    r, a = CoordRecommendationItem, CoordApplicationItem
    stmt = (select(r.id, r.list_id, r.application_item_id, r.uscc, r.rank, r.innovation_points, a.requested_amount,
                   a.loan_purpose, a.preferred_bank_id, a.preferred_product)
            .join(a, a.id == r.application_item_id).where(r.list_id == list_id).order_by(r.rank))
    rows = [(*x[:6], float(x[6]) if x[6] is not None else None, *x[7:]) for x in session.execute(stmt)]
    return _frame(rows, {"reco_item_id": pl.Int64, "list_id": pl.Int64, "application_item_id": pl.Int64,
                         "uscc": pl.String, "rank": pl.Int64, "innovation_points": pl.Float64,
                         "requested_amount": pl.Float64, "loan_purpose": pl.String, "preferred_bank_id": pl.String,
                         "preferred_product": pl.String})


def add_pushes(session: Session, rows: list[dict[str, Any]]) -> int:
    """``rows``: reco_item_id, reco_list_id, uscc, bank_id, pushed_at, answer_due_on (status set to 'pushed')."""
    _bulk(session, CoordPush, [{**r, "status": r.get("status", "pushed"), "updated_at": r.get("updated_at",
                                                                                             r["pushed_at"])}
                               for r in rows])
    session.flush()
    return len(rows)


PUSH_SCHEMA: dict[str, Any] = {
    "push_id": pl.Int64, "reco_list_id": pl.Int64, "uscc": pl.String, "bank_id": pl.String,
    "pushed_at": pl.Datetime("us", "UTC"), "answer_due_on": pl.Date, "status": pl.String,
    "accepted_at": pl.Datetime("us", "UTC"), "declined_at": pl.Datetime("us", "UTC"), "decline_code": pl.String,
    "credit_at": pl.Datetime("us", "UTC"), "credit_amount": pl.Float64, "rate": pl.Float64, "product": pl.String,
    "secured": pl.Boolean, "disbursed_at": pl.Datetime("us", "UTC"), "disbursed_amount": pl.Float64,
}


def pushes_frame(session: Session, *, bank_id: str | None = None, reco_list_id: int | None = None,
                 status: str | None = None) -> pl.DataFrame:
    """Pushes as a frame. Pass ``bank_id`` whenever a bank is acting: it then sees only its own pushes."""
    p = CoordPush
    stmt = select(p.id, p.reco_list_id, p.uscc, p.bank_id, p.pushed_at, p.answer_due_on, p.status, p.accepted_at,
                  p.declined_at, p.decline_code, p.credit_at, p.credit_amount, p.rate, p.product, p.secured,
                  p.disbursed_at, p.disbursed_amount).order_by(p.id)
    if bank_id is not None:
        stmt = stmt.where(p.bank_id == bank_id)
    if reco_list_id is not None:
        stmt = stmt.where(p.reco_list_id == reco_list_id)
    if status is not None:
        stmt = stmt.where(p.status == status)
    rows = []
    for r in session.execute(stmt):
        rows.append((r[0], r[1], r[2], r[3], utc(r[4]), r[5], r[6], utc(r[7]), utc(r[8]), r[9], utc(r[10]),
                     float(r[11]) if r[11] is not None else None, r[12], r[13], r[14], utc(r[15]),
                     float(r[16]) if r[16] is not None else None))
    return _frame(rows, PUSH_SCHEMA)


def get_push(session: Session, push_id: int, bank_id: str | None, *, lock: bool = False) -> CoordPush:
    """One push; with ``bank_id`` (a bank acting) a push of another bank is NotFound. ``lock`` takes the row
    ``FOR UPDATE`` (two answers to one push are applied one after the other)."""
    row = session.get(CoordPush, push_id, with_for_update=lock or None)
    if row is None or (bank_id is not None and row.bank_id != bank_id):
        raise NotFound(f"no push {push_id}" + (f" for bank {bank_id}" if bank_id else ""))
    return row


def latest_push(session: Session, *, bank_id: str, uscc: str, lock: bool = False) -> CoordPush | None:
    """The newest push of a firm to a bank, if any."""
    q = select(CoordPush).where(CoordPush.bank_id == bank_id, CoordPush.uscc == uscc).order_by(CoordPush.id.desc())
    if lock:
        q = q.with_for_update()
    return session.scalars(q.limit(1)).first()


def add_answer(session: Session, push: CoordPush, *, kind: str, answered_at: dt.datetime,
               decline_code: str | None = None, amount: Decimal | None = None, rate: float | None = None,
               product: str | None = None, secured: bool | None = None, note: str | None = None) -> CoordBankAnswer:
    """Store an answer (already validated by the flow rules) and update the push's current state."""
    ans = CoordBankAnswer(push_id=push.id, bank_id=push.bank_id, kind=kind, answered_at=answered_at,
                          decline_code=decline_code, amount=amount, rate=rate, product=product, secured=secured,
                          note=note)
    session.add(ans)
    push.status = kind
    push.updated_at = answered_at
    if kind == "accepted":
        push.accepted_at = answered_at
    elif kind == "declined":
        push.declined_at = answered_at
        push.decline_code = decline_code
    elif kind == "credit_granted":
        push.credit_at = answered_at
        push.credit_amount = amount
        push.rate = rate
        push.product = product
        push.secured = secured
    elif kind == "disbursed":
        push.disbursed_at = answered_at
        push.disbursed_amount = amount
    session.flush()
    return ans


def answers(session: Session, *, bank_id: str | None = None, push_id: int | None = None) -> list[CoordBankAnswer]:
    stmt = select(CoordBankAnswer).order_by(CoordBankAnswer.id)
    if bank_id is not None:
        stmt = stmt.where(CoordBankAnswer.bank_id == bank_id)
    if push_id is not None:
        stmt = stmt.where(CoordBankAnswer.push_id == push_id)
    return list(session.scalars(stmt))


def add_escalations(session: Session, rows: list[dict[str, Any]], at: dt.datetime) -> list[dict[str, Any]]:
    """Escalate overdue pushes once per stage; returns the new ones (push_id, bank_id, stage, working_days,
    overdue_by)."""
    if not rows:
        return []
    existing = set(session.execute(select(CoordEscalation.push_id, CoordEscalation.stage).where(
        CoordEscalation.push_id.in_([r["push_id"] for r in rows]))).tuples())
    new = [r for r in rows if (r["push_id"], r["stage"]) not in existing]
    _bulk(session, CoordEscalation, [{**r, "escalated_at": at} for r in new])
    session.flush()
    return new


def escalations(session: Session, *, bank_id: str | None = None) -> list[CoordEscalation]:
    stmt = select(CoordEscalation).order_by(CoordEscalation.id)
    if bank_id is not None:
        stmt = stmt.where(CoordEscalation.bank_id == bank_id)
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- alerts

def add_alerts(session: Session, alerts: pl.DataFrame, raised_at: dt.datetime, rules_version: str) -> int:
    """Store new alerts (rule_id, severity, uscc, loan_id, bank_id, evidence, name_zh, name_en); an alert already
    stored (same rule, loan and evidence) is not raised twice. Returns how many are new."""
    if alerts.is_empty():
        return 0
    rows = [{**r, "evidence_key": hashlib.sha256(r["evidence"].encode()).hexdigest(), "raised_at": raised_at,
             "rules_version": rules_version} for r in alerts.to_dicts()]
    existing = set(session.execute(select(CoordAlert.rule_id, CoordAlert.loan_id, CoordAlert.evidence_key).where(
        CoordAlert.loan_id.in_({r["loan_id"] for r in rows}))).tuples())
    seen: set[tuple[str, str, str]] = set()
    new = []
    for r in rows:
        k = (r["rule_id"], r["loan_id"], r["evidence_key"])
        if k not in existing and k not in seen:
            seen.add(k)
            new.append(r)
    _bulk(session, CoordAlert, new)
    session.flush()
    return len(new)


def alerts_for_bank(session: Session, bank_id: str, *, since: dt.datetime | None = None) -> list[CoordAlert]:
    stmt = select(CoordAlert).where(CoordAlert.bank_id == bank_id).order_by(CoordAlert.id)
    if since is not None:
        stmt = stmt.where(CoordAlert.raised_at >= since)
    return list(session.scalars(stmt))
