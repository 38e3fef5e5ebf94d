"""IP pledge registry and patent pools: tables and repository functions.

A patent can carry one active pledge at a time. The database enforces it with a partial unique index on
``ip_pledges.patent_id`` over rows with ``status = 'active'`` (SQLite and PostgreSQL both support partial
indexes), so two clerks registering the same patent at once cannot both succeed. A patent belongs to at
most one pool (unique ``ip_pool_patents.patent_id``).

Registration numbers follow the pattern of CNIPA pledge-registration notices (专利权质押登记号):
``Y`` + year + ``98`` + a 7-digit serial of that year, e.g. ``Y2026980000001``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.storage.base import Base

PLEDGE_STATUSES = ("active", "released", "enforced")
EVENT_KINDS = ("registered", "released", "enforced", "lapse", "invalidation", "expiry", "transfer_attempt")


class PledgeError(ValueError):
    """A pledge operation that the registry refuses (double pledge, unknown number, wrong status)."""


class Pledge(Base):
    __tablename__ = "ip_pledges"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'released', 'enforced')", name="status"),
        Index("ix_ip_pledges_active_patent", "patent_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_ip_pledges_uscc", "uscc"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registration_no: Mapped[str] = mapped_column(String(20), unique=True)
    patent_id: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str] = mapped_column(String(18))
    pledgee: Mapped[str] = mapped_column(String(64))
    loan_id: Mapped[str | None] = mapped_column(String(64))
    secured_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    value_at_registration: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    transfers_at_registration: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default="active")
    registered_on: Mapped[dt.date] = mapped_column(Date)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def as_dict(self) -> dict[str, Any]:
        return {"registration_no": self.registration_no, "patent_id": self.patent_id, "uscc": self.uscc,
                "pledgee": self.pledgee, "loan_id": self.loan_id,
                "secured_amount": None if self.secured_amount is None else str(self.secured_amount),
                "value_at_registration": None if self.value_at_registration is None
                else str(self.value_at_registration),
                "status": self.status, "registered_on": self.registered_on.isoformat(),
                "released_on": self.released_on.isoformat() if self.released_on else None}


class PledgeEvent(Base):
    __tablename__ = "ip_pledge_events"
    __table_args__ = (Index("ix_ip_pledge_events_patent_id", "patent_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pledge_id: Mapped[int | None] = mapped_column(ForeignKey("ip_pledges.id"))
    patent_id: Mapped[str] = mapped_column(String(32))
    uscc: Mapped[str] = mapped_column(String(18))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    detail_zh: Mapped[str | None] = mapped_column(String(400))
    detail_en: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def as_dict(self) -> dict[str, Any]:
        return {"patent_id": self.patent_id, "uscc": self.uscc, "kind": self.kind,
                "occurred_on": self.occurred_on.isoformat(), "detail_zh": self.detail_zh, "detail_en": self.detail_en}


class Pool(Base):
    __tablename__ = "ip_pools"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agreement_id: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PoolPatent(Base):
    __tablename__ = "ip_pool_patents"

    pool_id: Mapped[str] = mapped_column(ForeignKey("ip_pools.id"), primary_key=True)
    patent_id: Mapped[str] = mapped_column(String(32), primary_key=True, unique=True)
    uscc: Mapped[str] = mapped_column(String(18))


# ------------------------------------------------------------------ repository


def next_registration_no(session: Session, on: dt.date) -> str:
    prefix = f"Y{on.year}98"
    last = session.scalar(select(func.max(Pledge.registration_no)).where(Pledge.registration_no.like(f"{prefix}%")))
    serial = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{serial:07d}"


def _event(session: Session, pledge: Pledge | None, patent_id: str, uscc: str, kind: str, on: dt.date,
           zh: str, en: str) -> PledgeEvent:
    ev = PledgeEvent(pledge_id=pledge.id if pledge else None, patent_id=patent_id, uscc=uscc, kind=kind,
                     occurred_on=on, detail_zh=zh, detail_en=en)
    session.add(ev)
    return ev


def active_pledge(session: Session, patent_id: str) -> Pledge | None:
    return session.scalar(select(Pledge).where(Pledge.patent_id == patent_id, Pledge.status == "active"))


def register_pledge(session: Session, patent_id: str, uscc: str, pledgee: str, registered_on: dt.date,
                    secured_amount: Decimal | None = None, loan_id: str | None = None,
                    value: Decimal | None = None, transfers: int | None = None,
                    registration_no: str | None = None) -> Pledge:
    """Register a pledge. Refuses a patent that already has an active pledge (the database index decides)."""
    existing = active_pledge(session, patent_id)
    if existing is not None:
        raise PledgeError(f"patent {patent_id} is already pledged to {existing.pledgee} under "
                          f"{existing.registration_no} / 该专利已质押，登记号 {existing.registration_no}")
    pledge = Pledge(registration_no=registration_no or next_registration_no(session, registered_on),
                    patent_id=patent_id, uscc=uscc, pledgee=pledgee, loan_id=loan_id,
                    secured_amount=secured_amount, value_at_registration=value, transfers_at_registration=transfers,
                    status="active", registered_on=registered_on)
    try:
        with session.begin_nested():
            session.add(pledge)
            session.flush()
    except IntegrityError as exc:
        raise PledgeError(f"patent {patent_id} cannot be pledged: it already has an active pledge or the "
                          f"registration number is taken / 该专利已有有效质押或登记号重复 ({exc.orig})") from exc
    _event(session, pledge, patent_id, uscc, "registered", registered_on,
           f"专利权质押登记 {pledge.registration_no}，质权人 {pledgee}",
           f"pledge registered as {pledge.registration_no} in favour of {pledgee}")
    return pledge


def _get(session: Session, registration_no: str) -> Pledge:
    p = session.scalar(select(Pledge).where(Pledge.registration_no == registration_no))
    if p is None:
        raise PledgeError(f"no pledge with registration number {registration_no} / 无此质押登记号")
    return p


def _close(session: Session, registration_no: str, on: dt.date, status: str, refused_zh: str, event_zh: str,
           event_en: str) -> Pledge:
    """End an active pledge (released or enforced) and record the event; any other state is refused."""
    p = _get(session, registration_no)
    if p.status != "active":
        raise PledgeError(f"pledge {registration_no} is {p.status}, not active / 质押已{p.status}，{refused_zh}")
    p.status, p.released_on = status, on
    _event(session, p, p.patent_id, p.uscc, status, on, event_zh, event_en)
    session.flush()
    return p


def release_pledge(session: Session, registration_no: str, on: dt.date) -> Pledge:
    return _close(session, registration_no, on, "released", "不能注销", f"质押登记 {registration_no} 注销",
                  f"pledge {registration_no} released")


def enforce_pledge(session: Session, registration_no: str, on: dt.date) -> Pledge:
    return _close(session, registration_no, on, "enforced", "不能实现质权", f"质权人实现质权（{registration_no}）",
                  f"pledgee enforced pledge {registration_no}")


def list_pledges(session: Session, uscc: str | None = None, status: str | None = None,
                 pledgee: str | None = None) -> list[Pledge]:
    q = select(Pledge).order_by(Pledge.registration_no)
    if uscc:
        q = q.where(Pledge.uscc == uscc)
    if status:
        q = q.where(Pledge.status == status)
    if pledgee:
        q = q.where(Pledge.pledgee == pledgee)
    return list(session.scalars(q))


def active_pledges_frame(session: Session) -> pl.DataFrame:
    rows = [{"registration_no": p.registration_no, "patent_id": p.patent_id, "uscc": p.uscc, "pledgee": p.pledgee,
             "transfers_at_registration": p.transfers_at_registration} for p in list_pledges(session, status="active")]
    return pl.DataFrame(rows, schema={"registration_no": pl.String, "patent_id": pl.String, "uscc": pl.String,
                                      "pledgee": pl.String, "transfers_at_registration": pl.Int64})


def record_warnings(session: Session, warnings: pl.DataFrame, on: dt.date) -> list[PledgeEvent]:
    """Store the warnings of ``innocredit.ip.warnings.pledge_warnings`` as events (once per pledge and kind)."""
    out = []
    for w in warnings.to_dicts():
        pledge = session.scalar(select(Pledge).where(Pledge.registration_no == w["registration_no"]))
        seen = session.scalar(select(PledgeEvent).where(PledgeEvent.pledge_id == (pledge.id if pledge else None),
                                                        PledgeEvent.kind == w["kind"]))
        if seen is not None:
            continue
        out.append(_event(session, pledge, w["patent_id"], w["uscc"], w["kind"], on, w["detail_zh"], w["detail_en"]))
    session.flush()
    return out


def list_events(session: Session, patent_id: str | None = None, kinds: tuple[str, ...] | None = None) -> list[PledgeEvent]:
    q = select(PledgeEvent).order_by(PledgeEvent.id)
    if patent_id:
        q = q.where(PledgeEvent.patent_id == patent_id)
    if kinds:
        q = q.where(PledgeEvent.kind.in_(kinds))
    return list(session.scalars(q))


def create_pool(session: Session, pool_id: str, name: str, agreement_id: str, created_on: dt.date,
                patents: list[tuple[str, str]]) -> Pool:
    """Create a pool from (patent_id, uscc) pairs; a patent already in a pool is refused by the database."""
    if session.get(Pool, pool_id) is not None:
        raise PledgeError(f"pool {pool_id} already exists / 专利池已存在")
    pool = Pool(id=pool_id, name=name, agreement_id=agreement_id, created_on=created_on)
    try:
        with session.begin_nested():
            session.add(pool)
            session.flush()
            session.add_all(PoolPatent(pool_id=pool_id, patent_id=p, uscc=u) for p, u in patents)
            session.flush()
    except IntegrityError as exc:
        raise PledgeError(f"pool {pool_id}: a patent is listed twice or already in another pool / "
                          f"专利重复或已在其他专利池中 ({exc.orig})") from exc
    return pool


def pool_patents(session: Session, pool_id: str) -> tuple[Pool, pl.DataFrame]:
    pool = session.get(Pool, pool_id)
    if pool is None:
        raise PledgeError(f"no pool {pool_id} / 无此专利池")
    rows = session.execute(select(PoolPatent.patent_id, PoolPatent.uscc).where(PoolPatent.pool_id == pool_id)).all()
    return pool, pl.DataFrame([tuple(r) for r in rows], schema={"patent_id": pl.String, "uscc": pl.String},
                              orient="row")
