"""Evaluations: the indicator systems, results per enterprise, running one, and the explanation.

A result is computed from many fields: a bank sees it only when the categories it holds for the firm cover every
field the system reads (``web.access.needed_by_system``)."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

import innocredit.evaluation.engine  # noqa: F401  (wired only when the evaluation area is installed)
from innocredit.web import access
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError
from innocredit.web.views import EvaluationResult, evaluation_result

router = APIRouter(tags=["evaluations"], responses=PROBLEM_RESPONSES)

READERS = ("coordinator", "admin", "bank_officer", "bank_approver", "bank_modeller", "enterprise")


class SystemInfo(BaseModel):
    id: str
    version: str
    name_zh: str
    name_en: str
    max_score: float
    qualification_line: float | None = None
    groups: list[str]
    indicators: int


class RunEvaluation(BaseModel):
    uscc: str = Field(min_length=18, max_length=18)
    system: str = Field(min_length=1, max_length=64)


def _system(request: Request, system_id: str) -> Any:
    system = request.app.state.data.system(system_id)
    if system is None:
        raise ProblemError(404, f"indicator system {system_id!r} not found", "not-found")
    return system


@router.get("/systems", response_model=Page[SystemInfo])
def list_systems(request: Request, page: PageParams = Depends(page_params),
                 principal: Principal = Depends(require_roles(*READERS))) -> dict:
    items = [SystemInfo(id=s.id, version=str(s.version), name_zh=s.name.get("zh", s.id), name_en=s.name.get("en", s.id),
                        max_score=float(s.max_score), qualification_line=s.qualification_line,
                        groups=[g.id for g in s.groups], indicators=len(s.indicators))
             for s in request.app.state.data.systems().values()]
    return paginate(items, page)


@router.get("/enterprises/{uscc}/evaluations", response_model=Page[EvaluationResult])
def enterprise_evaluations(uscc: str, request: Request, page: PageParams = Depends(page_params),
                           principal: Principal = Depends(require_roles(*READERS)),
                           session: Session = SESSION) -> dict:
    """The enterprise's result under every indicator system."""
    sight = access.ensure_visible(session, principal, uscc, needs=None)
    data = request.app.state.data
    if not data.has(uscc):
        raise ProblemError(404, "enterprise not found", "not-found")
    items = []
    for sid, system in data.systems().items():
        if not sight.covers(access.needed_by_system(system)):
            continue
        row = data.evaluation_row(sid, uscc)
        if row is not None:
            items.append(evaluation_result(row, system))
    return paginate(items, page)


@router.get("/evaluations", response_model=Page[EvaluationResult])
def list_evaluations(request: Request, system: str = Query(..., max_length=64), qualified: bool | None = None,
                     min_score: float | None = Query(None, ge=0, le=1000),
                     page: PageParams = Depends(page_params),
                     principal: Principal = Depends(require_roles(*READERS)),
                     session: Session = SESSION) -> dict:
    """One system's results over the enterprises this account may see."""
    sys_obj = _system(request, system)
    ev = request.app.state.data.evaluations(system)
    cond = pl.lit(True)
    found = access.sights(session, principal)
    if found is not None:
        needs = access.needed_by_system(sys_obj)
        cond = cond & pl.col("uscc").is_in(sorted(u for u, s in found.items() if s.covers(needs)))
    if qualified is not None:
        cond = cond & (pl.col("qualified").fill_null(False) == qualified)
    if min_score is not None:
        cond = cond & (pl.col("score") >= min_score).fill_null(False)
    ev = ev.filter(cond)
    rows = ev.slice(page.offset, page.limit).to_dicts()
    return paginate([evaluation_result(r, sys_obj) for r in rows], page, ev.height)


@router.post("/evaluations", response_model=EvaluationResult)
def run_evaluation(body: RunEvaluation, request: Request,
                   principal: Principal = Depends(require_roles(*READERS)),
                   session: Session = SESSION) -> EvaluationResult:
    """Evaluate one enterprise with one system now, from its current profile."""
    sys_obj = _system(request, body.system)
    access.ensure_visible(session, principal, body.uscc, needs=access.needed_by_system(sys_obj))
    row = request.app.state.data.run_evaluation(body.system, body.uscc)
    if row is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    return evaluation_result(row, sys_obj)


@router.get("/enterprises/{uscc}/evaluations/{system_id}/explain", response_model=dict[str, Any])
def explain(uscc: str, system_id: str, request: Request, lang: str = Query("zh", pattern="^(zh|en)$"),
            principal: Principal = Depends(require_roles(*READERS)), session: Session = SESSION) -> dict:
    """Why the enterprise scored what it did, and the cheapest path to the policy line."""
    access.ensure_visible(session, principal, uscc, needs=access.needed_by_system(_system(request, system_id)))
    out = request.app.state.data.explain(system_id, uscc, lang)
    if out is None:
        raise ProblemError(404, "no explanation for this enterprise", "not-found")
    return out
