"""The guarantor's page: the guarantee requests banks sent its organisation, each open one with an approve form
(the annual fee rate, at most the scheme's cap) and a decline form (a reason code); the decided ones; and the 代偿
it owes on defaulted loans, with a form to record the payment.

The bank's side, as a panel of the application page: the application's guarantee requests with their decisions,
a form to ask a guarantor (approved applications) and, once a guarantor approved, the guaranteed contract."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.services import lending as store
from innocredit.services import platform
from innocredit.web import lending_access as la
from innocredit.web import panels
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.forms import parse_amount, parse_rate
from innocredit.web.i18n import request_lang
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def guarantee_panel(request: Request, session: Session, principal: Principal, uscc: str, lang: str) -> Any:
    """On the bank's application page: the application's guarantee requests, the form to ask a guarantor and the
    guaranteed contract once one approved (``None`` elsewhere, e.g. on the enterprise profile)."""
    app_id = request.path_params.get("app_id")
    if not app_id or not principal.bank_id:
        return None
    try:
        app = store.get_application(session, principal.bank_id, app_id)
    except store.NotFound:
        return None
    rows = store.guarantee_requests(session, role=principal.role, bank_id=principal.bank_id, application_id=app_id)
    if app["status"] != "approved" and not rows:
        return None
    officer = principal.role == "bank_officer" and app["status"] == "approved"
    busy = any(r["status"] == "open" or (r["status"] == "approved" and r["loan_id"] is None) for r in rows)
    return {"app": app, "rows": rows, "can_ask": officer and not busy, "schemes": store.guarantee_scheme_names(),
            "usable": [r for r in rows if officer and r["status"] == "approved" and r["loan_id"] is None],
            "guarantors": [(o.id, o.name_zh if lang == "zh" else o.name_en)
                           for o in platform.list_organisations(session, "guarantor")],
            "reasons": {r["code"]: r for r in store.guarantee_decline_reasons()}}


panels.EXTRA_PANELS["guarantee"] = (guarantee_panel, "_guarantee_panel.html", ("bank_officer", "bank_approver"))
panels.PANEL_NEEDS["guarantee"] = frozenset()  # reads no enterprise data category


@router.post("/guarantees/ask/{app_id}", dependencies=[Depends(check_csrf)])
async def ask(app_id: str, request: Request, principal: Principal = Depends(require_roles("bank_officer"))) -> Response:
    """The officer asks a guarantor organisation to guarantee the approved application."""
    form = await request.form()
    from innocredit.web.deps import session_scope

    raw = str(form.get("guaranteed_amount") or "").strip()
    guaranteed = parse_amount(raw, "guaranteed_amount") if raw else None
    with session_scope(request) as session, domain_call(request_lang(request)):
        store.request_guarantee(session, la.bank_of(principal), app_id, principal.username,
                                scheme_id=str(form.get("scheme_id") or "")[:64],
                                guarantor_org_id=str(form.get("guarantor_org_id") or "")[:64],
                                guaranteed_amount=guaranteed)
    return RedirectResponse(f"/applications/{app_id}", status_code=303)


@router.post("/guarantees/contract/{app_id}", dependencies=[Depends(check_csrf)])
async def contract(app_id: str, request: Request,
                   principal: Principal = Depends(require_roles("bank_officer"))) -> Response:
    """The officer signs the guaranteed contract on the guarantor's approval (its scheme, guarantor and fee rate)."""
    form = await request.form()
    from innocredit.web.deps import session_scope

    bank = la.bank_of(principal)
    rate = parse_rate(form.get("rate"))
    with session_scope(request) as session, domain_call(request_lang(request)):
        req = store.guarantee_request(session, str(form.get("request_id") or "")[:36], role=principal.role,
                                      bank_id=bank)
        if req["application_id"] != app_id:
            raise ProblemError(404, "guarantee request not found for this application", "not-found")
        out = store.contract(session, bank, app_id, principal.username, rate=rate, guarantee_scheme=req["scheme_id"],
                             guarantor_org_id=req["guarantor_org_id"], policy=request.app.state.lending_policy())
    if out.get("returned_to_approvers"):
        return RedirectResponse(f"/applications/{app_id}", status_code=303)
    return RedirectResponse(f"/loans/{out['id']}", status_code=303)


def _org(principal: Principal) -> str:
    if principal.org_kind != "guarantor":
        raise ProblemError(403, "only a guarantor organisation's user may do this", "forbidden")
    return principal.org_id


@router.get("/guarantees")
def guarantees(request: Request, principal: Principal = Depends(require_roles("guarantor")),
               session: Session = SESSION) -> Response:
    org = _org(principal)
    rows = store.guarantee_requests(session, role="guarantor", org_id=org)
    return render(request, "guarantees.html", open_rows=[r for r in rows if r["status"] == "open"],
                  decided=[r for r in rows if r["status"] != "open"], schemes=store.guarantee_scheme_names(),
                  reasons=store.guarantee_decline_reasons(), names=request.app.state.data.names(),
                  compensations=store.guarantor_compensations(session, org))


@router.post("/guarantees/{request_id}/{action}", dependencies=[Depends(check_csrf)])
async def decide(request_id: str, action: str, request: Request,
                 principal: Principal = Depends(require_roles("guarantor"))) -> Response:
    """Approve (``fee_rate``) or decline (``reason_code``) one of the organisation's open requests; pay a 代偿
    (``action`` = ``compensate``, ``request_id`` is then the loan)."""
    if action not in ("approve", "decline", "compensate"):
        raise ProblemError(404, "no such action", "not-found")
    form = await request.form()
    from innocredit.web.deps import session_scope

    org = _org(principal)
    note = str(form.get("note") or "")[:1000] or None
    with session_scope(request) as session, domain_call(request_lang(request)):
        if action == "compensate":
            store.compensate(session, org, request_id, principal.username, amount=str(form.get("amount") or "")[:40],
                             note=note)
        else:
            store.decide_guarantee(session, org, request_id, principal.username, decision=action,
                                   fee_rate=str(form.get("fee_rate") or "")[:40] if action == "approve" else None,
                                   reason_code=str(form.get("reason_code") or "")[:8] or None, note=note)
    return RedirectResponse("/guarantees", status_code=303)
