"""Pages: the enterprise directory with filters and the enterprise profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from innocredit.web import panels
from innocredit.web.access import ensure_visible, visible_usccs
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.i18n import request_lang
from innocredit.web.problems import ProblemError
from innocredit.web.render import render
from innocredit.web.views import filter_directory, qualified_filter, summary

router = APIRouter(include_in_schema=False)

DIRECTORY_ROLES = ("coordinator", "admin", "bank_officer", "bank_approver")
PROFILE_ROLES = ("coordinator", "admin", "bank_officer", "bank_approver", "bank_modeller", "enterprise")
PAGE_SIZE = 25


@router.get("/enterprises")
def directory(request: Request, q: str | None = Query(None, max_length=100),
              region: str | None = Query(None, max_length=6), industry: str | None = Query(None, max_length=5),
              qualified: str | None = Query(None, max_length=5), page: int = Query(1, ge=1, le=100000),
              principal: Principal = Depends(require_roles(*DIRECTORY_ROLES)),
              session: Session = SESSION) -> Response:
    data = request.app.state.data
    df = filter_directory(data.features(), visible_usccs(session, principal), q or None, region or None,
                          (industry or "").upper() or None)
    system_id = panels.HEADLINE_SYSTEM if data.system(panels.HEADLINE_SYSTEM) else None
    if qualified in ("yes", "no"):
        df = qualified_filter(data, df, system_id, qualified == "yes")
    total = df.height
    rows = df.slice((page - 1) * PAGE_SIZE, PAGE_SIZE).to_dicts()
    scores: dict[str, Any] = {}
    if system_id:
        for r in rows:
            ev = data.evaluation_row(system_id, r["uscc"])
            if ev:
                scores[r["uscc"]] = ev
    return render(request, "directory.html", rows=[summary(r) for r in rows], scores=scores, total=total, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)), q=q or "", region=region or "", industry=industry or "",
                  qualified=qualified or "", system_id=system_id)


@router.get("/enterprises/{uscc}")
def profile(uscc: str, request: Request, system: str | None = Query(None, max_length=64),
            principal: Principal = Depends(require_roles(*PROFILE_ROLES)), session: Session = SESSION) -> Response:
    ensure_visible(session, principal, uscc)
    data = request.app.state.data
    row = data.row(uscc)
    if row is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    lang = request_lang(request)
    ctx = panels.profile_context(request, session, principal, uscc, row, system, lang)
    return render(request, "enterprise.html", ent=summary(row), row=row, **ctx)
