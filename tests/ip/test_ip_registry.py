"""The pledge registry on SQLite and PostgreSQL: the database refuses a second active pledge."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from innocredit.ip.warnings import pledge_warnings
from innocredit.services.ip import (
    PledgeError,
    create_pool,
    enforce_pledge,
    list_pledges,
    pledge_events,
    pool_patents,
    record_warnings,
    register_pledge,
    release_pledge,
)
from innocredit.storage.base import unit_of_work
from innocredit.storage.ip import Pledge, active_pledges_frame

P1, P2 = "CN202110123456.7", "CN202110123450.X"
A = "913301000000000009"
DAY = dt.date(2026, 3, 1)


def test_register_numbers_and_double_pledge_refused(engine):
    with unit_of_work(engine) as s:
        p = register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-a", on=DAY, secured_amount=Decimal("500000.00"))
        q = register_pledge(s, patent_id=P2, uscc=A, pledgee="bank-a", on=DAY)
        assert (p["registration_no"], q["registration_no"]) == ("Y2026980000001", "Y2026980000002")
        assert p["secured_amount"] == Decimal("500000.00") and q["secured_amount"] is None
    with unit_of_work(engine) as s, pytest.raises(PledgeError, match="already pledged"):
        register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-b", on=DAY)
    with unit_of_work(engine) as s:
        assert [p["pledgee"] for p in list_pledges(s, status="active")] == ["bank-a", "bank-a"]


def test_database_itself_refuses_a_second_active_pledge(engine):
    with unit_of_work(engine) as s:
        register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-a", on=DAY)
    # bypass the Python check: a plain INSERT must fail on the partial unique index
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO ip_pledges (registration_no, patent_id, uscc, pledgee, status, registered_on) "
                          "VALUES ('Y2026980000099', :p, :u, 'bank-b', 'active', :d)"), {"p": P1, "u": A, "d": DAY})
    # and through the ORM
    with pytest.raises(IntegrityError), unit_of_work(engine) as s:
        s.add(Pledge(registration_no="Y2026980000098", patent_id=P1, uscc=A, pledgee="bank-c", status="active",
                     registered_on=DAY))
        s.flush()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ip_pledges WHERE patent_id = :p"), {"p": P1}).scalar() == 1


def test_release_then_pledge_again_and_enforce(engine):
    with unit_of_work(engine) as s:
        first = register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-a", on=DAY)["registration_no"]
    with unit_of_work(engine) as s:
        release_pledge(s, first, dt.date(2026, 9, 1))
        with pytest.raises(PledgeError, match="not active"):
            release_pledge(s, first, dt.date(2026, 9, 2))
    with unit_of_work(engine) as s:  # released rows do not block a new pledge
        second = register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-b", on=dt.date(2027, 1, 5))
        assert second["registration_no"] == "Y2027980000001"
        enforce_pledge(s, second["registration_no"], dt.date(2027, 6, 1))
    with unit_of_work(engine) as s:
        assert [p["status"] for p in list_pledges(s)] == ["released", "enforced"]
        assert [e["kind"] for e in pledge_events(s, P1)] == ["registered", "released", "registered", "enforced"]


def test_early_warnings_become_events(engine):
    with unit_of_work(engine) as s:
        register_pledge(s, patent_id=P1, uscc=A, pledgee="bank-a", on=DAY, transfers=0)
        register_pledge(s, patent_id=P2, uscc=A, pledgee="bank-a", on=DAY, transfers=0)
    feed = pl.DataFrame({"patent_id": [P1, P2], "uscc": [A, A], "status": ["lapsed", "granted"],
                         "kind": ["invention", "invention"], "filing_date": [dt.date(2021, 1, 4)] * 2,
                         "transfers": [0, 1]})
    with unit_of_work(engine) as s:
        w = pledge_warnings(active_pledges_frame(s), feed, dt.date(2026, 7, 1))
        assert sorted(zip(w["patent_id"], w["kind"])) == sorted([(P1, "lapse"), (P2, "transfer_attempt")])
        assert len(record_warnings(s, w, dt.date(2026, 7, 1))) == 2
    with unit_of_work(engine) as s:  # recorded once only
        assert record_warnings(s, w, dt.date(2026, 7, 2)) == []
        assert {e["kind"] for e in pledge_events(s, kinds=("lapse", "transfer_attempt"))} == {"lapse",
                                                                                            "transfer_attempt"}


def test_pool_membership_is_unique(engine):
    with unit_of_work(engine) as s:
        create_pool(s, pool_id="pool-1", name="Pool one", agreement_id="default", on=DAY, patents=[(P1, A), (P2, A)])
    with unit_of_work(engine) as s, pytest.raises(PledgeError, match="another pool"):
        create_pool(s, pool_id="pool-2", name="Pool two", agreement_id="default", on=DAY, patents=[(P1, A)])
    with unit_of_work(engine) as s:
        pool = pool_patents(s, "pool-1")
        assert pool["agreement_id"] == "default"
        assert sorted(p["patent_id"] for p in pool["patents"]) == sorted([P1, P2])
        with pytest.raises(PledgeError, match="no pool"):
            pool_patents(s, "pool-2")
