"""The bank's risk models with their validation reports (the modeller's page)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from innocredit.risk.report import report_html
from innocredit.services import risk as risk_service
from innocredit.web.auth import Principal, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.problems import ProblemError
from innocredit.web.render import render

router = APIRouter(include_in_schema=False)
ROLES = ("bank_modeller", "bank_approver", "bank_officer")


@router.get("/models")
def models(request: Request, principal: Principal = Depends(require_roles(*ROLES)),
           session: Session = SESSION) -> Response:
    rows = risk_service.list_models(session, bank_id=principal.bank_id or "-")
    runs = {(m["id"], m["version"]): risk_service.validations(session, m["id"], m["version"]) for m in rows}
    return render(request, "models.html", models=rows, runs=runs)


@router.get("/models/{model_id}/{version}/report")
def report(model_id: str, version: int, request: Request, principal: Principal = Depends(require_roles(*ROLES)),
           session: Session = SESSION) -> Response:
    """The latest validation run of one of the bank's models, as the risk area's HTML report."""
    try:
        card = risk_service.get_model(session, model_id, version, principal.bank_id or "-")
    except risk_service.RegistryError as exc:
        raise ProblemError(404, "model not found", "not-found") from exc
    runs = risk_service.validations(session, model_id, version)
    if not runs:
        raise ProblemError(404, "no validation run for this model", "not-found")
    run = runs[-1]
    body = {**run["metrics"], "oot": run["oot"], "model": {"id": model_id, "version": version, "kind": card["kind"]}}
    try:
        html = report_html(body)
    except (KeyError, TypeError, ValueError):  # a run recorded without curves: its figures as a table
        return render(request, "validation.html", model_id=model_id, version=version, run=run)
    resp = HTMLResponse(html)
    resp.headers["Content-Security-Policy"] = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                                               "frame-ancestors 'none'")
    return resp
