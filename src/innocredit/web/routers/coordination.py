"""Coordination: consents and consent-checked reads, application and recommendation lists, pushes and bank
answers, metrics and early-warning alerts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.orm import Session

from innocredit.coordination.flow import Answer
from innocredit.services import coordination as service
from innocredit.web.auth import BANK_ROLES, Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.domain import domain_call
from innocredit.web.forms import DATE_MAX, DATE_MIN, DbId, check_date
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


router = APIRouter(tags=["coordination"], responses=PROBLEM_RESPONSES)

OFFICE = ("coordinator", "admin")


class ConsentOut(BaseModel):
    id: int
    uscc: str
    bank_id: str
    categories: list[str]
    purpose: str | None = None
    valid_from: str
    valid_until: str
    granted_at: str
    revoked_at: str | None = None
    state: str


class ConsentIn(BaseModel):
    bank_id: str = Field(min_length=1, max_length=64)
    categories: list[str] = Field(min_length=1, max_length=20)
    valid_until: dt.datetime
    purpose: str | None = Field(None, max_length=300)

    @field_validator("valid_until")
    @classmethod
    def _bounded(cls, v: dt.datetime) -> dt.datetime:
        check_date(v.date(), "valid_until")
        return v


class DataRead(BaseModel):
    uscc: str
    bank_id: str
    read_at: str
    purpose: str
    consents: dict[str, Any]
    data: dict[str, Any]


class ListIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    region_code: str | None = Field(None, pattern=r"^\d{6}$")


class ListOut(BaseModel):
    id: int
    name: str
    region_code: str | None = None
    created_at: str
    screened_at: str | None = None


class ItemIn(BaseModel):
    uscc: str = Field(min_length=18, max_length=18)
    requested_amount: Decimal = Field(ge=0, le=Decimal("1e10"))
    requested_term_months: int | None = Field(None, ge=1, le=360)
    loan_purpose: str | None = Field(None, max_length=32)
    source: str = Field("visit", max_length=16)
    visited_on: dt.date | None = Field(None, ge=DATE_MIN, le=DATE_MAX)
    fixed_premises: bool | None = None
    preferred_bank_id: str | None = Field(None, max_length=64)
    preferred_product: str | None = Field(None, max_length=32)
    note: str | None = Field(None, max_length=1000)


class ItemsIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=5000)


class RecoIn(BaseModel):
    name: str | None = Field(None, max_length=200)


class PushIn(BaseModel):
    banks: list[str] | None = Field(None, max_length=50)


class PushOut(BaseModel):
    push_id: int
    reco_list_id: int
    uscc: str
    bank_id: str
    pushed_at: str | None = None
    answer_due_on: str
    status: str
    accepted_at: str | None = None
    declined_at: str | None = None
    decline_code: str | None = None
    credit_at: str | None = None
    credit_amount: str | None = None
    rate: float | None = None
    product: str | None = None
    secured: bool | None = None
    disbursed_at: str | None = None
    disbursed_amount: str | None = None


class AnswerIn(BaseModel):
    kind: str = Field(pattern="^(accepted|declined|credit_granted|disbursed)$")
    decline_code: str | None = Field(None, max_length=8)
    amount: Decimal | None = Field(None, ge=0, le=Decimal("1e10"))
    rate: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    product: str | None = Field(None, max_length=32)
    secured: bool | None = None
    note: str | None = Field(None, max_length=1000)


class AlertOut(BaseModel):
    id: int
    rule_id: str
    severity: str
    uscc: str
    loan_id: str | None = None
    bank_id: str | None = None
    evidence: Any = None
    name_zh: str | None = None
    name_en: str | None = None
    raised_at: str
    rules: str | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ---- consents ---------------------------------------------------------------------------------------------------

@router.get("/consents", response_model=Page[ConsentOut])
def list_consents(page: PageParams = Depends(page_params),
                  principal: Principal = Depends(require_roles("enterprise", "bank_officer", "bank_approver",
                                                               "coordinator", "admin")),
                  session: Session = SESSION) -> dict:
    """An enterprise sees its own consents, a bank the consents given to it, the office all."""
    if principal.role == "enterprise":
        rows = service.list_consents(session, uscc=principal.uscc or "-")
    elif principal.role in BANK_ROLES:
        rows = service.list_consents(session, bank_id=principal.bank_id or "-")
    else:
        rows = service.list_consents(session)
    return paginate(rows, page)


@router.post("/consents", response_model=ConsentOut, status_code=201)
def grant(body: ConsentIn, principal: Principal = Depends(require_roles("enterprise")),
          session: Session = SESSION) -> dict:
    """The enterprise opens categories of its data to a bank until ``valid_until``."""
    with domain_call():
        return service.grant_consent(session, uscc=principal.uscc or "", bank_id=body.bank_id,
                                     categories=body.categories, valid_until=body.valid_until, purpose=body.purpose,
                                     banks=service.platform_banks(session))


@router.post("/consents/{consent_id}/revoke", response_model=ConsentOut)
def revoke(consent_id: DbId, principal: Principal = Depends(require_roles("enterprise")),
           session: Session = SESSION) -> dict:
    with domain_call():
        return service.revoke_consent(session, consent_id=consent_id, uscc=principal.uscc or "")


@router.get("/enterprises/{uscc}/data", response_model=DataRead)
def read_data(uscc: str, request: Request, categories: list[str] = Query(..., max_length=20),
              purpose: str = Query(..., min_length=1, max_length=300),
              principal: Principal = Depends(require_roles("bank_officer", "bank_approver")),
              session: Session = SESSION) -> dict:
    """A bank reads department data of an enterprise, category by category, as its consents allow (logged)."""
    with domain_call():
        out = service.read_enterprise_data(session, principal.bank_id or "", uscc, categories, purpose)
    return out


# ---- lists ------------------------------------------------------------------------------------------------------

def _list_out(x: Any) -> ListOut:
    return ListOut(id=x.id, name=x.name, region_code=x.region_code, created_at=_utc(x.created_at).isoformat(),
                   screened_at=_utc(x.screened_at).isoformat() if x.screened_at else None)


@router.get("/lists", response_model=Page[ListOut])
def application_lists(page: PageParams = Depends(page_params), principal: Principal = Depends(require_roles(*OFFICE)),
                      session: Session = SESSION) -> dict:
    return paginate([_list_out(x) for x in service.application_lists(session)], page)


@router.post("/lists", response_model=ListOut, status_code=201)
def create_list(body: ListIn, principal: Principal = Depends(require_roles(*OFFICE)),
                session: Session = SESSION) -> ListOut:
    with domain_call():
        out = service.create_application_list(session, name=body.name, region_code=body.region_code,
                                              created_by=principal.username)
        return _list_out(service.get_application_list(session, out["id"]))


@router.get("/lists/{list_id}", response_model=dict[str, Any])
def list_overview(list_id: DbId, principal: Principal = Depends(require_roles(*OFFICE)),
                  session: Session = SESSION) -> dict:
    """The list with its items, screening outcome, recommendation lists and pushes (with bank answers)."""
    with domain_call():
        out = service.list_overview(session, list_id)
    return _jsonable(out)


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, float) and v != v:
        return None
    return v


@router.post("/lists/{list_id}/items", response_model=dict[str, int], status_code=201)
def add_items(list_id: DbId, body: ItemsIn, principal: Principal = Depends(require_roles(*OFFICE)),
              session: Session = SESSION) -> dict:
    """Add financing requests; one bad item rejects the call with every problem named."""
    with domain_call():
        n = service.add_application_items(session, list_id, [i.model_dump() for i in body.items])
    return {"added": n}


@router.post("/lists/{list_id}/screen", response_model=dict[str, int])
def screen(list_id: DbId, request: Request, principal: Principal = Depends(require_roles(*OFFICE)),
           session: Session = SESSION) -> dict:
    """Screen every item by the policy's criteria (against the current feature table)."""
    with domain_call():
        out = service.screen_application_list(session, list_id, features=request.app.state.data.screening_features())
    return {"screened": out.height, "passed": int(out["passed"].fill_null(False).sum())}


@router.post("/lists/{list_id}/recommendations", response_model=dict[str, Any], status_code=201)
def recommend(list_id: DbId, body: RecoIn, principal: Principal = Depends(require_roles(*OFFICE)),
              session: Session = SESSION) -> dict:
    """The firms that passed form a recommendation list, best innovation points first."""
    with domain_call():
        return service.create_recommendation_list(session, application_list_id=list_id, name=body.name,
                                                  created_by=principal.username)


@router.post("/recommendations/{reco_id}/push", response_model=Page[dict[str, Any]])
def push(reco_id: DbId, body: PushIn, request: Request, page: PageParams = Depends(page_params),
         principal: Principal = Depends(require_roles(*OFFICE)), session: Session = SESSION) -> dict:
    """Push each recommended firm to the banks the routing rules choose (or only to ``banks``)."""
    regions = request.app.state.data.column_map("region_code")
    with domain_call():
        out = service.push_to_banks(session, reco_id, region_codes=regions, banks=body.banks)
    return paginate(_jsonable(out.to_dicts()), page)


# ---- bank side --------------------------------------------------------------------------------------------------

@router.get("/pushes", response_model=Page[PushOut])
def pushes(status: str | None = Query(None, max_length=16), page: PageParams = Depends(page_params),
           principal: Principal = Depends(require_roles("bank_officer", "bank_approver", "coordinator", "admin")),
           session: Session = SESSION) -> dict:
    """A bank's inbox of recommended firms (its own pushes only); the office sees all."""
    if principal.role in BANK_ROLES:
        rows = service.pushes_for_bank(session, principal.bank_id or "-", status=status)
    else:
        rows = service.all_pushes(session, status=status)
    return paginate(rows, page)


@router.post("/pushes/{push_id}/answer", response_model=PushOut)
def answer(push_id: DbId, body: AnswerIn, principal: Principal = Depends(require_roles("bank_officer")),
           session: Session = SESSION) -> dict:
    """The bank answers a push: accepted, declined (reason code), credit_granted, disbursed."""
    with domain_call():
        return service.record_answer(session, bank_id=principal.bank_id or "-", push_id=push_id,
                                     answer=Answer(**body.model_dump()))


# ---- metrics and alerts -----------------------------------------------------------------------------------------

@router.get("/metrics", response_model=dict[str, Any])
def metrics(request: Request, by: str | None = Query(None, pattern="^(region|industry|bank)$"),
            as_of: dt.date | None = None, since: dt.date | None = None,
            coverage: str | None = Query(None, max_length=100, description=(
                "coverage definition (metrics.yaml): tech_sme_scale (default) or nfra_active_small_micro")),
            principal: Principal = Depends(require_roles(*OFFICE)), session: Session = SESSION) -> dict:
    """Coverage, credit, rates, time to loan and innovation points, overall or by region/industry/bank; the
    coverage rate under the chosen definition, which ``coverage_definition`` names (source and target)."""
    check_date(as_of, "as_of")
    check_date(since, "since")
    if as_of is not None and since is not None and since > as_of:
        raise ProblemError(422, "since is after as_of", "invalid")
    choices = service.coverage_choices()
    if coverage is not None and coverage not in choices:
        raise ProblemError(422, f"coverage: {coverage[:40]!r} is not one of {', '.join(choices)}", "invalid",
                           errors=[{"loc": ["query", "coverage"], "msg": f"one of {', '.join(choices)}",
                                   "type": "enum"}])
    with domain_call():
        out = service.metrics(session, as_of=as_of or dt.date.today(), by=by, since=since, coverage=coverage,
                              enterprises=request.app.state.data.screening_features())
    return _jsonable(out)


@router.get("/alerts", response_model=Page[AlertOut])
def alerts(page: PageParams = Depends(page_params),
           principal: Principal = Depends(require_roles("bank_officer", "bank_approver", "bank_modeller")),
           session: Session = SESSION) -> dict:
    """Early warnings on the bank's own loans."""
    return paginate(service.alerts_for_bank(session, principal.bank_id or "-"), page)
