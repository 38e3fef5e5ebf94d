"""Coordination use cases: consent-checked reads, application and recommendation lists, pushes and bank
answers, escalation, metrics over the loan register, early warnings.

Every function takes the caller's SQLAlchemy ``Session`` (its unit of work commits) and an explicit
``now`` so that behaviour is reproducible. Functions a bank calls take the acting ``bank_id`` and only
see that bank's pushes, answers and alerts. Documented in docs/coordination.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from innocredit.coordination import alerts as alerts_mod
from innocredit.coordination.calendar import WorkCalendar, default_calendar
from innocredit.coordination.consent import (
    Consent,
    ConsentError,
    ConsentPolicy,
    ConsentRefused,
    as_utc,
    decide,
    default_consent_policy,
    default_field_categories,
    validate_grant,
)
from innocredit.coordination.flow import Answer, FlowPolicy, default_flow_policy, overdue, validate_answer
from innocredit.coordination.metrics import MetricsPolicy, compute_metrics, default_metrics_policy, metrics_report
from innocredit.coordination.routing import BankPolicy, default_bank_policy, route
from innocredit.coordination.screening import ScreeningPolicy, default_screening_policy, screen
from innocredit.evaluation.engine import evaluate
from innocredit.evaluation.system import load_system
from innocredit.profile.features import LOAN_PURPOSES
from innocredit.profile.uscc import uscc_error
from innocredit.services import feeds
from innocredit.storage import coordination as repo
from innocredit.storage import lending as loan_repo

__all__ = [
    "ConsentRefused", "ConsentError", "CoordinationInputError", "NotFound",
    "grant_consent", "revoke_consent", "list_consents", "read_enterprise_data", "access_log",
    "create_application_list", "add_application_items", "screen_application_list", "create_recommendation_list",
    "push_to_banks", "record_answer", "escalate_overdue", "pushes_for_bank", "list_overview", "metrics",
    "raise_alerts", "alerts_for_bank",
]

NotFound = repo.NotFound
SOURCES = ("visit", "self_application")
RELENDING_POINTS = 70.0  # innovation points at or above the policy line make a tech loan relending-eligible
# loans of these product kinds fund technology firms' innovation (the feed's kinds and the catalogue's)
TECH_PRODUCT_KINDS = ("innovation", "ip_pledge", "patent_pool", "talent", "innovation_points")
Loader = Callable[[str], Mapping[str, Any]]


class CoordinationInputError(ValueError):
    """Bad input to the service; the message names the item and field."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return as_utc(now) if now is not None else dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------- consent

def _consent_dict(c: repo.CoordConsent, now: dt.datetime) -> dict[str, Any]:
    dom = _to_domain(c)
    return {"id": c.id, "uscc": c.uscc, "bank_id": c.bank_id, "categories": list(dom.categories),
            "purpose": c.purpose, "valid_from": as_utc(c.valid_from).isoformat(),
            "valid_until": as_utc(c.valid_until).isoformat(), "granted_at": as_utc(c.granted_at).isoformat(),
            "revoked_at": as_utc(c.revoked_at).isoformat() if c.revoked_at else None, "state": dom.state(now)}


def _to_domain(c: repo.CoordConsent) -> Consent:
    return Consent(c.id, c.uscc, c.bank_id, tuple(x for x in c.categories.split(",") if x), as_utc(c.valid_from),
                   as_utc(c.valid_until), as_utc(c.revoked_at) if c.revoked_at else None)


def grant_consent(session: Session, *, uscc: str, bank_id: str, categories: Iterable[str],
                  valid_until: dt.datetime, valid_from: dt.datetime | None = None, purpose: str | None = None,
                  now: dt.datetime | None = None, policy: ConsentPolicy | None = None,
                  banks: Iterable[str] | None = None) -> dict[str, Any]:
    """The enterprise ``uscc`` opens ``categories`` of its data to ``bank_id`` for [valid_from, valid_until).
    ``banks``: the bank ids a consent may name (the platform's active bank organisations); ``None`` skips the
    check (a caller without an organisation register, such as a batch)."""
    now = _now(now)
    policy = policy or default_consent_policy()
    if err := uscc_error(uscc):
        raise CoordinationInputError(err)
    if not bank_id:
        raise CoordinationInputError("bank_id: empty")
    if banks is not None and bank_id not in set(banks):
        raise CoordinationInputError(f"bank_id: {bank_id!r} is not a bank on this platform")
    start = as_utc(valid_from) if valid_from else now
    cats = validate_grant(policy, categories, start, as_utc(valid_until))
    row = repo.add_consent(session, uscc=uscc, bank_id=bank_id, categories=cats, valid_from=start,
                           valid_until=as_utc(valid_until), granted_at=now, policy_version=policy.version,
                           purpose=purpose)
    return _consent_dict(row, now)


def platform_banks(session: Session) -> set[str]:
    """The ids of the platform's active bank organisations (the banks a consent may name)."""
    from innocredit.services.platform import list_organisations

    return {o.id for o in list_organisations(session, kind="bank") if o.active}


def revoke_consent(session: Session, *, consent_id: int, uscc: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The enterprise revokes one of its consents, with immediate effect (a later revocation keeps the first)."""
    now = _now(now)
    try:
        row = repo.get_consent(session, consent_id)
    except NotFound:
        row = None
    if row is None or row.uscc != uscc:
        # one message for "no such consent" and "another firm's": the answer does not disclose which
        raise NotFound(f"no consent {consent_id} of this enterprise")
    if row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return _consent_dict(row, now)


def list_consents(session: Session, *, uscc: str | None = None, bank_id: str | None = None,
                  now: dt.datetime | None = None) -> list[dict[str, Any]]:
    now = _now(now)
    return [_consent_dict(c, now) for c in repo.consents(session, uscc=uscc, bank_id=bank_id)]


def _default_loader(session: Session) -> Loader:
    engine = session.get_bind()
    return lambda uscc: feeds.enterprise_history(engine, uscc)  # type: ignore[arg-type]


def _jsonable(value: Any) -> Any:
    if isinstance(value, pl.DataFrame):
        return value.to_dicts()
    return value


def read_enterprise_data(session: Session, bank_id: str, uscc: str, categories: Iterable[str], purpose: str,
                         now: dt.datetime | None = None, loader: Loader | None = None,
                         policy: ConsentPolicy | None = None) -> dict[str, Any]:
    """A bank reads categories of an enterprise's data: checked against consent and logged either way.

    Allowed: returns ``{"uscc", "bank_id", "read_at", "purpose", "consents": {category: consent_id},
    "data": {category: {feed_id: rows}}}`` where rows come from ``loader(uscc)`` (a mapping feed id ->
    rows or DataFrame; default: the stored department feeds). Refused: the refusal is logged and
    committed (so that it survives the caller's rollback), then ``ConsentRefused`` is raised.
    """
    now = _now(now)
    policy = policy or default_consent_policy()
    cats = tuple(dict.fromkeys(categories))
    unknown = [c for c in cats if c not in policy.categories]
    if unknown or not cats:
        reason = f"unknown data categories: {', '.join(unknown)}" if unknown else "no data category named"
        repo.log_access(session, at=now, bank_id=bank_id, uscc=uscc, categories=cats, purpose=purpose,
                        outcome="refused", reason=reason)
        session.commit()
        raise ConsentRefused(bank_id, uscc, unknown or ["(none)"], reason)
    found = [_to_domain(c) for c in repo.consents(session, uscc=uscc, bank_id=bank_id)]
    decision = decide(found, bank_id, uscc, cats, now)
    if not decision.allowed:
        repo.log_access(session, at=now, bank_id=bank_id, uscc=uscc, categories=cats, purpose=purpose,
                        outcome="refused", consent_ids=decision.consent_ids,
                        reason=f"{decision.reason}; missing {', '.join(decision.missing)}")
        session.commit()
        raise ConsentRefused(bank_id, uscc, decision.missing, decision.reason)
    raw = (loader or _default_loader(session))(uscc)
    data = {cat: {feed: _jsonable(raw[feed]) for feed in policy.feeds(cat) if feed in raw} for cat in cats}
    repo.log_access(session, at=now, bank_id=bank_id, uscc=uscc, categories=cats, purpose=purpose,
                    outcome="allowed", consent_ids=decision.consent_ids)
    return {"uscc": uscc, "bank_id": bank_id, "read_at": now.isoformat(), "purpose": purpose,
            "consents": decision.consent_ids, "data": data}


def access_log(session: Session, *, uscc: str | None = None, bank_id: str | None = None) -> list[dict[str, Any]]:
    return [{"id": r.id, "at": as_utc(r.at).isoformat(), "bank_id": r.bank_id, "uscc": r.uscc,
             "categories": r.categories.split(","), "purpose": r.purpose, "outcome": r.outcome,
             "consent_ids": r.consent_ids, "reason": r.reason}
            for r in repo.access_log(session, uscc=uscc, bank_id=bank_id)]


# ---------------------------------------------------------------- application lists

def create_application_list(session: Session, *, name: str, region_code: str | None = None,
                            created_by: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    if not name.strip():
        raise CoordinationInputError("list name is empty")
    row = repo.add_application_list(session, name=name, region_code=region_code, created_by=created_by,
                                    created_at=_now(now))
    return {"id": row.id, "name": row.name, "region_code": row.region_code, "created_at": row.created_at.isoformat()}


def _check_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    problems: list[str] = []
    out = []
    seen: set[str] = set()
    for i, it in enumerate(items, start=1):
        where = f"item {i}"
        uscc = it.get("uscc")
        if err := uscc_error(uscc):
            problems.append(f"{where}, uscc: {err}")
            continue
        if uscc in seen:
            problems.append(f"{where}, uscc: {uscc} appears twice in the list")
        seen.add(str(uscc))
        src = it.get("source", "visit")
        if src not in SOURCES:
            problems.append(f"{where}, source: {src!r} is not one of {', '.join(SOURCES)}")
        try:
            amount = Decimal(str(it.get("requested_amount")))
            if amount < 0 or not amount.is_finite():
                raise ValueError
        except Exception:
            problems.append(f"{where}, requested_amount: {it.get('requested_amount')!r} is not a non-negative amount")
            continue
        purpose = it.get("loan_purpose")
        if purpose is not None and purpose not in LOAN_PURPOSES:
            problems.append(f"{where}, loan_purpose: {purpose!r} is not one of {', '.join(LOAN_PURPOSES)}")
        premises = it.get("fixed_premises")
        if premises is not None and not isinstance(premises, bool):
            problems.append(f"{where}, fixed_premises: {premises!r} is not true/false")
        visited = it.get("visited_on")
        if isinstance(visited, str):
            try:
                visited = dt.date.fromisoformat(visited)
            except ValueError:
                problems.append(f"{where}, visited_on: {visited!r} is not a date YYYY-MM-DD")
        term = it.get("requested_term_months")
        out.append({**it, "source": src, "requested_amount": amount.quantize(Decimal("0.01")), "visited_on": visited,
                    "requested_term_months": int(term) if term not in (None, "") else None})
    if problems:
        raise CoordinationInputError("; ".join(problems))
    return out


def add_application_items(session: Session, list_id: int, items: list[dict[str, Any]],
                          now: dt.datetime | None = None) -> int:
    """Add financing requests (from a visit or a self-application) to an application list.

    Each item: uscc, requested_amount, [source visit|self_application, visited_on, requested_term_months,
    loan_purpose, fixed_premises (bool), preferred_bank_id, preferred_product, note]. All items are checked
    first; one bad item rejects the call with every problem named, and nothing is stored.
    """
    repo.get_application_list(session, list_id)
    checked = _check_items(items)
    existing = set(repo.application_items(session, list_id)["uscc"].to_list())
    dup = [it["uscc"] for it in checked if it["uscc"] in existing]
    if dup:
        raise CoordinationInputError(f"already in list {list_id}: {', '.join(dup)}")
    return repo.add_application_items(session, list_id, checked, _now(now))


def _features_from_store(session: Session) -> pl.DataFrame | None:
    df = enterprise_register(session)
    return None if df.is_empty() else df


def screen_application_list(session: Session, list_id: int, *, features: pl.DataFrame | None = None,
                            now: dt.datetime | None = None, policy: ScreeningPolicy | None = None) -> pl.DataFrame:
    """Screen every item of a list by the five criteria and store the outcome on the items.

    ``features``: the feature table (plus optional registry_status, innovation_points ...); default: the
    stored department feeds. Returns the screened frame (item_id, uscc, crit_*, passed, failed_criteria,
    unknown_criteria, enrichment columns).
    """
    policy = policy or default_screening_policy()
    items = repo.application_items(session, list_id)
    if features is None:
        features = _features_from_store(session)
    apps = items.drop("screen_passed", "screen_failed", "screen_unknown", "innovation_points", "tech_sme")
    result = screen(apps, features, policy)
    if "tech_sme_registered" not in result.columns:
        result = result.with_columns(pl.lit(None, dtype=pl.Boolean).alias("tech_sme_registered"))
    repo.save_screening(session, list_id, result, _now(now), f"{policy.id} {policy.version}")
    return result


def create_recommendation_list(session: Session, *, application_list_id: int, name: str | None = None,
                               created_by: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """The screened firms that passed all criteria form a recommendation list, best innovation points first."""
    lst = repo.get_application_list(session, application_list_id)
    if lst.screened_at is None:
        raise CoordinationInputError(f"application list {application_list_id} has not been screened yet")
    items = repo.application_items(session, application_list_id).filter(pl.col("screen_passed").fill_null(False))
    items = items.sort("innovation_points", descending=True, nulls_last=True, maintain_order=True)
    rows = [{"application_item_id": r["item_id"], "uscc": r["uscc"], "rank": i + 1,
             "innovation_points": r["innovation_points"]} for i, r in enumerate(items.iter_rows(named=True))]
    reco = repo.add_recommendation_list(session, application_list_id=application_list_id,
                                        name=name or f"{lst.name} (推荐清单)", created_at=_now(now), items=rows,
                                        created_by=created_by)
    return {"id": reco.id, "application_list_id": application_list_id, "name": reco.name, "firms": len(rows)}


def push_to_banks(session: Session, reco_list_id: int, *, region_codes: Mapping[str, str] | None = None,
                  banks: list[str] | None = None, now: dt.datetime | None = None,
                  bank_policy: BankPolicy | None = None, flow: FlowPolicy | None = None,
                  calendar: WorkCalendar | None = None) -> pl.DataFrame:
    """Push each firm of a recommendation list to the banks the routing rules choose.

    The firm's region comes from ``region_codes`` (uscc -> code), else the registry feed, else the list's
    region. Returns the pushes made (uscc, bank_id, rank, preferred, answer_due_on).
    """
    now = _now(now)
    bank_policy = bank_policy or default_bank_policy()
    flow = flow or default_flow_policy()
    calendar = calendar or default_calendar()
    reco = repo.get_recommendation_list(session, reco_list_id)
    already = repo.pushes_frame(session, reco_list_id=reco_list_id)
    if already.height:
        raise CoordinationInputError(f"recommendation list {reco_list_id} has already been pushed")
    items = repo.recommendation_items(session, reco_list_id)
    app_list = repo.get_application_list(session, reco.application_list_id)
    firm_regions: dict[str, str | None] = dict(feeds.firm_regions(session, items["uscc"].to_list()))
    if region_codes:
        firm_regions.update(region_codes)
    items = items.with_columns(pl.col("uscc").replace_strict(firm_regions, default=app_list.region_code,
                                                              return_dtype=pl.String).alias("region_code"))
    routed = route(items, bank_policy, banks)
    due = calendar.add_working_days(now.date(), flow.answer_working_days)
    routed = routed.join(items.select("uscc", "reco_item_id"), on="uscc").with_columns(
        pl.lit(due).alias("answer_due_on"))
    repo.add_pushes(session, [{"reco_item_id": r["reco_item_id"], "reco_list_id": reco_list_id, "uscc": r["uscc"],
                               "bank_id": r["bank_id"], "pushed_at": now, "answer_due_on": due}
                              for r in routed.iter_rows(named=True)])
    return routed.select("uscc", "bank_id", "rank", "preferred", "answer_due_on")


def _push_dict(p: repo.CoordPush) -> dict[str, Any]:
    def ts(v: dt.datetime | None) -> str | None:
        return as_utc(v).isoformat() if v else None

    return {"push_id": p.id, "reco_list_id": p.reco_list_id, "uscc": p.uscc, "bank_id": p.bank_id,
            "pushed_at": ts(p.pushed_at), "answer_due_on": p.answer_due_on.isoformat(), "status": p.status,
            "accepted_at": ts(p.accepted_at), "declined_at": ts(p.declined_at), "decline_code": p.decline_code,
            "credit_at": ts(p.credit_at), "credit_amount": str(p.credit_amount) if p.credit_amount is not None
            else None, "rate": p.rate, "product": p.product, "secured": p.secured,
            "disbursed_at": ts(p.disbursed_at),
            "disbursed_amount": str(p.disbursed_amount) if p.disbursed_amount is not None else None}


def record_answer(session: Session, *, bank_id: str, push_id: int, answer: Answer,
                  now: dt.datetime | None = None, flow: FlowPolicy | None = None,
                  loan_id: str | None = None) -> dict[str, Any]:
    """A bank answers one of its pushes: accepted, declined (reason code), credit_granted (amount, rate,
    product, secured) or disbursed (amount). A disbursement reported by hand (no platform loan, ``loan_id``
    None) puts the loan into the loan register with origin ``push_answer``, so the metrics count it."""
    push = repo.get_push(session, push_id, bank_id, lock=True)
    _answer(session, push, answer, _now(now), flow or default_flow_policy(), register_loan=loan_id is None)
    return _push_dict(push)


def _answer(session: Session, push: repo.CoordPush, answer: Answer, now: dt.datetime, flow: FlowPolicy,
            register_loan: bool) -> None:
    checked = validate_answer(flow, answer)
    flow.next_status(push.status, checked.kind)
    repo.add_answer(session, push, kind=checked.kind, answered_at=now, decline_code=checked.decline_code,
                    amount=checked.amount, rate=checked.rate, product=checked.product, secured=checked.secured,
                    note=checked.note)
    if checked.kind == "disbursed" and register_loan:
        _register_reported_loan(session, push, now)


def relending_eligible(session: Session, *, uscc: str, push_id: int | None, product_kind: str | None,
                       on: dt.date | None = None) -> bool:
    """Relending-eligible (科技创新和技术改造再贷款): the one definition of ``innocredit.lending.relending`` —
    the firm is on an official list on ``on`` (the loan's date; default today): a certificate valid that day
    (科技型中小企业 入库, 高新, 专精特新, the S&T/MIIT certificates feed), the 入库 recorded on its application
    item, or an imported list (``services.relending.firm_listed``) — and the product does not exclude relending.
    Our own score (innovation points) does not qualify a firm."""
    from innocredit.lending.relending import relending_eligible as eligible
    from innocredit.services import relending as relending_services

    day = on or dt.datetime.now(dt.UTC).date()
    listed: dict[str, object] = dict(relending_services.firm_listed(session, uscc, day))
    if push_id is not None:
        push = repo.get_push(session, push_id, None)
        item = session.get(repo.CoordRecommendationItem, push.reco_item_id)
        app = session.get(repo.CoordApplicationItem, item.application_item_id) if item else None
        if app is not None and app.tech_sme:
            listed["tech_sme_registered"] = True
    return eligible(listed, product_relending=relending_services.product_allows_relending(product_kind))


def _register_reported_loan(session: Session, push: repo.CoordPush, now: dt.datetime) -> None:
    from innocredit.services.lending import record_reported_loans

    item = session.get(repo.CoordRecommendationItem, push.reco_item_id)
    app = session.get(repo.CoordApplicationItem, item.application_item_id) if item else None
    term = (app.requested_term_months if app else None) or 12
    amount = push.disbursed_amount or push.credit_amount or Decimal(0)
    record_reported_loans(session, pl.DataFrame([{
        "loan_id": f"push-{push.id}", "uscc": push.uscc, "bank_id": push.bank_id, "amount": float(amount),
        "rate": push.rate, "secured": push.secured, "product": push.product, "disbursed_on": now.date(),
        "maturity_on": now.date() + dt.timedelta(days=int(term * 30.4375)), "outstanding": float(amount),
        "status": "active", "push_id": push.id,
        "relending_eligible": relending_eligible(session, uscc=push.uscc, push_id=push.id,
                                                 product_kind=push.product)}]), origin="push_answer")


# how a push moves forward to each target a lending action reaches (intermediate answers recorded on the way)
PATHS = {"accepted": {"pushed": ["accepted"]},
         "credit_granted": {"pushed": ["accepted", "credit_granted"], "accepted": ["credit_granted"]},
         "disbursed": {"pushed": ["accepted", "credit_granted", "disbursed"],
                       "accepted": ["credit_granted", "disbursed"], "credit_granted": ["disbursed"]},
         "declined": {"pushed": ["declined"], "accepted": ["declined"]}}


def answer_push_for_lending(session: Session, *, bank_id: str, uscc: str, target: str,
                            amount: Decimal | None = None, rate: Decimal | None = None, product: str | None = None,
                            secured: bool | None = None, decline_code: str | None = None, note: str | None = None,
                            now: dt.datetime | None = None) -> dict[str, Any] | None:
    """A lending action on a firm the office pushed to this bank answers the push (called by
    ``services.lending`` in the action's transaction). The newest push of the firm to the bank is moved to
    ``target`` through the answers in between; a push already past the target, or no push at all (a firm the
    bank found itself), is left alone. Returns the push after the answers, or ``None``."""
    push = repo.latest_push(session, bank_id=bank_id, uscc=uscc, lock=True)
    if push is None:
        return None
    steps = PATHS[target].get(push.status, [])
    flow = default_flow_policy()
    for kind in steps:
        answer = Answer(kind=kind, decline_code=decline_code or "D03" if kind == "declined" else None,
                        amount=amount if kind in ("credit_granted", "disbursed") else None,
                        rate=float(rate) if kind == "credit_granted" and rate is not None else None,
                        product=product if kind == "credit_granted" else None,
                        secured=secured if kind == "credit_granted" else None, note=note)
        _answer(session, push, answer, _now(now), flow, register_loan=False)
    return _push_dict(push) if steps or push.status == target else None


def escalate_overdue(session: Session, *, now: dt.datetime | None = None, flow: FlowPolicy | None = None,
                     calendar: WorkCalendar | None = None) -> list[dict[str, Any]]:
    """Escalate every push past its answer or credit deadline (once per stage); returns the new escalations."""
    now = _now(now)
    pushes = repo.pushes_frame(session)
    late = overdue(pushes, now, flow, calendar)
    new = repo.add_escalations(session, late.to_dicts(), now)
    return [{**r, "escalated_at": now.isoformat()} for r in new]


def pushes_for_bank(session: Session, bank_id: str, *, status: str | None = None) -> list[dict[str, Any]]:
    """The pushes of one bank (and only that bank), oldest first."""
    stmt = select(repo.CoordPush).where(repo.CoordPush.bank_id == bank_id).order_by(repo.CoordPush.id)
    if status is not None:
        stmt = stmt.where(repo.CoordPush.status == status)
    return [_push_dict(p) for p in session.scalars(stmt)]


def list_overview(session: Session, application_list_id: int) -> dict[str, Any]:
    """An application list with its items, screening, recommendation lists and pushes (office view)."""
    lst = repo.get_application_list(session, application_list_id)
    items = repo.application_items(session, application_list_id)
    recos = [r for r in repo.recommendation_lists(session) if r.application_list_id == application_list_id]
    return {
        "id": lst.id, "name": lst.name, "region_code": lst.region_code,
        "created_at": as_utc(lst.created_at).isoformat(),
        "screened_at": as_utc(lst.screened_at).isoformat() if lst.screened_at else None,
        "screening": lst.screening_version, "items": items.to_dicts(),
        "recommendation_lists": [{"id": r.id, "name": r.name, "created_at": as_utc(r.created_at).isoformat(),
                                  "pushes": repo.pushes_frame(session, reco_list_id=r.id).to_dicts()}
                                 for r in recos],
    }


# ---------------------------------------------------------------- metrics and alerts

def enterprise_register(session: Session) -> pl.DataFrame:
    """The enterprises as the metrics read them: the feature table from the department feeds, with the
    registry status and the innovation points (one record of each firm: nothing is copied)."""
    engine = session.get_bind()
    df = feeds.features_as_of(engine)  # type: ignore[arg-type]
    if df.is_empty():
        return df
    status = feeds.registry_status(engine)  # type: ignore[arg-type]
    if status is not None and "registry_status" not in df.columns:
        df = df.join(status, on="uscc", how="left")
    if "innovation_points" not in df.columns:
        points = evaluate(load_system("innovation-points"), df)
        df = df.join(points.select("uscc", pl.col("score").alias("innovation_points")), on="uscc", how="left")
    return df


def metrics(session: Session, *, as_of: dt.date, by: str | None = None, since: dt.date | None = None,
            enterprises: pl.DataFrame | None = None, loans: pl.DataFrame | None = None,
            policy: MetricsPolicy | None = None, coverage: str | None = None) -> dict[str, Any]:
    """Coverage, credit, rate, time-to-loan and innovation-points metrics for [since, as_of], grouped by
    ``by`` (region, industry, bank or None). ``enterprises`` defaults to the enterprise register (the feeds,
    with innovation points), ``loans`` to the loan register (platform loans and loans banks report).
    ``coverage`` chooses the coverage definition (``metrics.yaml``; default the policy's default); the report's
    ``coverage_definition`` names it, with its source and its target. An unknown id raises ``ValueError``."""
    definition = (policy or default_metrics_policy()).coverage_definition(coverage)
    if enterprises is None:
        enterprises = enterprise_register(session)
    if loans is None:
        loans = loan_repo.register_frame(session)
    pushes = repo.pushes_frame(session)
    frame = compute_metrics(enterprises, loans, pushes, as_of, since, by, policy, definition.id)
    return metrics_report(frame, as_of, since, by, policy, definition.id)


def coverage_definition(coverage: str | None = None, policy: MetricsPolicy | None = None) -> dict[str, Any]:
    """The coverage definition ``coverage`` (default: the policy's default) as the adapters show it: id, names,
    source, assumptions and target. An unknown id raises ``ValueError`` naming the choices."""
    return (policy or default_metrics_policy()).coverage_definition(coverage).as_dict()


def coverage_choices(policy: MetricsPolicy | None = None) -> tuple[str, ...]:
    """The ids of the coverage definitions, the default first."""
    return (policy or default_metrics_policy()).coverage_ids()


def raise_alerts(session: Session, *, now: dt.datetime | None = None, loans: pl.DataFrame | None = None,
                 features_before: pl.DataFrame | None = None, features_after: pl.DataFrame | None = None,
                 patents_before: pl.DataFrame | None = None, patents_after: pl.DataFrame | None = None,
                 loans_before: pl.DataFrame | None = None, loans_after: pl.DataFrame | None = None,
                 rules: alerts_mod.AlertRules | None = None) -> pl.DataFrame:
    """Evaluate the early-warning rules over new snapshots and store new alerts; returns the alerts raised
    (already-stored ones are not raised twice). ``loans`` (the register linking firms to outstanding loans
    and banks) defaults to the loan register."""
    rules = rules or alerts_mod.default_alert_rules()
    if loans is None:
        loans = loan_repo.register_frame(session)
    found = alerts_mod.evaluate_alerts(loans, features_before=features_before, features_after=features_after,
                                       patents_before=patents_before, patents_after=patents_after,
                                       loans_before=loans_before, loans_after=loans_after, rules=rules)
    repo.add_alerts(session, found, _now(now), rules.version)
    return found


def alerts_for_bank(session: Session, bank_id: str, *, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The alerts on the bank's own loans (and only those), oldest first."""
    import json

    return [{"id": a.id, "rule_id": a.rule_id, "severity": a.severity, "uscc": a.uscc, "loan_id": a.loan_id,
             "bank_id": a.bank_id, "evidence": json.loads(a.evidence), "name_zh": a.name_zh, "name_en": a.name_en,
             "raised_at": as_utc(a.raised_at).isoformat(), "rules": a.rules_version}
            for a in repo.alerts_for_bank(session, bank_id, since=since)]


# ---------------------------------------------------------------- reads the pages and routes show

def application_lists(session: Session) -> list[repo.CoordApplicationList]:
    return repo.application_lists(session)


def get_application_list(session: Session, list_id: int) -> repo.CoordApplicationList:
    return repo.get_application_list(session, list_id)


def get_recommendation_list(session: Session, reco_id: int) -> repo.CoordRecommendationList:
    return repo.get_recommendation_list(session, reco_id)


def pushes_frame(session: Session) -> pl.DataFrame:
    """Every push (office view), one row each."""
    return repo.pushes_frame(session)


def all_pushes(session: Session, *, status: str | None = None) -> list[dict[str, Any]]:
    """Every push of every bank, oldest first (the office's view)."""
    stmt = select(repo.CoordPush).order_by(repo.CoordPush.id)
    if status is not None:
        stmt = stmt.where(repo.CoordPush.status == status)
    return [_push_dict(p) for p in session.scalars(stmt)]


def consented_categories(session: Session, bank_id: str, now: dt.datetime | None = None,
                         uscc: str | None = None) -> dict[str, set[str]]:
    """The data categories each firm's consents in force open to this bank (firms with none are absent)."""
    now = _now(now)
    out: dict[str, set[str]] = {}
    for c in repo.consents(session, bank_id=bank_id, uscc=uscc):
        dom = _to_domain(c)
        if dom.in_force(now):
            out.setdefault(c.uscc, set()).update(dom.categories)
    return out


def pushed_usccs(session: Session, bank_id: str, states: Iterable[str] | None = None,
                 uscc: str | None = None) -> set[str]:
    """Firms pushed to this bank whose push is in one of ``states`` (default: any state)."""
    stmt = select(repo.CoordPush.uscc).where(repo.CoordPush.bank_id == bank_id)
    if states is not None:
        stmt = stmt.where(repo.CoordPush.status.in_(list(states)))
    if uscc is not None:
        stmt = stmt.where(repo.CoordPush.uscc == uscc)
    return set(session.scalars(stmt))


def bank_visible_usccs(session: Session, bank_id: str, now: dt.datetime | None = None) -> set[str]:
    """Firms a bank may see through coordination: pushed to it (push not declined or finished), or with a
    consent to it in force."""
    grant = default_field_categories().push
    return pushed_usccs(session, bank_id, grant.states) | set(consented_categories(session, bank_id, now))


# ---------------------------------------------------------------- pages: filtered, sorted, paged reads

PUSH_SORTS = {"due": "answer_due_on", "pushed": "pushed_at", "status": "status", "credit": "credit_amount"}
ALERT_SORTS = {"raised": "raised_at", "severity": "severity", "rule": "rule_id"}
LIST_SORTS = {"created": "created_at", "name": "name", "region": "region_code"}


def _count(session: Session, stmt: Any) -> int:
    from sqlalchemy import func

    return int(session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())


def _ordered(stmt: Any, model: Any, sorts: dict[str, str], sort: str, default: str, descending: bool) -> Any:
    col = getattr(model, sorts.get(sort, sorts[default]))
    return stmt.order_by(col.is_(None), col.desc() if descending else col.asc(), model.id)


def push_page(session: Session, bank_id: str | None, *, status: str | None = None, usccs: set[str] | None = None,
              overdue: bool = False, today: dt.date | None = None, sort: str = "due", descending: bool = False,
              limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of a bank's pushes (every bank's when ``bank_id`` is None, the office's view), filtered, sorted
    and sliced in the query, with the number that match. ``overdue``: still unanswered past the answer date."""
    push = repo.CoordPush
    stmt = select(push)
    if bank_id is not None:
        stmt = stmt.where(push.bank_id == bank_id)
    if status:
        stmt = stmt.where(push.status == status)
    if usccs is not None:
        stmt = stmt.where(push.uscc.in_(sorted(usccs)))
    if overdue:
        stmt = stmt.where(push.status == "pushed", push.answer_due_on < (today or dt.date.today()))
    total = _count(session, stmt)
    rows = session.scalars(_ordered(stmt, push, PUSH_SORTS, sort, "due", descending).limit(limit).offset(offset))
    return [_push_dict(p) for p in rows], total


def alert_page(session: Session, bank_id: str, *, severity: str | None = None, usccs: set[str] | None = None,
               sort: str = "raised", descending: bool = True, limit: int = 50,
               offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of the alerts on a bank's own loans, filtered, sorted and sliced in the query."""
    import json

    alert = repo.CoordAlert
    stmt = select(alert).where(alert.bank_id == bank_id)
    if severity:
        stmt = stmt.where(alert.severity == severity)
    if usccs is not None:
        stmt = stmt.where(alert.uscc.in_(sorted(usccs)))
    total = _count(session, stmt)
    rows = session.scalars(_ordered(stmt, alert, ALERT_SORTS, sort, "raised", descending).limit(limit)
                           .offset(offset))
    return [{"id": a.id, "rule_id": a.rule_id, "severity": a.severity, "uscc": a.uscc, "loan_id": a.loan_id,
             "bank_id": a.bank_id, "evidence": json.loads(a.evidence), "name_zh": a.name_zh, "name_en": a.name_en,
             "raised_at": as_utc(a.raised_at).isoformat(), "rules": a.rules_version} for a in rows], total


def application_list_page(session: Session, *, region: str | None = None, sort: str = "created",
                          descending: bool = True, limit: int = 50,
                          offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of the office's application lists (newest first by default) with their item counts."""
    from sqlalchemy import func

    lst = repo.CoordApplicationList
    item = repo.CoordApplicationItem
    stmt = select(lst)
    if region:
        stmt = stmt.where(lst.region_code.startswith(region))
    total = _count(session, stmt)
    rows = list(session.scalars(_ordered(stmt, lst, LIST_SORTS, sort, "created", descending).limit(limit)
                                .offset(offset)))
    counts: dict[int, int] = {}
    if rows:
        counts = {int(k): int(v) for k, v in session.execute(
            select(item.list_id, func.count()).where(item.list_id.in_([r.id for r in rows])).group_by(item.list_id))}
    return [{"id": r.id, "name": r.name, "region_code": r.region_code, "created_by": r.created_by,
             "created_at": as_utc(r.created_at).isoformat(), "screened_at": as_utc(r.screened_at).isoformat()
             if r.screened_at else None, "items": counts.get(r.id, 0)} for r in rows], total


def requested_terms(session: Session, usccs: Iterable[str]) -> dict[str, dict[str, Any]]:
    """What each firm asked for on its latest application-list item (amount, term, purpose): the worklist shows
    it beside the push."""
    item = repo.CoordApplicationItem
    wanted = sorted(set(usccs))
    if not wanted:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for it in session.scalars(select(item).where(item.uscc.in_(wanted)).order_by(item.recorded_at, item.id)):
        out[it.uscc] = {"amount": it.requested_amount, "term_months": it.requested_term_months,
                        "purpose": it.loan_purpose, "innovation_points": it.innovation_points}
    return out


def monthly_story(session: Session, *, enterprises: pl.DataFrame, months: int = 12,
                  as_of: dt.date | None = None, policy: MetricsPolicy | None = None,
                  coverage: str | None = None) -> list[dict[str, Any]]:
    """The seed's headline figures month by month, ending with the month of ``as_of`` (default: the latest push,
    i.e. the end of the demo year): coverage over the 12 months to each month's end (under the coverage
    definition ``coverage``, default the policy's), and for the month itself the median calendar days from push to
    credit, the unsecured share of the amount lent, first loans and the relending-eligible amount."""
    coverage = (policy or default_metrics_policy()).coverage_definition(coverage).id
    loans = loan_repo.register_frame(session)
    pushes = repo.pushes_frame(session)
    if as_of is None:
        as_of = (pushes["pushed_at"].max().date() if pushes.height else dt.date.today())  # type: ignore[union-attr]
    ends: list[dt.date] = []
    y, m = as_of.year, as_of.month
    for _ in range(months):
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        ends.append(nxt - dt.timedelta(days=1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    out = []
    for end in reversed(ends):
        start = end.replace(day=1)
        month = compute_metrics(enterprises, loans, pushes, end, start, None, policy, coverage)
        year = compute_metrics(enterprises, loans, pushes, end, None, None, policy, coverage)
        g = month.row(0, named=True) if month.height else {}
        r = year.row(0, named=True) if year.height else {}
        out.append({"month": start.strftime("%Y-%m"), "since": start.isoformat(), "as_of": end.isoformat(),
                    "coverage_rate": r.get("coverage_rate"),
                    "days_push_to_credit_median": g.get("days_push_to_credit_median"),
                    "unsecured_share": g.get("unsecured_share_amount"),
                    "first_loans": g.get("first_loans_count") or 0,
                    "relending_eligible_amount": g.get("relending_eligible_amount") or 0.0})
    return out
