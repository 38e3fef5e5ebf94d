"""Structured JSON logs, one object a line, each carrying the request id; no personal data is logged."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

LOGGER = logging.getLogger("innocredit.web")


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "role", "org")

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key in self.FIELDS:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it; a closed old one is never used)."""

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, value):  # type: ignore[no-untyped-def]
        pass


def configure(level: str = "INFO") -> None:
    """Send the app's and uvicorn's logs to stderr as JSON lines."""
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("innocredit", "uvicorn", "uvicorn.error"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # our middleware logs each request without client IPs
