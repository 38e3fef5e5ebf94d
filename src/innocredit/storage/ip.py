"""IP pledge registry and patent pools: tables and repository functions.

The rules and the wording of refusals live in ``innocredit.services.ip``; this module only reads and writes rows.
The database itself keeps the invariants that must hold under concurrent use:

- a patent carries one active pledge at a time: a partial unique index on ``ip_pledges.patent_id`` over rows with
  ``status = 'active'`` (SQLite and PostgreSQL both support partial indexes);
- a patent belongs to at most one pool (unique ``ip_pool_patents.patent_id``);
- a loan has at most one pool allocation (unique ``ip_pool_allocations.loan_id``);
- registration numbers come from a per-year counter row (``ip_registration_counters``), taken with one atomic
  ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``. The row stays locked until the transaction ends, so two
  transactions never draw the same serial, and a rolled-back transaction gives its serial back (no gaps).

Registration numbers follow the pattern of CNIPA pledge-registration notices (专利权质押登记号):
``Y`` + year + ``98`` + a 7-digit serial of that year, e.g. ``Y2026980000001``.
"""

from __future__ import annotations

import datetime as dt
import re
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
    case,
    func,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.storage.base import Base

PLEDGE_STATUSES = ("active", "released", "enforced")
EVENT_KINDS = ("registered", "released", "enforced", "lapse", "invalidation", "expiry", "transfer_attempt")
REGISTRATION_NO = re.compile(r"^Y(\d{4})98(\d{7})$")


class Pledge(Base):
    __tablename__ = "ip_pledges"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'released', 'enforced')", name="status"),
        Index("ix_ip_pledges_active_patent", "patent_id", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        Index("ix_ip_pledges_uscc", "uscc"),
        Index("ix_ip_pledges_loan_id", "loan_id"),
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
                "pledgee": self.pledgee, "loan_id": self.loan_id, "secured_amount": self.secured_amount,
                "value_at_registration": self.value_at_registration,
                "transfers_at_registration": self.transfers_at_registration, "status": self.status,
                "registered_on": self.registered_on, "released_on": self.released_on}


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
        return {"patent_id": self.patent_id, "uscc": self.uscc, "kind": self.kind, "occurred_on": self.occurred_on,
                "detail_zh": self.detail_zh, "detail_en": self.detail_en}


class RegistrationCounter(Base):
    """The last registration serial issued in a year (one row per year)."""

    __tablename__ = "ip_registration_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_serial: Mapped[int] = mapped_column(Integer)


class Pool(Base):
    __tablename__ = "ip_pools"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agreement_id: Mapped[str] = mapped_column(String(64))
    created_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "agreement_id": self.agreement_id, "created_on": self.created_on}


class PoolPatent(Base):
    __tablename__ = "ip_pool_patents"

    pool_id: Mapped[str] = mapped_column(ForeignKey("ip_pools.id"), primary_key=True)
    patent_id: Mapped[str] = mapped_column(String(32), primary_key=True, unique=True)
    uscc: Mapped[str] = mapped_column(String(18))


class PoolAllocation(Base):
    """A patent-pool loan's draw on its pool: which bank lent how much to which member, and when it ended."""

    __tablename__ = "ip_pool_allocations"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_ip_pool_allocations_pool_id", "pool_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pool_id: Mapped[str] = mapped_column(ForeignKey("ip_pools.id"))
    loan_id: Mapped[str] = mapped_column(String(64), unique=True)
    bank_id: Mapped[str] = mapped_column(String(64))
    uscc: Mapped[str] = mapped_column(String(18))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    allocated_on: Mapped[dt.date] = mapped_column(Date)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def as_dict(self) -> dict[str, Any]:
        return {"pool_id": self.pool_id, "loan_id": self.loan_id, "bank_id": self.bank_id, "uscc": self.uscc,
                "amount": self.amount, "allocated_on": self.allocated_on, "released_on": self.released_on,
                "status": "active" if self.released_on is None else "released"}


# ------------------------------------------------------------------ registration numbers


def format_registration_no(year: int, serial: int) -> str:
    return f"Y{year}98{serial:07d}"


def parse_registration_no(value: str) -> tuple[int, int] | None:
    """(year, serial) of a number in the registry's own pattern, None for any other number."""
    m = REGISTRATION_NO.match(value)
    return (int(m.group(1)), int(m.group(2))) if m else None


def _upsert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(RegistrationCounter)
    if name == "sqlite":
        return sqlite.insert(RegistrationCounter)
    raise RuntimeError(f"the pledge registration counter supports SQLite and PostgreSQL, not {name}")


def take_serial(session: Session, year: int) -> int:
    """Draw the next serial of ``year`` in one atomic statement; the counter row stays locked to the end of the
    transaction (PostgreSQL row lock; SQLite's single writer)."""
    c = RegistrationCounter.__table__.c
    stmt = _upsert(session).values(year=year, last_serial=1)
    stmt = stmt.on_conflict_do_update(index_elements=[c.year], set_={"last_serial": c.last_serial + 1})
    return int(session.execute(stmt.returning(c.last_serial)).scalar_one())


def raise_serial(session: Session, year: int, serial: int) -> int:
    """Make sure the counter of ``year`` is at least ``serial`` (a number issued elsewhere, e.g. by CNIPA, is never
    drawn again); locks the counter row like :func:`take_serial`. Returns the counter."""
    c = RegistrationCounter.__table__.c
    stmt = _upsert(session).values(year=year, last_serial=serial)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.year],
        set_={"last_serial": case((c.last_serial < serial, serial), else_=c.last_serial)})
    return int(session.execute(stmt.returning(c.last_serial)).scalar_one())


def counters(session: Session) -> dict[int, int]:
    return {int(y): int(n) for y, n in session.execute(select(RegistrationCounter.year,
                                                              RegistrationCounter.last_serial))}


# ------------------------------------------------------------------ pledges


def add_pledge(session: Session, **fields: Any) -> Pledge:
    """Insert a pledge row and flush (an IntegrityError from the partial unique index propagates)."""
    pledge = Pledge(status="active", **fields)
    session.add(pledge)
    session.flush()
    return pledge


def add_event(session: Session, pledge: Pledge | None, patent_id: str, uscc: str, kind: str, on: dt.date,
              zh: str, en: str) -> PledgeEvent:
    ev = PledgeEvent(pledge_id=pledge.id if pledge else None, patent_id=patent_id, uscc=uscc, kind=kind,
                     occurred_on=on, detail_zh=zh, detail_en=en)
    session.add(ev)
    return ev


def active_pledge(session: Session, patent_id: str) -> Pledge | None:
    return session.scalar(select(Pledge).where(Pledge.patent_id == patent_id, Pledge.status == "active"))


def get_pledge(session: Session, registration_no: str, *, for_update: bool = False) -> Pledge | None:
    q = select(Pledge).where(Pledge.registration_no == registration_no)
    if for_update:  # re-read the row a concurrent transaction may just have changed
        q = q.with_for_update().execution_options(populate_existing=True)
    return session.scalar(q)


def set_pledge_status(session: Session, pledge: Pledge, status: str, on: dt.date) -> Pledge:
    pledge.status, pledge.released_on = status, on
    session.flush()
    return pledge


def list_pledges(session: Session, uscc: str | None = None, status: str | None = None,
                 pledgee: str | None = None, loan_id: str | None = None, *, for_update: bool = False) -> list[Pledge]:
    q = select(Pledge).order_by(Pledge.registration_no)
    if uscc:
        q = q.where(Pledge.uscc == uscc)
    if status:
        q = q.where(Pledge.status == status)
    if pledgee:
        q = q.where(Pledge.pledgee == pledgee)
    if loan_id:
        q = q.where(Pledge.loan_id == loan_id)
    if for_update:  # re-read the row a concurrent transaction may just have changed
        q = q.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(q))


def active_pledges_frame(session: Session) -> pl.DataFrame:
    rows = [{"registration_no": p.registration_no, "patent_id": p.patent_id, "uscc": p.uscc, "pledgee": p.pledgee,
             "transfers_at_registration": p.transfers_at_registration} for p in list_pledges(session, status="active")]
    return pl.DataFrame(rows, schema={"registration_no": pl.String, "patent_id": pl.String, "uscc": pl.String,
                                      "pledgee": pl.String, "transfers_at_registration": pl.Int64})


def event_seen(session: Session, pledge_id: int | None, kind: str) -> bool:
    return session.scalar(select(PledgeEvent.id).where(PledgeEvent.pledge_id == pledge_id,
                                                       PledgeEvent.kind == kind).limit(1)) is not None


def list_events(session: Session, patent_id: str | None = None, kinds: tuple[str, ...] | None = None) -> list[PledgeEvent]:
    q = select(PledgeEvent).order_by(PledgeEvent.id)
    if patent_id:
        q = q.where(PledgeEvent.patent_id == patent_id)
    if kinds:
        q = q.where(PledgeEvent.kind.in_(kinds))
    return list(session.scalars(q))


# ------------------------------------------------------------------ pools


def get_pool(session: Session, pool_id: str) -> Pool | None:
    return session.get(Pool, pool_id)


def list_pools(session: Session) -> list[Pool]:
    return list(session.scalars(select(Pool).order_by(Pool.id)))


def add_pool(session: Session, pool_id: str, name: str, agreement_id: str, created_on: dt.date,
             patents: list[tuple[str, str]]) -> Pool:
    """Insert a pool and its (patent_id, uscc) members and flush (IntegrityError propagates)."""
    pool = Pool(id=pool_id, name=name, agreement_id=agreement_id, created_on=created_on)
    session.add(pool)
    session.flush()
    session.add_all(PoolPatent(pool_id=pool_id, patent_id=p, uscc=u) for p, u in patents)
    session.flush()
    return pool


def pool_members(session: Session, pool_id: str) -> list[tuple[str, str]]:
    """(patent_id, uscc) of every patent in the pool, by patent id."""
    rows = session.execute(select(PoolPatent.patent_id, PoolPatent.uscc).where(PoolPatent.pool_id == pool_id)
                           .order_by(PoolPatent.patent_id)).all()
    return [(r[0], r[1]) for r in rows]


def pools_of_patents(session: Session, patent_ids: list[str]) -> dict[str, str]:
    """{patent_id: pool_id} for those of ``patent_ids`` that are in a pool."""
    rows = session.execute(select(PoolPatent.patent_id, PoolPatent.pool_id)
                           .where(PoolPatent.patent_id.in_(patent_ids))).all()
    return {r[0]: r[1] for r in rows}


def add_allocation(session: Session, **fields: Any) -> PoolAllocation:
    alloc = PoolAllocation(**fields)
    session.add(alloc)
    session.flush()
    return alloc


def list_allocations(session: Session, pool_id: str | None = None, loan_id: str | None = None,
                     bank_id: str | None = None, active: bool | None = None,
                     *, for_update: bool = False) -> list[PoolAllocation]:
    q = select(PoolAllocation).order_by(PoolAllocation.id)
    if pool_id:
        q = q.where(PoolAllocation.pool_id == pool_id)
    if loan_id:
        q = q.where(PoolAllocation.loan_id == loan_id)
    if bank_id:
        q = q.where(PoolAllocation.bank_id == bank_id)
    if active is True:
        q = q.where(PoolAllocation.released_on.is_(None))
    elif active is False:
        q = q.where(PoolAllocation.released_on.is_not(None))
    if for_update:  # re-read the row a concurrent transaction may just have changed
        q = q.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(q))
