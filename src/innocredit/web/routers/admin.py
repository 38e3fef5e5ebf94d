"""Administration: organisations and users (create, disable, reset a password, assign role and bank).

Only the ``admin`` role. The rules are :mod:`innocredit.services.platform`'s; a bad field is a 422 naming it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from innocredit.services import platform as accounts
from innocredit.services.platform import Organisation, User
from innocredit.web.auth import Principal, forget_cached_principals, require_roles
from innocredit.web.deps import SESSION
from innocredit.web.pagination import Page, PageParams, page_params, paginate
from innocredit.web.problems import PROBLEM_RESPONSES, ProblemError

router = APIRouter(prefix="/admin", tags=["admin"], responses=PROBLEM_RESPONSES)
ADMIN = Depends(require_roles("admin"))

Role = Literal["coordinator", "bank_officer", "bank_approver", "bank_modeller", "guarantor", "enterprise", "admin"]
Kind = Literal["coordination_office", "bank", "guarantor", "enterprise", "platform"]


class OrganisationIn(BaseModel):
    id: str = Field(min_length=2, max_length=64, examples=["bank-hz-03"])
    kind: Kind
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    region_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    uscc: str | None = Field(default=None, min_length=18, max_length=18)


class OrganisationPatch(BaseModel):
    active: bool | None = None
    name_zh: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)


class OrganisationOut(BaseModel):
    id: str
    kind: str
    name_zh: str
    name_en: str
    region_code: str | None
    uscc: str | None
    active: bool


class UserIn(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=accounts.MIN_PASSWORD, max_length=accounts.MAX_PASSWORD)
    role: Role
    org_id: str = Field(min_length=1, max_length=64, description="the user's organisation (its bank for bank roles)")
    display_name: str | None = Field(default=None, max_length=200)


class UserPatch(BaseModel):
    role: Role | None = None
    org_id: str | None = Field(default=None, min_length=1, max_length=64)
    active: bool | None = None
    display_name: str | None = Field(default=None, max_length=200)


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    org_id: str
    display_name: str | None
    active: bool


class PasswordReset(BaseModel):
    password: str | None = Field(default=None, min_length=accounts.MIN_PASSWORD, max_length=accounts.MAX_PASSWORD,
                                 description="the new password; omitted: a random one is generated and returned once")


class PasswordResetOut(BaseModel):
    user: UserOut
    password: str | None = Field(description="the generated password (only when none was given)")


def _org(o: Organisation) -> OrganisationOut:
    return OrganisationOut(id=o.id, kind=o.kind, name_zh=o.name_zh, name_en=o.name_en, region_code=o.region_code,
                           uscc=o.uscc, active=bool(o.active))


def _user(u: User) -> UserOut:
    return UserOut(id=u.id, username=u.username, role=u.role, org_id=u.org_id, display_name=u.display_name,
                   active=bool(u.active))


def _log(session: Session, principal: Principal, action: str, target: str, detail: str) -> None:
    accounts.record_event(session, action, target, principal.user_id, principal.org_id, detail)


def _changes(body: BaseModel) -> str:
    return " ".join(f"{k}={v}" for k, v in body.model_dump(exclude_none=True).items())


class EventOut(BaseModel):
    at: dt.datetime
    user_id: int | None
    org_id: str | None
    action: str
    target: str | None
    detail: str | None


def _problem(exc: accounts.AccountError) -> ProblemError:
    kind = {404: "not-found", 409: "conflict"}.get(exc.status, "validation")
    return ProblemError(exc.status, str(exc), kind, errors=[{"field": exc.field, "message": exc.message}])


@router.get("/organisations", response_model=Page[OrganisationOut])
def organisations(kind: Kind | None = Query(None), page: PageParams = Depends(page_params),
                  principal: Principal = ADMIN, session: Session = SESSION) -> dict:
    return paginate([_org(o) for o in accounts.list_organisations(session, kind)], page)


@router.post("/organisations", response_model=OrganisationOut, status_code=201)
def create_organisation(body: OrganisationIn, principal: Principal = ADMIN,
                        session: Session = SESSION) -> OrganisationOut:
    try:
        org = accounts.create_organisation(session, body.id, body.kind, body.name_zh, body.name_en, body.region_code,
                                           body.uscc)
    except accounts.AccountError as exc:
        raise _problem(exc) from None
    _log(session, principal, "organisation.create", org.id, f"kind={org.kind}")
    return _org(org)


@router.patch("/organisations/{org_id}", response_model=OrganisationOut)
def update_organisation(org_id: str, body: OrganisationPatch, principal: Principal = ADMIN,
                        session: Session = SESSION) -> OrganisationOut:
    """Rename, disable or enable an organisation; disabling ends its users' sessions and tokens."""
    try:
        org = accounts.update_organisation(session, org_id, active=body.active, name_zh=body.name_zh,
                                           name_en=body.name_en)
    except accounts.AccountError as exc:
        raise _problem(exc) from None
    _log(session, principal, "organisation.update", org.id, _changes(body))
    forget_cached_principals()
    return _org(org)


@router.get("/users", response_model=Page[UserOut])
def users(org_id: str | None = Query(None, max_length=64), page: PageParams = Depends(page_params),
          principal: Principal = ADMIN, session: Session = SESSION) -> dict:
    return paginate([_user(u) for u in accounts.list_users(session, org_id)], page)


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, principal: Principal = ADMIN, session: Session = SESSION) -> UserOut:
    """A new user in an organisation whose kind fits the role (a bank role in a bank, ...)."""
    try:
        user = accounts.create_user(session, body.username, body.password, body.role, body.org_id, body.display_name)
    except accounts.AccountError as exc:
        raise _problem(exc) from None
    _log(session, principal, "user.create", user.username, f"role={user.role} org={user.org_id}")
    return _user(user)


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserPatch, principal: Principal = ADMIN, session: Session = SESSION) -> UserOut:
    """Assign a role or an organisation (bank), disable or enable; a change of role or organisation, or a
    disabling, ends the user's sessions and tokens. The last active administrator stays."""
    if user_id > 2**31 - 1:
        raise ProblemError(404, "user not found", "not-found")
    try:
        user = accounts.update_user(session, user_id, role=body.role, org_id=body.org_id, active=body.active,
                                    display_name=body.display_name)
    except accounts.AccountError as exc:
        raise _problem(exc) from None
    _log(session, principal, "user.update", user.username, _changes(body))
    forget_cached_principals()
    return _user(user)


@router.post("/users/{user_id}/password", response_model=PasswordResetOut)
def reset_password(user_id: int, body: PasswordReset, principal: Principal = ADMIN,
                   session: Session = SESSION) -> PasswordResetOut:
    """Set a new password (or generate one, returned once); ends the user's sessions and tokens."""
    if user_id > 2**31 - 1:
        raise ProblemError(404, "user not found", "not-found")
    try:
        user, password = accounts.reset_password(session, user_id, body.password)
    except accounts.AccountError as exc:
        raise _problem(exc) from None
    _log(session, principal, "user.password_reset", user.username, "generated" if not body.password else "given")
    forget_cached_principals()
    return PasswordResetOut(user=_user(user), password=None if body.password else password)


@router.get("/events", response_model=Page[EventOut])
def events(page: PageParams = Depends(page_params), principal: Principal = ADMIN,
           session: Session = SESSION) -> dict:
    """The administration log, newest first: who created, changed, disabled or reset which account (never a
    password)."""
    rows = accounts.list_events(session, limit=page.offset + page.limit)
    return paginate([EventOut(at=e.at, user_id=e.user_id, org_id=e.org_id, action=e.action, target=e.target,
                              detail=e.detail) for e in rows], page)
