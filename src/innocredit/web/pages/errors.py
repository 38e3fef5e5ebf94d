"""Error pages: 401 sends the browser to the login page; other errors render in the page language."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from innocredit.web.render import render


def error_page(request: Request, status: int, detail: str | None, headers: dict[str, str] | None) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    response = render(request, "error.html", status=status, status_code=status, detail=detail)
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response
