"""services/ip.py on SQLite and PostgreSQL: the lending joins, refusals that name the field or the holder, pool
allocations, the registration counter and the migration that carries existing numbers into it."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from innocredit.ip.records import make_application_number
from innocredit.profile.uscc import make_uscc
from innocredit.services.ip import (
    PatentAlreadyPledged,
    PledgeError,
    allocate_pool,
    create_pool,
    enforce_loan_pledges,
    list_pledges,
    loan_pledges,
    pledge_events,
    pledge_loan_patents,
    pool_overview,
    register_pledge,
    release_loan_pledges,
    release_pledge,
    release_pool_allocation,
)
from innocredit.storage.base import make_engine, unit_of_work
from innocredit.storage.ip import counters
from innocredit.storage.migrate import upgrade

A, B = make_uscc("91330100MA2A00001"), make_uscc("91330100MA2A00002")
P = [make_application_number(2021, 1, 100 + i) for i in range(6)]
DAY = dt.date(2026, 3, 2)


def test_loan_pledges_every_patent_to_the_bank(engine):
    with unit_of_work(engine) as s:
        out = pledge_loan_patents(s, loan_id="L-1", uscc=A, bank_id="bank-a", patent_ids=[P[0], P[1]], on=DAY,
                                  secured_amount="1000000.005")
    assert [p["registration_no"] for p in out] == ["Y2026980000001", "Y2026980000002"]
    assert {(p["patent_id"], p["pledgee"], p["loan_id"], p["uscc"]) for p in out} == {
        (P[0], "bank-a", "L-1", A), (P[1], "bank-a", "L-1", A)}
    # each pledge carries the loan's whole secured amount, rounded half-up to the fen
    assert [p["secured_amount"] for p in out] == [Decimal("1000000.01")] * 2
    with unit_of_work(engine) as s:
        assert [p["registration_no"] for p in loan_pledges(s, loan_id="L-1")] == ["Y2026980000001",
                                                                                 "Y2026980000002"]
        assert [e["kind"] for e in pledge_events(s, P[0])] == ["registered"]


def test_second_bank_refused_with_the_holder_named_and_nothing_registered(engine):
    with unit_of_work(engine) as s:
        pledge_loan_patents(s, loan_id="L-1", uscc=A, bank_id="bank-a", patent_ids=[P[0]], on=DAY,
                            secured_amount=Decimal("500000"))
    with pytest.raises(PatentAlreadyPledged) as err, unit_of_work(engine) as s:
        # P[2] is free and comes first: it must not stay registered when P[0] is refused
        pledge_loan_patents(s, loan_id="L-2", uscc=A, bank_id="bank-b", patent_ids=[P[2], P[0]], on=DAY,
                            secured_amount=Decimal("300000"))
    e = err.value
    assert (e.patent_id, e.pledgee, e.registration_no) == (P[0], "bank-a", "Y2026980000001")
    assert P[0] in str(e) and "bank-a" in str(e) and "Y2026980000001" in str(e)
    assert isinstance(e, PledgeError) and isinstance(e, ValueError)
    with unit_of_work(engine) as s:
        assert [p["patent_id"] for p in list_pledges(s)] == [P[0]]
        assert loan_pledges(s, loan_id="L-2") == []
        # the refused call gave its serials back: the next number follows the last one issued
        nxt = register_pledge(s, patent_id=P[2], uscc=A, pledgee="bank-b", on=DAY)
    assert nxt["registration_no"] == "Y2026980000002"


def test_refusal_inside_the_callers_transaction_keeps_earlier_work(engine):
    """The lead's contract step runs in one transaction: a refused pledge rolls back only its savepoint."""
    with unit_of_work(engine) as s:
        pledge_loan_patents(s, loan_id="L-1", uscc=A, bank_id="bank-a", patent_ids=[P[0]], on=DAY,
                            secured_amount=1)
    with unit_of_work(engine) as s:
        register_pledge(s, patent_id=P[3], uscc=A, pledgee="bank-c", on=DAY)
        with pytest.raises(PatentAlreadyPledged):
            pledge_loan_patents(s, loan_id="L-2", uscc=A, bank_id="bank-b", patent_ids=[P[4], P[0]], on=DAY,
                                secured_amount=1)
    with unit_of_work(engine) as s:
        assert sorted(p["patent_id"] for p in list_pledges(s)) == sorted([P[0], P[3]])


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"patent_ids": []}, "patent_ids"),
    ({"patent_ids": [P[0], P[1], P[0]]}, "patent_ids"),
    ({"patent_ids": [""]}, "patent_ids"),
    ({"uscc": "913301000000000000"}, "uscc"),
    ({"bank_id": " "}, "bank_id"),
    ({"loan_id": None}, "loan_id"),
    ({"on": dt.date(1, 1, 1)}, "on"),
    ({"on": "2026-03-02"}, "on"),
    ({"secured_amount": "abc"}, "secured_amount"),
    ({"secured_amount": float("nan")}, "secured_amount"),
    ({"secured_amount": "-1"}, "secured_amount"),
    ({"secured_amount": 0}, "secured_amount"),
    ({"secured_amount": "1e30"}, "secured_amount"),
])
def test_bad_arguments_name_the_field(sqlite_engine, kwargs, field):
    args = {"loan_id": "L-1", "uscc": A, "bank_id": "bank-a", "patent_ids": [P[0], P[1]], "on": DAY,
            "secured_amount": Decimal("1000"), **kwargs}
    with unit_of_work(sqlite_engine) as s:
        with pytest.raises(PledgeError, match=field):
            pledge_loan_patents(s, **args)
        assert list_pledges(s) == []


def test_release_and_enforce_a_loans_pledges(engine):
    with unit_of_work(engine) as s:
        pledge_loan_patents(s, loan_id="L-1", uscc=A, bank_id="bank-a", patent_ids=[P[0], P[1]], on=DAY,
                            secured_amount=100)
        pledge_loan_patents(s, loan_id="L-2", uscc=B, bank_id="bank-b", patent_ids=[P[2]], on=DAY,
                            secured_amount=100)
        release_pledge(s, "Y2026980000002", dt.date(2026, 4, 1))  # one of L-1's released by hand first
    with unit_of_work(engine) as s:
        with pytest.raises(PledgeError, match="before pledge Y2026980000001 was registered"):
            release_loan_pledges(s, loan_id="L-1", on=dt.date(2026, 3, 1))
        done = release_loan_pledges(s, loan_id="L-1", on=dt.date(2026, 9, 30))
        assert [(p["registration_no"], p["status"], p["released_on"]) for p in done] == [
            ("Y2026980000001", "released", dt.date(2026, 9, 30))]
        assert release_loan_pledges(s, loan_id="L-1", on=dt.date(2026, 10, 1)) == []
        assert release_loan_pledges(s, loan_id="L-none", on=dt.date(2026, 10, 1)) == []
        enforced = enforce_loan_pledges(s, loan_id="L-2", on=dt.date(2027, 1, 15))
        assert [(p["patent_id"], p["status"]) for p in enforced] == [(P[2], "enforced")]
    with unit_of_work(engine) as s:
        assert [(p["registration_no"], p["status"]) for p in loan_pledges(s, loan_id="L-1")] == [
            ("Y2026980000001", "released"), ("Y2026980000002", "released")]
        assert [e["kind"] for e in pledge_events(s, P[2])] == ["registered", "enforced"]
        # a released patent can be pledged again by another bank
        again = pledge_loan_patents(s, loan_id="L-3", uscc=A, bank_id="bank-c", patent_ids=[P[0]],
                                    on=dt.date(2026, 10, 8), secured_amount=100)
        assert again[0]["registration_no"] == "Y2026980000004"


def test_a_number_issued_elsewhere_moves_the_counter(engine):
    with unit_of_work(engine) as s:
        register_pledge(s, patent_id=P[0], uscc=A, pledgee="bank-a", on=DAY, registration_no="Y2026980000010")
        assert register_pledge(s, patent_id=P[1], uscc=A, pledgee="bank-a", on=DAY)["registration_no"] == \
            "Y2026980000011"
        # a lower number does not move it back; a number in another pattern leaves it alone
        register_pledge(s, patent_id=P[2], uscc=A, pledgee="bank-a", on=DAY, registration_no="Y2026980000004")
        register_pledge(s, patent_id=P[3], uscc=A, pledgee="bank-a", on=DAY, registration_no="ZL-2026-77")
        assert register_pledge(s, patent_id=P[4], uscc=A, pledgee="bank-a", on=DAY)["registration_no"] == \
            "Y2026980000012"
        assert counters(s) == {2026: 12}
        with pytest.raises(PledgeError, match=f"Y2026980000010 is already used for patent {P[0]}"):
            register_pledge(s, patent_id=P[5], uscc=A, pledgee="bank-a", on=DAY, registration_no="Y2026980000010")


def test_pool_allocation_recorded_and_released(engine):
    with unit_of_work(engine) as s:
        create_pool(s, pool_id="pool-1", name="Pool one", agreement_id="default", on=DAY,
                    patents=[(P[0], A), (P[1], B)])
    with unit_of_work(engine) as s:
        with pytest.raises(PledgeError, match="no pool pool-9"):
            allocate_pool(s, pool_id="pool-9", loan_id="L-1", bank_id="bank-a", uscc=A, amount=1, on=DAY)
        with pytest.raises(PledgeError, match="not a member of pool pool-1"):
            allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a", uscc=make_uscc("91330100MA2A0000"
                                                                                              "3"),
                          amount=1, on=DAY)
        with pytest.raises(PledgeError, match="amount"):
            allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a", uscc=A, amount="-5", on=DAY)
        with pytest.raises(PledgeError, match="before pool pool-1 was created"):
            allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a", uscc=A, amount=1,
                          on=dt.date(2026, 1, 1))
        a = allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a", uscc=A, amount="300000.125",
                          on=dt.date(2026, 4, 1))
        assert (a["amount"], a["status"], a["released_on"]) == (Decimal("300000.13"), "active", None)
        allocate_pool(s, pool_id="pool-1", loan_id="L-2", bank_id="bank-b", uscc=B, amount=200000,
                      on=dt.date(2026, 4, 2))
        with pytest.raises(PledgeError, match="loan L-1 already has a pool allocation"):
            allocate_pool(s, pool_id="pool-1", loan_id="L-1", bank_id="bank-a", uscc=A, amount=1, on=DAY)
    with unit_of_work(engine) as s:
        o = pool_overview(s, "pool-1")
        assert o["members"] == sorted([A, B]) and [p["patent_id"] for p in o["patents"]] == sorted([P[0], P[1]])
        assert [x["loan_id"] for x in o["allocations"]] == ["L-1", "L-2"]
        assert o["allocated"] == Decimal("500000.13")  # 300,000.13 + 200,000.00
        assert [x["loan_id"] for x in pool_overview(s, "pool-1", bank_id="bank-b")["allocations"]] == ["L-2"]
        done = release_pool_allocation(s, loan_id="L-1", on=dt.date(2027, 4, 1))
        assert [(x["loan_id"], x["status"], x["released_on"]) for x in done] == [
            ("L-1", "released", dt.date(2027, 4, 1))]
        assert release_pool_allocation(s, loan_id="L-1", on=dt.date(2027, 4, 2)) == []
    with unit_of_work(engine) as s:
        assert pool_overview(s, "pool-1")["allocated"] == Decimal("200000.00")


def test_pool_refuses_pledged_and_repeated_patents(engine):
    with unit_of_work(engine) as s:
        register_pledge(s, patent_id=P[0], uscc=A, pledgee="bank-a", on=DAY)
    with unit_of_work(engine) as s:
        with pytest.raises(PatentAlreadyPledged, match=f"{P[0]} is already pledged to bank-a"):
            create_pool(s, pool_id="pool-1", name="Pool", agreement_id="default", on=DAY,
                        patents=[(P[1], A), (P[0], A)])
        with pytest.raises(PledgeError, match=f"{P[1]} listed more than once"):
            create_pool(s, pool_id="pool-1", name="Pool", agreement_id="default", on=DAY,
                        patents=[(P[1], A), (P[1], A)])
        with pytest.raises(PledgeError, match="patents: pool pool-1 has no patents"):
            create_pool(s, pool_id="pool-1", name="Pool", agreement_id="default", on=DAY, patents=[])
        with pytest.raises(PledgeError, match="no pool pool-1"):
            pool_overview(s, "pool-1")


def test_migration_carries_the_highest_serial_of_each_year(db_url):
    eng = make_engine(db_url)
    try:
        upgrade(eng, "ip_0001")
        rows = [("Y2025980000007", P[0], "released"), ("Y2026980000003", P[1], "active"),
                ("Y2026980000012", P[2], "active"), ("ZL-OTHER-1", P[3], "active")]
        with eng.begin() as conn:
            for no, patent, status in rows:
                conn.execute(text("INSERT INTO ip_pledges (registration_no, patent_id, uscc, pledgee, status, "
                                  "registered_on) VALUES (:n, :p, :u, 'bank-a', :s, :d)"),
                             {"n": no, "p": patent, "u": A, "s": status, "d": DAY})
        upgrade(eng)
        with unit_of_work(eng) as s:
            assert counters(s) == {2025: 7, 2026: 12}
            assert register_pledge(s, patent_id=P[4], uscc=A, pledgee="bank-b", on=DAY)["registration_no"] == \
                "Y2026980000013"
            assert register_pledge(s, patent_id=P[5], uscc=A, pledgee="bank-b",
                                   on=dt.date(2027, 1, 4))["registration_no"] == "Y2027980000001"
    finally:
        eng.dispose()
