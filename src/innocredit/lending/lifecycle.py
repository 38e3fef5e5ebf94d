"""The loan lifecycle: transition table, four-eyes approval, decision SLA in working days, delinquency buckets.

Pure rules; the lending services apply them and write the audit log. Working days come from the platform's one
calendar, ``innocredit.core.calendar`` (``Calendar``, ``default_calendar`` and ``load_calendar`` are re-exports).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from innocredit.core.calendar import WorkCalendar
from innocredit.core.calendar import default_calendar as default_calendar  # re-exported
from innocredit.core.calendar import load_calendar as load_calendar  # re-exported

STATES = ("draft", "submitted", "under_review", "approved", "rejected", "withdrawn", "contracted", "active",
          "repaid", "overdue", "defaulted", "written_off", "closed")
STATE_NAMES = {
    "draft": "草稿", "submitted": "已提交", "under_review": "审查中", "approved": "已批准", "rejected": "已拒绝",
    "withdrawn": "已撤回", "contracted": "已签约", "active": "已放款（正常）", "repaid": "已结清", "overdue": "逾期",
    "defaulted": "违约", "written_off": "已核销", "closed": "已关闭",
}
# (from state, action) -> to state. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("draft", "withdraw"): "withdrawn",
    ("submitted", "start_review"): "under_review",
    ("submitted", "withdraw"): "withdrawn",
    ("under_review", "approve"): "approved",
    ("under_review", "reject"): "rejected",
    ("under_review", "withdraw"): "withdrawn",
    ("approved", "contract"): "contracted",
    ("approved", "change_terms"): "under_review",  # terms beyond the approval go back to the approvers
    ("approved", "withdraw"): "withdrawn",
    ("contracted", "disburse"): "active",
    ("active", "repay_in_full"): "repaid",
    ("active", "fall_overdue"): "overdue",
    ("overdue", "cure"): "active",
    ("overdue", "repay_in_full"): "repaid",
    ("overdue", "default"): "defaulted",
    ("defaulted", "write_off"): "written_off",
    ("defaulted", "close"): "closed",
    ("repaid", "close"): "closed",
    ("written_off", "close"): "closed",
}
TERMINAL = frozenset({"rejected", "withdrawn", "closed"})
DECISIONS = frozenset({"approve", "reject"})


class LifecycleError(ValueError):
    """A refused action, with a zh and an en message."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        self.code, self.en, self.zh = code, en, zh
        super().__init__(f"{en} / {zh}")


def allowed_actions(state: str) -> list[str]:
    return [a for (s, a) in TRANSITIONS if s == state]


def transition(state: str, action: str) -> str:
    """The next state, or ``LifecycleError`` for an illegal transition."""
    if state not in STATES:
        raise LifecycleError("unknown_state", f"unknown state {state!r}", f"未知状态 {state!r}")
    nxt = TRANSITIONS.get((state, action))
    if nxt is None:
        allowed = ", ".join(allowed_actions(state)) or "none"
        raise LifecycleError("illegal_transition",
                             f"cannot {action} a loan in state {state} (allowed: {allowed})",
                             f"{STATE_NAMES[state]}状态下不能执行 {action}（允许：{allowed}）")
    return nxt


@dataclass(frozen=True)
class ApprovalDecision:
    final: bool  # True: the loan is approved now; False: a second approver is still needed
    approvals_needed: int


def check_approval(*, approver: str, reviewer: str | None, prior_approvers: Iterable[str], amount: Decimal,
                   second_approver_threshold: Decimal) -> ApprovalDecision:
    """Four-eyes: the approver is neither the reviewer nor an earlier approver; above the threshold two approve."""
    prior = [a for a in prior_approvers if a]
    if reviewer is None:
        raise LifecycleError("not_reviewed", "the application has no reviewer yet", "申请尚未经审查人审查")
    if approver == reviewer:
        raise LifecycleError("four_eyes", f"{approver} reviewed this application and cannot also approve it",
                             f"{approver} 已审查该申请，不能同时审批（双人原则）")
    if approver in prior:
        raise LifecycleError("four_eyes_second", f"{approver} already approved; the second approver must be "
                             "someone else", f"{approver} 已审批，第二审批人须为他人")
    needed = 2 if amount > second_approver_threshold else 1
    return ApprovalDecision(final=len(prior) + 1 >= needed, approvals_needed=needed)


# The one working-day calendar (core/holidays.yaml); ``Calendar`` is the name this module used for it.
Calendar = WorkCalendar


def sla_due(submitted_on: dt.date, working_days: int, calendar: WorkCalendar | None = None) -> dt.date:
    """Last day on which a decision on a complete application submitted on ``submitted_on`` is in time:
    the ``working_days``-th working day after it (``core.calendar``: weekends, holidays, 调休 working days)."""
    return (calendar or default_calendar()).add_working_days(submitted_on, working_days)


def sla_breached(submitted_on: dt.date, working_days: int, decided_on: dt.date | None, today: dt.date,
                 calendar: WorkCalendar | None = None) -> bool:
    """A decision after the due day, or no decision and the due day has passed."""
    due = sla_due(submitted_on, working_days, calendar)
    return (decided_on or today) > due


BUCKETS = ((0, "current", "正常"), (30, "dpd_1_30", "逾期1-30天"), (60, "dpd_31_60", "逾期31-60天"),
           (90, "dpd_61_90", "逾期61-90天"))
BUCKET_90_PLUS = ("dpd_90_plus", "逾期90天以上")


def dpd_bucket(days_past_due: int) -> str:
    """Delinquency bucket by days past due: current, 1-30, 31-60, 61-90, 90+."""
    if days_past_due < 0:
        raise ValueError("days past due cannot be negative")
    for upper, code, _ in BUCKETS:
        if days_past_due <= upper:
            return code
    return BUCKET_90_PLUS[0]


def dpd_bucket_expr(col: str = "days_past_due") -> pl.Expr:
    """The same buckets as a polars expression (for portfolio tables)."""
    c = pl.col(col)
    return (pl.when(c.is_null()).then(None).when(c <= 0).then(pl.lit("current"))
            .when(c <= 30).then(pl.lit("dpd_1_30")).when(c <= 60).then(pl.lit("dpd_31_60"))
            .when(c <= 90).then(pl.lit("dpd_61_90")).otherwise(pl.lit("dpd_90_plus")).alias("dpd_bucket"))


def days_past_due(oldest_unpaid_due: dt.date | None, today: dt.date) -> int:
    if oldest_unpaid_due is None or today <= oldest_unpaid_due:
        return 0
    return (today - oldest_unpaid_due).days
