"""Issue 14, item 9: pledges registered at the same moment, on PostgreSQL, each thread in its own transaction.

Registration numbers used to be ``max + 1`` over the existing numbers: of 8 simultaneous pledges of *different*
patents, 6 were refused on the duplicate number. They now come from a per-year counter row drawn with one
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` that stays locked to the end of the transaction."""

import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from innocredit.ip.records import make_application_number
from innocredit.profile.uscc import make_uscc
from innocredit.services.ip import (
    PatentAlreadyPledged,
    PledgeError,
    allocate_pool,
    create_pool,
    list_pledges,
    pledge_loan_patents,
    pool_overview,
    register_pledge,
    release_pledge,
)
from innocredit.storage.base import unit_of_work
from innocredit.storage.ip import counters

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)

N = 8
A = make_uscc("91330100MA2A00001")
DAY = dt.date(2026, 5, 6)
PATENTS = [make_application_number(2022, 1, 500 + i) for i in range(N + 1)]


def _at_once(engine: Any, work: Callable[[Any, int], Any]) -> list[Any]:
    """Run ``work(session, i)`` in N threads released together, each in its own unit of work (committed at the
    end). Returns each thread's result or the exception it raised."""
    start = threading.Barrier(N)
    results: list[Any] = [None] * N

    def run(i: int) -> None:
        start.wait()
        try:
            with unit_of_work(engine) as s:
                results[i] = work(s, i)
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return results


def test_eight_different_patents_at_once_all_succeed_with_distinct_numbers(engine):
    results = _at_once(engine, lambda s, i: register_pledge(s, patent_id=PATENTS[i], uscc=A, pledgee=f"bank-{i}",
                                                            on=DAY, secured_amount=Decimal("100000")))
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    numbers = sorted(r["registration_no"] for r in results)
    assert numbers == [f"Y202698{n:07d}" for n in range(1, N + 1)]  # distinct, and no gaps
    with unit_of_work(engine) as s:
        assert len(list_pledges(s, status="active")) == N
        assert counters(s) == {2026: N}


def test_eight_banks_pledging_the_same_patent_exactly_one_wins(engine):
    results = _at_once(engine, lambda s, i: register_pledge(s, patent_id=PATENTS[0], uscc=A, pledgee=f"bank-{i}",
                                                            on=DAY))
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == N - 1
    winner = won[0]
    assert winner["registration_no"] == "Y2026980000001"
    # every loser is told who holds the patent and under which number
    assert all(isinstance(e, PatentAlreadyPledged) for e in lost), [repr(e) for e in lost]
    assert {(e.patent_id, e.pledgee, e.registration_no) for e in lost} == {
        (PATENTS[0], winner["pledgee"], winner["registration_no"])}
    with unit_of_work(engine) as s:
        assert [p["pledgee"] for p in list_pledges(s)] == [winner["pledgee"]]
        assert counters(s) == {2026: 1}  # the refused transactions gave their serials back


def test_loans_sharing_one_patent_exactly_one_contract_pledges_and_the_others_nothing(engine):
    shared = PATENTS[N]
    results = _at_once(engine, lambda s, i: pledge_loan_patents(
        s, loan_id=f"L-{i}", uscc=A, bank_id=f"bank-{i}", patent_ids=[PATENTS[i], shared], on=DAY,
        secured_amount=Decimal("250000")))
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and all(isinstance(e, PatentAlreadyPledged) and e.patent_id == shared for e in lost)
    with unit_of_work(engine) as s:
        rows = list_pledges(s)
    assert len(rows) == 2 and {p["loan_id"] for p in rows} == {won[0][0]["loan_id"]}
    assert sorted(p["registration_no"] for p in rows) == ["Y2026980000001", "Y2026980000002"]


def test_releasing_the_same_pledge_at_once_releases_it_once(engine):
    with unit_of_work(engine) as s:
        no = register_pledge(s, patent_id=PATENTS[0], uscc=A, pledgee="bank-a", on=DAY)["registration_no"]
    results = _at_once(engine, lambda s, i: release_pledge(s, no, DAY + dt.timedelta(days=30 + i)))
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == N - 1
    assert all(isinstance(e, PledgeError) and "not active" in str(e) for e in lost), [repr(e) for e in lost]
    with unit_of_work(engine) as s:
        (row,) = list_pledges(s)
    assert (row["status"], row["released_on"]) == ("released", won[0]["released_on"])


def test_one_pool_allocation_per_loan_at_once(engine):
    with unit_of_work(engine) as s:
        create_pool(s, pool_id="pool-1", name="Pool", agreement_id="default", on=DAY,
                    patents=[(PATENTS[0], A)])
    results = _at_once(engine, lambda s, i: allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a",
                                                          uscc=A, amount=Decimal(1000 + i), on=DAY))
    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and all(isinstance(e, PledgeError) and "already has a pool allocation" in str(e)
                                 for e in lost), [repr(e) for e in lost]
    with unit_of_work(engine) as s:
        o = pool_overview(s, "pool-1")
    assert [a["amount"] for a in o["allocations"]] == [won[0]["amount"]] and o["allocated"] == won[0]["amount"]
