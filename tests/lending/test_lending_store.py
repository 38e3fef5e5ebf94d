"""The lending store on SQLite and PostgreSQL: lifecycle, four-eyes, SLA, bank isolation, audit chain."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from innocredit.lending.lifecycle import LifecycleError
from innocredit.lending.schema import load_policy
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending as svc
from innocredit.storage.base import UnitOfWork
from innocredit.storage.core import Organisation

USCC = make_uscc("91330106MA2AAAAA0")
POLICY = load_policy(env={})  # SLA 3 working days, second approver above 5,000,000
MON = dt.date(2025, 3, 3)


def _approved(session, amount=1_000_000, bank="bank_a"):
    app = svc.apply(session, bank_id=bank, uscc=USCC, product_id="new_quality_credit", amount=amount,
                    term_months=12, actor="officer", on=MON, policy=POLICY)
    svc.review(session, bank, app["id"], "reviewer1")
    return svc.approve(session, bank, app["id"], "approver1", on=MON, policy=POLICY)


def test_full_lifecycle_and_audit_chain(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="new_quality_credit", amount="1200000",
                        term_months=12, actor="officer", on=MON, policy=POLICY)
        assert app["status"] == "submitted" and app["sla_due_on"] == dt.date(2025, 3, 6)
        svc.record_offer(s, "bank_a", app["id"], limit=1_500_000, term_months=12, rate="0.035", pd_grade="G2")
        svc.review(s, "bank_a", app["id"], "reviewer1")
        decided = svc.approve(s, "bank_a", app["id"], "approver1", on=dt.date(2025, 3, 5), policy=POLICY)
        assert decided["status"] == "approved" and decided["sla_breached"] is False
        loan = svc.contract(s, "bank_a", app["id"], "officer", rate="0.035", on=dt.date(2025, 3, 10))
        assert loan["status"] == "contracted" and loan["principal"] == Decimal("1200000.00")
        loan = svc.disburse(s, "bank_a", loan["id"], "officer", on=dt.date(2025, 3, 10))
        assert loan["status"] == "active" and loan["outstanding"] == Decimal("1200000.00")
        rows = svc.schedule(s, "bank_a", loan["id"])
        assert len(rows) == 12 and rows[0]["due_date"] == dt.date(2025, 4, 10)
        assert sum(r["principal"] for r in rows) == Decimal("1200000.00")
        total = sum(r["payment"] for r in rows)
        loan = svc.repay(s, "bank_a", loan["id"], rows[0]["payment"], "officer", on=dt.date(2025, 4, 10))
        assert loan["outstanding"] == Decimal("1200000.00") - rows[0]["principal"]
        loan = svc.repay(s, "bank_a", loan["id"], total - rows[0]["payment"], "officer", on=dt.date(2025, 5, 1))
        assert loan["status"] == "repaid" and loan["outstanding"] == 0
        svc.close(s, "bank_a", loan["id"], "officer")
    with UnitOfWork(engine) as uow:
        entries = svc.audit_entries(uow.session, "bank_a")
        actions = [e["action"] for e in entries]
        assert actions == ["create", "submit", "start_review", "approve", "contract", "contract", "disburse",
                           "repayment", "repayment", "repay_in_full", "close"]
        assert [e["seq"] for e in entries] == list(range(1, 12))
        assert svc.verify_audit_chain(uow.session).ok


def test_tampered_audit_entry_is_detected(engine):
    with UnitOfWork(engine) as uow:
        _approved(uow.session)
    with UnitOfWork(engine) as uow:
        assert svc.verify_audit_chain(uow.session).ok
    # an edit made behind the repository's back (it has no update function)
    with engine.begin() as conn:
        conn.execute(text("UPDATE lending_audit_log SET actor = 'mallory' WHERE seq = 3"))
    with UnitOfWork(engine) as uow:
        check = svc.verify_audit_chain(uow.session)
    assert not check.ok and check.first_bad_seq == 3
    assert not hasattr(svc, "update_audit_entry") and not hasattr(svc, "delete_audit_entry")


def test_four_eyes_and_second_approver(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="guaranteed_tech_loan", amount=6_000_000,
                        term_months=12, actor="officer", on=MON, policy=POLICY)
        svc.review(s, "bank_a", app["id"], "rev")
        with pytest.raises(LifecycleError, match="cannot also approve"):
            svc.approve(s, "bank_a", app["id"], "rev", policy=POLICY)
        first = svc.approve(s, "bank_a", app["id"], "boss1", on=MON, policy=POLICY)
        assert first["status"] == "under_review" and first["approver1"] == "boss1"  # 6M > 5M: needs two
        with pytest.raises(LifecycleError, match="second approver"):
            svc.approve(s, "bank_a", app["id"], "boss1", policy=POLICY)
        final = svc.approve(s, "bank_a", app["id"], "boss2", on=MON, policy=POLICY)
        assert final["status"] == "approved" and final["approver2"] == "boss2"
        assert [e["action"] for e in svc.audit_entries(s, subject_id=app["id"])][-2:] == ["first_approval", "approve"]


def test_sla_breach_flagged(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        late = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=500_000, term_months=12,
                         actor="officer", on=MON, policy=POLICY)
        svc.review(s, "bank_a", late["id"], "rev")
        # due Thursday 6 March; decided Friday 7 March -> breached
        done = svc.reject(s, "bank_a", late["id"], "rev", "insufficient data", on=dt.date(2025, 3, 7), policy=POLICY)
        assert done["status"] == "rejected" and done["sla_breached"] is True
        waiting = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=500_000,
                            term_months=12, actor="officer", on=dt.date(2025, 3, 5), policy=POLICY)
        ontime = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=500_000,
                           term_months=12, actor="officer", on=dt.date(2025, 3, 10), policy=POLICY)
        breaches = {a["id"] for a in svc.sla_breaches(s, "bank_a", today=dt.date(2025, 3, 11))}
        # waiting: submitted Wed 5 March, due Mon 10 March, undecided on the 11th -> breached
        assert breaches == {late["id"], waiting["id"]}
        assert ontime["id"] not in breaches


def test_bank_sees_only_its_own(engine):
    with UnitOfWork(engine) as uow:
        app = _approved(uow.session, bank="bank_a")
        loan = svc.contract(uow.session, "bank_a", app["id"], "officer", rate="0.035", on=MON)
    with UnitOfWork(engine) as uow:
        assert [x["id"] for x in svc.list_loans(uow.session, "bank_a")] == [loan["id"]]
        assert svc.list_loans(uow.session, "bank_b") == []
        assert svc.list_applications(uow.session, "bank_b") == []
        with pytest.raises(svc.NotFound):
            svc.get_loan(uow.session, "bank_b", loan["id"])
        with pytest.raises(svc.NotFound):
            svc.disburse(uow.session, "bank_b", loan["id"], "intruder")
        assert svc.get_loan(uow.session, "bank_a", loan["id"])["status"] == "contracted"


def test_illegal_transitions_refused_in_store(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=500_000, term_months=12,
                        actor="officer", on=MON, policy=POLICY)
        with pytest.raises(LifecycleError):
            svc.approve(s, "bank_a", app["id"], "boss", policy=POLICY)  # not under review yet
        with pytest.raises(LifecycleError):
            svc.contract(s, "bank_a", app["id"], "officer", rate="0.035")
        svc.withdraw(s, "bank_a", app["id"], "officer")
        with pytest.raises(LifecycleError):
            svc.review(s, "bank_a", app["id"], "rev")
        with pytest.raises(ValueError, match="uscc"):
            svc.apply(s, bank_id="bank_a", uscc="123", product_id="talent_loan", amount=1, term_months=12,
                      actor="o")
        with pytest.raises(ValueError, match="outside"):
            svc.apply(s, bank_id="bank_a", uscc=USCC, product_id="talent_loan", amount=1, term_months=120,
                      actor="o")


def test_overdue_default_and_loss_split(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        for oid in ("guar-a", "guar-b"):
            s.add(Organisation(id=oid, kind="guarantor", name_zh=oid, name_en=oid))
        s.add(Organisation(id="bank_a", kind="bank", name_zh="A", name_en="A"))
        app = _approved(s, amount=1_000_000)
        with pytest.raises(ValueError, match="guarantor_org_id"):  # two guarantors: the contract must name one
            svc.contract(s, "bank_a", app["id"], "officer", rate="0.036", guarantee_scheme="anhui_4321", on=MON)
        with pytest.raises(ValueError, match="not a registered guarantor"):
            svc.contract(s, "bank_a", app["id"], "officer", rate="0.036", guarantee_scheme="anhui_4321",
                         guarantor_org_id="bank_a", on=MON)
        with pytest.raises(LifecycleError, match="no approved guarantee request"):  # the guarantor decides first
            svc.contract(s, "bank_a", app["id"], "officer", rate="0.036", guarantee_scheme="anhui_4321",
                         guarantor_org_id="guar-b", on=MON)
        req = svc.request_guarantee(s, "bank_a", app["id"], "officer", scheme_id="anhui_4321",
                                    guarantor_org_id="guar-b", on=MON)
        svc.decide_guarantee(s, "guar-b", req["id"], "guarantor-user", decision="approve", fee_rate="0.01", on=MON)
        loan = svc.contract(s, "bank_a", app["id"], "officer", rate="0.036", method="interest_only",
                            guarantee_scheme="anhui_4321", pool_scheme="tech_risk_pool", guarantor_org_id="guar-b",
                            on=MON)
        orgs = {g["party_id"]: g["org_id"] for g in svc.guarantees(s, "bank_a", loan["id"])}
        assert orgs == {"guarantor": "guar-b", "bank": "bank_a", "provincial_reguarantor": None,
                        "local_government": None}
        fees = {g["party_id"]: g["fee"] for g in svc.guarantees(s, "bank_a", loan["id"])}
        # guarantee fee on the guaranteed amount (the whole principal): 1,000,000 x 1% x 12/12 = 10,000;
        # re-guarantee on the re-guarantor's share: 1,000,000 x 30% x 0.3% = 900; bank and government pay no fee
        assert fees == {"guarantor": Decimal("10000.00"), "provincial_reguarantor": Decimal("900.00"),
                        "bank": Decimal("0.00"), "local_government": Decimal("0.00")}
        svc.disburse(s, "bank_a", loan["id"], "officer", on=MON)
        with pytest.raises(LifecycleError):
            svc.default(s, "bank_a", loan["id"], "officer")  # active, not overdue
        # first instalment due 3 April 2025 unpaid; on 5 May: 32 days past due
        [row] = svc.update_delinquency(s, "bank_a", dt.date(2025, 5, 5))
        assert row["status"] == "overdue" and row["days_past_due"] == 32 and row["dpd_bucket"] == "dpd_31_60"
        res = svc.default(s, "bank_a", loan["id"], "officer", on=dt.date(2025, 7, 10))
        alloc = {a["party_id"]: a["amount"] for a in res["allocation"]}
        # 4321 on 1,000,000: 400k / 300k / 200k / 100k; the pool pays min(30% x 1M, 80% x bank's 200k) = 160k
        assert alloc == {"guarantor": Decimal("400000.00"), "provincial_reguarantor": Decimal("300000.00"),
                         "bank": Decimal("40000.00"), "local_government": Decimal("100000.00"),
                         "tech_risk_pool": Decimal("160000.00")}
        stored = svc.loss_allocations(s, "bank_a", loan["id"])
        assert sum(a["amount"] for a in stored) == Decimal("1000000.00")
        assert {a["org_id"] for a in stored if a["party_id"] == "guarantor"} == {"guar-b"}
        svc.write_off(s, "bank_a", loan["id"], "officer")
        assert svc.close(s, "bank_a", loan["id"], "officer")["status"] == "closed"
        assert svc.verify_audit_chain(s).ok


def test_overdue_loan_cured_by_repayment(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        app = _approved(s, amount=120_000)
        loan = svc.contract(s, "bank_a", app["id"], "officer", rate="0.036", method="equal_principal", on=MON)
        svc.disburse(s, "bank_a", loan["id"], "officer", on=MON)
        svc.update_delinquency(s, "bank_a", dt.date(2025, 4, 10))
        assert svc.get_loan(s, "bank_a", loan["id"])["status"] == "overdue"
        first = svc.schedule(s, "bank_a", loan["id"])[0]
        cured = svc.repay(s, "bank_a", loan["id"], first["payment"], "officer", on=dt.date(2025, 4, 10))
        assert cured["status"] == "active" and cured["days_past_due"] == 0
        with pytest.raises(ValueError, match="exceeds"):
            svc.repay(s, "bank_a", loan["id"], 10_000_000, "officer")
