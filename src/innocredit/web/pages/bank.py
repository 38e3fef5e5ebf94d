"""Bank pages: matched offers with "apply" on the enterprise profile, the applications list, the review page
(evaluation, PD grade and reasons, IP capacity and products side by side; four-eyes approve / reject), the loan
page with its schedule and repayments, and the portfolio with early warnings."""

from __future__ import annotations

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
from innocredit.web.i18n import request_lang
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
BANK = ("bank_officer", "bank_approver")
LOAN_READERS = ("bank_officer", "bank_approver", "enterprise", "guarantor", "coordinator", "admin")


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _money(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation as exc:
        raise ProblemError(422, f"{what}: {text!r} is not a number", "invalid") from exc
    if value <= 0:
        raise ProblemError(422, f"{what} must be positive", "invalid")
    return value.quantize(Decimal("0.01"))


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
    with domain_call(request_lang(request)):
        out = store.apply(session, bank_id=la.bank_of(principal), uscc=uscc, product_id=product_id,
                          amount=_money(amount, "amount"), term_months=term_months, actor=principal.username,
                          purpose=(row or {}).get("loan_purpose"), policy=request.app.state.lending_policy())
        offer = next((o for o in bank_offers(request, session, principal, uscc) or [] if o["product_id"] == product_id
                      and o["eligible"] and o.get("rate") is not None), None)
        if offer:
            store.record_offer(session, la.bank_of(principal), out["id"], limit=Decimal(str(round(offer["limit"], 2))),
                               term_months=int(offer["term_months"] or term_months),
                               rate=Decimal(str(round(offer["rate"], 6))), pd_grade=offer.get("pd_grade"))
    return _redirect(f"/applications/{out['id']}")


@router.get("/applications")
def applications(request: Request, principal: Principal = Depends(require_roles(*BANK, "guarantor")),
                 session: Session = SESSION) -> Response:
    rows = la.applications(session, principal)
    rows.sort(key=lambda a: (a["status"] not in ("submitted", "under_review"), str(a["created_on"])), reverse=False)
    return render(request, "applications.html", apps=rows, names=request.app.state.data.names())


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
            rate = Decimal(str(form.get("rate") or "0").strip())
            out = store.contract(session, bank, app_id, principal.username, rate=rate)
            return _redirect(f"/loans/{out['id']}")
    return _redirect(f"/applications/{app_id}")


@router.get("/loans/{loan_id}")
def loan_page(loan_id: str, request: Request, principal: Principal = Depends(require_roles(*LOAN_READERS)),
              session: Session = SESSION) -> Response:
    loan = la.loan(session, principal, loan_id)
    rows = la.schedule(session, principal, loan_id)
    pays = la.repayments(session, principal, loan_id)
    return render(request, "loan.html", loan=loan, schedule=rows, repayments=pays,
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
    loans = la.loans(session, principal)  # the one register: platform loans and loans the bank reports
    alerts = coordination.alerts_for_bank(session, principal.bank_id) if principal.bank_id else []
    for x in loans:
        x["link"] = x["origin"] == "platform"
    total = sum((x["outstanding"] or Decimal(0)) for x in loans)
    return render(request, "portfolio.html", loans=loans, alerts=alerts, total=total,
                  names=request.app.state.data.names())
