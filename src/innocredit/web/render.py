"""Jinja2 rendering for the pages: language, the logged-in user, the CSRF token and the navigation."""

from __future__ import annotations

import functools
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from innocredit.lending.lifecycle import STATE_NAMES
from innocredit.lending.schema import load_products
from innocredit.web import charts
from innocredit.web.auth import CSRF_COOKIE, CSRF_FIELD, Principal, csrf_for, csrf_valid
from innocredit.web.i18n import label, pick, request_lang, translator
from innocredit.web.problems import ProblemError

TEMPLATES = Path(__file__).with_name("templates")
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)


def code_label(code: str | None, kind: str, lang: str) -> str:
    """An industry code (GB/T 4754), an industry section letter or a region code with the name of its
    division, section or city where known, e.g. ``C3976 · 计算机、通信和其他电子设备制造业``, ``C · 制造业``;
    the bare code otherwise."""
    if not code:
        return "—"
    from innocredit.evaluation.track import CITIES, DIVISIONS
    from innocredit.profile.industry import SECTION_NAMES

    if kind == "industry":
        names = DIVISIONS.get(code[:3])
    elif kind == "section":
        names = SECTION_NAMES.get(code)
    else:
        names = CITIES.get(code[:4])
    return f"{code} · {names[0] if lang == 'zh' else names[1]}" if names else code


@functools.cache
def _product_names() -> dict[str, tuple[str, str]]:
    return {p.id: (p.name_zh, p.name_en) for p in load_products()}


def product_label(product_id: str | None, lang: str) -> str:
    """A product's name in the page language (its id when the catalogue does not know it)."""
    names = _product_names().get(product_id or "")
    if not names:
        return label("product_kind", product_id, lang)
    return names[0] if lang == "zh" else names[1]


def state_label(state: str | None, lang: str) -> str:
    """An application's or loan's lifecycle state in the page language (the lending area's Chinese names)."""
    if not state:
        return "—"
    if lang == "zh" and state in STATE_NAMES:
        return STATE_NAMES[state]
    named = label("state", state, lang)
    return named if named != state else state.replace("_", " ")


ENV.globals.update(charts=charts, code_label=code_label, product_label=product_label, state_label=state_label,
                   label=label)

# (path, message key, roles that see it)
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("/dashboard", "nav.dashboard", ("coordinator", "admin")),
    ("/lists", "nav.lists", ("coordinator", "admin")),
    ("/data", "nav.data", ("coordinator", "admin")),
    ("/enterprises", "nav.directory", ("coordinator", "admin", "guarantor", "bank_officer", "bank_approver")),
    ("/inbox", "nav.inbox", ("bank_officer", "bank_approver")),
    ("/applications", "nav.applications", ("bank_officer", "bank_approver", "guarantor")),
    ("/guarantees", "nav.guarantees", ("guarantor",)),
    ("/qualifications", "nav.qualifications", ("coordinator", "admin", "bank_officer", "bank_approver")),
    ("/portfolio", "nav.portfolio", ("bank_officer", "bank_approver", "bank_modeller", "coordinator")),
    ("/models", "nav.models", ("bank_modeller", "bank_approver")),
    ("/me", "nav.me", ("enterprise",)),
]


def csrf_cookie_value(request: Request) -> str:
    """The browser's CSRF cookie, minted by the middleware on its first visit."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value:
        value = secrets.token_urlsafe(24)
        request.state.new_csrf = value
    return value


def fmt_money(v: Any) -> str:
    if v is None:
        return "—"
    try:
        return f"{float(v):,.2f}"
    except (TypeError, ValueError):
        return str(v)


def fmt_num(v: Any, digits: int = 1) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "✓" if v else "✗"
    if isinstance(v, int):
        return f"{v:,}"
    try:
        return f"{float(v):,.{digits}f}"
    except (TypeError, ValueError):
        return str(v)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    lang = request_lang(request)
    principal: Principal | None = getattr(request.state, "principal", None) or None
    settings = request.app.state.settings
    nav = [(path, key) for path, key, roles in NAV if principal and principal.role in roles
           and request.app.state.page_enabled(path)]
    ctx = {
        "request": request, "lang": lang, "t": translator(lang), "pick": lambda v: pick(v, lang),
        "principal": principal, "nav": nav, "path": request.url.path,
        "csrf_field": CSRF_FIELD, "csrf_token": csrf_for(settings.secret_key, csrf_cookie_value(request)),
        "money": fmt_money, "num": fmt_num, "other_lang": "en" if lang == "zh" else "zh",
    }
    ctx.update(context)
    html = ENV.get_template(template).render(**ctx)
    return HTMLResponse(html, status_code=status)


async def check_csrf(request: Request) -> None:
    """Dependency for page forms: the hidden field must match the browser's CSRF cookie."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not csrf_valid(request.app.state.settings.secret_key, request.cookies.get(CSRF_COOKIE),
                      submitted if isinstance(submitted, str) else None):
        raise ProblemError(403, "missing or wrong CSRF token; reload the page and try again", "csrf")
