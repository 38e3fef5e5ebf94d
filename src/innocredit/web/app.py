"""The app factory: REST API under /api/v1, server-rendered pages, health checks, JSON logs."""

from __future__ import annotations

import importlib
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from innocredit.services.database import make_engine
from innocredit.settings import lending_policy
from innocredit.web import logging as weblog
from innocredit.web import problems
from innocredit.web.auth import CSRF_COOKIE
from innocredit.web.config import Settings
from innocredit.web.data import (
    DataService,
    FeatureLoader,
    default_loader,
    default_patents_loader,
    default_pools_loader,
)
from innocredit.web.hardening import Hardening
from innocredit.web.i18n import LANG_COOKIE, normalise

LOG = logging.getLogger("innocredit.web")
API_PREFIX = "/api/v1"
# every router/page module is imported at start-up (a broken module fails the start); each defines `router`
API_MODULES = ("auth", "admin", "enterprises", "evaluations", "risk", "ip", "lending", "coordination", "feeds",
               "qualifications", "exports")
PAGE_MODULES = ("auth", "enterprises", "dashboard", "bank", "enterprise_self", "coordination", "risk", "data",
                "guarantor", "qualifications")


def _wire(app: FastAPI, package: str, names: tuple[str, ...], prefix: str = "") -> list[str]:
    """Include each module's router; record its routes (with full paths) in ``app.state.route_table``."""
    wired = []
    for name in names:
        router: APIRouter = importlib.import_module(f"innocredit.web.{package}.{name}").router
        app.include_router(router, prefix=prefix)
        app.state.route_table += [(prefix + r.path, r) for r in router.routes if isinstance(r, APIRoute)]
        wired.append(name)
    return wired


def _lending_policy(settings: Settings) -> Any:
    """The lending policy with the LPR and SLA from the settings, loaded once."""
    cache: dict[str, Any] = {}

    def get() -> Any:
        if "p" not in cache:
            cache["p"] = lending_policy(settings)
        return cache["p"]

    return get


class RequestContext:
    """Pure ASGI middleware (no per-request task or body buffering): request id, a JSON log line per request,
    security headers, and the pages' CSRF and language cookies."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        rid = request.headers.get("x-request-id")
        rid = rid if rid and len(rid) <= 64 and rid.replace("-", "").isalnum() else uuid.uuid4().hex
        token = weblog.request_id_var.set(rid)
        start = time.perf_counter()
        status = 500
        is_page = not request.url.path.startswith(API_PREFIX)

        async def send_wrapper(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                response = Response(status_code=status)  # a scratch response to build headers with
                response.raw_headers = [h for h in response.raw_headers if h[0] not in (b"content-length",
                                                                                       b"content-type")]
                existing = {k.lower() for k, _ in message.get("headers", [])}
                response.headers["X-Request-ID"] = rid
                extra = {b"x-content-type-options": "nosniff", b"referrer-policy": "same-origin"}
                if is_page:
                    extra.update({b"x-frame-options": "DENY", b"content-security-policy": (
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                        "form-action 'self'; frame-ancestors 'none'")})
                    if not request.cookies.get(CSRF_COOKIE):
                        state = scope.get("state") or {}
                        value = state.get("new_csrf") or secrets.token_urlsafe(24)
                        response.set_cookie(CSRF_COOKIE, value, httponly=True, secure=self.settings.cookie_secure,
                                            samesite="lax", path="/")
                    lang = normalise(request.query_params.get("lang"))
                    if lang and lang != request.cookies.get(LANG_COOKIE):
                        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/",
                                            secure=self.settings.cookie_secure)
                for key, value in extra.items():
                    if key not in existing:
                        response.headers[key.decode()] = value
                message = {**message, "headers": [*message.get("headers", []), *response.raw_headers]}
            await send(message)

        started = False

        async def send_tracked(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_wrapper(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:  # noqa: BLE001 - answered here, inside this middleware, and not re-raised
            # An error no handler answered: reply 500 (503 when the database is down) through send_wrapper, so that
            # the answer carries X-Request-ID, and do not re-raise: re-raising made the server drop the keep-alive
            # connection, and the client's next pooled request met ECONNRESET.
            if started:  # the response has begun: it cannot be replaced, only logged
                LOG.error("error after the response started", exc_info=exc)
            else:
                handler = getattr(scope.get("app") and scope["app"].state, "page_error_handler", None)
                response = problems.server_error(Request(scope), exc, handler)
                await response(scope, receive, send_wrapper)
        finally:
            principal = (scope.get("state") or {}).get("principal")
            if LOG.isEnabledFor(logging.INFO):
                LOG.info("request", extra={"method": request.method, "path": request.url.path, "status": status,
                                           "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                                           "role": getattr(principal, "role", None),
                                           "org": getattr(principal, "org_id", None)})
            weblog.request_id_var.reset(token)


def _warm(app: FastAPI) -> None:
    """Compute the feature table and each system's population evaluation before the first page asks for them."""
    try:
        data = app.state.data
        data.features()
        for system_id in data.systems():
            data.evaluations(system_id)
        data.ip_valued()
    except Exception:  # warming is an optimisation; the first request computes what is missing
        LOG.warning("cache warm-up failed", exc_info=True)


def create_app(settings: Settings | None = None, loader: FeatureLoader | None = None,
               patents_loader: FeatureLoader | None = None) -> FastAPI:
    """The app. ``loader`` / ``patents_loader`` supply the feature table and the patent records (default: the
    ingested store)."""
    settings = settings or Settings.from_env()
    weblog.configure(settings.log_level)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            from innocredit.services.database import migrate as upgrade

            upgrade(engine)
            LOG.info("migrations applied")
        import threading

        if settings.warm_caches:
            threading.Thread(target=_warm, args=(app,), name="warm-caches", daemon=True).start()
        LOG.info("started")
        yield
        LOG.info("shutting down")  # uvicorn drains in-flight requests before this runs
        engine.dispose()

    app = FastAPI(title="innocredit", version="1.0", lifespan=lifespan, openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=None, redoc_url=None,
                  description="Lending to small technology enterprises: evaluation, IP, risk, lending, coordination. "
                              "Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. "
                              "Errors are RFC 9457 problem details.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker(bind=engine, expire_on_commit=False)
    app.state.data = DataService(loader or default_loader(engine, settings.features_path),
                                 patents_loader=patents_loader or default_patents_loader(engine),
                                 pools_loader=default_pools_loader(engine))
    app.state.lending_policy = _lending_policy(settings)

    from innocredit.web.pages.errors import error_page

    problems.install(app, error_page)
    app.state.route_table = []
    app.state.api_wired = _wire(app, "routers", API_MODULES, API_PREFIX)
    app.state.pages_wired = _wire(app, "pages", PAGE_MODULES)
    page_paths = {path for path, _ in app.state.route_table}
    app.state.page_enabled = lambda path: path in page_paths
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        try:
            with engine.connect() as conn:
                conn.execute(text("select 1"))
                conn.execute(text("select count(*) from platform_users"))
        except Exception as exc:  # not ready: database down or not migrated
            return JSONResponse({"status": "unavailable", "detail": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready", "api": app.state.api_wired, "pages": app.state.pages_wired})

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/home", status_code=303)

    app.add_middleware(RequestContext, settings=settings)
    app.add_middleware(Hardening, settings=settings)  # outermost: body limit, no-store, HSTS, __Host- cookies
    return app
