"""Demo coordination activity: a year of visits, application lists, recommendation lists, pushes to banks,
bank answers (with realistic delays and decline reasons), loans and post-loan alerts, as polars frames.

``generate_coordination(features, seed)`` is pure and deterministic by seed; ``services.demo`` stores the
frames (``store_coordination``) or does both (``load_demo``). Screening and routing use the real policies (``innocredit.coordination``), so the demo lists are
what the office would have produced. Trends are built in: later months get more acceptances and faster
credit, so the metrics improve over the year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from innocredit.coordination.alerts import evaluate_alerts
from innocredit.coordination.calendar import default_calendar
from innocredit.coordination.flow import default_flow_policy
from innocredit.coordination.routing import default_bank_policy, route
from innocredit.coordination.screening import screen

DEMO_AS_OF = dt.date(2026, 6, 30)
# The seed's story, in the demo district: a firm with 31 granted invention patents gets 9 million yuan three
# working days after its push (the population gives the most inventive firm exactly 31; see docs/demo-data.md)
SHOWCASE_PATENTS = 31
SHOWCASE_AMOUNT = 9_000_000.0
SHOWCASE_WORKING_DAYS = 3
PURPOSES = ("working_capital", "rd", "equipment", "order_fulfilment", "other")
DECLINE_WEIGHTS = {"D01": 0.22, "D02": 0.16, "D03": 0.14, "D04": 0.10, "D05": 0.06, "D06": 0.08, "D08": 0.14,
                   "D09": 0.05, "D99": 0.05}
UTC = dt.UTC
LOCAL_OFFSET = dt.timedelta(hours=8)  # Beijing time: office hours are 09:00-17:00 local


def _innovation_points(features: pl.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Innovation points from the evaluation engine when it can score the table, else a proxy."""
    try:
        from innocredit.evaluation.engine import evaluate
        from innocredit.evaluation.system import load_system

        ev = evaluate(load_system("innovation-points"), features)
        pts = features.select("uscc").join(ev.select("uscc", pl.col("score").cast(pl.Float64)), on="uscc",
                                           how="left")["score"].to_numpy()
        if np.isfinite(pts).mean() > 0.5:
            return pts
    except Exception:  # noqa: BLE001 - the proxy below keeps the demo working while evaluation evolves
        pass
    ip = features["ip_class1"].fill_null(0).to_numpy() if "ip_class1" in features.columns else np.zeros(features.height)
    base = 55 + 4 * np.log1p(ip) + 12 * rng.standard_normal(features.height)
    return np.clip(np.round(base, 1), 0, 100)


def _firms(features: pl.DataFrame, as_of: dt.date, rng: np.random.Generator) -> pl.DataFrame:
    n = features.height
    points = _innovation_points(features, rng)
    if "registry_status" in features.columns:
        status = features["registry_status"]
    else:
        drawn = np.where(rng.random(n) < 0.97, "active", "cancelled")
        show = showcase_firm(features)
        if show is not None:
            drawn[show] = "active"  # the showcase firm is operating (its story is a loan)
        status = pl.Series(drawn)

    def col(name: str, dtype: Any) -> pl.Series:
        if name in features.columns:
            return features[name].cast(dtype)
        return pl.Series(name, [None] * n, dtype=dtype)

    return pl.DataFrame({
        "uscc": features["uscc"], "as_of": [as_of] * n, "region_code": col("region_code", pl.String),
        "industry_code": col("industry_code", pl.String), "employees": col("employees", pl.Int64),
        "revenue": col("revenue", pl.Float64), "total_assets": col("total_assets", pl.Float64),
        "registry_status": status.cast(pl.String), "registered_on": col("registered_on", pl.Date),
        "innovation_points": pl.Series(points, dtype=pl.Float64),
        "tech_sme": col("tech_sme_registered", pl.Boolean),
    })


def showcase_firm(features: pl.DataFrame) -> int | None:
    """Row of the showcase firm: the first (by USCC) with ``SHOWCASE_PATENTS`` Class I IP rights, if any."""
    if "ip_class1" not in features.columns or features.height == 0:
        return None
    rows = features.with_row_index("__r").filter(pl.col("ip_class1") == SHOWCASE_PATENTS).sort("uscc")
    return int(rows["__r"][0]) if rows.height else None


def _ts(days: np.ndarray, local_hour: np.ndarray) -> np.ndarray:
    """Dates (days since epoch) at a local hour, as UTC microseconds."""
    return (days.astype(np.int64) * 86_400 + (local_hour - 8).astype(np.int64) * 3600) * 1_000_000


def _epoch(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _working_after(days: np.ndarray, wd: np.ndarray) -> np.ndarray:
    """The day ``wd`` working days after ``days`` (vectorized with numpy's business-day offset)."""
    cal = default_calendar()
    base = days.astype("datetime64[D]")
    return np.busday_offset(base, wd, roll="forward", weekmask=[0 if d in cal.weekend else 1 for d in range(1, 8)],
                            holidays=np.array(sorted(cal.holidays), dtype="datetime64[D]")).astype(np.int64)


def generate_coordination(features: pl.DataFrame, seed: int, as_of: dt.date = DEMO_AS_OF,
                          loans: pl.DataFrame | None = None, months: int = 12) -> dict[str, pl.DataFrame]:
    """A year of coordination activity for the firms of ``features`` (uscc, region_code, industry_code,
    requested_amount, loan_purpose, revenue, ... — absent columns are drawn). ``loans``: the bank-loan feed
    (background lending outside the mechanism); drawn when absent. Same inputs and seed, same frames."""
    rng = np.random.default_rng(seed)
    n = features.height
    firms = _firms(features, as_of, rng)
    end = _epoch(as_of)

    # --- visits and application lists: each month, 3% of the firms (at least 5) declare a need
    per_month = max(5, int(round(n * 0.03)))
    order = rng.permutation(n)[: min(n, per_month * months)]
    show = showcase_firm(features)
    if show is not None and months >= 2 and len(order) > per_month * (months - 2):
        slot = per_month * (months - 2)  # the first visit of the second-to-last month
        hit = np.nonzero(order == show)[0]
        if hit.size:
            order[hit[0]] = order[slot]
        order[slot] = show
    month_idx = np.arange(len(order)) // per_month
    month_start = np.array([_epoch(_month_start(as_of, months - m)) for m in range(months)])
    m_of = month_idx.astype(np.int64)
    k = len(order)
    visited = month_start[m_of] + rng.integers(0, 24, k)
    req = (features["requested_amount"].to_numpy()[order] if "requested_amount" in features.columns
           else np.full(k, np.nan))
    drawn = np.round(np.exp(np.log(1.5e6) + 0.8 * rng.standard_normal(k)), -4)
    req = np.where(np.isfinite(req) & (req > 0), req, drawn)
    if show is not None:
        req = np.where(order == show, SHOWCASE_AMOUNT, req)
    drawn_p = pl.Series(np.array(PURPOSES)[rng.choice(5, k, p=(0.40, 0.30, 0.15, 0.12, 0.03))])
    given_p = (features["loan_purpose"].cast(pl.String).gather(order) if "loan_purpose" in features.columns
               else pl.Series([None] * k, dtype=pl.String))
    purpose = given_p.fill_null(drawn_p).to_numpy()
    source = np.where(rng.random(k) < 0.6, "visit", "self_application")
    bank_ids = default_bank_policy().bank_ids
    preferred = _masked(np.array(bank_ids)[rng.integers(0, len(bank_ids), k)], rng.random(k) < 0.25, pl.String)
    items = pl.DataFrame({
        "item_id": np.arange(1, k + 1), "list_id": m_of + 1, "uscc": features["uscc"].to_numpy()[order],
        "source": source, "visited_on": pl.Series(visited, dtype=pl.Int32).cast(pl.Date),
        "requested_amount": req.astype(np.float64),
        "requested_term_months": rng.choice(np.array([6, 12, 24, 36]), k, p=(0.15, 0.55, 0.2, 0.1)),
        "loan_purpose": purpose.astype(str), "fixed_premises": rng.random(k) < 0.93,
        "preferred_bank_id": preferred,
        "preferred_product": pl.Series([None] * k, dtype=pl.String),
    })
    visits = items.filter(pl.col("source") == "visit").select("uscc", "visited_on",
                                                             pl.lit("coord-hz").alias("office"))
    list_day = month_start + 24  # lists close on the 25th
    lists = pl.DataFrame({
        "list_id": np.arange(1, months + 1),
        "name": [f"{_month_start(as_of, months - m):%Y-%m} 申报清单" for m in range(months)],
        "region_code": ["330100"] * months,
        "created_at": pl.Series(_ts(month_start, np.full(months, 9)), dtype=pl.Datetime("us", "UTC")),
        "screened_at": pl.Series(_ts(list_day, np.full(months, 15)), dtype=pl.Datetime("us", "UTC")),
    })

    # --- screening with the real policy, enriched with the innovation points
    feats = features.join(firms.select("uscc", "registry_status", "innovation_points",
                                       pl.col("tech_sme").alias("tech_sme_registered")), on="uscc", how="left",
                          suffix="_demo")
    screened = screen(items, feats.drop([c for c in feats.columns if c.endswith("_demo")]))
    items = items.with_columns(
        screened["passed"].alias("screen_passed"),
        screened["failed_criteria"].list.join(",").replace("", None).alias("screen_failed"),
        screened["unknown_criteria"].list.join(",").replace("", None).alias("screen_unknown"),
        screened["innovation_points"].cast(pl.Float64).alias("innovation_points"),
        screened["tech_sme_registered"].cast(pl.Boolean).alias("tech_sme"),
        pl.Series(_ts(visited, rng.integers(9, 17, k)), dtype=pl.Datetime("us", "UTC")).alias("recorded_at"),
    )

    # --- recommendation lists (passed firms, best points first) and pushes
    reco = (items.filter(pl.col("screen_passed"))
            .sort(["list_id", "innovation_points"], descending=[False, True], nulls_last=True)
            .with_columns(pl.int_range(1, pl.len() + 1).over("list_id").alias("rank")))
    reco = reco.with_columns(pl.int_range(1, pl.len() + 1).alias("reco_item_id"))
    reco_items = reco.select("reco_item_id", pl.col("list_id").alias("reco_list_id"),
                             pl.col("item_id").alias("application_item_id"), "uscc", "rank", "innovation_points")
    reco_lists = pl.DataFrame({
        "reco_list_id": np.arange(1, months + 1), "application_list_id": np.arange(1, months + 1),
        "name": [f"{_month_start(as_of, months - m):%Y-%m} 推荐清单" for m in range(months)],
        "created_at": pl.Series(_ts(list_day, np.full(months, 16)), dtype=pl.Datetime("us", "UTC")),
    })
    regions = firms.select("uscc", "region_code")
    routed = route(reco.join(regions, on="uscc", how="left", suffix="_f").with_columns(
        pl.coalesce("region_code", pl.lit("330100")).alias("region_code")))
    pushes = routed.join(reco.select("uscc", "reco_item_id", "list_id", "innovation_points", "requested_amount",
                                     "requested_term_months", "loan_purpose", "tech_sme"), on="uscc")
    pushes = pushes.sort("reco_item_id", "rank").with_columns(pl.int_range(1, pl.len() + 1).alias("push_id"))
    p = pushes.height
    lst = pushes["list_id"].to_numpy() - 1
    push_day = _working_after(list_day[lst], np.ones(p, dtype=np.int64))
    flow = default_flow_policy()
    due_day = _working_after(push_day, np.full(p, flow.answer_working_days))
    trend = lst / max(months - 1, 1)  # 0 in the first month, 1 in the last

    # first answer: most within the deadline, some late (escalated), a few never
    late = rng.random(p) < (0.16 - 0.10 * trend)
    wd_answer = np.where(late, rng.integers(6, 14, p), rng.integers(1, 3, p))
    answered_day = _working_after(push_day, wd_answer)
    pts = np.nan_to_num(pushes["innovation_points"].to_numpy().astype(float), nan=55.0)
    pct = (np.argsort(np.argsort(pts, kind="stable"), kind="stable") + 0.5) / max(p, 1)  # points percentile
    p_accept = np.clip(0.38 + 0.35 * (pct - 0.5) + 0.35 * trend, 0.1, 0.92)
    p_accept = np.where(pushes["rank"].to_numpy() > 1, p_accept * 0.8, p_accept)
    accepted = rng.random(p) < p_accept
    # credit decision after acceptance: push to credit clusters around the 3-working-day service level (answer in
    # 1-2 days, decision 1-2 days later), with a tail (late answers, long reviews); faster later in the year
    wd_credit = np.maximum(1, np.round(rng.gamma(1.5, (1.6 - 0.6 * trend) / 1.5, p))).astype(np.int64)
    credit_day = _working_after(answered_day, wd_credit)
    granted = accepted & (rng.random(p) < 0.82)
    disb_day = _working_after(credit_day, rng.integers(1, 8, p))
    disbursed = granted & (rng.random(p) < 0.93)
    decline_codes = list(DECLINE_WEIGHTS)
    dw = np.array(list(DECLINE_WEIGHTS.values()))
    code = np.array(decline_codes)[rng.choice(len(decline_codes), p, p=dw / dw.sum())]
    code = np.where(accepted & ~granted, np.where(rng.random(p) < 0.5, "D08", "D04"), code)
    amount = np.round(pushes["requested_amount"].to_numpy() * rng.uniform(0.6, 1.0, p), -4)
    secured = rng.random(p) < (0.40 - 0.15 * trend)
    rate = np.round(0.0345 + 0.012 * rng.random(p) - 0.004 * secured - 0.004 * (pct - 0.5) - 0.003 * trend, 4)
    product = np.where(secured, "guaranteed", np.where(pct >= 0.7, "innovation", "credit"))
    if show is not None:  # the showcase: its first push answered the next working day, 9 million 3 days after push
        mine = (pushes["uscc"] == features["uscc"][show]).to_numpy()
        first = mine & (np.cumsum(mine) == 1)
        answered_day = np.where(first, _working_after(push_day, np.ones(p, dtype=np.int64)), answered_day)
        credit_day = np.where(first, _working_after(push_day, np.full(p, SHOWCASE_WORKING_DAYS)), credit_day)
        disb_day = np.where(first, _working_after(credit_day, np.ones(p, dtype=np.int64)), disb_day)
        accepted = np.where(first, True, np.where(mine, False, accepted))
        granted = np.where(first, True, np.where(mine, False, granted))
        disbursed = np.where(first, True, np.where(mine, False, disbursed))
        amount = np.where(first, SHOWCASE_AMOUNT, amount)
        secured = np.where(first, False, secured)
        product = np.where(first, "innovation", product)

    cut = end + 1
    ev = pl.DataFrame({
        "push_id": pushes["push_id"], "answered": answered_day, "credit": credit_day, "disb": disb_day,
        "accepted": accepted, "granted": granted, "disbursed": disbursed, "code": code, "uscc": pushes["uscc"],
        "rank": pushes["rank"],
    })
    # a firm takes the first credit it gets; a later grant by its other bank becomes "need met elsewhere" (D07)
    ev = ev.with_columns(pl.when(pl.col("granted")).then(pl.col("credit")).otherwise(None).alias("_c"))
    ev = ev.with_columns(pl.col("_c").min().over("uscc").alias("_first"))
    dup = (pl.col("granted") & (pl.col("credit") > pl.col("_first"))) | (
        pl.col("granted") & (pl.col("credit") == pl.col("_first")) & (pl.col("rank") > pl.col("rank").filter(
            pl.col("_c") == pl.col("_first")).min().over("uscc")))
    ev = ev.with_columns(dup.fill_null(False).alias("_dup"))
    ev = ev.with_columns(
        pl.when(pl.col("_dup")).then(pl.lit(False)).otherwise(pl.col("granted")).alias("granted"),
        pl.when(pl.col("_dup")).then(pl.lit(False)).otherwise(pl.col("disbursed")).alias("disbursed"),
        pl.when(pl.col("_dup")).then(pl.lit("D07")).otherwise(pl.col("code")).alias("code"),
        pl.when(pl.col("_dup")).then(pl.col("credit")).otherwise(None).alias("_dup_day"),
    )
    granted, disbursed, code = (ev["granted"].to_numpy(), ev["disbursed"].to_numpy(), ev["code"].to_numpy())
    answered_in = answered_day < cut
    acc_at = np.where(accepted & answered_in, answered_day, -1)
    decl_day = np.where(~accepted, answered_day, np.where(accepted & ~granted, credit_day, -1))
    decl_at = np.where((decl_day >= 0) & (decl_day < cut), decl_day, -1)
    cred_at = np.where(granted & (credit_day < cut), credit_day, -1)
    disb_at = np.where(disbursed & (disb_day < cut) & (cred_at >= 0), disb_day, -1)
    hour = rng.integers(9, 18, (p, 4))

    def ts_or_null(day: np.ndarray, h: np.ndarray) -> pl.Series:
        vals = pl.Series(_ts(np.maximum(day, 0), h), dtype=pl.Int64)
        return pl.select(pl.when(pl.Series(day >= 0)).then(vals).otherwise(None)
                         .cast(pl.Datetime("us", "UTC"))).to_series()

    status = np.select([disb_at >= 0, cred_at >= 0, decl_at >= 0, acc_at >= 0], ["disbursed", "credit_granted",
                                                                                 "declined", "accepted"], "pushed")
    push_frame = pl.DataFrame({
        "push_id": pushes["push_id"], "reco_item_id": pushes["reco_item_id"], "reco_list_id": pushes["list_id"],
        "uscc": pushes["uscc"], "bank_id": pushes["bank_id"],
        "pushed_at": pl.Series(_ts(push_day, np.full(p, 10))).cast(pl.Datetime("us", "UTC")),
        "answer_due_on": pl.Series(due_day, dtype=pl.Int32).cast(pl.Date),
        "status": status,
        "accepted_at": ts_or_null(acc_at, hour[:, 0]), "declined_at": ts_or_null(decl_at, hour[:, 1]),
        "decline_code": _masked(code, decl_at >= 0, pl.String),
        "credit_at": ts_or_null(cred_at, hour[:, 2]),
        "credit_amount": pl.Series(np.where(cred_at >= 0, amount, np.nan)).fill_nan(None),
        "rate": pl.Series(np.where(cred_at >= 0, rate, np.nan)).fill_nan(None),
        "product": _masked(product, cred_at >= 0, pl.String),
        "secured": _masked(secured, cred_at >= 0, pl.Boolean),
        "disbursed_at": ts_or_null(disb_at, hour[:, 3]),
        "disbursed_amount": pl.Series(np.where(disb_at >= 0, amount, np.nan)).fill_nan(None),
    }).filter(pl.col("pushed_at").cast(pl.Date) <= as_of)
    push_frame = push_frame.with_columns(
        pl.max_horizontal("pushed_at", "accepted_at", "declined_at", "credit_at", "disbursed_at").alias("updated_at"))

    answers = _answers(push_frame)
    escal = _escalations(push_frame, as_of)
    background = _background_loans(firms, rng, as_of) if loans is None else _feed_loans(loans)
    coord_loans = _coordination_loans(push_frame, pushes, background)
    all_loans = pl.concat([background, coord_loans], how="vertical_relaxed")
    alert_frames = _alerts(firms, all_loans, rng, as_of)
    return {"firms": firms, "visits": visits, "application_lists": lists, "application_items": items,
            "recommendation_lists": reco_lists, "recommendation_items": reco_items, "pushes": push_frame,
            "answers": answers, "escalations": escal, "loans": all_loans, "alerts": alert_frames}


def _masked(values: np.ndarray, mask: np.ndarray, dtype: Any) -> pl.Series:
    """``values`` where ``mask``, else null."""
    return pl.select(pl.when(pl.Series(mask)).then(pl.Series(values)).otherwise(None).cast(dtype)).to_series()


def _month_start(as_of: dt.date, back: int) -> dt.date:
    """The first day of the month ``back`` months before the month after ``as_of`` (back=1: as_of's month)."""
    y, m = as_of.year, as_of.month + 1 - back
    while m <= 0:
        m += 12
        y -= 1
    return dt.date(y, m, 1)


def _answers(pushes: pl.DataFrame) -> pl.DataFrame:
    parts = []
    for kind, col, amount in (("accepted", "accepted_at", None), ("declined", "declined_at", None),
                              ("credit_granted", "credit_at", "credit_amount"),
                              ("disbursed", "disbursed_at", "disbursed_amount")):
        sub = pushes.filter(pl.col(col).is_not_null())
        parts.append(sub.select(
            "push_id", "bank_id", pl.lit(kind).alias("kind"), pl.col(col).alias("answered_at"),
            (pl.col("decline_code") if kind == "declined" else pl.lit(None, dtype=pl.String)).alias("decline_code"),
            (pl.col(amount) if amount else pl.lit(None, dtype=pl.Float64)).alias("amount"),
            (pl.col("rate") if kind == "credit_granted" else pl.lit(None, dtype=pl.Float64)).alias("rate"),
            (pl.col("product") if kind == "credit_granted" else pl.lit(None, dtype=pl.String)).alias("product"),
            (pl.col("secured") if kind == "credit_granted" else pl.lit(None, dtype=pl.Boolean)).alias("secured"),
        ))
    return pl.concat(parts).sort("answered_at", "push_id")


def _escalations(pushes: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Pushes whose first answer came (or has not come) after the deadline were escalated the day after it."""
    cal = default_calendar()
    first = pl.coalesce("accepted_at", "declined_at").cast(pl.Date)
    df = pushes.with_columns(first.alias("_first")).filter(
        pl.col("_first").is_null() | (pl.col("_first") > pl.col("answer_due_on")))
    df = df.with_columns((pl.col("answer_due_on") + pl.duration(days=1)).alias("_esc")).filter(pl.col("_esc") <= as_of)
    if df.is_empty():
        return pl.DataFrame(schema={"push_id": pl.Int64, "bank_id": pl.String, "stage": pl.String,
                                    "escalated_at": pl.Datetime("us", "UTC"), "working_days": pl.Int64,
                                    "overdue_by": pl.Int64})
    flow = default_flow_policy()
    esc = df["_esc"].to_numpy().astype("datetime64[D]")
    pushed = df["pushed_at"].cast(pl.Date).to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D")
    wd = cal.working_days_between(pushed, esc + np.timedelta64(1, "D"))
    return df.select(
        "push_id", "bank_id", pl.lit("answer").alias("stage"),
        (pl.col("_esc").cast(pl.Datetime("us", "UTC")) + pl.duration(hours=1)).alias("escalated_at"),
        pl.Series("working_days", wd, dtype=pl.Int64),
        pl.Series("overdue_by", np.maximum(wd - flow.answer_working_days, 1), dtype=pl.Int64))


def _background_loans(firms: pl.DataFrame, rng: np.random.Generator, as_of: dt.date) -> pl.DataFrame:
    """Lending outside the mechanism: about a fifth of the firms hold a bank loan."""
    n = firms.height
    has = rng.random(n) < 0.20
    idx = np.nonzero(has)[0]
    m = len(idx)
    end = _epoch(as_of)
    disb = end - rng.integers(0, 3 * 365, m)
    term = rng.choice(np.array([12, 24, 36]), m, p=(0.6, 0.3, 0.1))
    amount = np.round(np.exp(np.log(2e6) + 0.9 * rng.standard_normal(m)), -4)
    maturity = disb + (term * 30.4375).astype(np.int64)
    matured = maturity <= end
    secured = rng.random(m) < 0.55
    banks = default_bank_policy().bank_ids
    return pl.DataFrame({
        "loan_id": [f"BG{i:07d}" for i in range(m)], "uscc": firms["uscc"].to_numpy()[idx],
        "bank_id": np.array(banks)[rng.integers(0, len(banks), m)],
        "amount": amount, "rate": np.round(0.037 + 0.015 * rng.random(m) - 0.005 * secured, 4), "secured": secured,
        "product": np.where(secured, "guaranteed", "credit"),
        "disbursed_on": pl.Series(disb, dtype=pl.Int32).cast(pl.Date),
        "maturity_on": pl.Series(maturity, dtype=pl.Int32).cast(pl.Date),
        "outstanding": np.where(matured, 0.0, np.round(amount * rng.uniform(0.3, 1.0, m), 2)),
        "status": np.where(matured, "repaid", "active"), "first_loan": rng.random(m) < 0.3,
        "relending_eligible": rng.random(m) < 0.15, "missed_instalments": np.zeros(m, dtype=np.int64),
        "days_past_due": np.zeros(m, dtype=np.int64), "push_id": pl.Series([None] * m, dtype=pl.Int64),
    })


def _feed_loans(loans: pl.DataFrame) -> pl.DataFrame:
    """The bank-loan feed as register rows: a firm's earliest loan is its first loan."""
    first = pl.col("disbursed_on") == pl.col("disbursed_on").min().over("uscc")
    relend = pl.col("product_kind").is_in(["innovation", "ip_pledge", "patent_pool", "talent"]) \
        if "product_kind" in loans.columns else pl.lit(False)
    return loans.select(
        pl.col("loan_id").cast(pl.String), pl.col("uscc").cast(pl.String), pl.col("bank_id").cast(pl.String),
        pl.col("amount").cast(pl.Float64), pl.col("rate").cast(pl.Float64), pl.col("secured").cast(pl.Boolean),
        (pl.col("product_kind") if "product_kind" in loans.columns else pl.lit(None)).cast(pl.String).alias("product"),
        pl.col("disbursed_on").cast(pl.Date), pl.col("maturity_on").cast(pl.Date),
        pl.col("outstanding").cast(pl.Float64), pl.col("status").cast(pl.String), first.alias("first_loan"),
        relend.alias("relending_eligible"), pl.lit(0, dtype=pl.Int64).alias("missed_instalments"),
        (pl.col("days_past_due") if "days_past_due" in loans.columns else pl.lit(0)).cast(pl.Int64)
        .alias("days_past_due"), pl.lit(None, dtype=pl.Int64).alias("push_id"),
    ).unique("loan_id", keep="last")


def _coordination_loans(pushes: pl.DataFrame, routed: pl.DataFrame, background: pl.DataFrame) -> pl.DataFrame:
    d = pushes.filter(pl.col("disbursed_at").is_not_null()).join(
        routed.select("push_id", "innovation_points", "requested_term_months", "tech_sme"), on="push_id")
    earlier = background.group_by("uscc").agg(pl.col("disbursed_on").min().alias("_bg_first"))
    d = d.join(earlier, on="uscc", how="left")
    day = pl.col("disbursed_at").cast(pl.Date)
    return d.select(
        pl.format("CO{}", pl.col("push_id")).alias("loan_id"), "uscc", "bank_id",
        pl.col("disbursed_amount").alias("amount"), "rate", "secured", "product", day.alias("disbursed_on"),
        (day + pl.duration(days=pl.col("requested_term_months").fill_null(12) * 30)).alias("maturity_on"),
        pl.col("disbursed_amount").alias("outstanding"), pl.lit("active").alias("status"),
        (pl.col("_bg_first").is_null() | (pl.col("_bg_first") > day)).alias("first_loan"),
        (pl.col("tech_sme").fill_null(False) | (pl.col("innovation_points").fill_null(0) >= 70))
        .alias("relending_eligible"),
        pl.lit(0, dtype=pl.Int64).alias("missed_instalments"), pl.lit(0, dtype=pl.Int64).alias("days_past_due"),
        pl.col("push_id").cast(pl.Int64),
    )


def _alerts(firms: pl.DataFrame, loans: pl.DataFrame, rng: np.random.Generator, as_of: dt.date) -> pl.DataFrame:
    """Quarterly feed snapshots of the borrowers with a few adverse changes, run through the real rules."""
    out = loans.filter(pl.col("status") == "active")
    borrowers = out.select("uscc").unique().sort("uscc")
    b = borrowers.height
    if b == 0:
        return pl.DataFrame()
    frames = []
    for q in range(4):  # the four quarters up to as_of
        q_end = as_of - dt.timedelta(days=91 * (3 - q))
        r = rng.random((b, 6))
        before = borrowers.with_columns(
            pl.lit(q_end - dt.timedelta(days=91)).alias("as_of"), pl.lit("B").alias("tax_credit_rating"),
            pl.lit(40).alias("employees"), pl.lit(0).alias("open_enforcement_cases"),
            pl.lit(False).alias("abnormal_operations"), pl.lit(False).alias("serious_dishonesty"))
        after = before.with_columns(
            pl.lit(q_end).alias("as_of"),
            pl.Series(np.where(r[:, 0] < 0.010, "C", "B")).alias("tax_credit_rating"),
            pl.Series(np.where(r[:, 1] < 0.015, 25, 40)).alias("employees"),
            pl.Series(np.where(r[:, 2] < 0.012, 1, 0)).alias("open_enforcement_cases"),
            pl.Series(r[:, 3] < 0.006).alias("abnormal_operations"),
            pl.Series(r[:, 4] < 0.002).alias("serious_dishonesty"))
        loans_before = out.with_columns(pl.lit(0, dtype=pl.Int64).alias("missed_instalments"))
        loans_after = out.with_columns(pl.Series(np.where(rng.random(out.height) < 0.01, 1, 0))
                                       .cast(pl.Int64).alias("missed_instalments"))
        pledged = borrowers.sample(fraction=0.3, seed=int(rng.integers(0, 2**31))).with_columns(
            pl.format("CN2023{}", pl.int_range(0, pl.len())).alias("patent_id"), pl.lit(True).alias("pledged"),
            pl.lit("granted").alias("status"))
        lapsed = pledged.with_columns(pl.Series(np.where(rng.random(pledged.height) < 0.02, "lapsed", "granted"))
                                      .alias("status"))
        found = evaluate_alerts(out, features_before=before, features_after=after, patents_before=pledged,
                                patents_after=lapsed, loans_before=loans_before, loans_after=loans_after)
        day = rng.integers(0, 91, found.height)
        frames.append(found.with_columns(
            pl.Series(_ts(np.full(found.height, _epoch(q_end - dt.timedelta(days=90))) + day,
                          np.full(found.height, 7))).cast(pl.Datetime("us", "UTC")).alias("raised_at")))
    return pl.concat(frames)
