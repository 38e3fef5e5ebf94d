"""API authentication: bearer tokens, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from innocredit.web.auth import Principal, authenticate, current_principal, issue_token, revoke_token
from innocredit.web.deps import SESSION
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(prefix="/auth", tags=["auth"], responses=PROBLEM_RESPONSES)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    role: str
    org_id: str


class Me(BaseModel):
    username: str
    role: str
    org_id: str
    org_kind: str
    org_name_zh: str
    org_name_en: str
    uscc: str | None
    display_name: str | None


@router.post("/token", response_model=Token, responses={429: {"description": "too many failed logins"}})
def token(body: Credentials, request: Request, session: Session = SESSION) -> Token:
    """Exchange a username and password for a bearer token (throttled after repeated failures)."""
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    try:
        user = authenticate(session, body.username.strip(), body.password, client, settings.login_max_failures,
                            settings.login_window_minutes)
    except ProblemError:
        session.commit()
        raise
    if user is None:
        session.commit()
        raise ProblemError(401, "wrong username or password", "bad-credentials")
    tok = issue_token(session, user, "bearer", settings.token_hours)
    return Token(access_token=tok, expires_in=settings.token_hours * 3600, role=user.role, org_id=user.org_id)


@router.delete("/token", status_code=204)
def revoke(request: Request, principal: Principal = Depends(current_principal),
           session: Session = SESSION) -> None:
    """Revoke the bearer token this request carries."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        revoke_token(session, header[7:].strip())


@router.get("/me", response_model=Me)
def me(principal: Principal = Depends(current_principal)) -> Me:
    return Me(username=principal.username, role=principal.role, org_id=principal.org_id, org_kind=principal.org_kind,
              org_name_zh=principal.org_name_zh, org_name_en=principal.org_name_en, uscc=principal.uscc,
              display_name=principal.display_name)
