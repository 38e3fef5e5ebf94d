"""Qualification certificates and their lifecycles: a firm's certificates on a date, the ones about to lapse.

A firm's certificates are science-and-technology data: a bank reads them only with a ground for the
``science_tech`` category (``web.access``). The expiring list is the office's (every firm) or a bank's (its
borrowers with an outstanding loan only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from innocredit.services import qualifications as svc
from innocredit.web import access
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.forms import check_date
from innocredit.web.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["qualifications"], responses=PROBLEM_RESPONSES)

READERS = ("coordinator", "admin", "bank_officer", "bank_approver", "bank_modeller", "enterprise")
LIST_READERS = ("coordinator", "admin", "bank_officer", "bank_approver")


class Certificate(BaseModel):
    qualification: str
    name_zh: str
    name_en: str
    certificate_no: str
    issued_on: dt.date | None
    valid_until: dt.date | None  # the last valid day (printed, or by the policy's period)
    valid: bool  # valid on the date asked
    days_left: int | None
    status: str
    issuer: str | None
    source: str  # the text that sets the validity period
    assumption: bool


class FirmCertificates(BaseModel):
    uscc: str
    on: dt.date
    certificates: list[Certificate]


class ExpiringItem(BaseModel):
    uscc: str
    name: str | None
    qualification: str
    name_zh: str
    name_en: str
    certificate_no: str
    issued_on: dt.date | None
    valid_until: dt.date
    days_left: int
    banks: list[str]


class Expiring(BaseModel):
    on: dt.date
    within_days: int
    count: int
    items: list[ExpiringItem]
    rule: dict[str, Any]


@router.get("/enterprises/{uscc}/certificates", response_model=FirmCertificates)
def firm_certificates(uscc: str, on: dt.date | None = Query(None, description="date (default today)"),
                      principal: Principal = Depends(require_roles(*READERS)),
                      session: Session = SESSION) -> FirmCertificates:
    """The firm's qualification certificates as known on ``on``, each with its last valid day and whether it is
    valid that day (needs the science_tech category)."""
    check_date(on, "on")
    access.ensure_visible(session, principal, uscc, needs=["science_tech"])
    day = on or dt.date.today()
    rows = svc.firm_certificates(session, uscc, on=day)
    return FirmCertificates(uscc=uscc, on=day, certificates=[Certificate(**r) for r in rows])


@router.get("/qualifications/expiring", response_model=Expiring)
def expiring(on: dt.date | None = Query(None, description="date (default today)"),
             within: int | None = Query(None, ge=0, le=3650, description="days ahead (default: the policy's 90)"),
             principal: Principal = Depends(require_roles(*LIST_READERS)),
             session: Session = SESSION) -> Expiring:
    """Certificates valid on ``on`` that lapse within the horizon and no later certificate renews: every firm's
    for the office, a bank's borrowers' (an outstanding loan at the bank) for a bank."""
    check_date(on, "on")
    bank = principal.org_id if principal.role.startswith("bank_") else None
    out = svc.expiring_certificates(session, on=on or dt.date.today(), within_days=within, bank_id=bank)
    return Expiring(**out)
