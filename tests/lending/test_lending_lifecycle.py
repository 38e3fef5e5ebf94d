"""Transition table, four-eyes, SLA working days, delinquency buckets, audit hash chain (pure)."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from innocredit.core.policy import PolicyError
from innocredit.lending import lifecycle as lc
from innocredit.lending.audit import GENESIS, entry_hash, verify_chain

ACTIONS = sorted({a for (_, a) in lc.TRANSITIONS})


def test_legal_path_through_the_lifecycle():
    state = "draft"
    for action in ("submit", "start_review", "approve", "contract", "disburse", "fall_overdue", "default",
                   "write_off", "close"):
        state = lc.transition(state, action)
    assert state == "closed"


@pytest.mark.parametrize("state", lc.STATES)
def test_every_illegal_transition_is_refused(state):
    refused = 0
    for action in ACTIONS:
        if (state, action) in lc.TRANSITIONS:
            assert lc.transition(state, action) == lc.TRANSITIONS[(state, action)]
            continue
        with pytest.raises(lc.LifecycleError) as err:
            lc.transition(state, action)
        assert err.value.code == "illegal_transition" and err.value.zh
        refused += 1
    assert refused == len(ACTIONS) - len(lc.allowed_actions(state))
    if state in lc.TERMINAL:
        assert lc.allowed_actions(state) == []


def test_unknown_state_refused():
    with pytest.raises(lc.LifecycleError):
        lc.transition("limbo", "submit")


def test_four_eyes():
    thr = Decimal(5_000_000)
    with pytest.raises(lc.LifecycleError) as err:
        lc.check_approval(approver="ann", reviewer="ann", prior_approvers=[], amount=Decimal(100),
                          second_approver_threshold=thr)
    assert err.value.code == "four_eyes"
    assert lc.check_approval(approver="bob", reviewer="ann", prior_approvers=[], amount=Decimal(5_000_000),
                             second_approver_threshold=thr).final  # at the threshold one approver is enough
    first = lc.check_approval(approver="bob", reviewer="ann", prior_approvers=[], amount=Decimal("5000000.01"),
                              second_approver_threshold=thr)
    assert not first.final and first.approvals_needed == 2
    with pytest.raises(lc.LifecycleError) as err:
        lc.check_approval(approver="bob", reviewer="ann", prior_approvers=["bob"], amount=Decimal(6_000_000),
                          second_approver_threshold=thr)
    assert err.value.code == "four_eyes_second"
    assert lc.check_approval(approver="cat", reviewer="ann", prior_approvers=["bob"], amount=Decimal(6_000_000),
                             second_approver_threshold=thr).final
    with pytest.raises(lc.LifecycleError):
        lc.check_approval(approver="cat", reviewer=None, prior_approvers=[], amount=Decimal(1),
                          second_approver_threshold=thr)


def test_sla_working_days_with_holidays_and_adjusted_weekends():
    cal = lc.default_calendar()
    # plain week: Monday 3 March 2025 + 3 working days = Thursday 6 March
    assert lc.sla_due(dt.date(2025, 3, 3), 3, cal) == dt.date(2025, 3, 6)
    # Friday 26 Sep 2025: Sun 28 Sep is an adjusted working day, so Sat no, Sun 1, Mon 2, Tue 3 -> 30 Sep
    assert lc.sla_due(dt.date(2025, 9, 26), 3, cal) == dt.date(2025, 9, 30)
    # Tuesday 30 Sep 2025: 1-8 Oct National Day; Thu 9 (1), Fri 10 (2), Sat 11 Oct adjusted working day (3)
    assert lc.sla_due(dt.date(2025, 9, 30), 3, cal) == dt.date(2025, 10, 11)
    assert lc.sla_breached(dt.date(2025, 9, 30), 3, dt.date(2025, 10, 13), dt.date(2025, 10, 20), cal)
    assert not lc.sla_breached(dt.date(2025, 9, 30), 3, dt.date(2025, 10, 11), dt.date(2025, 10, 20), cal)
    # undecided: breached once today is past the due day
    assert lc.sla_breached(dt.date(2025, 3, 3), 3, None, dt.date(2025, 3, 7), cal)
    assert not lc.sla_breached(dt.date(2025, 3, 3), 3, None, dt.date(2025, 3, 6), cal)
    # a calendar without holidays: weekends only
    assert lc.sla_due(dt.date(2025, 9, 30), 3, lc.Calendar()) == dt.date(2025, 10, 3)
    assert cal.working_days_between(dt.date(2025, 3, 3), dt.date(2025, 3, 10)) == 5


def test_bad_holiday_file(tmp_path):
    p = tmp_path / "h.yaml"
    p.write_text("holidays: [2025-13-01]\n")
    with pytest.raises(PolicyError, match=r"h\.yaml: \$\.holidays\[0\]: '2025-13-01' is not a calendar date"):
        lc.load_calendar(p)


@pytest.mark.parametrize(("dpd", "bucket"), [(0, "current"), (1, "dpd_1_30"), (30, "dpd_1_30"), (31, "dpd_31_60"),
                                             (60, "dpd_31_60"), (61, "dpd_61_90"), (90, "dpd_61_90"),
                                             (91, "dpd_90_plus"), (400, "dpd_90_plus")])
def test_delinquency_buckets(dpd, bucket):
    assert lc.dpd_bucket(dpd) == bucket
    assert pl.DataFrame({"days_past_due": [dpd]}).select(lc.dpd_bucket_expr())["dpd_bucket"][0] == bucket


def test_days_past_due():
    assert lc.days_past_due(dt.date(2025, 2, 15), dt.date(2025, 3, 1)) == 14
    assert lc.days_past_due(None, dt.date(2025, 3, 1)) == 0


def _chain(n):
    out, prev = [], GENESIS
    for i in range(1, n + 1):
        e = {"seq": i, "at": f"2025-01-0{i}T00:00:00", "bank_id": "b", "subject_type": "loan", "subject_id": "L",
             "action": "x", "from_state": None, "to_state": None, "actor": "a", "details": "{}"}
        e["prev_hash"], e["hash"] = prev, entry_hash(e, prev)
        prev = e["hash"]
        out.append(e)
    return out


def test_audit_chain_detects_edit_delete_and_reorder():
    chain = _chain(4)
    assert verify_chain(chain).ok
    edited = [dict(e) for e in chain]
    edited[1]["actor"] = "mallory"
    check = verify_chain(edited)
    assert not check.ok and check.first_bad_seq == 2 and "edited" in check.reason
    assert verify_chain([chain[0], chain[2], chain[3]]).first_bad_seq == 3  # deleted entry 2
    rehashed = [dict(e) for e in chain]
    rehashed[1]["actor"] = "mallory"
    rehashed[1]["hash"] = entry_hash(rehashed[1], rehashed[1]["prev_hash"])
    assert verify_chain(rehashed).first_bad_seq == 3  # recomputing one hash breaks the next link
