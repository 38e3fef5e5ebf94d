"""Enterprises: the directory, a profile, the full feature row, the history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from innocredit.services import feeds
from innocredit.web.access import ensure_visible, visible_usccs
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError
from innocredit.web.views import EnterpriseSummary, clean, filter_directory, qualified_filter, summary

router = APIRouter(prefix="/enterprises", tags=["enterprises"], responses=PROBLEM_RESPONSES)

READERS = ("coordinator", "admin", "bank_officer", "bank_approver", "bank_modeller", "enterprise")


class FeatureRow(BaseModel):
    uscc: str
    as_of: dt.date | None
    features: dict[str, Any]


class HistoryEntry(BaseModel):
    as_of: dt.date | None = None
    values: dict[str, Any]


@router.get("", response_model=Page[EnterpriseSummary])
def list_enterprises(request: Request, q: str | None = Query(None, max_length=100),
                     region: str | None = Query(None, max_length=6, pattern=r"^\d{1,6}$"),
                     industry: str | None = Query(None, max_length=5, pattern=r"^[A-Z]\d{0,4}$"),
                     system: str | None = Query(None, max_length=64), qualified: bool | None = None,
                     page: PageParams = Depends(page_params), principal: Principal = Depends(require_roles(*READERS)),
                     session: Session = SESSION) -> dict:
    """The enterprises this account may see, filtered by name/code, region prefix, industry prefix, qualification."""
    data = request.app.state.data
    df = filter_directory(data.features(), visible_usccs(session, principal), q, region, industry)
    df = qualified_filter(data, df, system, qualified)
    total = df.height
    rows = df.slice(page.offset, page.limit).to_dicts()
    return paginate([summary(r) for r in rows], page, total)


def _row(request: Request, session: Session, principal: Principal, uscc: str) -> dict[str, Any]:
    ensure_visible(session, principal, uscc)
    row = request.app.state.data.row(uscc)
    if row is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    return row


@router.get("/{uscc}", response_model=EnterpriseSummary)
def get_enterprise(uscc: str, request: Request, principal: Principal = Depends(require_roles(*READERS)),
                   session: Session = SESSION) -> EnterpriseSummary:
    return summary(_row(request, session, principal, uscc))


@router.get("/{uscc}/features", response_model=FeatureRow)
def get_features(uscc: str, request: Request, principal: Principal = Depends(require_roles(*READERS)),
                 session: Session = SESSION) -> FeatureRow:
    """The enterprise's row of the feature table (``shared/spec/features.md``)."""
    row = _row(request, session, principal, uscc)
    return FeatureRow(uscc=uscc, as_of=row.get("as_of"),
                      features={k: (v.isoformat() if isinstance(v, dt.date) else clean(v)) for k, v in row.items()})


@router.get("/{uscc}/history", response_model=Page[HistoryEntry])
def get_history(uscc: str, request: Request, page: PageParams = Depends(page_params),
                principal: Principal = Depends(require_roles(*READERS)), session: Session = SESSION) -> dict:
    """Earlier rows of the enterprise's profile, newest first (from the ingested store)."""
    _row(request, session, principal, uscc)
    entries: list[HistoryEntry] = []
    for feed_id, frame in feeds.enterprise_history(request.app.state.engine, uscc).items():
        for r in frame.to_dicts():
            values = {k: (v.isoformat() if isinstance(v, dt.date) else clean(v)) for k, v in r.items()}
            entries.append(HistoryEntry(as_of=r.get("as_of"), values={"feed": feed_id, **values}))
    entries.sort(key=lambda e: e.as_of or dt.date.min, reverse=True)
    return paginate(entries, page)
