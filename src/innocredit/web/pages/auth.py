"""Login, logout and the role's home page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from innocredit.web.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottled,
    Principal,
    authenticate,
    current_principal,
    issue_token,
    optional_principal,
    revoke_token,
    set_session_cookies,
)
from innocredit.web.deps import SESSION
from innocredit.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)

HOME = {"coordinator": "/dashboard", "admin": "/dashboard", "bank_officer": "/inbox", "bank_approver": "/applications",
        "bank_modeller": "/models", "guarantor": "/applications", "enterprise": "/me"}


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/home"


@router.get("/login")
def login_form(request: Request, next: str | None = None,
               principal: Principal | None = Depends(optional_principal)) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(request: Request, username: str = Form(..., max_length=64), password: str = Form(..., max_length=256),
          next: str | None = Form(None), session: Session = SESSION) -> Response:
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    try:
        user = authenticate(session, username.strip(), password, client, settings.login_max_failures,
                            settings.login_window_minutes)
    except LoginThrottled as exc:
        session.commit()
        resp = render(request, "login.html", status=429, next=_safe_next(next), error="login.throttled")
        resp.headers.update(exc.headers or {})
        return resp
    if user is None:
        session.commit()  # keep the failed attempt
        return render(request, "login.html", status=401, next=_safe_next(next), error="login.failed")
    token = issue_token(session, user, "session", settings.session_hours)
    redirect = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookies(redirect, settings, token)  # a new session, and a new CSRF cookie bound to it
    return redirect


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request, session: Session = SESSION) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        revoke_token(session, token)
    resp = RedirectResponse("/login", status_code=303)
    secure = request.app.state.settings.cookie_secure
    resp.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True)
    resp.delete_cookie(CSRF_COOKIE, path="/", secure=secure, httponly=True)  # the next page mints a fresh one
    return resp


@router.get("/home")
def home(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    target = HOME.get(principal.role, "/enterprises")
    if not request.app.state.page_enabled(target):
        target = "/enterprises" if principal.role != "enterprise" else "/me"
    if not request.app.state.page_enabled(target):
        return render(request, "home.html")
    return RedirectResponse(target, status_code=303)
