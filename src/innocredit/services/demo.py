"""The demo district's coordination year, stored: what ``innocredit run`` loads on first start.

``synthetic.coordination.generate_coordination`` makes the frames (pure); this module writes them through the
repositories, the loans into the one loan register.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from innocredit.coordination.alerts import default_alert_rules
from innocredit.services import qualifications
from innocredit.services.database import unit_of_work
from innocredit.services.lending import record_reported_loans
from innocredit.storage import coordination as repo
from innocredit.synthetic.coordination import DEMO_AS_OF, generate_coordination


def store_coordination(session: Session, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Write generated frames through the storage module (ids are offset past any stored rows)."""
    def offset(model: Any, col: Any) -> int:
        return int(session.execute(select(func.coalesce(func.max(col), 0))).scalar_one())

    o_list = offset(repo.CoordApplicationList, repo.CoordApplicationList.id)
    o_item = offset(repo.CoordApplicationItem, repo.CoordApplicationItem.id)
    o_rl = offset(repo.CoordRecommendationList, repo.CoordRecommendationList.id)
    o_ri = offset(repo.CoordRecommendationItem, repo.CoordRecommendationItem.id)
    o_push = offset(repo.CoordPush, repo.CoordPush.id)

    def rows(df: pl.DataFrame) -> list[dict[str, Any]]:
        return df.to_dicts()

    def bulk(model: Any, data: list[dict[str, Any]]) -> None:
        for i in range(0, len(data), 5000):
            session.execute(insert(model), data[i:i + 5000])

    f = frames
    bulk(repo.CoordApplicationList, rows(f["application_lists"].select(
        (pl.col("list_id") + o_list).alias("id"), "name", "region_code", pl.lit("coord-hz").alias("created_by"),
        "created_at", "screened_at", pl.lit("screening 2026.1").alias("screening_version"))))
    bulk(repo.CoordApplicationItem, rows(f["application_items"].select(
        (pl.col("item_id") + o_item).alias("id"), (pl.col("list_id") + o_list).alias("list_id"), "uscc", "source",
        "visited_on", pl.col("requested_amount").round(2), "requested_term_months", "loan_purpose",
        "fixed_premises", "preferred_bank_id", "preferred_product", "recorded_at", "screen_passed", "screen_failed",
        "screen_unknown", "innovation_points", "tech_sme")))
    bulk(repo.CoordRecommendationList, rows(f["recommendation_lists"].select(
        (pl.col("reco_list_id") + o_rl).alias("id"), (pl.col("application_list_id") + o_list)
        .alias("application_list_id"), "name", pl.lit("coord-hz").alias("created_by"), "created_at")))
    bulk(repo.CoordRecommendationItem, rows(f["recommendation_items"].select(
        (pl.col("reco_item_id") + o_ri).alias("id"), (pl.col("reco_list_id") + o_rl).alias("list_id"),
        (pl.col("application_item_id") + o_item).alias("application_item_id"), "uscc", "rank", "innovation_points")))
    bulk(repo.CoordPush, rows(f["pushes"].select(
        (pl.col("push_id") + o_push).alias("id"), (pl.col("reco_item_id") + o_ri).alias("reco_item_id"),
        (pl.col("reco_list_id") + o_rl).alias("reco_list_id"), "uscc", "bank_id", "pushed_at", "answer_due_on",
        "status", "accepted_at", "declined_at", "decline_code", "credit_at", "credit_amount", "rate", "product",
        "secured", "disbursed_at", "disbursed_amount", "updated_at")))
    bulk(repo.CoordBankAnswer, rows(f["answers"].select(
        (pl.col("push_id") + o_push).alias("push_id"), "bank_id", "kind", "answered_at", "decline_code", "amount",
        "rate", "product", "secured")))
    if f["escalations"].height:
        bulk(repo.CoordEscalation, rows(f["escalations"].with_columns(pl.col("push_id") + o_push)))
    loans = f["loans"].with_columns(pl.when(pl.col("push_id").is_not_null()).then(pl.col("push_id") + o_push)
                                    .alias("push_id"))
    origin = pl.when(pl.col("push_id").is_not_null()).then(pl.lit("push_answer")).otherwise(pl.lit("bank_feed"))
    record_reported_loans(session, loans.with_columns(origin.alias("origin")))
    alerts = f["alerts"]
    n_alerts = 0
    if alerts.height:
        version = default_alert_rules().version
        for raised_at, part in alerts.partition_by("raised_at", as_dict=True).items():
            n_alerts += repo.add_alerts(session, part.drop("raised_at"), raised_at[0], version)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("coord_app_lists", "coord_app_items", "coord_reco_lists", "coord_reco_items", "coord_pushes",
                      "coord_bank_answers", "coord_escalations", "coord_alerts"):
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"))
    session.flush()
    return {"application_lists": f["application_lists"].height, "application_items": f["application_items"].height,
            "recommendation_items": f["recommendation_items"].height, "pushes": f["pushes"].height,
            "answers": f["answers"].height, "escalations": f["escalations"].height, "loans": loans.height,
            "firms": f["firms"].height, "alerts": n_alerts}


def load_demo(engine: Engine, features: pl.DataFrame, seed: int = 20260630, as_of: dt.date = DEMO_AS_OF,
              loans: pl.DataFrame | None = None, lending_states: bool = True) -> dict[str, int]:
    """Generate and store the demo coordination year (what ``make run`` loads) and the qualification-expiry
    warnings on its date (when the certificates feed is loaded); with ``lending_states`` also each demo bank's
    applications in every workflow state (:func:`seed_lending_states`)."""
    frames = generate_coordination(features, seed, as_of, loans)
    with unit_of_work(engine) as session:
        counts = store_coordination(session, frames)
        # the demo year's end: certificates lapsing within the warning horizon warn the banks lending to the firm
        counts["qualification_alerts"] = qualifications.raise_expiry_alerts(session, on=as_of)
    if lending_states:
        states = seed_lending_states(engine, features)
        counts["lending_states"] = sum(sum(v.values()) for v in states.values())
    return counts


# --------------------------------------------------------------------------- the lending workflow in every state

# (state shown to a newcomer, amount in yuan, product, term months); amounts above the policy's
# second-approver threshold (5,000,000) need two approvers.
DEMO_STATES: tuple[tuple[str, int, str, int], ...] = (
    ("draft", 600_000, "new_quality_credit", 12),
    ("submitted", 1_000_000, "new_quality_credit", 12),
    ("submitted_late", 800_000, "talent_loan", 24),
    ("under_review", 1_500_000, "new_quality_credit", 24),
    ("awaiting_second", 6_000_000, "new_quality_credit", 36),
    ("approved", 900_000, "talent_loan", 12),
    ("contracted", 1_200_000, "new_quality_credit", 12),
    ("active", 2_000_000, "new_quality_credit", 12),
    ("overdue", 700_000, "talent_loan", 12),
    ("repaid", 500_000, "new_quality_credit", 6),
    ("rejected", 3_000_000, "new_quality_credit", 24),
)
DEMO_BANK_USERS = {"bank-hz-01": "bank_a", "bank-hz-02": "bank_b"}


def _demo_firms(session: Session, features: pl.DataFrame, bank_id: str, n: int, taken: set[str]) -> list[str]:
    """Firms for a bank's demo applications: those the office pushed to it and that it has not answered yet
    first (the application answers the push), then Hangzhou firms by code; none used twice."""
    pushed = [u for u in session.scalars(select(repo.CoordPush.uscc).where(repo.CoordPush.bank_id == bank_id,
                                                                           repo.CoordPush.status == "pushed")
                                         .order_by(repo.CoordPush.id))]
    local = (features.filter(pl.col("region_code").str.starts_with("3301").fill_null(False))
             .sort("uscc")["uscc"].to_list())
    out: list[str] = []
    for u in [*pushed, *local, *features.sort("uscc")["uscc"].to_list()]:
        if u not in taken and u not in out:
            out.append(u)
        if len(out) == n:
            break
    taken.update(out)
    return out


def seed_lending_states(engine: Engine, features: pl.DataFrame, today: dt.date | None = None,
                        banks: tuple[str, ...] = ("bank-hz-01", "bank-hz-02")) -> dict[str, dict[str, int]]:
    """Applications at every step of the lending workflow for each demo bank, made through the lending use
    cases (so the audit trail, the pushes' answers and the four-eyes rule are the real ones): draft, submitted,
    submitted past its decision date, under review, approved awaiting the second approver, approved, contracted,
    active, in arrears, settled and rejected. Dated back from ``today`` so that deadlines and arrears show.
    Returns the count per bank and state."""
    from innocredit.services import lending

    today = today or dt.date.today()
    taken: set[str] = set()
    counts: dict[str, dict[str, int]] = {}
    with unit_of_work(engine) as session:
        for bank in banks:
            who = DEMO_BANK_USERS.get(bank, bank)
            officer, approver, approver2 = f"{who}_officer", f"{who}_approver", f"{who}_approver2"
            firms = _demo_firms(session, features, bank, len(DEMO_STATES), taken)
            counts[bank] = {}
            for (state, amount, product, term), uscc in zip(DEMO_STATES, firms):
                late = state in ("submitted_late", "overdue")
                started = today - dt.timedelta(days=150 if state in ("overdue", "repaid") else 12 if late else 1)
                app = lending.apply(session, bank_id=bank, uscc=uscc, product_id=product, amount=amount,
                                    term_months=term, actor=officer, complete=state != "draft",
                                    purpose="rd" if product == "new_quality_credit" else "working_capital",
                                    on=started)
                if state in ("draft", "submitted", "submitted_late"):
                    counts[bank][state] = counts[bank].get(state, 0) + 1
                    continue
                lending.review(session, bank, app["id"], officer)
                if state == "under_review":
                    pass
                elif state == "rejected":
                    lending.reject(session, bank, app["id"], approver, "经营风险较高", reason_code="D01", on=started)
                else:
                    lending.approve(session, bank, app["id"], approver, on=started)
                    if state != "awaiting_second" and amount > 5_000_000:
                        lending.approve(session, bank, app["id"], approver2, on=started)
                    if state not in ("awaiting_second", "approved"):
                        loan = lending.contract(session, bank, app["id"], officer, rate="0.0345", on=started)
                        if state != "contracted":
                            lending.disburse(session, bank, loan["id"], officer, on=started)
                            if state == "repaid":
                                due = sum(r["payment"] for r in lending.schedule(session, bank, loan["id"]))
                                lending.repay(session, bank, loan["id"], due, officer, on=started)
                if state == "overdue":
                    lending.update_delinquency(session, bank, today)
                if state == "approved" and bank == banks[0]:  # the demo guarantor has one request to decide
                    _request_demo_guarantee(session, bank, app["id"], officer, started)
                counts[bank][state] = counts[bank].get(state, 0) + 1
    return counts


# the demo guarantor organisation (web/demo.py seeds its user; created here too when the lending states come first)
DEMO_GUARANTOR = ("guar-hz", "guarantor", "杭州科技融资担保有限公司", "Hangzhou Tech Financing Guarantee Co.", "330100")


def _request_demo_guarantee(session: Session, bank: str, application_id: str, officer: str, on: dt.date) -> None:
    """Bank A asks the demo guarantor to guarantee its approved application under the Zhejiang scheme."""
    from innocredit.services import lending, platform

    platform.ensure_organisation(session, *DEMO_GUARANTOR)
    lending.request_guarantee(session, bank, application_id, officer, scheme_id="zhejiang_tech",
                              guarantor_org_id=DEMO_GUARANTOR[0], on=on)
