"""Pages: the enterprise directory with filters and the enterprise profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from innocredit.web import access, panels
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
              sort: str = Query("uscc", pattern="^(uscc|name|revenue|employees|registered_on)$"),
              dir: str = Query("asc", pattern="^(asc|desc)$"),
              principal: Principal = Depends(require_roles(*DIRECTORY_ROLES)),
              session: Session = SESSION) -> Response:
    data = request.app.state.data
    found = access.sights(session, principal)
    df = filter_directory(data.features(), None if found is None else set(found), q or None, region or None,
                          (industry or "").upper() or None)
    system = data.system(panels.HEADLINE_SYSTEM)
    system_id = panels.HEADLINE_SYSTEM if system else None
    needs = access.needed_by_system(system) if system else access.EVERYTHING

    def sees_score(uscc: str) -> bool:
        return found is None or found[uscc].covers(needs)

    if qualified in ("yes", "no"):
        if found is not None:  # a qualification is a filter only over the firms whose score the bank sees
            df = filter_directory(df, {u for u in found if sees_score(u)}, None, None, None)
        df = qualified_filter(data, df, system_id, qualified == "yes")
    total = df.height
    # a bank sorts only by what every firm shows it (a hidden figure must not leak through the order)
    if found is not None and sort not in ("uscc", "name"):
        raise ProblemError(422, f"sort: {sort!r} is open to the coordination office only; use uscc or name",
                           "invalid")
    if sort in df.columns:
        df = df.sort([sort, "uscc"], descending=[dir == "desc", False], nulls_last=True)
    rows = df.slice((page - 1) * PAGE_SIZE, PAGE_SIZE).to_dicts()
    scores: dict[str, Any] = {}
    if system_id:
        for r in rows:
            ev = data.evaluation_row(system_id, r["uscc"]) if sees_score(r["uscc"]) else None
            if ev:
                scores[r["uscc"]] = ev
    shown = [r if found is None else found[r["uscc"]].filter(r) for r in rows]
    return render(request, "directory.html", rows=[summary(r) for r in shown], scores=scores, total=total, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)), q=q or "", region=region or "", industry=industry or "",
                  qualified=qualified or "", system_id=system_id, sort=sort, dir=dir,
                  sorts=("uscc", "name") if found is not None else ("uscc", "name", "revenue", "employees"))


@router.get("/enterprises/{uscc}")
def profile(uscc: str, request: Request, system: str | None = Query(None, max_length=64),
            principal: Principal = Depends(require_roles(*PROFILE_ROLES)), session: Session = SESSION) -> Response:
    sight = access.ensure_visible(session, principal, uscc, needs=None)
    data = request.app.state.data
    row = data.row(uscc)
    if row is None:
        raise ProblemError(404, "enterprise not found", "not-found")
    row = sight.filter(row)  # what this account sees; the template reads nothing else
    lang = request_lang(request)
    ctx = panels.profile_context(request, session, principal, uscc, row, system, lang, sight)
    return render(request, "enterprise.html", ent=summary(row), row=row, **ctx)
