"""Qualification certificates on the pages: the expiry early-warning page (资质到期预警) and the certificates panel
of an enterprise's profile (each certificate with its last valid day and whether it is valid today).

The office sees every firm's certificates that lapse within the horizon and can store the warning on the
outstanding loans of those firms; a bank sees its own borrowers only. The panel needs the science_tech category."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.services import qualifications as svc
from innocredit.web import panels
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.forms import check_date
from innocredit.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)

ROLES = ("coordinator", "admin", "bank_officer", "bank_approver")
OFFICE = ("coordinator", "admin")


def _bank(principal: Principal) -> str | None:
    return principal.org_id if principal.role.startswith("bank_") else None


@router.get("/qualifications")
def expiring_page(request: Request, on: dt.date | None = Query(None),
                  within: int | None = Query(None, ge=0, le=3650),
                  principal: Principal = Depends(require_roles(*ROLES)), session: Session = SESSION) -> Response:
    day = check_date(on, "on") or dt.date.today()
    found = svc.expiring_certificates(session, on=day, within_days=within, bank_id=_bank(principal))
    names = request.app.state.data.names()
    for item in found["items"]:
        item["name"] = item.get("name") or names.get(item["uscc"])
    return render(request, "qualifications.html", found=found, on=day,
                  raised=request.query_params.get("raised"), may_raise=principal.role in OFFICE)


@router.post("/qualifications/alerts", dependencies=[Depends(check_csrf)])
async def raise_alerts(request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    """Store the early warning on each outstanding loan of the firms listed (the banks see it with their alerts)."""
    from innocredit.web.deps import session_scope
    from innocredit.web.problems import ProblemError

    form = await request.form()
    text = str(form.get("on") or "")[:10]
    try:
        day = check_date(dt.date.fromisoformat(text), "on") if text else dt.date.today()
    except ValueError:
        raise ProblemError(422, f"on: not a date (YYYY-MM-DD): {text!r}", "validation") from None
    assert day is not None
    with session_scope(request) as session:
        raised = svc.raise_expiry_alerts(session, on=day)
    return RedirectResponse(f"/qualifications?on={day.isoformat()}&raised={raised}", status_code=303)


def certificates_panel(request: Request, session: Session, principal: Principal, uscc: str,
                       lang: str) -> dict[str, Any] | None:
    today = dt.date.today()
    rows = svc.firm_certificates(session, uscc, on=today)
    return {"on": today, "rows": rows} if rows else None


panels.EXTRA_PANELS["certificates"] = (certificates_panel, "_certificates.html",
                                       ("coordinator", "admin", "bank_officer", "bank_approver", "enterprise"))
panels.PANEL_NEEDS["certificates"] = frozenset({"science_tech"})
