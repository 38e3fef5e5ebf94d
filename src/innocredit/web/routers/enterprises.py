"""Enterprises: the directory, a profile, the full feature row, the history.

A bank sees of each firm only the data categories it holds a ground for (``web.access``): withheld fields are
left out of the answer and the categories withheld are named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from innocredit.services import feeds
from innocredit.web import access
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
    withheld: list[str] = []  # data categories left out: no consent (or other ground) in force for them


class HistoryEntry(BaseModel):
    as_of: dt.date | None = None
    values: dict[str, Any]


def json_value(v: Any) -> Any:
    """A stored value as JSON: dates ISO, decimals as strings, NaN/inf null, bytes hex, lists element-wise."""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v) if v.is_finite() else None
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).hex()
    if isinstance(v, list | tuple):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    return clean(v)


def _as_date(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


@router.get("", response_model=Page[EnterpriseSummary])
def list_enterprises(request: Request, q: str | None = Query(None, max_length=100),
                     region: str | None = Query(None, max_length=6, pattern=r"^\d{1,6}$"),
                     industry: str | None = Query(None, max_length=5, pattern=r"^[A-Z]\d{0,4}$"),
                     system: str | None = Query(None, max_length=64), qualified: bool | None = None,
                     page: PageParams = Depends(page_params), principal: Principal = Depends(require_roles(*READERS)),
                     session: Session = SESSION) -> dict:
    """The enterprises this account may see, filtered by name/code, region prefix, industry prefix, qualification."""
    data = request.app.state.data
    found = access.sights(session, principal)
    df = filter_directory(data.features(), None if found is None else set(found), q, region, industry)
    if system and qualified is not None and found is not None:
        # a firm's qualification is shown only to a bank that sees what the system reads
        sys_obj = data.system(system)
        needs = access.needed_by_system(sys_obj) if sys_obj is not None else access.EVERYTHING
        df = filter_directory(df, {u for u, s in found.items() if s.covers(needs)}, None, None, None)
    df = qualified_filter(data, df, system, qualified)
    total = df.height
    rows = df.slice(page.offset, page.limit).to_dicts()
    return paginate([summary(_shown(found, r)) for r in rows], page, total)


def _shown(found: dict[str, access.Sight] | None, row: dict[str, Any]) -> dict[str, Any]:
    return row if found is None else found[row["uscc"]].filter(row)


def _row(request: Request, session: Session, principal: Principal, uscc: str) -> tuple[dict[str, Any], access.Sight]:
    sight = access.ensure_visible(session, principal, uscc, needs=None)
    row = request.app.state.data.row(uscc)
    if row is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    return sight.filter(row), sight


@router.get("/{uscc}", response_model=EnterpriseSummary)
def get_enterprise(uscc: str, request: Request, principal: Principal = Depends(require_roles(*READERS)),
                   session: Session = SESSION) -> EnterpriseSummary:
    """The enterprise's summary; fields of withheld categories are null."""
    return summary(_row(request, session, principal, uscc)[0])


@router.get("/{uscc}/features", response_model=FeatureRow)
def get_features(uscc: str, request: Request, principal: Principal = Depends(require_roles(*READERS)),
                 session: Session = SESSION) -> FeatureRow:
    """The enterprise's row of the feature table (``shared/spec/features.md``), the fields of the categories
    this account sees; ``withheld`` names the categories left out."""
    row, sight = _row(request, session, principal, uscc)
    return FeatureRow(uscc=uscc, as_of=row.get("as_of"), features={k: json_value(v) for k, v in row.items()},
                      withheld=sight.withheld())


@router.get("/{uscc}/history", response_model=Page[HistoryEntry])
def get_history(uscc: str, request: Request, page: PageParams = Depends(page_params),
                principal: Principal = Depends(require_roles(*READERS)), session: Session = SESSION) -> dict:
    """Earlier rows of the enterprise's profile, newest first (from the ingested store): the rows of the feeds
    whose category this account sees."""
    _, sight = _row(request, session, principal, uscc)
    fc = access.field_categories()
    entries: list[HistoryEntry] = []
    for feed_id, frame in feeds.enterprise_history(request.app.state.engine, uscc).items():
        category = fc.feeds.get(feed_id)
        if not sight.full and (category is None or not sight.covers([category])):
            continue
        for r in frame.to_dicts():
            values = {str(k): json_value(v) for k, v in r.items()}
            entries.append(HistoryEntry(as_of=_as_date(r.get("as_of")), values={"feed": feed_id, **values}))
    entries.sort(key=lambda e: e.as_of or dt.date.min, reverse=True)
    return paginate(entries, page)
