"""Errors as RFC 9457 problem details (``application/problem+json``)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_TYPE = "https://innocredit.example/problems/"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          409: "Conflict", 422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error",
          503: "Service Unavailable"}


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None


class ProblemError(Exception):
    """Raise anywhere in a request: becomes a problem-details response."""

    def __init__(self, status: int, detail: str, kind: str | None = None, headers: dict[str, str] | None = None,
                 errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.errors = errors


def problem_response(request: Request, status: int, detail: str | None, kind: str | None = None,
                     headers: dict[str, str] | None = None, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    body = Problem(type=PROBLEM_TYPE + kind if kind else "about:blank", title=TITLES.get(status, "Error"),
                   status=status, detail=detail, instance=request.url.path, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers,
                        media_type="application/problem+json")


def not_found(what: str) -> ProblemError:
    return ProblemError(404, f"{what} not found", "not-found")


def forbidden(detail: str = "this account may not do that") -> ProblemError:
    return ProblemError(403, detail, "forbidden")


# shown in the OpenAPI document for every route
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": TITLES[code], "content": {"application/problem+json": {}}}
    for code in (401, 403, 404, 422)
}


# the database cannot be reached, refused the connection or timed out: the service is unavailable, not broken
DATABASE_DOWN: tuple[type[Exception], ...] = (sa_exc.OperationalError, sa_exc.InterfaceError,
                                                  sa_exc.DisconnectionError, sa_exc.TimeoutError)
RETRY_AFTER = "30"
OUT_OF_RANGE: tuple[type[Exception], ...] = (OverflowError, sa_exc.DataError)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def database_down(request: Request, page_handler: Any = None) -> Response:
    """503 problem details (or the error page) with ``Retry-After``: the database is unreachable."""
    import logging

    logging.getLogger("innocredit.web").error("database unavailable")  # no exception text: it may hold a URL
    headers = {"Retry-After": RETRY_AFTER}
    detail = "the database is unavailable; try again shortly"
    if page_handler and wants_html(request):
        return page_handler(request, 503, detail, headers)  # type: ignore[no-any-return]
    return problem_response(request, 503, detail, "unavailable", headers)


def server_error(request: Request, exc: BaseException, page_handler: Any = None) -> Response:
    """The answer to an unhandled error: 503 when the database is down, else 500 (logged with the traceback)."""
    import logging

    if isinstance(exc, DATABASE_DOWN):
        return database_down(request, page_handler)
    if isinstance(exc, OUT_OF_RANGE):
        # a number or date from the request beyond what the database or the calendar holds (an id over 2^63 - 1
        # reaching SQLite, a date near year 1 or 9999 in date arithmetic): the request's fault, not the server's.
        # Routes should bound their inputs (web.forms) and name the field; this is the net under them.
        logging.getLogger("innocredit.web").warning("value out of range", exc_info=exc)
        detail = "a number or date in the request is out of range (ids are at most 2^63 - 1)"
        if page_handler and wants_html(request):
            return page_handler(request, 422, detail, None)  # type: ignore[no-any-return]
        return problem_response(request, 422, detail, "out-of-range")
    logging.getLogger("innocredit.web").error("unhandled error", exc_info=exc)
    if page_handler and wants_html(request):
        return page_handler(request, 500, None, None)  # type: ignore[no-any-return]
    return problem_response(request, 500, "an unexpected error; it has been logged", "server-error")


def install(app: FastAPI, page_handler: Any = None) -> None:
    """Register the handlers; ``page_handler(request, status, detail)`` renders HTML for page requests. The page
    handler is kept in ``app.state.page_error_handler`` for the request middleware, which answers errors that
    escape every handler (``web.app.RequestContext``)."""
    app.state.page_error_handler = page_handler

    async def on_problem(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, ProblemError)
        if page_handler and wants_html(request):
            return page_handler(request, exc.status, exc.detail, exc.headers)
        return problem_response(request, exc.status, exc.detail, exc.kind, exc.headers, exc.errors)

    async def on_http(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, StarletteHTTPException)
        if page_handler and wants_html(request):
            return page_handler(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))
        return problem_response(request, exc.status_code, str(exc.detail), None, getattr(exc, "headers", None))

    async def on_validation(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": str(e.get("type"))}
                  for e in exc.errors()]
        if page_handler and wants_html(request):
            return page_handler(request, 422, "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors), None)
        return problem_response(request, 422, "the request is not valid", "validation", None, errors)

    async def on_error(request: Request, exc: Exception) -> Any:
        return server_error(request, exc, page_handler)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(Exception, on_error)
    for cls in DATABASE_DOWN:  # inside the request middleware: the answer carries the request id
        app.add_exception_handler(cls, on_error)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
