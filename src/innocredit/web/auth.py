"""Accounts: argon2 password hashes, cookie sessions and bearer tokens, CSRF, login throttling, role checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from innocredit.storage.core import Organisation
from innocredit.storage.platform import ROLES, AuthToken, LoginAttempt, User
from innocredit.web.problems import ProblemError

SESSION_COOKIE = "ic_session"
CSRF_COOKIE = "ic_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

BANK_ROLES = ("bank_officer", "bank_approver", "bank_modeller")
# argon2id with modest cost: the demo runs on small machines; still memory-hard
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("not-a-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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


# ---- users -----------------------------------------------------------------------------------------------------

def create_user(session: Session, username: str, password: str, role: str, org_id: str,
                display_name: str | None = None) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("a password has at least 8 characters")
    user = User(username=username, password_hash=hash_password(password), role=role, org_id=org_id,
                display_name=display_name, active=True)
    session.add(user)
    session.flush()
    return user


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
    """The user when the password matches; records the attempt; raises LoginThrottled after repeated failures."""
    now = _now()
    since = now - dt.timedelta(minutes=window_minutes)
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username,
                                                                     LoginAttempt.ok.is_(True)))
    if last_ok is not None and _aware(last_ok) > since:
        since = _aware(last_ok)
    failures = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.ok.is_(False), LoginAttempt.at > since)) or 0
    if failures >= max_failures:
        raise LoginThrottled(window_minutes * 60)
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        verify_password(_DUMMY_HASH, password)  # same work either way
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    session.add(LoginAttempt(username=username[:64], client=(client or "")[:64] or None, ok=ok, at=now))
    session.flush()
    return user if ok else None


def issue_token(session: Session, user: User, kind: str, hours: int) -> str:
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(AuthToken(token_hash=_token_hash(token), user_id=user.id, kind=kind, created_at=now,
                          expires_at=now + dt.timedelta(hours=hours)))
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at < now))
    session.flush()
    return token


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(AuthToken).where(AuthToken.token_hash == _token_hash(token)))
    _CACHE.pop((_token_hash(token), "session"), None)
    _CACHE.pop((_token_hash(token), "bearer"), None)


# token hash -> (principal, expires_at, cached_until): saves a database round trip per API call; a revocation in
# this process takes effect at once, in another worker process within CACHE_SECONDS
CACHE_SECONDS = 5.0
_CACHE: dict[tuple[str, str], tuple[Principal, dt.datetime, float]] = {}


def principal_for_token(session: Session, token: str, kind: str) -> Principal | None:
    import time

    key = (_token_hash(token), kind)
    hit = _CACHE.get(key)
    now_mono = time.monotonic()
    if hit is not None and hit[2] > now_mono and hit[1] > _now():
        return hit[0]
    principal = _principal_from_db(session, token, kind)
    if principal is None:
        _CACHE.pop(key, None)
        return None
    principal_obj, expires = principal
    if len(_CACHE) > 10_000:
        _CACHE.clear()
    _CACHE[key] = (principal_obj, expires, now_mono + CACHE_SECONDS)
    return principal_obj


def _principal_from_db(session: Session, token: str, kind: str) -> tuple[Principal, dt.datetime] | None:
    row = session.execute(
        select(AuthToken, User, Organisation).join(User, User.id == AuthToken.user_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(AuthToken.token_hash == _token_hash(token), AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    tok, user, org = row
    if _aware(tok.expires_at) <= _now() or not user.active:
        return None
    return _principal(user, org, kind), _aware(tok.expires_at)


# ---- CSRF (double submit: a random cookie, and its HMAC in the form or header) -----------------------------------

def csrf_for(secret: str, cookie_value: str) -> str:
    return hmac.new(secret.encode(), b"csrf:" + cookie_value.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(secret: str, cookie_value: str | None, submitted: str | None) -> bool:
    if not cookie_value or not submitted:
        return False
    return hmac.compare_digest(csrf_for(secret, cookie_value), submitted)


# ---- FastAPI dependencies ----------------------------------------------------------------------------------------

def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def _cached_principal(token: str, kind: str) -> Principal | None:
    import time

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
    if principal is not None and kind == "session" and request.method not in ("GET", "HEAD", "OPTIONS") \
            and request.url.path.startswith("/api/"):
        settings = request.app.state.settings
        if not csrf_valid(settings.secret_key, request.cookies.get(CSRF_COOKIE), request.headers.get(CSRF_HEADER)):
            raise ProblemError(403, "missing or wrong CSRF token", "csrf")
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
