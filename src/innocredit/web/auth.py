"""Accounts on the web: cookie sessions and bearer tokens, CSRF bound to the session, login throttling, roles.

The account rules and the database work live in :mod:`innocredit.services.platform`; this module adapts them to
requests (cookies, headers, problem details).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from innocredit.services import platform as accounts
from innocredit.services.platform import BANK_ROLES, ROLES, Organisation, User, hash_password, verify_password
from innocredit.web.problems import ProblemError

# logical cookie names; on a secure deployment the hardening middleware sends them as __Host-<name>
SESSION_COOKIE = "ic_session"
CSRF_COOKIE = "ic_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

__all__ = ["BANK_ROLES", "CSRF_COOKIE", "CSRF_FIELD", "CSRF_HEADER", "SESSION_COOKIE", "LoginThrottled", "Principal",
           "authenticate", "create_user", "csrf_for", "csrf_valid", "current_principal", "hash_password",
           "issue_token", "optional_principal", "principal_for_token", "require_roles", "revoke_token",
           "verify_password"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated user and the organisation it acts for."""

    user_id: int
    username: str
    role: str
    org_id: str
    org_kind: str
    org_name_zh: str
    org_name_en: str
    uscc: str | None
    display_name: str | None = None
    via: str = "session"

    @property
    def bank_id(self) -> str | None:
        return self.org_id if self.org_kind == "bank" else None

    @property
    def is_bank(self) -> bool:
        return self.role in BANK_ROLES

    def org_name(self, lang: str) -> str:
        return self.org_name_en if lang == "en" else self.org_name_zh


def create_user(session: Session, username: str, password: str, role: str, org_id: str,
                display_name: str | None = None) -> User:
    """A new user (see :func:`innocredit.services.platform.create_user`; raises ``AccountError``, a ValueError)."""
    return accounts.create_user(session, username, password, role, org_id, display_name)


def _principal(user: User, org: Organisation, via: str) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=user.role, org_id=org.id, org_kind=org.kind,
                     org_name_zh=org.name_zh, org_name_en=org.name_en, uscc=org.uscc,
                     display_name=user.display_name, via=via)


# ---- login, throttling -----------------------------------------------------------------------------------------

class LoginThrottled(ProblemError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "too many failed logins; try again later", "login-throttled",
                         headers={"Retry-After": str(retry_after)})


def authenticate(session: Session, username: str, password: str, client: str | None,
                 max_failures: int = 5, window_minutes: int = 15) -> User | None:
    """The user when the password matches (:func:`innocredit.services.platform.login`: the attempt is counted and
    committed before the check); raises :class:`LoginThrottled` beyond ``max_failures`` attempts in the window."""
    try:
        return accounts.login(session, username, password, client, max_failures, window_minutes)
    except accounts.LoginThrottled as exc:
        raise LoginThrottled(exc.retry_after) from None


def issue_token(session: Session, user: User, kind: str, hours: int) -> str:
    return accounts.issue_token(session, user, kind, hours)


def revoke_token(session: Session, token: str) -> None:
    accounts.revoke_token(session, token)
    _CACHE.pop((_token_hash(token), "session"), None)
    _CACHE.pop((_token_hash(token), "bearer"), None)


# token hash -> (principal, expires_at, cached_until): saves a database round trip per API call; a revocation in
# this process takes effect at once, in another worker process within CACHE_SECONDS
CACHE_SECONDS = 5.0
_CACHE: dict[tuple[str, str], tuple[Principal, dt.datetime, float]] = {}


def principal_for_token(session: Session, token: str, kind: str) -> Principal | None:
    key = (_token_hash(token), kind)
    hit = _CACHE.get(key)
    now_mono = time.monotonic()
    if hit is not None and hit[2] > now_mono and hit[1] > _now():
        return hit[0]
    owner = accounts.token_owner(session, token, kind)
    if owner is None:
        _CACHE.pop(key, None)
        return None
    principal = _principal(owner.user, owner.organisation, kind)
    if len(_CACHE) > 10_000:
        _CACHE.clear()
    _CACHE[key] = (principal, owner.expires_at, now_mono + CACHE_SECONDS)
    return principal


def forget_cached_principals() -> None:
    """Drop this process's token cache (after an administrator disables a user or changes its role)."""
    _CACHE.clear()


# ---- CSRF ------------------------------------------------------------------------------------------------------
# The form field / header carries HMAC(secret, CSRF cookie). Before login the CSRF cookie is random (the login form
# itself is protected). At login the CSRF cookie is replaced by one derived from the new session token
# (csrf_cookie_for_session), and every state-changing request with a session must carry exactly that cookie: a
# token is bound to one session, and a login renews it (a token read or planted before login is worthless after).

def csrf_for(secret: str, cookie_value: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + cookie_value.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(secret: str, cookie_value: str | None, submitted: str | None) -> bool:
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(csrf_for(secret, cookie_value), submitted)


def csrf_cookie_for_session(secret: str, session_token: str) -> str:
    """The CSRF cookie value of a session: derived from the session token, so it changes at every login."""
    return hmac.new(secret.encode(), b"csrf-session:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_bound_to_session(secret: str, request: Request) -> bool:
    """Whether the request's CSRF cookie is the one its session cookie was issued with."""
    session_token = request.cookies.get(SESSION_COOKIE)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not session_token or not cookie:
        return False
    return hmac.compare_digest(csrf_cookie_for_session(secret, session_token), cookie)


def set_session_cookies(response: Any, settings: Any, session_token: str) -> None:
    """Set the session cookie and its bound CSRF cookie (the renewal at login)."""
    common = dict(httponly=True, secure=settings.cookie_secure, samesite="lax", path="/")
    response.set_cookie(SESSION_COOKIE, session_token, max_age=settings.session_hours * 3600, **common)
    response.set_cookie(CSRF_COOKIE, csrf_cookie_for_session(settings.secret_key, session_token), **common)


# ---- FastAPI dependencies ----------------------------------------------------------------------------------------

def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def _cached_principal(token: str, kind: str) -> Principal | None:
    hit = _CACHE.get((_token_hash(token), kind))
    if hit is not None and hit[2] > time.monotonic() and hit[1] > _now():
        return hit[0]
    return None


def _lookup(request: Request, token: str, kind: str) -> Principal | None:
    from innocredit.web.deps import session_scope

    with session_scope(request) as session:
        return principal_for_token(session, token, kind)


async def optional_principal(request: Request) -> Principal | None:
    """The caller: bearer token first (API), else the session cookie (pages, and API calls from pages).

    Async on purpose: a cached token costs no thread hop; a miss reads the database in the thread pool."""
    from starlette.concurrency import run_in_threadpool

    cached = getattr(request.state, "principal", False)
    if cached is not False:
        return cached if isinstance(cached, Principal) else None
    principal = None
    token = _bearer(request)
    kind = "bearer"
    if not token and request.cookies.get(SESSION_COOKIE):
        token, kind = request.cookies[SESSION_COOKIE], "session"
    if token:
        principal = _cached_principal(token, kind) or await run_in_threadpool(_lookup, request, token, kind)
    if principal is not None and kind == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        settings = request.app.state.settings
        # pages check the form field against the CSRF cookie (render.check_csrf); here the cookie must belong to
        # this session, and an API call from a page must carry the header
        if not csrf_bound_to_session(settings.secret_key, request) or (request.url.path.startswith("/api/") and not
                csrf_valid(settings.secret_key, request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER))):
            raise ProblemError(403, "missing or wrong CSRF token; reload the page and try again (if it persists, "
                               "log out and in again)", "csrf")
    request.state.principal = principal
    return principal


async def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:
    if principal is None:
        raise ProblemError(401, "log in or send a bearer token", "unauthenticated",
                           headers={"WWW-Authenticate": "Bearer"})
    return principal


def require_roles(*roles: str) -> Callable[..., Any]:
    """A dependency that admits only the given roles (``admin`` is not implied)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def dep(principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in roles:
            raise ProblemError(403, f"this needs one of the roles: {', '.join(roles)}", "forbidden")
        return principal

    dep.__name__ = "require_" + "_or_".join(roles)
    dep.roles = roles  # type: ignore[attr-defined]  # read by the authorization walk test
    return dep
