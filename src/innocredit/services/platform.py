"""Accounts: organisations, users, passwords, login with throttling, and session / API tokens.

The web app (login, admin routes) and the CLI (``innocredit users``) call these functions; they never write the
platform tables themselves. Each function takes a ``Session`` whose caller commits, except :func:`login`, which
commits the attempt counter itself before it checks the password (see there).

Rules:
- a user's role fits its organisation's kind (a bank officer belongs to a bank, an administrator to the platform);
- passwords have 8 to 256 characters and are not the username; only argon2id hashes are stored;
- disabling a user or an organisation, changing a user's role or organisation, or resetting a password ends the
  user's sessions and API tokens;
- the last active administrator cannot be disabled or demoted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from innocredit.storage.core import ORGANISATION_KINDS, Enterprise, Organisation
from innocredit.storage.platform import ROLES, AccessEvent, AuthToken, LoginAttempt, LoginCounter, User

# argon2id with modest cost: the demo runs on small machines; still memory-hard
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _HASHER.hash("not-a-password")

BANK_ROLES = ("bank_officer", "bank_approver", "bank_modeller")
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    "coordinator": ("coordination_office",), "bank_officer": ("bank",), "bank_approver": ("bank",),
    "bank_modeller": ("bank",), "guarantor": ("guarantor",), "enterprise": ("enterprise",), "admin": ("platform",),
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
ORG_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
MIN_PASSWORD, MAX_PASSWORD = 8, 256

# the account records the adapters see (they never import storage themselves)
__all__ = ["ROLES", "BANK_ROLES", "AccountConflict", "AccountError", "AccountNotFound", "LoginThrottled",
           "Organisation", "TokenOwner", "User"]


class AccountError(ValueError):
    """Bad input for an account operation; ``field`` names the field at fault."""

    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class AccountNotFound(AccountError):
    status = 404


class AccountConflict(AccountError):
    status = 409


class LoginThrottled(Exception):
    """Too many login attempts for this username in the window; ``retry_after`` seconds until it resets."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many login attempts; try again in {retry_after} s")
        self.retry_after = retry_after


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# ---- passwords ---------------------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(password: str, username: str | None = None) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError("password", f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"a password has at most {MAX_PASSWORD} characters")
    if username and password.strip().lower() == username.strip().lower():
        raise AccountError("password", "the password must not be the username")


def generate_password() -> str:
    """A random password for a reset (shown once)."""
    return secrets.token_urlsafe(15)


# ---- organisations -----------------------------------------------------------------------------------------------

def get_organisation(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise AccountNotFound("org_id", f"no organisation {org_id!r}")
    return org


def list_organisations(session: Session, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.id)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))


def create_organisation(session: Session, org_id: str, kind: str, name_zh: str, name_en: str,
                        region_code: str | None = None, uscc: str | None = None) -> Organisation:
    if not ORG_ID_RE.match(org_id or ""):
        raise AccountError("id", "2 to 64 lowercase letters, digits and hyphens, starting with a letter or digit")
    if kind not in ORGANISATION_KINDS:
        raise AccountError("kind", f"one of {', '.join(ORGANISATION_KINDS)}")
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not value or not value.strip() or len(value) > 200:
            raise AccountError(field, "1 to 200 characters")
    if region_code is not None and not re.fullmatch(r"\d{6}", region_code):
        raise AccountError("region_code", "six digits (GB/T 2260)")
    if kind == "enterprise" and not uscc:
        raise AccountError("uscc", "an enterprise organisation names its USCC")
    if uscc is not None and not USCC_RE.match(uscc):
        raise AccountError("uscc", "18 characters of the unified social credit code")
    if session.get(Organisation, org_id) is not None:
        raise AccountConflict("id", f"organisation {org_id!r} exists")
    org = Organisation(id=org_id, kind=kind, name_zh=name_zh.strip(), name_en=name_en.strip(),
                       region_code=region_code, uscc=uscc, active=True)
    session.add(org)
    session.flush()
    return org


PLATFORM_ORGANISATION = ("platform", "platform", "平台运营", "Platform operator")


def ensure_platform_organisation(session: Session) -> Organisation:
    """The platform operator's organisation (the administrators'), created when missing."""
    org = session.get(Organisation, PLATFORM_ORGANISATION[0])
    return org if org is not None else create_organisation(session, *PLATFORM_ORGANISATION)


def ensure_organisation(session: Session, org_id: str, kind: str, name_zh: str, name_en: str,
                        region_code: str | None = None, uscc: str | None = None,
                        enterprise_name: str | None = None) -> Organisation:
    """The organisation, created as given when missing (seeding: the demo, fixtures); an enterprise organisation
    also gets its enterprise row."""
    if uscc and kind == "enterprise" and session.get(Enterprise, uscc) is None:
        session.add(Enterprise(uscc=uscc, name=enterprise_name or name_zh))
    org = session.get(Organisation, org_id)
    if org is None:
        org = Organisation(id=org_id, kind=kind, name_zh=name_zh, name_en=name_en, region_code=region_code,
                           uscc=uscc, active=True)
        session.add(org)
    session.flush()
    return org


def user_exists(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def disable_users_with_password(session: Session, usernames: Iterable[str],
                                password_of: Callable[[str], str]) -> list[str]:
    """Disable each active user among ``usernames`` whose password is still ``password_of(username)`` (a published
    one); their sessions and tokens end. The usernames disabled."""
    disabled = []
    for user in session.scalars(select(User).where(User.username.in_(list(usernames)), User.active.is_(True))):
        if verify_password(user.password_hash, password_of(user.username)):
            user.active = False
            revoke_user_tokens(session, user.id)
            disabled.append(user.username)
    session.flush()
    return disabled


def count_active_admins(session: Session) -> int:
    return _active_admins(session)


def update_organisation(session: Session, org_id: str, *, active: bool | None = None, name_zh: str | None = None,
                        name_en: str | None = None) -> Organisation:
    org = get_organisation(session, org_id)
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if value is not None:
            if not value.strip() or len(value) > 200:
                raise AccountError(field, "1 to 200 characters")
            setattr(org, field, value.strip())
    if active is not None and active != org.active:
        if not active and org.kind == "platform":
            raise AccountError("active", "the platform organisation holds the administrators; it cannot be disabled")
        org.active = active
        if not active:
            user_ids = list(session.scalars(select(User.id).where(User.org_id == org_id)))
            if user_ids:
                session.execute(delete(AuthToken).where(AuthToken.user_id.in_(user_ids)))
    session.flush()
    return org


# ---- users -------------------------------------------------------------------------------------------------------

def get_user(session: Session, user: int | str) -> User:
    found = session.get(User, user) if isinstance(user, int) else \
        session.scalar(select(User).where(User.username == user))
    if found is None:
        raise AccountNotFound("user", f"no user {user!r}")
    return found


def list_users(session: Session, org_id: str | None = None) -> list[User]:
    query = select(User).order_by(User.id)
    if org_id:
        query = query.where(User.org_id == org_id)
    return list(session.scalars(query))


def _check_role_org(session: Session, role: str, org_id: str, check_kind: bool = True) -> Organisation:
    if role not in ROLES:
        raise AccountError("role", f"unknown role {role!r}; one of {', '.join(ROLES)}")
    org = get_organisation(session, org_id)
    if check_kind and org.kind not in ROLE_ORG_KINDS[role]:
        raise AccountError("org_id", f"a {role} belongs to a {' or '.join(ROLE_ORG_KINDS[role])} organisation; "
                                     f"{org_id!r} is a {org.kind}")
    return org


def create_user(session: Session, username: str, password: str, role: str, org_id: str,
                display_name: str | None = None, check_kind: bool = True) -> User:
    """A new active user. ``check_kind=False`` skips the role / organisation-kind rule (tests and fixtures)."""
    if not USERNAME_RE.match(username or ""):
        raise AccountError("username", "2 to 64 letters, digits and _ . @ -, starting with a letter or digit")
    if role not in ROLES:
        raise AccountError("role", f"unknown role {role!r}; one of {', '.join(ROLES)}")
    check_password(password, username)
    org = _check_role_org(session, role, org_id, check_kind)
    if not org.active:
        raise AccountError("org_id", f"organisation {org_id!r} is disabled")
    if display_name is not None and len(display_name) > 200:
        raise AccountError("display_name", "at most 200 characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountConflict("username", f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password), role=role, org_id=org_id,
                display_name=display_name, active=True)
    session.add(user)
    session.flush()
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin",
                                                                       User.active.is_(True))) or 0


def update_user(session: Session, user: int | str, *, role: str | None = None, org_id: str | None = None,
                active: bool | None = None, display_name: str | None = None) -> User:
    """Change a user's role, organisation (its bank), activity or display name; a change of role, organisation or
    a disabling ends the user's sessions and tokens."""
    row = get_user(session, user)
    new_role, new_org = role or row.role, org_id or row.org_id
    losing_admin = row.role == "admin" and row.active and (new_role != "admin" or active is False)
    if losing_admin and _active_admins(session) <= 1:
        raise AccountError("role" if new_role != "admin" else "active", "this is the last active administrator")
    if (new_role, new_org) != (row.role, row.org_id):
        _check_role_org(session, new_role, new_org)
    revoke = (new_role, new_org) != (row.role, row.org_id) or (active is False and row.active)
    row.role, row.org_id = new_role, new_org
    if active is not None:
        row.active = active
    if display_name is not None:
        if len(display_name) > 200:
            raise AccountError("display_name", "at most 200 characters")
        row.display_name = display_name
    if revoke:
        revoke_user_tokens(session, row.id)
    session.flush()
    return row


def reset_password(session: Session, user: int | str, password: str | None = None) -> tuple[User, str]:
    """Set a new password (a generated one when ``password`` is None); ends the user's sessions and tokens.
    Returns the user and the password (to show once)."""
    row = get_user(session, user)
    password = password if password is not None else generate_password()
    check_password(password, row.username)
    row.password_hash = hash_password(password)
    revoke_user_tokens(session, row.id)
    session.execute(delete(LoginCounter).where(LoginCounter.username == row.username))
    session.flush()
    return row, password


# ---- the administration log -------------------------------------------------------------------------------------

def record_event(session: Session, action: str, target: str, actor_user_id: int | None = None,
                 actor_org_id: str | None = None, detail: str | None = None) -> None:
    """One line of ``platform_access_events``: who (``None`` = the command line) did what to which account."""
    session.add(AccessEvent(at=_now(), user_id=actor_user_id, org_id=actor_org_id, action=action[:64],
                            target=target[:200], detail=detail))
    session.flush()


def list_events(session: Session, limit: int = 100) -> list[AccessEvent]:
    return list(session.scalars(select(AccessEvent).order_by(AccessEvent.id.desc()).limit(limit)))


# ---- login and throttling ----------------------------------------------------------------------------------------

def count_login_attempt(session: Session, username: str, window_minutes: int,
                        now: dt.datetime | None = None) -> tuple[int, dt.datetime]:
    """Count one attempt for ``username`` in one atomic statement (an upsert whose row lock orders parallel
    requests) and return (attempt number in the window, window start). A window older than ``window_minutes``
    starts again at 1."""
    now = now or _now()
    cutoff = now - dt.timedelta(minutes=window_minutes)
    col = LoginCounter.__table__.c
    insert: Any = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    expired = col.window_start <= cutoff
    stmt = insert(LoginCounter).values(username=username, attempts=1, window_start=now).on_conflict_do_update(
        index_elements=[col.username], set_={
            "attempts": case((expired, 1), else_=col.attempts + 1),
            "window_start": case((expired, now), else_=col.window_start),
        }).returning(col.attempts, col.window_start)
    attempts, start = session.execute(stmt).one()
    return int(attempts), _aware(start)


def login(session: Session, username: str, password: str, client: str | None = None, max_failures: int = 5,
          window_minutes: int = 15) -> User | None:
    """The user when the password matches and the user and its organisation are active, else ``None``.

    The attempt is counted and *committed* before the password is checked, so that parallel requests (in any
    worker process) each see the others' attempts: at most ``max_failures`` password checks per window, however
    many requests arrive together. Beyond that it raises :class:`LoginThrottled` without checking. A success resets
    the count. Every attempt is logged in ``platform_login_attempts``."""
    username = username.strip()[:64]
    now = _now()
    attempts, start = count_login_attempt(session, username, window_minutes, now)
    session.commit()  # the count is visible to every other request before any password work starts
    if attempts > max_failures:
        session.add(LoginAttempt(username=username, client=(client or "")[:64] or None, ok=False, at=now))
        session.commit()
        remaining = start + dt.timedelta(minutes=window_minutes) - now
        raise LoginThrottled(max(1, int(remaining.total_seconds()) + 1))
    row = session.execute(select(User, Organisation).join(Organisation, Organisation.id == User.org_id)
                          .where(User.username == username)).first()
    if row is None or not row[0].active or not row[1].active:
        verify_password(_DUMMY_HASH, password)  # the same work either way: no user enumeration by timing
        ok = False
    else:
        ok = verify_password(row[0].password_hash, password)
    session.add(LoginAttempt(username=username, client=(client or "")[:64] or None, ok=ok, at=now))
    if ok:
        session.execute(update(LoginCounter).where(LoginCounter.username == username).values(attempts=0))
    session.flush()
    return row[0] if ok and row is not None else None


# ---- sessions and API tokens -------------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, kind: str, hours: int) -> str:
    """A new random token (kind ``session`` or ``bearer``) valid for ``hours``; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = _now()
    session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, kind=kind, created_at=now,
                          expires_at=now + dt.timedelta(hours=hours)))
    session.execute(delete(AuthToken).where(AuthToken.user_id == user.id, AuthToken.expires_at < now))
    session.flush()
    return token


def revoke_token(session: Session, token: str) -> None:
    session.execute(delete(AuthToken).where(AuthToken.token_hash == token_hash(token)))


def revoke_user_tokens(session: Session, user_id: int) -> int:
    """End every session and API token of a user; the number ended."""
    result = session.execute(delete(AuthToken).where(AuthToken.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class TokenOwner:
    user: User
    organisation: Organisation
    expires_at: dt.datetime


def token_owner(session: Session, token: str, kind: str) -> TokenOwner | None:
    """The user and organisation a live token of ``kind`` belongs to; ``None`` when unknown, expired, or when the
    user or its organisation is disabled."""
    row = session.execute(
        select(AuthToken, User, Organisation).join(User, User.id == AuthToken.user_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(AuthToken.token_hash == token_hash(token), AuthToken.kind == kind)
    ).first()
    if row is None:
        return None
    tok, user, org = row
    if _aware(tok.expires_at) <= _now() or not user.active or not org.active:
        return None
    return TokenOwner(user, org, _aware(tok.expires_at))
