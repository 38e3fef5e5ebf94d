"""Enterprise self-service: my score and how to raise it, my consents, ask for financing, my applications and
loans. An enterprise user only ever sees its own organisation's USCC."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.coordination.consent import default_consent_policy
from innocredit.coordination.routing import default_bank_policy
from innocredit.services import coordination as service
from innocredit.web import lending_access as la
from innocredit.web import panels
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.forms import DbId, check_date, parse_amount
from innocredit.web.i18n import request_lang
from innocredit.web.problems import ProblemError
from innocredit.web.render import check_csrf, render
from innocredit.web.views import summary

router = APIRouter(include_in_schema=False)
SELF_LIST = "企业自主申报 / Self-applications"


def _uscc(principal: Principal) -> str:
    if not principal.uscc:
        raise ProblemError(403, "this account is not tied to an enterprise", "forbidden")
    return principal.uscc


@router.get("/me")
def me(request: Request, principal: Principal = Depends(require_roles("enterprise")),
       session: Session = SESSION) -> Response:
    uscc = _uscc(principal)
    lang = request_lang(request)
    row = request.app.state.data.row(uscc) or {"uscc": uscc, "name": principal.org_name(lang)}
    ctx = panels.profile_context(request, session, principal, uscc, row, None, lang)
    consents = service.list_consents(session, uscc=uscc)
    policy = default_consent_policy()
    return render(request, "me.html", ent=summary(row), consents=consents, categories=policy.categories,
                  banks=default_bank_policy().banks, loans=la.loans(session, principal),
                  apps=la.applications(session, principal),
                  default_until=(dt.date.today() + dt.timedelta(days=180)).isoformat(),
                  applied=request.query_params.get("applied") == "1", **ctx)


@router.post("/me/consents", dependencies=[Depends(check_csrf)])
async def grant(request: Request, principal: Principal = Depends(require_roles("enterprise"))) -> Response:
    form = await request.form()
    uscc = _uscc(principal)
    try:
        day = dt.date.fromisoformat(str(form.get("valid_until")))
    except ValueError as exc:
        raise ProblemError(422, "valid_until: not a date YYYY-MM-DD", "invalid") from exc
    check_date(day, "valid_until")
    until = dt.datetime.combine(day, dt.time(23, 59), tzinfo=dt.UTC)
    from innocredit.web.deps import session_scope

    with session_scope(request) as session, domain_call(request_lang(request)):
        service.grant_consent(session, uscc=uscc, bank_id=str(form.get("bank_id") or ""),
                              categories=[str(c) for c in form.getlist("categories")], valid_until=until,
                              purpose=str(form.get("purpose") or "")[:300] or None,
                              banks=service.platform_banks(session))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/consents/{consent_id}/revoke", dependencies=[Depends(check_csrf)])
def revoke(consent_id: DbId, principal: Principal = Depends(require_roles("enterprise")),
           session: Session = SESSION) -> Response:
    with domain_call():
        service.revoke_consent(session, consent_id=consent_id, uscc=_uscc(principal))
    return RedirectResponse("/me", status_code=303)


@router.post("/me/apply", dependencies=[Depends(check_csrf)])
def ask_financing(amount: str = Form(..., max_length=20), term_months: int = Form(12, ge=1, le=360),
                  purpose: str = Form("working_capital", max_length=32),
                  principal: Principal = Depends(require_roles("enterprise")),
                  session: Session = SESSION) -> Response:
    """A self-application goes onto the office's open self-application list, to be screened and recommended."""
    uscc = _uscc(principal)
    value = parse_amount(amount, "amount")
    lists = [x for x in service.application_lists(session) if x.name == SELF_LIST and x.screened_at is None]
    with domain_call():
        list_id = lists[-1].id if lists else service.create_application_list(
            session, name=SELF_LIST, created_by=principal.username)["id"]
        service.add_application_items(session, list_id, [{
            "uscc": uscc, "requested_amount": value, "requested_term_months": term_months, "loan_purpose": purpose,
            "source": "self_application"}])
    return RedirectResponse("/me?applied=1", status_code=303)
