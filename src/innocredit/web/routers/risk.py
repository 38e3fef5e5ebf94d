"""Risk: score an enterprise with the bank's own model (PD, grade, reason codes); the bank's model registry and
validation runs. A bank never sees or uses another bank's models."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from innocredit.services import risk as risk_service
from innocredit.web import risk_access
from innocredit.web.access import ensure_visible
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(tags=["risk"], responses=PROBLEM_RESPONSES)
BANK = ("bank_officer", "bank_approver", "bank_modeller")


class RiskScore(BaseModel):
    uscc: str
    model: str
    pd: float | None
    pd_grade: str | None
    score_points: float | None = None
    reason_codes: list[str]
    reasons: list[str]


class ModelOut(BaseModel):
    id: str
    version: int
    kind: str
    status: str
    bank_id: str | None
    target: str
    created_at: dt.datetime | None = None
    card: dict[str, Any] = {}


class ValidationOut(BaseModel):
    id: int
    oot: bool
    data_label: str | None = None
    metrics: dict[str, Any]
    created_at: dt.datetime | None = None


@router.get("/enterprises/{uscc}/risk", response_model=RiskScore)
def score(uscc: str, request: Request, lang: str = Query("zh", pattern="^(zh|en)$"),
          principal: Principal = Depends(require_roles(*BANK)), session: Session = SESSION) -> dict:
    """PD, master-scale grade and reason codes under the bank's champion (else latest candidate) model."""
    ensure_visible(session, principal, uscc)
    model, _, row = risk_access.bank_model(session, principal.bank_id)
    if model is None:
        raise ProblemError(404, "this bank has no risk model yet", "no-model")
    out = request.app.state.data.risk(uscc, model, lang)
    if out is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    return {"uscc": uscc, **out, "model": f"{out['model']} ({row['status'] if row else ''})"}


@router.get("/risk/models", response_model=Page[ModelOut])
def models(status: str | None = Query(None, pattern="^(candidate|champion|retired)$"),
           page: PageParams = Depends(page_params), principal: Principal = Depends(require_roles(*BANK)),
           session: Session = SESSION) -> dict:
    """The bank's own models (never another bank's)."""
    rows = risk_service.list_models(session, bank_id=principal.bank_id or "-", status=status)
    return paginate(rows, page)


@router.get("/risk/models/{model_id}/{version}/validations", response_model=Page[ValidationOut])
def validations(model_id: str, version: int, page: PageParams = Depends(page_params),
                principal: Principal = Depends(require_roles(*BANK)), session: Session = SESSION) -> dict:
    try:
        risk_service.get_model(session, model_id, version, principal.bank_id or "-")
    except risk_service.RegistryError as exc:
        raise ProblemError(404, "model not found", "not-found") from exc
    return paginate(risk_service.validations(session, model_id, version), page)
