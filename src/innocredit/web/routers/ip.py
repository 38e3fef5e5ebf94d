"""IP: an enterprise's patent portfolio with values and pledge capacity; pledges and pools."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

import innocredit.ip  # noqa: F401  (wired only when the IP area is installed)
from innocredit.storage import ip as store
from innocredit.web.access import ensure_visible
from innocredit.web.auth import BANK_ROLES, Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(tags=["ip"], responses=PROBLEM_RESPONSES)
READERS = ("coordinator", "admin", "bank_officer", "bank_approver", "enterprise", "guarantor")


class Portfolio(BaseModel):
    uscc: str
    patents: int
    value: float | None = None
    value_low: float | None = None
    value_high: float | None = None
    capacity: float | None = None
    items: list[dict[str, Any]]


class PledgeOut(BaseModel):
    registration_no: str
    patent_id: str
    uscc: str
    pledgee: str
    loan_id: str | None = None
    secured_amount: Decimal | None = None
    value_at_registration: Decimal | None = None
    status: str
    registered_on: dt.date
    released_on: dt.date | None = None


class PoolOut(BaseModel):
    id: str
    name: str
    agreement_id: str
    created_on: dt.date


@router.get("/enterprises/{uscc}/ip", response_model=Portfolio)
def portfolio(uscc: str, request: Request, principal: Principal = Depends(require_roles(*READERS)),
              session: Session = SESSION) -> dict:
    """The patents with quality, low/base/high value (relief from royalty), pledge rate and capacity."""
    ensure_visible(session, principal, uscc)
    if not request.app.state.data.has(uscc):
        raise ProblemError(404, "enterprise not found", "not-found")
    out = request.app.state.data.ip_portfolio(uscc)
    if out is None:
        return {"uscc": uscc, "patents": 0, "items": []}
    return {"uscc": uscc, **{k: v for k, v in out.items() if k not in ("rows", "columns")},
            "items": [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                      for r in out["rows"]]}


def _pledge(p: store.Pledge) -> PledgeOut:
    return PledgeOut(registration_no=p.registration_no, patent_id=p.patent_id, uscc=p.uscc, pledgee=p.pledgee,
                     loan_id=p.loan_id, secured_amount=p.secured_amount, value_at_registration=p.value_at_registration,
                     status=p.status, registered_on=p.registered_on, released_on=p.released_on)


@router.get("/ip/pledges", response_model=Page[PledgeOut])
def pledges(status: str | None = Query(None, max_length=16), page: PageParams = Depends(page_params),
            principal: Principal = Depends(require_roles(*READERS)), session: Session = SESSION) -> dict:
    """Pledges: a bank its own (as pledgee), an enterprise its own patents', the office and guarantors all."""
    if principal.role in BANK_ROLES:
        rows = store.list_pledges(session, status=status, pledgee=principal.bank_id or "-")
    elif principal.role == "enterprise":
        rows = store.list_pledges(session, uscc=principal.uscc or "-", status=status)
    else:
        rows = store.list_pledges(session, status=status)
    return paginate([_pledge(p) for p in rows], page)


@router.get("/ip/pools", response_model=Page[PoolOut])
def pools(page: PageParams = Depends(page_params),
          principal: Principal = Depends(require_roles("coordinator", "admin", "bank_officer", "bank_approver",
                                                       "guarantor")),
          session: Session = SESSION) -> dict:
    from sqlalchemy import select

    rows = session.scalars(select(store.Pool).order_by(store.Pool.id)).all()
    return paginate([PoolOut(id=p.id, name=p.name, agreement_id=p.agreement_id, created_on=p.created_on)
                     for p in rows], page)
