"""Downloads as Excel or CSV: evaluation results and metrics (the office), a bank's portfolio and the firms
pushed to it (the bank, its own only). Text is guarded against formula injection (``services.exports``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from innocredit.services import exports as service
from innocredit.web.auth import BANK_ROLES, Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(tags=["exports"], responses=PROBLEM_RESPONSES)
OFFICE = ("coordinator", "admin")
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {service.MEDIA["xlsx"]: {}, service.MEDIA["csv"]: {}},
                        "description": "the file"}}


def _fmt(fmt: str) -> str:
    if fmt not in service.FORMATS:
        raise ProblemError(404, f"no such download format {fmt!r}; use xlsx or csv", "not-found")
    return fmt


def _file(content: bytes, fmt: str, name: str) -> Response:
    return Response(content, media_type=service.MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _bank(principal: Principal) -> str:
    if not principal.bank_id:
        raise ProblemError(403, "this download is for a bank's own staff", "forbidden")
    return principal.bank_id


@router.get("/exports/evaluations/{system_id}.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def export_evaluations(system_id: str, fmt: str, request: Request,
                       principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    """Every enterprise's result under one indicator system."""
    fmt = _fmt(fmt)
    results = request.app.state.data.evaluations(system_id)
    if results is None:
        raise ProblemError(404, f"indicator system {system_id!r} not found", "not-found")
    return _file(service.table_bytes(service.evaluation_table(results), fmt, "results"), fmt,
                 f"evaluations_{system_id}")


@router.get("/exports/metrics.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def export_metrics(fmt: str, as_of: dt.date | None = Query(None), by: str | None = Query(None, max_length=20),
                   principal: Principal = Depends(require_roles(*OFFICE)), session: Session = SESSION) -> Response:
    """The coordination metrics table (one row per group: region, industry, bank or all)."""
    fmt = _fmt(fmt)
    if by not in (None, "region", "industry", "bank"):
        raise ProblemError(422, "by must be region, industry or bank", "bad-request")
    table = service.metrics_table(session, as_of or dt.date.today(), by)
    return _file(service.table_bytes(table, fmt, "metrics"), fmt, "metrics")


@router.get("/exports/portfolio.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def export_portfolio(fmt: str, principal: Principal = Depends(require_roles(*BANK_ROLES)),
                     session: Session = SESSION) -> Response:
    """The bank's own loans."""
    fmt = _fmt(fmt)
    bank = _bank(principal)
    return _file(service.table_bytes(service.portfolio(session, bank), fmt, "portfolio"), fmt, f"portfolio_{bank}")


@router.get("/exports/recommendations.{fmt}", response_class=Response, responses=FILE_RESPONSES)
def export_recommendations(fmt: str, request: Request, reco_list_id: int | None = Query(None, ge=1),
                           principal: Principal = Depends(require_roles(*BANK_ROLES)),
                           session: Session = SESSION) -> Response:
    """The firms the office recommended (pushed) to the bank, with their names and the bank's answers."""
    fmt = _fmt(fmt)
    bank = _bank(principal)
    table = service.recommendations_for_bank(session, bank, request.app.state.data.names(), reco_list_id)
    return _file(service.table_bytes(table, fmt, "recommendations"), fmt, f"recommendations_{bank}")
