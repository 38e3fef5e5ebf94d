"""Feed uploads: the coordination office sends a department feed file (CSV, Excel, Parquet or JSON Lines); it is
ingested in the background (idempotent: the same file again is skipped) and its problems can be downloaded as
Excel, one row per problem. The templates of every feed can be downloaded here too."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel

from innocredit.ingest.problems import TableError
from innocredit.ingest.templates import templates, write_template
from innocredit.services import feeds as service
from innocredit.web.auth import Principal, require_roles
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(tags=["feeds"], responses=PROBLEM_RESPONSES)
OFFICE = ("coordinator", "admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class IngestJobOut(BaseModel):
    id: str
    feed: str
    file: str
    stage: str
    progress: float
    status: str | None = None
    error: str | None = None
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    problems: int


def upload_dir(request: Request) -> Path:
    """Where uploaded feed files are kept: ``app.state.upload_dir`` when set, else a directory in the system
    temporary directory."""
    configured = getattr(request.app.state, "upload_dir", None)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "innocredit-uploads"


def accept_upload(request: Request, feed: str, filename: str, data: bytes) -> Any:
    """Save and start ingesting an uploaded feed file; a bad feed or file type is a 422 naming it."""
    try:
        path = service.save_upload(upload_dir(request), feed, filename, data)
    except TableError as exc:
        raise ProblemError(422, str(exc), "bad-file") from exc
    return service.start_ingest(request.app.state.engine, feed, path)


def job_or_404(request: Request, job_id: str) -> Any:
    job = service.ingest_job(request.app.state.engine, job_id)
    if job is None:
        raise ProblemError(404, f"no ingest job {job_id!r}", "not-found")
    return job


def problems_file(job: Any) -> Path:
    out = Path(tempfile.gettempdir()) / "innocredit-problems" / f"problems_{job.id}.xlsx"
    service.problems_workbook(job.report.problems if job.report else [], out)
    return out


@router.post("/feeds/{feed}", response_model=IngestJobOut, status_code=202)
async def upload_feed(feed: str, request: Request, file: UploadFile = File(...),  # noqa: B008
                      principal: Principal = Depends(require_roles(*OFFICE))) -> JSONResponse:
    """Upload one feed file; answers 202 with the job to follow at ``/feeds/jobs/{id}``."""
    data = await file.read()
    job = accept_upload(request, feed, file.filename or "", data)
    return JSONResponse(job.as_dict(), status_code=202,
                        headers={"Location": f"{request.url.path.rsplit('/feeds/', 1)[0]}/feeds/jobs/{job.id}"})


@router.get("/feeds/jobs/{job_id}", response_model=IngestJobOut)
def feed_job(job_id: str, request: Request, principal: Principal = Depends(require_roles(*OFFICE))) -> dict[str, Any]:
    """An upload's stage, progress and counts (stored: any server worker answers)."""
    return job_or_404(request, job_id).as_dict()


@router.get("/feeds/jobs/{job_id}/problems.xlsx", response_class=FileResponse)
def feed_job_problems(job_id: str, request: Request,
                      principal: Principal = Depends(require_roles(*OFFICE))) -> FileResponse:
    """The upload's problems as Excel, one row per problem (file, line, column, value, reason)."""
    job = job_or_404(request, job_id)
    if job.stage not in ("done", "failed"):
        raise ProblemError(409, "the file is still being ingested", "not-ready")
    return FileResponse(problems_file(job), media_type=XLSX, filename=f"problems_{job.feed}.xlsx")


@router.get("/feeds/templates/{template}.xlsx", response_class=FileResponse)
def feed_template(template: str, principal: Principal = Depends(require_roles(*OFFICE))) -> FileResponse:
    """The Excel template of a feed (or ``features``): bilingual headers, notes, validation."""
    if template not in templates():
        raise ProblemError(404, f"no template {template!r}", "not-found")
    out = write_template(template, Path(tempfile.gettempdir()) / "innocredit-templates" / f"{template}.xlsx")
    return FileResponse(out, media_type=XLSX, filename=f"{template}.xlsx")
