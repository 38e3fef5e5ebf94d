"""The push and answer flow: allowed answers per state, decline reason codes, deadlines and escalation.

States of a push: pushed -> accepted | declined; accepted -> credit_granted | declined;
credit_granted -> disbursed (policies/flow.yaml). A bank must answer within ``answer_working_days``
working days of the push and decide credit within ``credit_working_days`` of accepting; a push past
its deadline is escalated once per stage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from innocredit.coordination.policy import TEXT, read_policy
from innocredit.core.calendar import WorkCalendar, default_calendar
from innocredit.core.money import money

ANSWER_KINDS = ("accepted", "declined", "credit_granted", "disbursed")
STATUSES = ("pushed", *ANSWER_KINDS)

FLOW_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "deadlines", "answers", "decline_reasons"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "deadlines": {"type": "object", "required": ["answer_working_days", "credit_working_days"],
                      "additionalProperties": False,
                      "properties": {"answer_working_days": {"type": "integer", "minimum": 1},
                                     "credit_working_days": {"type": "integer", "minimum": 1}}},
        "answers": {"type": "object", "propertyNames": {"enum": list(STATUSES)},
                    "additionalProperties": {"type": "array", "items": {"enum": list(ANSWER_KINDS)}}},
        "decline_reasons": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["code", "name"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "pattern": "^[A-Z][0-9]{2}$"}, "name": TEXT}}},
    },
}


class FlowError(ValueError):
    """An answer that does not fit the flow (wrong state, unknown decline code, missing credit terms)."""


@dataclass(frozen=True)
class FlowPolicy:
    version: str
    answer_working_days: int
    credit_working_days: int
    transitions: dict[str, tuple[str, ...]]
    decline_reasons: dict[str, dict[str, str]]  # code -> {zh, en}

    def next_status(self, current: str, answer: str) -> str:
        allowed = self.transitions.get(current, ())
        if answer not in allowed:
            raise FlowError(f"answer {answer!r} is not allowed when the push is {current!r}; allowed: "
                            + (", ".join(allowed) or "none (final state)"))
        return answer


def load_flow_policy(source: str | Path = "flow.yaml") -> FlowPolicy:
    d = read_policy(source, FLOW_SCHEMA)
    return FlowPolicy(str(d["version"]), int(d["deadlines"]["answer_working_days"]),
                      int(d["deadlines"]["credit_working_days"]),
                      {k: tuple(v) for k, v in d["answers"].items()},
                      {r["code"]: r["name"] for r in d["decline_reasons"]})


@lru_cache(maxsize=1)
def default_flow_policy() -> FlowPolicy:
    return load_flow_policy()


def fen(value: Any) -> Decimal:
    """Money as Decimal rounded half-up to the fen (``innocredit.core.money.money``)."""
    return money(value)


@dataclass(frozen=True)
class Answer:
    kind: str
    decline_code: str | None = None
    amount: Decimal | None = None
    rate: float | None = None
    product: str | None = None
    secured: bool | None = None
    note: str | None = None


def validate_answer(policy: FlowPolicy, answer: Answer) -> Answer:
    """Check an answer's own fields; returns it with money rounded to the fen."""
    if answer.kind not in ANSWER_KINDS:
        raise FlowError(f"unknown answer {answer.kind!r}; one of {', '.join(ANSWER_KINDS)}")
    if answer.kind == "declined":
        if answer.decline_code not in policy.decline_reasons:
            raise FlowError(f"decline reason {answer.decline_code!r} is not in the code list "
                            f"({', '.join(policy.decline_reasons)})")
    elif answer.decline_code is not None:
        raise FlowError("a decline reason is only given with a 'declined' answer")
    if answer.kind in ("credit_granted", "disbursed"):
        if answer.amount is None or fen(answer.amount) <= 0:
            raise FlowError(f"{answer.kind} needs a positive amount")
        if answer.kind == "credit_granted":
            if answer.rate is None or not (0 <= answer.rate < 1):
                raise FlowError("credit_granted needs the annual rate as a fraction, e.g. 0.035")
            if not answer.product:
                raise FlowError("credit_granted needs the product")
            if answer.secured is None:
                raise FlowError("credit_granted needs secured true/false")
        return Answer(answer.kind, None, fen(answer.amount), answer.rate, answer.product, answer.secured,
                      answer.note)
    return answer


def overdue(pushes: pl.DataFrame, now: dt.datetime, policy: FlowPolicy | None = None,
            calendar: WorkCalendar | None = None) -> pl.DataFrame:
    """Pushes past their deadline at ``now``, vectorized.

    ``pushes`` has push_id, bank_id, status, pushed_at, accepted_at. Stage ``answer``: still ``pushed`` and
    more than ``answer_working_days`` working days in (pushed date, today]; stage ``credit``: ``accepted``
    and more than ``credit_working_days`` working days since acceptance. Returns push_id, bank_id, stage,
    working_days (elapsed), overdue_by.
    """
    policy = policy or default_flow_policy()
    calendar = calendar or default_calendar()
    today = np.datetime64(now.date(), "D")
    df = pushes.filter(pl.col("status").is_in(["pushed", "accepted"])).with_columns(
        pl.when(pl.col("status") == "pushed").then(pl.col("pushed_at")).otherwise(pl.col("accepted_at"))
        .cast(pl.Date).alias("_since"),
        pl.when(pl.col("status") == "pushed").then(pl.lit("answer")).otherwise(pl.lit("credit")).alias("stage"),
        pl.when(pl.col("status") == "pushed").then(pl.lit(policy.answer_working_days))
        .otherwise(pl.lit(policy.credit_working_days)).alias("_limit"),
    ).filter(pl.col("_since").is_not_null())
    if df.is_empty():
        return pl.DataFrame(schema={"push_id": pl.Int64, "bank_id": pl.String, "stage": pl.String,
                                    "working_days": pl.Int64, "overdue_by": pl.Int64})
    since = df["_since"].to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D")
    elapsed = calendar.working_days_between(since, np.full(len(since), today + np.timedelta64(1, "D")))
    df = df.with_columns(pl.Series("working_days", elapsed, dtype=pl.Int64))
    return df.filter(pl.col("working_days") > pl.col("_limit")).select(
        pl.col("push_id").cast(pl.Int64), "bank_id", "stage", "working_days",
        (pl.col("working_days") - pl.col("_limit")).cast(pl.Int64).alias("overdue_by"))
