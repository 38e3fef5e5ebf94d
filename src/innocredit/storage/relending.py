"""Relending tables and repository: the official lists imported for the PBoC tech-innovation relending, and
each bank's relending ledger (one row per refinanced loan).

Repositories read and write rows; the decisions (which loan qualifies, how much is refinanced) live in
``innocredit.lending.relending`` and ``innocredit.services.relending``. Money is integer fen, returned as
``Decimal`` yuan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, Integer, String, UniqueConstraint, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.core.money import from_fen
from innocredit.storage.base import Base


class OfficialListEntry(Base):
    """A firm on an official list (national tech-SME list pushed to the banks, 高新, 专精特新 ...) for a period."""

    __tablename__ = "relending_lists"
    __table_args__ = (UniqueConstraint("uscc", "kind", "valid_from", name="uq_relending_lists_uscc"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))


class LedgerEntry(Base):
    """One eligible loan refinanced by the central bank."""

    __tablename__ = "relending_ledger"

    loan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bank_id: Mapped[str] = mapped_column(String(64), index=True)
    uscc: Mapped[str] = mapped_column(String(18))
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    refinanced_fen: Mapped[int] = mapped_column(BigInteger)
    rate: Mapped[str] = mapped_column(String(16))
    months: Mapped[int] = mapped_column(Integer)
    interest_fen: Mapped[int] = mapped_column(BigInteger)
    saving_fen: Mapped[int] = mapped_column(BigInteger)
    refinanced_on: Mapped[dt.date] = mapped_column(Date)
    matures_on: Mapped[dt.date] = mapped_column(Date)


def add_list_entry(session: Session, *, uscc: str, kind: str, valid_from: dt.date, valid_to: dt.date | None,
                   source: str) -> bool:
    """Add one entry; False when the same firm, list and start are already recorded (re-import is idempotent)."""
    found = session.scalar(select(OfficialListEntry.id).where(
        OfficialListEntry.uscc == uscc, OfficialListEntry.kind == kind, OfficialListEntry.valid_from == valid_from))
    if found is not None:
        return False
    session.add(OfficialListEntry(uscc=uscc, kind=kind, valid_from=valid_from, valid_to=valid_to, source=source))
    session.flush()
    return True


def lists_on(session: Session, uscc: str, on: dt.date) -> list[str]:
    """The list kinds the firm is on, on the date (valid_from <= on <= valid_to, open end = still valid)."""
    t = OfficialListEntry
    rows = session.scalars(select(t.kind).where(
        t.uscc == uscc, t.valid_from <= on, or_(t.valid_to.is_(None), t.valid_to >= on)).distinct())
    return sorted(rows)


def ledger_loan_ids(session: Session) -> set[str]:
    return set(session.scalars(select(LedgerEntry.loan_id)))


def add_entry(session: Session, **fields: Any) -> LedgerEntry:
    entry = LedgerEntry(**fields)
    session.add(entry)
    session.flush()
    return entry


def refinanced_in_force(session: Session, on: dt.date) -> int:
    """Fen refinanced on the platform and not yet matured on the date (all banks: the quota is national)."""
    t = LedgerEntry
    total = session.scalar(select(func.coalesce(func.sum(t.refinanced_fen), 0)).where(
        t.refinanced_on <= on, t.matures_on > on))
    return int(total or 0)


def entries(session: Session, bank_id: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.bank_id == bank_id)
                           .order_by(LedgerEntry.refinanced_on, LedgerEntry.loan_id))
    return [entry_dict(r) for r in rows]


def entry_dict(r: LedgerEntry) -> dict[str, Any]:
    return {"loan_id": r.loan_id, "bank_id": r.bank_id, "uscc": r.uscc, "principal": from_fen(r.principal_fen),
            "refinanced": from_fen(r.refinanced_fen), "rate": r.rate, "months": r.months,
            "relending_interest": from_fen(r.interest_fen), "cost_saving": from_fen(r.saving_fen),
            "refinanced_on": r.refinanced_on.isoformat(), "matures_on": r.matures_on.isoformat()}
