"""Screening by the five criteria, recommendation, push to banks, answers, escalation — through storage."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from innocredit.coordination.flow import Answer, FlowError
from innocredit.coordination.routing import route
from innocredit.coordination.screening import recommended, screen
from innocredit.profile.uscc import make_uscc
from innocredit.services import coordination as service
from innocredit.storage.base import unit_of_work

U = [make_uscc(f"91330106MA2CF{i:03d}X") for i in range(8)]
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday

FEATURES = pl.DataFrame({
    "uscc": U,
    "region_code": ["330106"] * 8,
    "registry_status": ["active", "active", "active", "active", "active", "active", "cancelled", None],
    "abnormal_operations": [False, False, False, True, False, False, False, False],
    "serious_dishonesty": [False, False, False, False, False, False, False, False],
    "tax_credit_rating": ["A", "B", "C", "A", "A", "A", "A", "A"],
    "open_enforcement_cases": [0, 0, 0, 0, 0, 0, 0, 0],
    "revenue": [1e7, 2e7, 1e7, 1e7, 1e6, 1e7, 1e7, 1e7],
    "innovation_points": [72.0, 88.0, 90.0, 60.0, 70.0, 65.0, 80.0, 75.0],
    "tech_sme_registered": [True, False, True, False, False, True, False, False],
})
ITEMS = [
    # 0 passes; 1 passes (higher points, preferred bank-hz-05); 2 bad credit (tax C); 3 abnormal operations;
    # 4 asks 5M on 1M revenue (> 1.5x and > 3M small ticket); 5 no fixed premises and unlawful ("other") purpose;
    # 6 registry cancelled; 7 registry status unknown
    {"uscc": U[0], "requested_amount": 2_000_000, "loan_purpose": "rd", "fixed_premises": True},
    {"uscc": U[1], "requested_amount": 1_000_000, "loan_purpose": "working_capital", "fixed_premises": True,
     "preferred_bank_id": "bank-hz-05", "source": "self_application"},
    {"uscc": U[2], "requested_amount": 1_000_000, "loan_purpose": "rd", "fixed_premises": True},
    {"uscc": U[3], "requested_amount": 1_000_000, "loan_purpose": "rd", "fixed_premises": True},
    {"uscc": U[4], "requested_amount": 5_000_000, "loan_purpose": "rd", "fixed_premises": True},
    {"uscc": U[5], "requested_amount": 1_000_000, "loan_purpose": "other", "fixed_premises": False},
    {"uscc": U[6], "requested_amount": 1_000_000, "loan_purpose": "rd", "fixed_premises": True},
    {"uscc": U[7], "requested_amount": 1_000_000, "loan_purpose": "rd", "fixed_premises": True},
]


def test_screening_criteria_pure():
    out = screen(pl.DataFrame(ITEMS), FEATURES)
    by = {r["uscc"]: r for r in out.to_dicts()}
    assert by[U[0]]["passed"] and by[U[1]]["passed"]
    assert by[U[2]]["failed_criteria"] == ["good_credit"]
    assert by[U[3]]["failed_criteria"] == ["compliant_operation"]
    assert by[U[4]]["failed_criteria"] == ["genuine_need"]
    assert by[U[5]]["failed_criteria"] == ["fixed_premises", "lawful_use"]
    assert by[U[6]]["failed_criteria"] == ["compliant_operation"]
    assert not by[U[7]]["passed"] and by[U[7]]["unknown_criteria"] == ["compliant_operation"]
    rec = recommended(out)
    assert rec["uscc"].to_list() == [U[1], U[0]]        # ordered by innovation points 88, 72


def test_genuine_need_small_ticket_without_revenue():
    apps = pl.DataFrame([{"uscc": U[0], "requested_amount": 3_000_000.0, "fixed_premises": True,
                          "loan_purpose": "rd"}])
    out = screen(apps, FEATURES.with_columns(pl.lit(None, dtype=pl.Float64).alias("revenue")))
    assert out["crit_genuine_need"][0] is True          # <= 3M small ticket even when revenue is unknown
    out2 = screen(apps.with_columns(pl.lit(3_000_001.0).alias("requested_amount")),
                  FEATURES.with_columns(pl.lit(None, dtype=pl.Float64).alias("revenue")))
    assert out2["crit_genuine_need"][0] is None         # unknown, not "no"


def test_routing_by_region_product_and_preference():
    firms = pl.DataFrame({"uscc": ["a", "b", "c"], "region_code": ["330106", "110105", "330106"],
                          "requested_amount": [1e6, 1e6, 2e7], "loan_purpose": ["rd", "rd", "rd"],
                          "preferred_bank_id": ["bank-hz-05", None, None]})
    r = route(firms)
    a = r.filter(pl.col("uscc") == "a")
    assert a["bank_id"][0] == "bank-hz-05" and a["preferred"][0] and a.height == 2
    # Beijing (110105): only banks serving every region with 'rd' and 1M: bank-hz-04 (min 500k) and bank-hz-05
    assert set(r.filter(pl.col("uscc") == "b")["bank_id"]) <= {"bank-hz-04", "bank-hz-05"}
    # 20M for rd in Hangzhou: bank-hz-04 (<=50M), bank-hz-05 (<=20M), bank-hz-06 (<=50M)
    assert set(r.filter(pl.col("uscc") == "c")["bank_id"]) <= {"bank-hz-04", "bank-hz-05", "bank-hz-06"}


def test_list_to_push_to_answer_with_escalation(engine):
    with unit_of_work(engine) as s:
        lst = service.create_application_list(s, name="2026-03 visits", region_code="330106", now=T0)
        with pytest.raises(service.CoordinationInputError, match="item 2, requested_amount"):
            service.add_application_items(s, lst["id"], [ITEMS[0], {**ITEMS[1], "requested_amount": -1}], now=T0)
        assert service.add_application_items(s, lst["id"], ITEMS, now=T0) == 8
    with unit_of_work(engine) as s:
        screened = service.screen_application_list(s, lst["id"], features=FEATURES, now=T0)
        assert screened["passed"].sum() == 2
        with pytest.raises(service.CoordinationInputError, match="already in list"):
            service.add_application_items(s, lst["id"], [ITEMS[0]], now=T0)
    with unit_of_work(engine) as s:
        reco = service.create_recommendation_list(s, application_list_id=lst["id"], now=T0)
        assert reco["firms"] == 2
        pushed = service.push_to_banks(s, reco["id"], now=T0)
    assert pushed.height == 4                                  # two firms, two banks each
    assert pushed["answer_due_on"][0] == dt.date(2026, 3, 9)  # 5 working days after Monday 2 March

    with unit_of_work(engine) as s:
        mine = service.pushes_for_bank(s, "bank-hz-05")
        assert {p["bank_id"] for p in mine} == {"bank-hz-05"}
        preferred = next(p for p in mine if p["uscc"] == U[1])
        other = next(p for p in service.pushes_for_bank(s, "bank-hz-01") + service.pushes_for_bank(s, "bank-hz-04")
                     + service.pushes_for_bank(s, "bank-hz-02") if p["uscc"] == U[0])
    pid = preferred["push_id"]
    t1 = T0 + dt.timedelta(days=1)
    with unit_of_work(engine) as s:
        # another bank cannot answer this push
        with pytest.raises(service.NotFound):
            service.record_answer(s, bank_id="bank-hz-01", push_id=pid, answer=Answer("accepted"), now=t1)
        with pytest.raises(FlowError, match="not allowed"):
            service.record_answer(s, bank_id="bank-hz-05", push_id=pid, answer=Answer("disbursed", amount=1),
                                  now=t1)
        with pytest.raises(FlowError, match="code list"):
            service.record_answer(s, bank_id="bank-hz-05", push_id=pid, answer=Answer("declined", "X01"), now=t1)
        service.record_answer(s, bank_id="bank-hz-05", push_id=pid, answer=Answer("accepted"), now=t1)
        granted = service.record_answer(
            s, bank_id="bank-hz-05", push_id=pid, now=t1 + dt.timedelta(days=2),
            answer=Answer("credit_granted", amount=Decimal("1000000.004"), rate=0.0345, product="credit",
                          secured=False))
        assert granted["credit_amount"] == "1000000.00" and granted["status"] == "credit_granted"
        done = service.record_answer(s, bank_id="bank-hz-05", push_id=pid, now=t1 + dt.timedelta(days=4),
                                     answer=Answer("disbursed", amount=Decimal("1000000")))
        assert done["status"] == "disbursed"

    # Tuesday 10 March: the other firm's pushes have had 6 working days (3..6, 9, 10) > 5 -> escalated once
    with unit_of_work(engine) as s:
        assert service.escalate_overdue(s, now=dt.datetime(2026, 3, 9, 18, tzinfo=dt.UTC)) == []
        esc = service.escalate_overdue(s, now=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC))
    assert {e["push_id"] for e in esc} >= {other["push_id"]}
    assert all(e["stage"] == "answer" and e["overdue_by"] == 1 for e in esc)
    assert pid not in {e["push_id"] for e in esc}
    with unit_of_work(engine) as s:
        assert service.escalate_overdue(s, now=dt.datetime(2026, 3, 11, 9, tzinfo=dt.UTC)) == []  # once per stage
        m = service.metrics(s, as_of=dt.date(2026, 3, 31), enterprises=FEATURES)
    g = m["groups"][0]
    assert g["recommended_firms"] == 2 and g["recommended_firms_credited"] == 1
    assert g["loans_count"] == 1 and g["first_loan_share"] == 1.0      # the disbursement registered a loan
    # relending scope comes from the official lists, not from our own score: U[1] (88 innovation points, not a
    # registered technology SME, product "credit") is not relending-eligible
    assert g["relending_eligible_count"] == 0
