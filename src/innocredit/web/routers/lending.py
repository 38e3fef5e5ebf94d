"""Lending: products, offers (matching), applications and loans through every lifecycle action, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from innocredit.services import ip as ip_services
from innocredit.services import lending as store
from innocredit.web import lending_access as la
from innocredit.web import risk_access
from innocredit.web.access import ensure_visible
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.forms import DATE_MAX, DATE_MIN
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(tags=["lending"], responses={**PROBLEM_RESPONSES, 409: {"description": "not allowed in this state"}})

OFFICER = ("bank_officer",)
APPROVER = ("bank_approver",)
BANK_READ = ("bank_officer", "bank_approver")
READ_ALL = ("bank_officer", "bank_approver", "enterprise", "guarantor", "coordinator", "admin")
Money = Decimal


class ProductOut(BaseModel):
    id: str
    version: str
    name_zh: str
    name_en: str
    kind: str
    enhancement: str
    min_months: int
    max_months: int


class OfferOut(BaseModel):
    uscc: str
    pd_grade: str | None = None
    product_id: str
    product_version: str | None = None
    name_zh: str
    name_en: str
    eligible: bool
    failed_rule: str | None = None
    failed_reason_zh: str | None = None
    failed_reason_en: str | None = None
    limit: float | None = None
    term_months: int | None = None
    rate: float | None = None
    rank: int | None = None


class ApplicationOut(BaseModel):
    id: str
    bank_id: str
    uscc: str
    product_id: str
    product_version: str
    amount: Money | None
    term_months: int
    purpose: str | None = None
    status: str
    complete: bool
    created_by: str
    created_on: dt.date
    submitted_on: dt.date | None = None
    sla_due_on: dt.date | None = None
    decided_on: dt.date | None = None
    sla_breached: bool | None = None
    reviewer: str | None = None
    approver1: str | None = None
    approver2: str | None = None
    decision_note: str | None = None
    approved_rate: Money | None = None


class ReturnedOut(ApplicationOut):
    returned_to_approvers: bool = True
    beyond: list[str]


class LoanOut(BaseModel):
    id: str
    application_id: str | None = None  # None for a loan the bank reports from outside the platform
    bank_id: str
    uscc: str
    product_id: str
    principal: Money | None
    rate: Money
    term_months: int
    method: str
    day_count: str
    grace_months: int
    status: str
    guarantee_scheme: str | None = None
    pool_scheme: str | None = None
    first_loan: bool
    unsecured: bool
    contracted_on: dt.date
    disbursed_on: dt.date | None = None
    outstanding: Money | None
    days_past_due: int
    dpd_bucket: str
    origin: str = "platform"
    external_id: str | None = None
    maturity_on: dt.date | None = None
    relending_eligible: bool | None = None
    push_id: int | None = None
    guarantor_org_id: str | None = None
    patent_pool_id: str | None = None


class PledgeOut(BaseModel):
    registration_no: str
    patent_id: str
    pledgee: str
    status: str
    registered_on: dt.date | str
    released_on: dt.date | str | None = None


class GuaranteeOut(BaseModel):
    scheme_id: str
    party_id: str
    role: str
    share: Decimal
    fee: Money | None
    org_id: str | None = None


class ScheduleRowOut(BaseModel):
    number: int
    due_date: dt.date
    days: int
    opening_balance: Money | None
    principal: Money | None
    interest: Money | None
    payment: Money | None
    closing_balance: Money | None
    paid_principal: Money | None
    paid_interest: Money | None


class RepaymentOut(BaseModel):
    id: str
    paid_on: dt.date
    amount: Money
    principal: Money
    interest: Money


class AuditOut(BaseModel):
    seq: int
    at: str
    bank_id: str
    subject_type: str
    subject_id: str
    action: str
    from_state: str | None = None
    to_state: str | None = None
    actor: str
    details: str
    hash: str


class NewApplication(BaseModel):
    uscc: str = Field(min_length=18, max_length=18)
    product_id: str = Field(min_length=1, max_length=64)
    amount: Decimal = Field(gt=0, le=Decimal("1e10"), decimal_places=2)
    term_months: int = Field(ge=1, le=360)
    purpose: str | None = Field(None, max_length=32)
    complete: bool = True


class Decision(BaseModel):
    note: str | None = Field(None, max_length=1000)


class Rejection(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    reason_code: str | None = Field(None, pattern=r"^D\d{2}$", description="decline reason code for a pushed firm")


class ContractTerms(BaseModel):
    rate: Decimal = Field(gt=0, lt=1, decimal_places=6)
    principal: Decimal | None = Field(None, gt=0, le=Decimal("1e10"), decimal_places=2)
    term_months: int | None = Field(None, ge=1, le=360)
    method: str = Field("equal_instalment", max_length=24)
    guarantee_scheme: str | None = Field(None, max_length=64)
    guarantor_org_id: str | None = Field(None, max_length=64, description="the guarantor organisation")
    pool_scheme: str | None = Field(None, max_length=64)
    pledged_patents: list[str] | None = Field(None, max_length=200, description="patents an IP pledge loan pledges "
                                              "(default: the firm's unpledged patents on record)")
    patent_pool_id: str | None = Field(None, max_length=64, description="the pool a patent-pool loan draws on")
    first_loan: bool | None = None
    unsecured: bool | None = None


class RepaymentIn(BaseModel):
    amount: Decimal = Field(gt=0, le=Decimal("1e10"), decimal_places=2)
    on: dt.date | None = Field(None, ge=DATE_MIN, le=DATE_MAX)  # year 1 or 9999 overflowed the schedule's dates


class OnDate(BaseModel):
    on: dt.date | None = Field(None, ge=DATE_MIN, le=DATE_MAX)


def _actor(p: Principal) -> str:
    return p.username


@router.get("/products", response_model=Page[ProductOut])
def products(request: Request, page: PageParams = Depends(page_params),
             principal: Principal = Depends(require_roles(*READ_ALL))) -> dict:
    items = [ProductOut(id=p.id, version=str(p.version), name_zh=p.name_zh, name_en=p.name_en, kind=p.kind,
                        enhancement=p.enhancement, min_months=p.min_months, max_months=p.max_months)
             for p in request.app.state.data.products()]
    return paginate(items, page)


@router.get("/enterprises/{uscc}/offers", response_model=Page[OfferOut])
def offers(uscc: str, request: Request, eligible_only: bool = False, page: PageParams = Depends(page_params),
           principal: Principal = Depends(require_roles("bank_officer", "bank_approver")),
           session: Session = SESSION) -> dict:
    """The catalogue matched against the enterprise with the bank's own risk model (PD grade prices the offer):
    eligibility with the first failed rule, limit, term, rate."""
    ensure_visible(session, principal, uscc)
    model, key, _ = risk_access.bank_model(session, principal.bank_id)
    rows = request.app.state.data.offers(uscc, model, key)
    if rows is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    if eligible_only:
        rows = [r for r in rows if r["eligible"]]
    return paginate([OfferOut(**r) for r in rows], page)


@router.get("/applications", response_model=Page[ApplicationOut])
def list_applications(status: str | None = Query(None, max_length=16), page: PageParams = Depends(page_params),
                      principal: Principal = Depends(require_roles(*READ_ALL)),
                      session: Session = SESSION) -> dict:
    return paginate(la.applications(session, principal, status), page)


@router.post("/applications", response_model=ApplicationOut, status_code=201)
def create_application(body: NewApplication, request: Request, principal: Principal = Depends(require_roles(*OFFICER)),
                       session: Session = SESSION) -> dict:
    """Record an application for an enterprise this bank may see; a complete one is submitted at once. The terms
    follow the product and the lending policy (``max_single_loan``); when the bank has a risk model, the firm must
    be eligible for the product and the amount and term within the matched offer (422 naming the field)."""
    ensure_visible(session, principal, body.uscc)
    if not request.app.state.data.has(body.uscc):
        raise ProblemError(404, "enterprise not found", "not-found")
    offer = matched_offer(request, session, principal, body.uscc, body.product_id)
    with domain_call():
        out = store.apply(session, bank_id=la.bank_of(principal), uscc=body.uscc, product_id=body.product_id,
                          amount=body.amount, term_months=body.term_months, actor=_actor(principal),
                          complete=body.complete, purpose=body.purpose, policy=request.app.state.lending_policy(),
                          offer=offer)
        _record_offer(session, principal, out, offer)
    return out


def matched_offer(request: Request, session: Session, principal: Principal, uscc: str,
                  product_id: str) -> dict[str, Any] | None:
    """The offer of ``product_id`` matched for the firm with the bank's risk model; ``None`` when the bank has no
    model (every product's rules need the PD grade the model gives: without it the matcher cannot judge)."""
    model, key, _ = risk_access.bank_model(session, principal.bank_id)
    if model is None:
        return None
    rows = request.app.state.data.offers(uscc, model, key) or []
    return next((r for r in rows if r["product_id"] == product_id), None)


def _record_offer(session: Session, principal: Principal, app: dict[str, Any], hit: dict[str, Any] | None) -> None:
    if hit is None or not hit.get("eligible"):
        return
    if hit and hit.get("limit") is not None and hit.get("rate") is not None:
        store.record_offer(session, la.bank_of(principal), app["id"], limit=Decimal(str(round(hit["limit"], 2))),
                           term_months=int(hit["term_months"] or app["term_months"]),
                           rate=Decimal(str(round(hit["rate"], 6))), pd_grade=hit.get("pd_grade"))


@router.get("/applications/{app_id}", response_model=ApplicationOut)
def get_application(app_id: str, principal: Principal = Depends(require_roles(*READ_ALL)),
                    session: Session = SESSION) -> dict:
    return la.application(session, principal, app_id)


def _action(session: Session, principal: Principal, app_id: str, action: str, request: Request,
            **kw: Any) -> dict[str, Any]:
    bank = la.bank_of(principal)
    policy = request.app.state.lending_policy()
    with domain_call():
        if action == "submit":
            out = store.submit(session, bank, app_id, _actor(principal), policy=policy)
        elif action == "review":
            out = store.review(session, bank, app_id, _actor(principal))
        elif action == "approve":
            out = store.approve(session, bank, app_id, _actor(principal), note=kw.get("note"), policy=policy)
        elif action == "reject":
            out = store.reject(session, bank, app_id, _actor(principal), kw["reason"],
                               reason_code=kw.get("reason_code"), policy=policy)
        elif action == "withdraw":
            out = store.withdraw(session, bank, app_id, _actor(principal))
        else:  # pragma: no cover
            raise ValueError(action)
    return out


@router.post("/applications/{app_id}/submit", response_model=ApplicationOut)
def submit(app_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICER)),
           session: Session = SESSION) -> dict:
    return _action(session, principal, app_id, "submit", request)


@router.post("/applications/{app_id}/review", response_model=ApplicationOut)
def review(app_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICER)),
           session: Session = SESSION) -> dict:
    """Start the credit review and send it for approval (the reviewer may not approve it: four-eyes)."""
    return _action(session, principal, app_id, "review", request)


@router.post("/applications/{app_id}/approve", response_model=ApplicationOut)
def approve(app_id: str, body: Decision, request: Request, principal: Principal = Depends(require_roles(*APPROVER)),
            session: Session = SESSION) -> dict:
    """Approve under four-eyes; above the policy threshold a second, different approver completes it."""
    return _action(session, principal, app_id, "approve", request, note=body.note)


@router.post("/applications/{app_id}/reject", response_model=ApplicationOut)
def reject(app_id: str, body: Rejection, request: Request, principal: Principal = Depends(require_roles(*APPROVER)),
           session: Session = SESSION) -> dict:
    return _action(session, principal, app_id, "reject", request, reason=body.reason, reason_code=body.reason_code)


@router.post("/applications/{app_id}/withdraw", response_model=ApplicationOut)
def withdraw(app_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICER)),
             session: Session = SESSION) -> dict:
    return _action(session, principal, app_id, "withdraw", request)


@router.post("/applications/{app_id}/contract", response_model=LoanOut, status_code=201,
             responses={202: {"model": ReturnedOut, "description": "terms beyond the approval: the application went "
                              "back to the approvers"}})
def contract(app_id: str, body: ContractTerms, request: Request,
             principal: Principal = Depends(require_roles(*OFFICER)), session: Session = SESSION) -> Any:
    """Sign the contract of an approved application: the loan is created (status ``contracted``). Terms beyond
    the approval (principal or term above the approved, rate below the offer's) are not signed: the application
    goes back to the approvers (202 with the application, ``under_review``)."""
    with domain_call():
        out = store.contract(session, la.bank_of(principal), app_id, _actor(principal), rate=body.rate,
                             principal=body.principal, term_months=body.term_months, method=body.method,
                             guarantee_scheme=body.guarantee_scheme, pool_scheme=body.pool_scheme,
                             first_loan=body.first_loan, unsecured=body.unsecured,
                             guarantor_org_id=body.guarantor_org_id, pledged_patents=body.pledged_patents,
                             patent_pool_id=body.patent_pool_id, policy=request.app.state.lending_policy())
    if out.get("returned_to_approvers"):
        return JSONResponse(jsonable_encoder(ReturnedOut(**out)), status_code=202)
    return out


# --------------------------------------------------------------------------- the guarantor's decision and 代偿

GUARANTOR = ("guarantor",)


class GuaranteeRequestIn(BaseModel):
    scheme_id: str = Field(min_length=1, max_length=64, description="the guarantee scheme (lending/schemes)")
    guarantor_org_id: str = Field(min_length=1, max_length=64, description="the guarantor organisation asked")
    guaranteed_amount: Decimal | None = Field(None, gt=0, le=Decimal("1e10"), decimal_places=2,
                                              description="default: the approved amount")


class GuaranteeDecisionIn(BaseModel):
    decision: str = Field(pattern=r"^(approve|decline)$")
    fee_rate: str | float | None = Field(None, description="annual fraction on the guaranteed amount, at most the "
                                         "scheme's cap (e.g. \"0.008\"); required to approve")
    reason_code: str | None = Field(None, max_length=8, description="required to decline (GET "
                                    "/guarantee-decline-reasons)")
    note: str | None = Field(None, max_length=1000)


class GuaranteeRequestOut(BaseModel):
    id: str
    application_id: str
    bank_id: str
    uscc: str
    scheme_id: str
    guarantor_org_id: str
    amount: Money | None
    guaranteed_amount: Money | None
    term_months: int
    status: str
    requested_by: str
    requested_on: dt.date
    fee_rate: Decimal | None = None
    reason_code: str | None = None
    note: str | None = None
    decided_by: str | None = None
    decided_on: dt.date | None = None
    loan_id: str | None = None


class DeclineReasonOut(BaseModel):
    code: str
    name_zh: str
    name_en: str


class CompensationIn(BaseModel):
    amount: str = Field(min_length=1, max_length=40, description="yuan paid to the bank")
    on: dt.date | None = Field(None, ge=DATE_MIN, le=DATE_MAX)
    note: str | None = Field(None, max_length=1000)


class CompensationOut(BaseModel):
    id: str
    loan_id: str
    bank_id: str
    guarantor_org_id: str | None = None
    scheme_id: str
    loss: Money | None
    due: Money | None
    own_share: Money | None
    claim_on: dt.date
    due_on: dt.date
    status: str
    paid: Money | None = None
    paid_on: dt.date | None = None
    late: bool | None = None
    paid_by: str | None = None
    note: str | None = None


def _guarantor_org(principal: Principal) -> str:
    if principal.role != "guarantor" or principal.org_kind != "guarantor":
        raise ProblemError(403, "only a guarantor organisation's user may do this", "forbidden")
    return principal.org_id


@router.post("/applications/{app_id}/guarantee-request", response_model=GuaranteeRequestOut, status_code=201)
def request_guarantee(app_id: str, body: GuaranteeRequestIn, principal: Principal = Depends(require_roles(*OFFICER)),
                      session: Session = SESSION) -> dict:
    """The bank asks a guarantor organisation to guarantee an approved application (one open request at a time).
    A guaranteed contract needs the guarantor's approval of such a request."""
    with domain_call():
        return store.request_guarantee(session, la.bank_of(principal), app_id, _actor(principal),
                                       scheme_id=body.scheme_id, guarantor_org_id=body.guarantor_org_id,
                                       guaranteed_amount=body.guaranteed_amount)


@router.get("/guarantee-requests", response_model=Page[GuaranteeRequestOut])
def list_guarantee_requests(status: str | None = Query(None, pattern=r"^(open|approved|declined)$"),
                            page: PageParams = Depends(page_params),
                            principal: Principal = Depends(require_roles("guarantor", *BANK_READ, "coordinator",
                                                                         "admin")),
                            session: Session = SESSION) -> dict:
    """Guarantee requests: a guarantor sees its organisation's only, a bank its own, the office all."""
    return paginate(store.guarantee_requests(session, role=principal.role, bank_id=principal.bank_id,
                                             org_id=principal.org_id, status=status), page)


@router.get("/guarantee-requests/{request_id}", response_model=GuaranteeRequestOut)
def get_guarantee_request(request_id: str, principal: Principal = Depends(require_roles("guarantor", *BANK_READ,
                                                                                          "coordinator", "admin")),
                          session: Session = SESSION) -> dict:
    with domain_call():
        return store.guarantee_request(session, request_id, role=principal.role, bank_id=principal.bank_id,
                                       org_id=principal.org_id)


@router.post("/guarantee-requests/{request_id}/decision", response_model=GuaranteeRequestOut)
def decide_guarantee(request_id: str, body: GuaranteeDecisionIn,
                     principal: Principal = Depends(require_roles(*GUARANTOR)), session: Session = SESSION) -> dict:
    """The requested guarantor organisation decides: approve with the fee rate (at most the scheme's cap) or decline
    with a reason code. Another organisation's request: 404; a second decision: 409."""
    with domain_call():
        return store.decide_guarantee(session, _guarantor_org(principal), request_id, _actor(principal),
                                      decision=body.decision,
                                      fee_rate=None if body.fee_rate is None else str(body.fee_rate),
                                      reason_code=body.reason_code,
                                      note=body.note)


@router.get("/guarantee-decline-reasons", response_model=list[DeclineReasonOut])
def guarantee_decline_reasons(principal: Principal = Depends(require_roles(*READ_ALL))) -> list[dict]:
    return store.guarantee_decline_reasons()


@router.get("/loans/{loan_id}/compensation", response_model=list[CompensationOut])
def get_compensation(loan_id: str, principal: Principal = Depends(require_roles(*READ_ALL)),
                     session: Session = SESSION) -> list[dict]:
    """The 代偿 of a defaulted guaranteed loan: what the guarantor owes by when, and what it paid (late or not)."""
    la.loan(session, principal, loan_id)
    return store.compensations(session, loan_id)


@router.post("/loans/{loan_id}/compensation", response_model=CompensationOut)
def compensate(loan_id: str, body: CompensationIn, principal: Principal = Depends(require_roles(*GUARANTOR)),
               session: Session = SESSION) -> dict:
    """The guarantor records its 代偿 payment to the bank (the amount owed under the scheme's timeline)."""
    with domain_call():
        return store.compensate(session, _guarantor_org(principal), loan_id, _actor(principal), amount=body.amount,
                                on=body.on, note=body.note)


@router.get("/loans", response_model=Page[LoanOut])
def list_loans(status: str | None = Query(None, max_length=16), page: PageParams = Depends(page_params),
               principal: Principal = Depends(require_roles(*READ_ALL)), session: Session = SESSION) -> dict:
    return paginate(la.loans(session, principal, status), page)


@router.get("/loans/{loan_id}", response_model=LoanOut)
def get_loan(loan_id: str, principal: Principal = Depends(require_roles(*READ_ALL)),
             session: Session = SESSION) -> dict:
    return la.loan(session, principal, loan_id)


@router.get("/loans/{loan_id}/schedule", response_model=Page[ScheduleRowOut])
def get_schedule(loan_id: str, page: PageParams = Depends(page_params),
                 principal: Principal = Depends(require_roles(*READ_ALL)), session: Session = SESSION) -> dict:
    return paginate(la.schedule(session, principal, loan_id), page)


@router.get("/loans/{loan_id}/pledges", response_model=list[PledgeOut])
def get_pledges(loan_id: str, principal: Principal = Depends(require_roles(*READ_ALL)),
                session: Session = SESSION) -> list[dict]:
    """The patents the loan pledges, with their registration in the pledge registry."""
    la.loan(session, principal, loan_id)
    return ip_services.loan_pledges(session, loan_id=loan_id)


@router.get("/loans/{loan_id}/guarantees", response_model=list[GuaranteeOut])
def get_guarantees(loan_id: str, principal: Principal = Depends(require_roles(*READ_ALL)),
                   session: Session = SESSION) -> list[dict]:
    """The guarantee parties of the loan with their shares, fees and organisations."""
    la.loan(session, principal, loan_id)
    return store.guarantees(session, None, loan_id)


@router.get("/loans/{loan_id}/repayments", response_model=Page[RepaymentOut])
def get_repayments(loan_id: str, page: PageParams = Depends(page_params),
                   principal: Principal = Depends(require_roles(*READ_ALL)), session: Session = SESSION) -> dict:
    return paginate(la.repayments(session, principal, loan_id), page)


@router.post("/loans/{loan_id}/disburse", response_model=LoanOut)
def disburse(loan_id: str, body: OnDate, principal: Principal = Depends(require_roles(*OFFICER)),
             session: Session = SESSION) -> dict:
    with domain_call():
        out = store.disburse(session, la.bank_of(principal), loan_id, _actor(principal), on=body.on)
    return out


@router.post("/loans/{loan_id}/repayments", response_model=LoanOut)
def repay(loan_id: str, body: RepaymentIn, principal: Principal = Depends(require_roles(*OFFICER)),
          session: Session = SESSION) -> dict:
    with domain_call():
        return store.repay(session, la.bank_of(principal), loan_id, body.amount, _actor(principal), on=body.on)


@router.post("/loans/{loan_id}/default", response_model=LoanOut)
def declare_default(loan_id: str, body: OnDate, principal: Principal = Depends(require_roles(*APPROVER)),
                    session: Session = SESSION) -> dict:
    with domain_call():
        out = store.default(session, la.bank_of(principal), loan_id, _actor(principal), on=body.on)
    return {k: v for k, v in out.items() if k not in ("loss", "allocation")}


@router.post("/loans/{loan_id}/write-off", response_model=LoanOut)
def write_off(loan_id: str, principal: Principal = Depends(require_roles(*APPROVER)),
              session: Session = SESSION) -> dict:
    with domain_call():
        return store.write_off(session, la.bank_of(principal), loan_id, _actor(principal))


@router.post("/loans/{loan_id}/close", response_model=LoanOut)
def close(loan_id: str, principal: Principal = Depends(require_roles(*OFFICER)),
          session: Session = SESSION) -> dict:
    with domain_call():
        return store.close(session, la.bank_of(principal), loan_id, _actor(principal))


@router.get("/audit", response_model=Page[AuditOut])
def audit(subject_id: str | None = Query(None, max_length=64), page: PageParams = Depends(page_params),
          principal: Principal = Depends(require_roles("bank_officer", "bank_approver", "coordinator", "admin")),
          session: Session = SESSION) -> dict:
    """The lending audit trail (hash-chained), the bank's own entries only."""
    return paginate(la.audit(session, principal, subject_id), page)


class ChainCheckOut(BaseModel):
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None
    keyed_entries: int
    anchored: bool
    rows_checked: int
    bad_rows: list[str]
    warnings: list[str]


@router.get("/audit/verify", response_model=ChainCheckOut)
def audit_verify(principal: Principal = Depends(require_roles("admin")), session: Session = SESSION) -> dict:
    """Verify the whole lending audit log with the audit key (admins): the hash chain, each entry's MAC, the head's
    anchor of the tail (deleted last entries), and the application and loan rows against their last entry (an
    approver or amount edited behind the log's back). ``ok`` is false with the first bad entry or the rows named."""
    return store.verify_audit_chain(session).as_dict()
