"""Structured JSON logs, one object a line, each carrying the request id; no personal data is logged: every USCC
in a message, a path or a traceback is replaced by ``{uscc}``."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

LOGGER = logging.getLogger("innocredit.web")

# a unified social credit code (GB 32100-2015: 18 characters of 0-9 and the capitals except I, O, S, V, Z)
USCC_RE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{18}(?![0-9A-Z])")


def redact(text: str) -> str:
    """The text with every USCC replaced by ``{uscc}`` (paths, messages, tracebacks)."""
    return USCC_RE.sub("{uscc}", text)


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "role", "org")

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        rid = request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key in self.FIELDS:
            if hasattr(record, key):
                value = getattr(record, key)
                out[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
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
