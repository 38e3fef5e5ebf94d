"""Transport hardening as one pure ASGI middleware (no body buffering, no per-request task):

- a request body limit on every route (``Settings.max_body_bytes``; ``max_upload_bytes`` on the file uploads): a declared ``Content-Length`` over the limit is
  answered 413 before the app runs; a body without one (chunked) is counted as it streams and the request is
  answered 413 the moment it passes the limit, whatever the route would have answered;
- ``Cache-Control: no-store`` on every response to a request that carries credentials (a session cookie or an
  ``Authorization`` header), except static files;
- ``Strict-Transport-Security`` when cookies are secure (the deployment is served over HTTPS);
- the ``__Host-`` cookie prefix when cookies are secure: the app uses the logical names (``ic_session``,
  ``ic_csrf``, ``ic_lang``); on the wire they are ``__Host-ic_session`` ..., which a browser accepts only from a
  secure origin, with ``Path=/`` and without ``Domain`` — a sibling subdomain cannot plant or overwrite them.
  Incoming ``__Host-`` cookies are handed to the app under their logical names, and unprefixed copies of the
  logical names are dropped (a planted ``ic_session`` never reaches the app).

Wire it in the app factory as the outermost middleware: ``app.add_middleware(Hardening, settings=settings)``.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

HOST_PREFIX = "__Host-"
COOKIES = ("ic_session", "ic_csrf", "ic_lang")  # the logical names the app sets and reads


class BodyTooLarge(Exception):
    """The request body passed the limit (raised from ``receive``; answered 413)."""


def _problem(status: int, detail: str, kind: str, path: str) -> bytes:
    titles = {413: "Content Too Large"}
    return json.dumps({"type": f"https://innocredit.example/problems/{kind}", "title": titles.get(status, "Error"),
                       "status": status, "detail": detail, "instance": path}).encode()


def _rewrite_request_cookies(header: str) -> str:
    """``__Host-x=1; x=2`` -> ``x=1``: the prefixed cookie under its logical name, unprefixed copies dropped."""
    kept = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name.startswith(HOST_PREFIX) and name[len(HOST_PREFIX):] in COOKIES:
            kept.append(f"{name[len(HOST_PREFIX):]}={value}")
        elif name not in COOKIES:
            kept.append(f"{name}={value}")
    return "; ".join(kept)


def _prefix_set_cookie(value: bytes) -> bytes:
    """Add ``__Host-`` to a Set-Cookie of a logical cookie when it qualifies (Secure, Path=/, no Domain)."""
    text = value.decode("latin-1")
    name = text.split("=", 1)[0].strip()
    if name not in COOKIES:
        return value
    attrs = [a.strip().lower() for a in text.split(";")[1:]]
    if "secure" not in attrs or "path=/" not in attrs or any(a.startswith("domain=") for a in attrs):
        return value
    return (HOST_PREFIX + text).encode("latin-1")


# the routes that take a file (a department feed, an application list): Settings.max_upload_bytes applies to them
UPLOAD_PATH = re.compile(r"^(/api/v1/feeds/[a-z_]+|/data/upload|/lists/\d+/items/upload)$")


class Hardening:
    def __init__(self, app: Any, settings: Any) -> None:
        self.app = app
        self.body_limit = int(settings.max_body_bytes)
        self.upload_limit = max(int(getattr(settings, "max_upload_bytes", 0)), self.body_limit)
        self.secure = bool(settings.cookie_secure)
        self.hsts = f"max-age={int(settings.hsts_seconds)}; includeSubDomains".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = list(scope.get("headers") or [])
        path = scope.get("path", "")
        limit = self.upload_limit if scope.get("method") == "POST" and UPLOAD_PATH.match(path) else self.body_limit
        declared = next((v for k, v in headers if k == b"content-length"), None)
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server rejects a malformed Content-Length itself
            if too_large:
                await self._refuse(send, path, headers, limit)
                return
        if self.secure:
            headers = [(k, _rewrite_request_cookies(v.decode("latin-1")).encode("latin-1")) if k == b"cookie"
                       else (k, v) for k, v in headers]
            scope = {**scope, "headers": headers}
        credentials = any(k == b"authorization" for k, _ in headers) or any(
            k == b"cookie" and b"ic_session=" in v for k, v in headers)
        no_store = credentials and not path.startswith("/static/")
        received = 0
        exceeded = False
        started = False
        replaced = False

        async def limited_receive() -> Any:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge(f"request body over {limit} bytes")
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the app's own answer to a body we cut off is dropped
            if message["type"] == "http.response.start":
                if exceeded:
                    replaced = True
                    started = True
                    await self._refuse(send, path, headers, limit,
                                        [(k, v) for k, v in message.get("headers", []) if k == b"x-request-id"])
                    return
                started = True
                out = []
                for key, value in message.get("headers", []):
                    if key == b"set-cookie" and self.secure:
                        value = _prefix_set_cookie(value)
                    if key == b"cache-control" and no_store:
                        continue
                    out.append((key, value))
                if no_store:
                    out.append((b"cache-control", b"no-store"))
                if self.secure and not any(k == b"strict-transport-security" for k, _ in out):
                    out.append((b"strict-transport-security", self.hsts))
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, path, headers, limit)

    async def _refuse(self, send: Any, path: str, request_headers: list[tuple[bytes, bytes]], limit: int,
                      request_id: list[tuple[bytes, bytes]] | None = None) -> None:
        body = _problem(413, f"the request body is larger than {limit} bytes", "body-too-large", path)
        headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        if not request_id:
            rid = next((v for k, v in request_headers if k == b"x-request-id"), b"")
            ok = 0 < len(rid) <= 64 and rid.replace(b"-", b"").isalnum()
            request_id = [(b"x-request-id", rid if ok else uuid.uuid4().hex.encode())]
        headers += request_id
        if self.secure:
            headers.append((b"strict-transport-security", self.hsts))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


__all__ = ["COOKIES", "HOST_PREFIX", "BodyTooLarge", "Hardening"]
