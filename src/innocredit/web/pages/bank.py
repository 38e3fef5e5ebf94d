"""Bank pages: matched offers with "apply" on the enterprise profile, the applications list, the review page
(evaluation, PD grade and reasons, IP capacity and products side by side; four-eyes approve / reject), the loan
page with its schedule and repayments, and the portfolio with early warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.services import coordination
from innocredit.services import lending as store
from innocredit.web import lending_access as la
from innocredit.web import panels, risk_access
from innocredit.web.access import ensure_visible
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.i18n import LABELS, label, request_lang
from innocredit.web.pagination import firms_matching, list_state
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, render, state_label

router = APIRouter(include_in_schema=False)
BANK = ("bank_officer", "bank_approver")
LOAN_READERS = ("bank_officer", "bank_approver", "enterprise", "guarantor", "coordinator", "admin")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _money(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation as exc:
        raise ProblemError(422, f"{what}: {text[:40]!r} is not a number", "invalid") from exc
    if not value.is_finite() or value <= 0 or value > Decimal("1e10"):
        raise ProblemError(422, f"{what}: must be a positive amount of at most 10,000,000,000 (got {text[:40]!r})",
                           "invalid")
    return value.quantize(Decimal("0.01"))


def _rate(text: str) -> Decimal:
    """The page's contract rate passes the API's check: a number strictly between 0 and 1 (blank is refused)."""
    raw = text.strip()
    if not raw:
        raise ProblemError(422, "rate: required (a fraction, e.g. 0.035)", "invalid")
    try:
        value = Decimal(raw)
    except InvalidOperation as exc:
        raise ProblemError(422, f"rate: {raw[:40]!r} is not a number", "invalid") from exc
    if not value.is_finite() or not Decimal(0) < value < Decimal(1):
        raise ProblemError(422, f"rate: must be a fraction between 0 and 1, e.g. 0.035 (got {raw[:40]!r})",
                           "invalid")
    return value


def bank_offers(request: Request, session: Session, principal: Principal, uscc: str) -> list[dict[str, Any]] | None:
    model, key, _ = risk_access.bank_model(session, principal.bank_id)
    return request.app.state.data.offers(uscc, model, key)


def offers_panel(request: Request, session: Session, principal: Principal, uscc: str, lang: str) -> Any:
    rows = bank_offers(request, session, principal, uscc)
    if rows is None:
        return None
    return {"rows": rows, "can_apply": principal.role == "bank_officer" and request.url.path.startswith("/enterprises/")}


def risk_panel(request: Request, session: Session, principal: Principal, uscc: str, lang: str) -> Any:
    model, _, row = risk_access.bank_model(session, principal.bank_id)
    if model is None:
        return None
    out = request.app.state.data.risk(uscc, model, lang)
    if out is not None and row is not None:
        out["model"] = f"{out['model']} ({row['status']})"
    return out


def ip_panel(request: Request, session: Session, principal: Principal, uscc: str, lang: str) -> Any:
    fn = getattr(request.app.state.data, "ip_portfolio", None)
    return fn(uscc) if fn else None


panels.EXTRA_PANELS["risk"] = (risk_panel, "_risk.html", ("bank_officer", "bank_approver", "bank_modeller"))
panels.EXTRA_PANELS["ip"] = (ip_panel, "_ip.html", ("bank_officer", "bank_approver", "coordinator", "admin",
                                                    "enterprise"))
panels.EXTRA_PANELS["offers"] = (offers_panel, "_offers.html", ("bank_officer", "bank_approver"))


@router.post("/enterprises/{uscc}/apply", dependencies=[Depends(check_csrf)])
def apply(uscc: str, request: Request, product_id: str = Form(..., max_length=64), amount: str = Form(..., max_length=20),
          term_months: int = Form(..., ge=1, le=360), principal: Principal = Depends(require_roles("bank_officer")),
          session: Session = SESSION) -> Response:
    """The officer applies for the enterprise against a matched product; the application is submitted."""
    ensure_visible(session, principal, uscc)
    if not request.app.state.data.has(uscc):
        raise ProblemError(404, "enterprise not found", "not-found")
    row = request.app.state.data.row(uscc)
    model, _, _ = risk_access.bank_model(session, principal.bank_id)
    # the same checks as the API: with the bank's risk model, eligibility and the offer's limit and term
    offer = next((o for o in bank_offers(request, session, principal, uscc) or [] if o["product_id"] == product_id),
                 None) if model is not None else None
    with domain_call(request_lang(request)):
        out = store.apply(session, bank_id=la.bank_of(principal), uscc=uscc, product_id=product_id,
                          amount=_money(amount, "amount"), term_months=term_months, actor=principal.username,
                          purpose=(row or {}).get("loan_purpose"), policy=request.app.state.lending_policy(),
                          offer=offer)
        if offer and offer["eligible"] and offer.get("rate") is not None and offer.get("limit") is not None:
            store.record_offer(session, la.bank_of(principal), out["id"], limit=Decimal(str(round(offer["limit"], 2))),
                               term_months=int(offer["term_months"] or term_months),
                               rate=Decimal(str(round(offer["rate"], 6))), pd_grade=offer.get("pd_grade"))
    return _redirect(f"/applications/{out['id']}")


APP_STATES = ("draft", "submitted", "under_review", "approved", "rejected", "withdrawn", "contracted")
LOAN_STATES = ("contracted", "active", "overdue", "repaid", "defaulted", "written_off", "closed")
GRADES = tuple("ABCDEFG")
SEVERITIES = ("low", "medium", "high", "critical")


def _choices(lang: str, states: tuple[str, ...], kind: str = "state") -> dict[str, Any]:
    """The filter menus of the lending lists, named in the page language."""
    products = [(p.id, p.name_zh if lang == "zh" else p.name_en) for p in store.catalogue()]
    if kind == "loan":
        products += [(k, label("product_kind", k, lang)) for k in LABELS["product_kind"] if
                     k not in {p for p, _ in products}]
    return {"status": [(s, state_label(s, lang)) for s in states], "product": products,
            "region": [(c, label("region", c, lang)) for c in LABELS["region"]],
            "grade": [(g, g) for g in GRADES], "overdue": [("1", t_yes(lang))],
            "severity": [(s, label("severity", s, lang)) for s in SEVERITIES]}


def t_yes(lang: str) -> str:
    return "是" if lang == "zh" else "Yes"


def filter_fields(lang: str, choices: dict[str, Any], names: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """(name, label, options) of a list page's filter form; ``industry`` is a code prefix typed in."""
    from innocredit.web.i18n import translator

    t = translator(lang)
    text = {"status": t("common.status"), "product": t("app.product"), "region": t("ent.region"),
            "industry": t("ent.industry"), "grade": t("risk.grade"), "overdue": t("list.overdue"),
            "severity": t("portfolio.severity")}
    return [(n, text[n], None if n == "industry" else choices[n]) for n in names]


def worklist(request: Request, session: Session, principal: Principal, rows: list[dict[str, Any]],
             lang: str, due_key: str) -> list[dict[str, Any]]:
    """What an officer decides on, beside each row: innovation points and the line, qualifications, PD grade,
    the best eligible product with its limit and rate, and the working days left to the deadline (negative when
    past)."""
    from innocredit.coordination.calendar import default_calendar
    from innocredit.web.panels import HEADLINE_SYSTEM

    data = request.app.state.data
    system = data.system(HEADLINE_SYSTEM)
    line = getattr(system, "qualification_line", None)
    calendar = default_calendar()
    today = la.today()
    best, grades = _best_offers(request, session, principal, {r["uscc"] for r in rows})
    for r in rows:
        uscc = r["uscc"]
        feat = data.row(uscc) or {}
        ev = data.evaluation_row(HEADLINE_SYSTEM, uscc) if system is not None else None
        r["points"] = ev.get("score") if ev else None
        r["line"] = line
        quals = []
        if feat.get("high_tech_certified"):
            quals.append("high_tech")
        if feat.get("tech_sme_registered"):
            quals.append("tech_sme")
        if feat.get("specialized_level") in ("specialized", "little_giant"):
            quals.append(feat["specialized_level"])
        r["qualifications"] = quals
        r["best"] = best.get(uscc)
        r["pd_grade"] = grades.get(uscc) or (r.get("offer") or {}).get("pd_grade")
        due = r.get(due_key)
        if isinstance(due, str):
            due = dt.date.fromisoformat(due[:10])
        r["days_left"] = calendar.working_days_between(today, due) if isinstance(due, dt.date) else None
        r.setdefault("requested", {"amount": feat.get("requested_amount"),
                                   "term_months": feat.get("requested_term_months"),
                                   "purpose": feat.get("loan_purpose")})
    return rows


def _best_offers(request: Request, session: Session, principal: Principal,
                 usccs: set[str]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The best eligible product (first by rank) and the PD grade of each firm of a page, matched in one pass
    over the page's rows of the bank's enriched table."""
    import polars as pl

    from innocredit.lending import matching

    data = request.app.state.data
    table = _graded(request, session, principal)
    if table is None or not usccs:
        return {}, {}
    page = table.filter(pl.col("uscc").is_in(sorted(usccs)))
    grades = dict(zip(page["uscc"], page["pd_grade"])) if "pd_grade" in page.columns else {}
    best: dict[str, dict[str, Any]] = {}
    if page.height:
        found = matching.match(page, data.products()).filter(pl.col("eligible").fill_null(False)).sort(["uscc",
                                                                                                        "rank"])
        for r in found.unique("uscc", keep="first", maintain_order=True).iter_rows(named=True):
            best[r["uscc"]] = r
    return best, grades


def _graded(request: Request, session: Session, principal: Principal) -> Any:
    model, key, _ = risk_access.bank_model(session, principal.bank_id)
    return request.app.state.data.enriched(model, key)


@router.get("/applications")
def applications(request: Request, principal: Principal = Depends(require_roles(*BANK, "guarantor")),
                 session: Session = SESSION) -> Response:
    """The officer's worklist of credit applications: filtered, sorted and paged in the query."""
    lang = request_lang(request)
    choices = _choices(lang, APP_STATES)
    st = list_state(request, tuple(store.APPLICATION_SORTS), "due", choices={
        k: [v for v, _ in choices[k]] for k in ("status", "product", "grade", "overdue")})
    data = request.app.state.data
    graded = _graded(request, session, principal) if st.get("grade") else None
    usccs = firms_matching(data.features(), st.get("region"), st.get("industry"), st.get("grade"), graded)
    rows, total = store.application_page(
        session, role=principal.role, bank_id=principal.bank_id, uscc=principal.uscc, org_id=principal.org_id,
        status=st.get("status") or None, product=st.get("product") or None, usccs=usccs,
        overdue=bool(st.get("overdue")), today=la.today(), sort=st.sort, descending=st.desc, limit=st.size,
        offset=st.offset)
    for a in rows:
        a["requested"] = {"amount": a["amount"], "term_months": a["term_months"], "purpose": a["purpose"]}
        a["awaiting_second"] = a["status"] == "under_review" and bool(a.get("approver1")) and not a.get("approver2")
    rows = worklist(request, session, principal, rows, lang, "sla_due_on")
    for a in rows:  # a deadline counts down only while the bank owes a decision
        if a["status"] not in ("submitted", "under_review"):
            a["days_left"] = None
    return render(request, "applications.html", apps=rows, names=data.names(), st=st, total=total,
                  fields=filter_fields(lang, choices, ("status", "product", "region", "industry", "grade",
                                                       "overdue")))


def _offer(session: Session, app_id: str) -> Any:
    return store.offer_of_application(session, app_id)


@router.get("/applications/{app_id}")
def application(app_id: str, request: Request, principal: Principal = Depends(require_roles(*BANK, "guarantor")),
                session: Session = SESSION) -> Response:
    app = la.application(session, principal, app_id)
    lang = request_lang(request)
    uscc = app["uscc"]
    row = request.app.state.data.row(uscc) or {"uscc": uscc}
    from innocredit.web.views import summary

    ctx = panels.profile_context(request, session, principal, uscc, row, None, lang)
    loan = store.loan_of_application(session, app_id)
    offer = _offer(session, app_id)
    audit = la.audit(session, principal, app_id) if principal.role in BANK else []
    policy = request.app.state.lending_policy()
    return render(request, "application.html", app=app, ent=summary(row), loan=loan, offer=offer, audit=audit,
                  default_rate=offer["rate"] if offer else f"{policy.lpr_1y + 0.005:.4f}", **ctx)


@router.post("/applications/{app_id}/{action}", dependencies=[Depends(check_csrf)])
async def application_action(app_id: str, action: str, request: Request,
                             principal: Principal = Depends(require_roles(*BANK))) -> Response:
    form = await request.form()
    officer_actions = {"review", "submit", "withdraw", "contract"}
    approver_actions = {"approve", "reject"}
    if action not in officer_actions | approver_actions:
        raise ProblemError(404, "no such action", "not-found")
    if (action in officer_actions and principal.role != "bank_officer") or \
            (action in approver_actions and principal.role != "bank_approver"):
        raise ProblemError(403, "this role may not do that", "forbidden")
    from innocredit.web.deps import session_scope

    bank = la.bank_of(principal)
    policy = request.app.state.lending_policy()
    note = str(form.get("note") or "")[:1000] or None
    with session_scope(request) as session, domain_call(request_lang(request)):
        if action == "review":
            out = store.review(session, bank, app_id, principal.username)
        elif action == "submit":
            out = store.submit(session, bank, app_id, principal.username, policy=policy)
        elif action == "withdraw":
            out = store.withdraw(session, bank, app_id, principal.username)
        elif action == "approve":
            out = store.approve(session, bank, app_id, principal.username, note=note, policy=policy)
        elif action == "reject":
            out = store.reject(session, bank, app_id, principal.username, note or "rejected", policy=policy)
        else:
            out = store.contract(session, bank, app_id, principal.username, rate=_rate(str(form.get("rate") or "")),
                                 policy=policy)
            if out.get("returned_to_approvers"):  # terms beyond the approval: back to the approvers
                return _redirect(f"/applications/{app_id}")
            return _redirect(f"/loans/{out['id']}")
    return _redirect(f"/applications/{app_id}")


@router.get("/loans/{loan_id}")
def loan_page(loan_id: str, request: Request, principal: Principal = Depends(require_roles(*LOAN_READERS)),
              session: Session = SESSION) -> Response:
    loan = la.loan(session, principal, loan_id)
    rows = la.schedule(session, principal, loan_id)
    pays = la.repayments(session, principal, loan_id)
    return render(request, "loan.html", loan=loan, schedule=rows, repayments=pays,
                  compensations=store.compensations(session, loan["id"]),  # visible: la.loan checked the loan
                  name=request.app.state.data.names().get(loan["uscc"]))


@router.post("/loans/{loan_id}/{action}", dependencies=[Depends(check_csrf)])
async def loan_action(loan_id: str, action: str, request: Request,
                      principal: Principal = Depends(require_roles("bank_officer"))) -> Response:
    if action not in ("disburse", "repay"):
        raise ProblemError(404, "no such action", "not-found")
    form = await request.form()
    from innocredit.web.deps import session_scope

    bank = la.bank_of(principal)
    with session_scope(request) as session, domain_call(request_lang(request)):
        if action == "disburse":
            store.disburse(session, bank, loan_id, principal.username)
        else:
            store.repay(session, bank, loan_id, _money(str(form.get("amount") or ""), "amount"), principal.username)
    return _redirect(f"/loans/{loan_id}")


@router.get("/portfolio")
def portfolio(request: Request, principal: Principal = Depends(require_roles(*BANK, "bank_modeller", "coordinator")),
              session: Session = SESSION) -> Response:
    """The loan register (platform loans and loans the bank reports) and the early warnings, each filtered,
    sorted and paged in the query (the alerts by severity)."""
    lang = request_lang(request)
    choices = _choices(lang, LOAN_STATES, "loan")
    st = list_state(request, tuple(store.LOAN_SORTS), "contracted", default_desc=True, choices={
        k: [v for v, _ in choices[k]] for k in ("status", "product", "overdue", "severity")})
    data = request.app.state.data
    usccs = firms_matching(data.features(), st.get("region"), st.get("industry"))
    loans, total, outstanding = store.loan_page(
        session, role=principal.role, bank_id=principal.bank_id, uscc=principal.uscc, org_id=principal.org_id,
        status=st.get("status") or None, product=st.get("product") or None, usccs=usccs,
        overdue=bool(st.get("overdue")), sort=st.sort, descending=st.desc, limit=st.size, offset=st.offset)
    for x in loans:
        x["link"] = x["origin"] == "platform"
    alerts: list[dict[str, Any]] = []
    n_alerts = 0
    if principal.bank_id:
        alerts, n_alerts = coordination.alert_page(session, principal.bank_id, severity=st.get("severity") or None,
                                                   usccs=usccs, limit=st.size, offset=st.offset)
    return render(request, "portfolio.html", loans=loans, alerts=alerts, total=outstanding, n_loans=total,
                  n_alerts=n_alerts, names=data.names(), st=st,
                  fields=filter_fields(lang, choices, ("status", "product", "region", "industry", "overdue",
                                                       "severity")))
