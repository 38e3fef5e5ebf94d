"""Calling the areas' services from the web: their documented errors become problem details."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from innocredit.web.data import optional_module
from innocredit.web.problems import ProblemError


def _classes(*paths: str) -> tuple[type[BaseException], ...]:
    out = []
    for path in paths:
        mod_name, _, cls = path.rpartition(".")
        mod = optional_module(mod_name)
        if mod is not None and hasattr(mod, cls):
            out.append(getattr(mod, cls))
    return tuple(out)


@lru_cache(maxsize=1)
def _error_map() -> dict[str, tuple[type[BaseException], ...]]:
    return {
        "not_found": _classes("innocredit.storage.lending.NotFound", "innocredit.storage.coordination.NotFound",
                              "innocredit.coordination.service.NotFound"),
        "conflict": _classes("innocredit.lending.lifecycle.LifecycleError"),
        "refused": _classes("innocredit.coordination.service.ConsentRefused"),
        "invalid": _classes("innocredit.coordination.service.CoordinationInputError",
                            "innocredit.coordination.service.ConsentError"),
    }


@contextmanager
def domain_call(lang: str = "en") -> Iterator[None]:
    """Map an area's errors: not found -> 404, lifecycle refusal -> 409, consent refusal -> 403, bad input -> 422."""
    errors = _error_map()
    not_found: tuple[type[BaseException], ...] = errors["not_found"] or (LookupError,)
    conflict: tuple[type[BaseException], ...] = errors["conflict"] or (RuntimeError,)
    refused: tuple[type[BaseException], ...] = errors["refused"] or (PermissionError,)
    invalid: tuple[type[BaseException], ...] = (*errors["invalid"], ValueError, KeyError)
    try:
        yield
    except ProblemError:
        raise
    except not_found as exc:
        raise ProblemError(404, str(exc).strip("'\"") or "not found", "not-found") from exc
    except conflict as exc:
        text: Any = getattr(exc, "zh" if lang == "zh" else "en", None) or str(exc)
        raise ProblemError(409, str(text), "conflict", errors=[{"code": str(getattr(exc, "code", "state"))}]) from exc
    except refused as exc:
        raise ProblemError(403, str(exc), "consent-refused") from exc
    except invalid as exc:
        raise ProblemError(422, str(exc).strip("'\""), "invalid") from exc
