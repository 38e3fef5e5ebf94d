"""The guarantor's page: the guarantee requests banks sent its organisation, each open one with an approve form
(the annual fee rate, at most the scheme's cap) and a decline form (a reason code); the decided ones; and the 代偿
it owes on defaulted loans, with a form to record the payment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.services import lending as store
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.i18n import request_lang
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


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
