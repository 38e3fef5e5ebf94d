"""IP: an enterprise's patent portfolio with values and pledge capacity; pledges and pools."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from innocredit.services import ip as ip_services
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


class PoolPatentOut(BaseModel):
    patent_id: str
    uscc: str


class PoolAllocationOut(BaseModel):
    pool_id: str
    loan_id: str
    bank_id: str
    uscc: str
    amount: Decimal
    allocated_on: dt.date
    released_on: dt.date | None = None
    status: str


class PoolDetail(PoolOut):
    patents: list[PoolPatentOut]
    members: list[str]
    allocations: list[PoolAllocationOut]
    allocated: Decimal


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


@router.get("/ip/pledges", response_model=Page[PledgeOut])
def pledges(status: str | None = Query(None, max_length=16), loan_id: str | None = Query(None, max_length=64),
            page: PageParams = Depends(page_params),
            principal: Principal = Depends(require_roles(*READERS)), session: Session = SESSION) -> dict:
    """Pledges: a bank its own (as pledgee), an enterprise its own patents', the office and guarantors all;
    ``loan_id`` keeps one loan's."""
    if status is not None and status not in ip_services.PLEDGE_STATUSES:
        raise ProblemError(422, f"status must be one of {', '.join(ip_services.PLEDGE_STATUSES)}", "invalid")
    if principal.role in BANK_ROLES:
        rows = ip_services.list_pledges(session, status=status, pledgee=principal.bank_id or "-",
                                        loan_id=loan_id)
    elif principal.role == "enterprise":
        rows = ip_services.list_pledges(session, uscc=principal.uscc or "-", status=status, loan_id=loan_id)
    else:
        rows = ip_services.list_pledges(session, status=status, loan_id=loan_id)
    return paginate([PledgeOut(**{k: v for k, v in p.items() if k in PledgeOut.model_fields}) for p in rows], page)


POOL_READERS = ("coordinator", "admin", "bank_officer", "bank_approver", "guarantor")


@router.get("/ip/pools", response_model=Page[PoolOut])
def pools(page: PageParams = Depends(page_params), principal: Principal = Depends(require_roles(*POOL_READERS)),
          session: Session = SESSION) -> dict:
    return paginate([PoolOut(**p) for p in ip_services.list_pools(session)], page)


@router.get("/ip/pools/{pool_id}", response_model=PoolDetail)
def pool_detail(pool_id: str, principal: Principal = Depends(require_roles(*POOL_READERS)),
                session: Session = SESSION) -> dict:
    """A pool's patents and members, and the loans drawn on it (a bank sees only its own loans)."""
    if len(pool_id) > 64:
        raise ProblemError(422, "pool_id is longer than 64 characters", "invalid")
    bank = (principal.bank_id or "-") if principal.role in BANK_ROLES else None
    try:
        return ip_services.pool_overview(session, pool_id, bank_id=bank)
    except ip_services.PledgeError as exc:
        raise ProblemError(404, f"pool {pool_id!r} not found", "not-found") from exc
