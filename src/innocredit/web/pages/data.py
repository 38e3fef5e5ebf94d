"""Data pages: the coordination office uploads a feed file (ingested in the background, with progress), downloads
the problems of an upload as Excel and the feed and feature-table templates; a bank prints the credit report of an
application (授信调查报告) as a page or a PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.ingest.feeds import FEEDS
from innocredit.ingest.templates import templates
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.render import check_csrf, render
from innocredit.web.routers.feeds import accept_upload, job_or_404

router = APIRouter(include_in_schema=False)
OFFICE = ("coordinator", "admin")


@router.get("/data")
def data_page(request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    from innocredit.web.i18n import request_lang

    tpl = {tid: title for tid, (title, _) in templates().items()}
    lang = request_lang(request)
    systems = [(sid, s.name.get(lang, sid)) for sid, s in request.app.state.data.systems().items()]
    return render(request, "upload.html", feeds=FEEDS, templates=tpl, systems=systems, error=None)


@router.post("/data/upload", dependencies=[Depends(check_csrf)])
async def data_upload(request: Request, feed: str = Form(..., max_length=40),
                      file: UploadFile = File(...),  # noqa: B008
                      principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    data = await file.read()
    job = accept_upload(request, feed, file.filename or "", data)
    return RedirectResponse(f"/data/jobs/{job.id}", status_code=303)


@router.get("/data/jobs/{job_id}")
def data_job(job_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    job = job_or_404(request, job_id)
    problems = job.report.problems[:200] if job.report else []
    return render(request, "upload_job.html", job=job.as_dict(), problems=problems,
                  finished=job.stage in ("done", "failed"))


# ---------------------------------------------------------------- the credit report (授信调查报告)

REPORT_ROLES = ("bank_officer", "bank_approver", "guarantor")


def _zh_names() -> dict[str, str]:
    from innocredit.ingest.tables import column_names

    return {k: v[0] for k, v in column_names().items()}


def _report_html(request: Request, app_id: str, principal: Principal, session: Any, pdf: bool) -> Any:
    from innocredit.services import lending as store
    from innocredit.web import lending_access as la
    from innocredit.web import panels
    from innocredit.web.i18n import request_lang
    from innocredit.web.views import summary

    app = la.application(session, principal, app_id)  # the same access check as the application page
    lang = request_lang(request)
    uscc = app["uscc"]
    row = request.app.state.data.row(uscc) or {"uscc": uscc}
    ctx = panels.profile_context(request, session, principal, uscc, row, None, lang)
    audit = la.audit(session, principal, app_id) if principal.role in ("bank_officer", "bank_approver") else []
    return render(request, "report.html", app=app, ent=summary(row), row=row,
                  loan=store.loan_of_application(session, app_id), offer=store.offer_of_application(session, app_id),
                  audit=audit, pdf=pdf, today=dt.date.today().isoformat(), zh_names=_zh_names(), **ctx)


@router.get("/applications/{app_id}/report")
def credit_report(app_id: str, request: Request, principal: Principal = Depends(require_roles(*REPORT_ROLES)),
                  session: Session = SESSION) -> Response:
    """The credit report of an application as a printable page (print stylesheet; the browser prints it)."""
    return _report_html(request, app_id, principal, session, pdf=False)


@router.get("/applications/{app_id}/report.pdf")
def credit_report_pdf(app_id: str, request: Request, principal: Principal = Depends(require_roles(*REPORT_ROLES)),
                      session: Session = SESSION) -> Response:
    """The same report as a PDF (WeasyPrint)."""
    from innocredit.services.reports import pdf_from_html

    page = _report_html(request, app_id, principal, session, pdf=True)
    pdf = pdf_from_html(bytes(page.body).decode("utf-8"), Path(__file__).resolve().parents[1] / "static")
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="credit_report_{app_id[:8]}.pdf"'})


# ---------------------------------------------------------------- 申报清单 items from a file

@router.post("/lists/{list_id}/items/upload", dependencies=[Depends(check_csrf)])
async def list_items_upload(list_id: int, request: Request, file: UploadFile = File(...),  # noqa: B008
                            principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    """Add the items of an Excel (or CSV) file of 申报清单 to an application list: every bad cell is named (file,
    sheet, row, column) and nothing is added until all are right."""
    import tempfile

    from innocredit.ingest.problems import TableError
    from innocredit.ingest.tables import read_application_items
    from innocredit.services import coordination
    from innocredit.web.deps import session_scope
    from innocredit.web.domain import domain_call
    from innocredit.web.problems import ProblemError

    name = Path(file.filename or "items.xlsx").name
    if Path(name).suffix.lower() not in (".xlsx", ".csv"):
        raise ProblemError(422, f"{name}: the items must be an .xlsx or .csv file", "bad-file")
    data = await file.read()
    with tempfile.TemporaryDirectory(prefix="innocredit_items_") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            table = read_application_items(path)
        except TableError as exc:
            raise ProblemError(422, str(exc).replace(str(Path(tmp)) + "/", ""), "bad-file") from exc
    if table.problems:
        shown = "; ".join(str(p).replace(str(Path(tmp)) + "/", "") for p in table.problems[:20])
        raise ProblemError(422, f"{len(table.problems)} problem(s), nothing added: {shown}", "invalid")
    items = [{k: v for k, v in r.items() if v is not None} | {"source": "visit"}
             for r in table.data.iter_rows(named=True)]
    if not items:
        raise ProblemError(422, f"{name}: no item", "invalid")
    with session_scope(request) as session, domain_call():
        coordination.add_application_items(session, list_id, items)
    return RedirectResponse(f"/lists/{list_id}", status_code=303)
