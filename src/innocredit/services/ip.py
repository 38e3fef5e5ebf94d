"""IP use cases: the pledge registry (专利权质押登记), patent pools and their joins with lending.

Every function takes a SQLAlchemy ``Session`` as the unit of work (the caller commits or rolls back) and plain
arguments, and returns plain dicts (``Decimal`` amounts, ``datetime.date`` dates). The rules and the wording of
every refusal are here; ``innocredit.storage.ip`` only keeps the tables, and the database keeps the invariants
that must hold under concurrent use (one active pledge per patent, one pool per patent, one pool allocation per
loan, registration serials from a locked per-year counter).

Refusals raise :class:`PledgeError` (a ``ValueError``) with a bilingual message naming the field or the record;
a patent that already carries an active pledge raises :class:`PatentAlreadyPledged`, which names the patent, its
current pledgee and the registration number.

Lending calls :func:`pledge_loan_patents` at an IP pledge loan's contract, :func:`release_loan_pledges` at
settlement, :func:`enforce_loan_pledges` at write-off, and :func:`allocate_pool` /
:func:`release_pool_allocation` for patent-pool loans, in the same transaction as the loan step.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from innocredit.core.money import Amount, as_decimal, money
from innocredit.ip.warnings import pledge_warnings
from innocredit.profile.uscc import uscc_error
from innocredit.storage import ip as store

PLEDGE_STATUSES = store.PLEDGE_STATUSES
EARLIEST_YEAR = 1985  # the Patent Law of the PRC took effect on 1 April 1985
MAX_AMOUNT = Decimal("9999999999999999.99")  # Numeric(18, 2)

__all__ = [
    "PLEDGE_STATUSES", "PatentAlreadyPledged", "PledgeError", "allocate_pool", "check_pledges", "create_pool",
    "enforce_loan_pledges", "enforce_pledge", "list_pledges", "list_pools", "loan_pledges", "pledge_events",
    "pledge_loan_patents", "pool_overview", "pool_patents", "record_warnings", "register_pledge",
    "release_loan_pledges", "release_pledge", "release_pool_allocation",
]


class PledgeError(ValueError):
    """A pledge or pool operation that the registry refuses (bad field, double pledge, unknown number or pool,
    wrong status)."""


class PatentAlreadyPledged(PledgeError):
    """The patent carries an active pledge: ``patent_id``, its current ``pledgee`` and ``registration_no``."""

    def __init__(self, patent_id: str, pledgee: str, registration_no: str) -> None:
        self.patent_id, self.pledgee, self.registration_no = patent_id, pledgee, registration_no
        super().__init__(f"patent {patent_id} is already pledged to {pledgee} under {registration_no} / "
                         f"专利 {patent_id} 已质押给 {pledgee}，登记号 {registration_no}")


# ------------------------------------------------------------------ checks of plain arguments


def _text(value: Any, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PledgeError(f"{field} is required / {field} 不能为空")
    value = value.strip()
    if len(value) > max_len:
        raise PledgeError(f"{field} {value[:40]!r} is longer than {max_len} characters / {field} 过长")
    return value


def _opt_text(value: Any, field: str, max_len: int) -> str | None:
    return None if value is None else _text(value, field, max_len)


def _uscc(value: Any, field: str = "uscc") -> str:
    err = uscc_error(value)
    if err:
        raise PledgeError(f"{field}: {err} / 统一社会信用代码错误")
    assert isinstance(value, str)
    return value


def _day(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise PledgeError(f"{field} {value!r} is not a date / {field} 不是日期")
    if not EARLIEST_YEAR <= value.year <= 9999:
        raise PledgeError(f"{field} {value.isoformat()} is outside {EARLIEST_YEAR}-9999 / {field} 超出范围")
    return value


def _amount(value: Amount | None, field: str, *, positive: bool = False) -> Decimal | None:
    if value is None:
        return None
    try:
        exact = as_decimal(value)
    except ValueError as exc:
        raise PledgeError(f"{field} {value!r} is not an amount / {field} 不是金额") from exc
    if abs(exact) > MAX_AMOUNT:  # checked before rounding: quantize fails beyond 28 digits
        raise PledgeError(f"{field} {value!r} is more than {MAX_AMOUNT:,} / {field} 过大")
    d = money(exact)
    if d < 0 or (positive and d == 0):
        raise PledgeError(f"{field} must be {'more than zero' if positive else 'zero or more'}, not {d} / "
                          f"{field} 必须{'大于' if positive else '不小于'}零")
    return d


def _transfers(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PledgeError(f"transfers {value!r} is not a count (0 or more) / 转让次数错误")
    return value


def _pledge(p: store.Pledge) -> dict[str, Any]:
    return p.as_dict()


# ------------------------------------------------------------------ the registry


def _register(session: Session, patent_id: str, uscc: str, pledgee: str, on: dt.date, secured_amount: Decimal | None,
              loan_id: str | None, value: Decimal | None, transfers: int | None,
              registration_no: str | None) -> dict[str, Any]:
    """Register one pledge (checked arguments). The caller wraps it in a savepoint."""
    # The counter row of the year is taken first: it stays locked until the transaction ends, so the check for an
    # active pledge below sees every pledge committed before (PostgreSQL, READ COMMITTED; SQLite has one writer).
    if registration_no is None:
        registration_no = store.format_registration_no(on.year, store.take_serial(session, on.year))
    else:
        year, serial = store.parse_registration_no(registration_no) or (on.year, 0)
        store.raise_serial(session, year, serial)
        taken = store.get_pledge(session, registration_no)
        if taken is not None:
            raise PledgeError(f"registration number {registration_no} is already used for patent "
                              f"{taken.patent_id} / 登记号 {registration_no} 已被使用")
    existing = store.active_pledge(session, patent_id)
    if existing is not None:
        raise PatentAlreadyPledged(patent_id, existing.pledgee, existing.registration_no)
    try:
        with session.begin_nested():
            pledge = store.add_pledge(session, registration_no=registration_no, patent_id=patent_id, uscc=uscc,
                                      pledgee=pledgee, loan_id=loan_id, secured_amount=secured_amount,
                                      value_at_registration=value, transfers_at_registration=transfers,
                                      registered_on=on)
    except IntegrityError as exc:  # a concurrent writer got there first; say who holds the patent now
        existing = store.active_pledge(session, patent_id)
        if existing is not None:
            raise PatentAlreadyPledged(patent_id, existing.pledgee, existing.registration_no) from exc
        raise PledgeError(f"patent {patent_id} cannot be pledged under {registration_no}: the registry refused "
                          f"the row / 登记失败 ({exc.orig})") from exc
    store.add_event(session, pledge, patent_id, uscc, "registered", on,
                    f"专利权质押登记 {registration_no}，质权人 {pledgee}",
                    f"pledge registered as {registration_no} in favour of {pledgee}")
    session.flush()
    return _pledge(pledge)


def register_pledge(session: Session, *, patent_id: str, uscc: str, pledgee: str, on: dt.date,
                    secured_amount: Amount | None = None, loan_id: str | None = None, value: Amount | None = None,
                    transfers: int | None = None, registration_no: str | None = None) -> dict[str, Any]:
    """Register a pledge of ``patent_id`` (pledgor ``uscc``) in favour of ``pledgee`` on ``on``.

    The number is the next ``Y{year}98{serial}`` of the year of ``on`` unless ``registration_no`` (issued by
    CNIPA) is given. Raises :class:`PatentAlreadyPledged` if the patent has an active pledge."""
    args = (_text(patent_id, "patent_id", 32), _uscc(uscc), _text(pledgee, "pledgee", 64), _day(on, "on"),
            _amount(secured_amount, "secured_amount"), _opt_text(loan_id, "loan_id", 64), _amount(value, "value"),
            _transfers(transfers), _opt_text(registration_no, "registration_no", 20))
    with session.begin_nested():
        return _register(session, *args)


def pledge_loan_patents(session: Session, *, loan_id: str, uscc: str, bank_id: str, patent_ids: list[str],
                        on: dt.date, secured_amount: Amount) -> list[dict[str, Any]]:
    """Pledge every patent of an IP pledge loan to the lending bank, all or nothing (one savepoint).

    Each pledge records the loan id and the loan's whole secured amount (the patents secure the debt jointly).
    A patent with an active pledge anywhere raises :class:`PatentAlreadyPledged` and nothing is registered."""
    loan = _text(loan_id, "loan_id", 64)
    firm, bank, day = _uscc(uscc), _text(bank_id, "bank_id", 64), _day(on, "on")
    amount = _amount(secured_amount, "secured_amount", positive=True)
    if isinstance(patent_ids, str) or not isinstance(patent_ids, (list, tuple)) or not patent_ids:
        raise PledgeError(f"patent_ids: loan {loan} names no patent to pledge / 质押专利清单为空")
    ids = [_text(p, "patent_ids", 32) for p in patent_ids]
    twice = sorted(p for p, n in Counter(ids).items() if n > 1)
    if twice:
        raise PledgeError(f"patent_ids: {', '.join(twice)} listed more than once / 专利重复")
    with session.begin_nested():
        return [_register(session, p, firm, bank, day, amount, loan, None, None, None) for p in ids]


def _close(session: Session, pledge: store.Pledge, on: dt.date, status: str) -> dict[str, Any]:
    """End an active pledge (released or enforced) and record the event; any other state is refused."""
    no = pledge.registration_no
    if pledge.status != "active":
        word = "注销" if status == "released" else "实现质权"
        raise PledgeError(f"pledge {no} is {pledge.status}, not active / 质押登记 {no} 已非有效状态，不能{word}")
    if on < pledge.registered_on:
        raise PledgeError(f"on: {on.isoformat()} is before pledge {no} was registered "
                          f"({pledge.registered_on.isoformat()}) / 日期早于登记日")
    store.set_pledge_status(session, pledge, status, on)
    if status == "released":
        zh, en = f"质押登记 {no} 注销", f"pledge {no} released"
    else:
        zh, en = f"质权人实现质权（{no}）", f"pledgee enforced pledge {no}"
    store.add_event(session, pledge, pledge.patent_id, pledge.uscc, status, on, zh, en)
    session.flush()
    return _pledge(pledge)


def _close_one(session: Session, registration_no: str, on: dt.date, status: str) -> dict[str, Any]:
    no, day = _text(registration_no, "registration_no", 20), _day(on, "on")
    pledge = store.get_pledge(session, no, for_update=True)
    if pledge is None:
        raise PledgeError(f"no pledge with registration number {no} / 无此质押登记号")
    return _close(session, pledge, day, status)


def release_pledge(session: Session, registration_no: str, on: dt.date) -> dict[str, Any]:
    """Release (注销) an active pledge."""
    return _close_one(session, registration_no, on, "released")


def enforce_pledge(session: Session, registration_no: str, on: dt.date) -> dict[str, Any]:
    """Record that the pledgee enforced (实现质权) an active pledge."""
    return _close_one(session, registration_no, on, "enforced")


def _close_loan(session: Session, loan_id: str, on: dt.date, status: str) -> list[dict[str, Any]]:
    loan, day = _text(loan_id, "loan_id", 64), _day(on, "on")
    with session.begin_nested():
        return [_close(session, p, day, status)
                for p in store.list_pledges(session, status="active", loan_id=loan, for_update=True)]


def release_loan_pledges(session: Session, *, loan_id: str, on: dt.date) -> list[dict[str, Any]]:
    """Release every active pledge of a loan (settlement); a loan without active pledges gives ``[]``."""
    return _close_loan(session, loan_id, on, "released")


def enforce_loan_pledges(session: Session, *, loan_id: str, on: dt.date) -> list[dict[str, Any]]:
    """Record enforcement of every active pledge of a loan (write-off); ``[]`` when it has none."""
    return _close_loan(session, loan_id, on, "enforced")


def loan_pledges(session: Session, *, loan_id: str) -> list[dict[str, Any]]:
    """Every pledge of a loan, any status, by registration number."""
    return [_pledge(p) for p in store.list_pledges(session, loan_id=_text(loan_id, "loan_id", 64))]


def list_pledges(session: Session, uscc: str | None = None, status: str | None = None,
                 pledgee: str | None = None, loan_id: str | None = None) -> list[dict[str, Any]]:
    """Pledges by registration number, filtered by pledgor, status, pledgee and loan."""
    if status is not None and status not in PLEDGE_STATUSES:
        raise PledgeError(f"status must be one of {', '.join(PLEDGE_STATUSES)}, not {status!r} / 状态错误")
    return [_pledge(p) for p in store.list_pledges(session, uscc, status, pledgee, loan_id)]


def pledge_events(session: Session, patent_id: str | None = None,
                  kinds: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The registry's events (registered, released, enforced and early warnings) in the order they happened."""
    return [e.as_dict() for e in store.list_events(session, patent_id, kinds)]


def record_warnings(session: Session, warnings: pl.DataFrame | Iterable[dict[str, Any]],
                    on: dt.date) -> list[dict[str, Any]]:
    """Store the warnings of ``innocredit.ip.warnings.pledge_warnings`` as events, once per pledge and kind.
    Returns the events recorded now."""
    day = _day(on, "on")
    rows = warnings.to_dicts() if isinstance(warnings, pl.DataFrame) else list(warnings)
    out = []
    for w in rows:
        pledge = store.get_pledge(session, w["registration_no"])
        pledge_id = pledge.id if pledge else None
        if store.event_seen(session, pledge_id, w["kind"]):
            continue
        out.append(store.add_event(session, pledge, w["patent_id"], w["uscc"], w["kind"], day, w["detail_zh"],
                                   w["detail_en"]))
        session.flush()
    return [e.as_dict() for e in out]


def check_pledges(session: Session, feed: pl.DataFrame, on: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Compare the active pledges with the latest IP-office feed; record the new warnings as events.
    Returns ``{"warnings": every warning, "new_events": the events recorded now}``."""
    day = _day(on, "on")
    warnings = pledge_warnings(store.active_pledges_frame(session), feed, day)
    return {"warnings": warnings.to_dicts(), "new_events": record_warnings(session, warnings, day)}


# ------------------------------------------------------------------ pools


def create_pool(session: Session, *, pool_id: str, name: str, agreement_id: str, on: dt.date,
                patents: list[tuple[str, str]]) -> dict[str, Any]:
    """Create a pool from (patent_id, uscc) pairs. A patent listed twice, already in another pool or carrying an
    active pledge is refused, and nothing is created."""
    pid, title = _text(pool_id, "pool_id", 64), _text(name, "name", 200)
    agr, day = _text(agreement_id, "agreement_id", 64), _day(on, "on")
    if not patents:
        raise PledgeError(f"patents: pool {pid} has no patents / 专利池没有专利")
    pairs = [(_text(p, "patent_id", 32), _uscc(u)) for p, u in patents]
    twice = sorted(p for p, n in Counter(p for p, _ in pairs).items() if n > 1)
    if twice:
        raise PledgeError(f"patents: {', '.join(twice)} listed more than once / 专利重复")
    if store.get_pool(session, pid) is not None:
        raise PledgeError(f"pool {pid} already exists / 专利池已存在")
    ids = [p for p, _ in pairs]
    pooled = store.pools_of_patents(session, ids)
    if pooled:
        patent_id = min(pooled)
        raise PledgeError(f"patent {patent_id} is already in another pool ({pooled[patent_id]}) / "
                          "专利已在其他专利池中")
    for p in ids:
        existing = store.active_pledge(session, p)
        if existing is not None:
            raise PatentAlreadyPledged(p, existing.pledgee, existing.registration_no)
    try:
        with session.begin_nested():
            pool = store.add_pool(session, pid, title, agr, day, pairs)
    except IntegrityError as exc:  # a concurrent pool took a patent
        raise PledgeError(f"pool {pid}: a patent is already in another pool or the pool exists / "
                          f"专利已在其他专利池中 ({exc.orig})") from exc
    return {**pool.as_dict(), "patents": [{"patent_id": p, "uscc": u} for p, u in pairs]}


def _pool(session: Session, pool_id: str) -> store.Pool:
    pid = _text(pool_id, "pool_id", 64)
    pool = store.get_pool(session, pid)
    if pool is None:
        raise PledgeError(f"no pool {pid} / 无此专利池")
    return pool


def list_pools(session: Session) -> list[dict[str, Any]]:
    return [p.as_dict() for p in store.list_pools(session)]


def pool_patents(session: Session, pool_id: str) -> dict[str, Any]:
    """The pool (id, name, agreement_id, created_on) with its ``patents`` as {patent_id, uscc}."""
    pool = _pool(session, pool_id)
    return {**pool.as_dict(),
            "patents": [{"patent_id": p, "uscc": u} for p, u in store.pool_members(session, pool.id)]}


def pool_overview(session: Session, pool_id: str, bank_id: str | None = None) -> dict[str, Any]:
    """:func:`pool_patents` plus the ``members`` (firms), the loans drawn on the pool (``allocations``; only
    ``bank_id``'s when given) and ``allocated`` (the amount of those still active)."""
    out = pool_patents(session, pool_id)
    allocs = [a.as_dict() for a in store.list_allocations(session, pool_id=out["id"], bank_id=bank_id)]
    return {**out, "members": sorted({p["uscc"] for p in out["patents"]}), "allocations": allocs,
            "allocated": sum((a["amount"] for a in allocs if a["released_on"] is None), Decimal("0.00"))}


def allocate_pool(session: Session, *, pool_id: str, loan_id: str, bank_id: str, uscc: str, amount: Amount,
                  on: dt.date) -> dict[str, Any]:
    """Record a patent-pool loan's draw on its pool: the firm must be a member; one allocation per loan."""
    pool = _pool(session, pool_id)
    loan, bank, firm = _text(loan_id, "loan_id", 64), _text(bank_id, "bank_id", 64), _uscc(uscc)
    value, day = _amount(amount, "amount", positive=True), _day(on, "on")
    assert value is not None
    if firm not in {u for _, u in store.pool_members(session, pool.id)}:
        raise PledgeError(f"uscc: firm {firm} is not a member of pool {pool.id} / 该企业不是专利池成员")
    if day < pool.created_on:
        raise PledgeError(f"on: {day.isoformat()} is before pool {pool.id} was created "
                          f"({pool.created_on.isoformat()}) / 日期早于专利池设立日")
    if store.list_allocations(session, loan_id=loan):
        raise PledgeError(f"loan {loan} already has a pool allocation / 该贷款已登记专利池额度")
    try:
        with session.begin_nested():
            alloc = store.add_allocation(session, pool_id=pool.id, loan_id=loan, bank_id=bank, uscc=firm,
                                         amount=value, allocated_on=day)
    except IntegrityError as exc:  # a concurrent call for the same loan
        raise PledgeError(f"loan {loan} already has a pool allocation / 该贷款已登记专利池额度") from exc
    return alloc.as_dict()


def release_pool_allocation(session: Session, *, loan_id: str, on: dt.date) -> list[dict[str, Any]]:
    """End the loan's active pool allocation (settlement or write-off); ``[]`` when it has none."""
    loan, day = _text(loan_id, "loan_id", 64), _day(on, "on")
    out = []
    for a in store.list_allocations(session, loan_id=loan, active=True, for_update=True):
        if day < a.allocated_on:
            raise PledgeError(f"on: {day.isoformat()} is before loan {loan}'s allocation "
                              f"({a.allocated_on.isoformat()}) / 日期早于额度登记日")
        a.released_on = day
        out.append(a.as_dict())
    session.flush()
    return out
