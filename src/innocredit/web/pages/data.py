"""Data pages of the coordination office: upload a feed file (ingested in the background, with progress), download
the problems of an upload as Excel, download the feed and feature-table templates."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from innocredit.ingest.feeds import FEEDS
from innocredit.ingest.templates import templates
from innocredit.web.auth import Principal, require_roles
from innocredit.web.render import check_csrf, render
from innocredit.web.routers.feeds import accept_upload, job_or_404

router = APIRouter(include_in_schema=False)
OFFICE = ("coordinator", "admin")


@router.get("/data")
def data_page(request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    tpl = {tid: title for tid, (title, _) in templates().items()}
    return render(request, "upload.html", feeds=FEEDS, templates=tpl, error=None)


@router.post("/data/upload", dependencies=[Depends(check_csrf)])
async def data_upload(request: Request, feed: str = Form(..., max_length=40),
                      file: UploadFile = File(...),  # noqa: B008
                      principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    data = await file.read()
    job = accept_upload(request, feed, file.filename or "", data)
    return RedirectResponse(f"/data/jobs/{job.id}", status_code=303)


@router.get("/data/jobs/{job_id}")
def data_job(job_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> Response:
    job = job_or_404(job_id)
    problems = job.report.problems[:200] if job.report else []
    return render(request, "upload_job.html", job=job.as_dict(), problems=problems,
                  finished=job.stage in ("done", "failed"))
