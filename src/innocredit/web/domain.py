"""Calling the areas' services from the web: their documented errors become problem details."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from innocredit.lending.lifecycle import LifecycleError
from innocredit.services import coordination, ip, lending
from innocredit.web.problems import ProblemError


def _error_map() -> dict[str, tuple[type[BaseException], ...]]:
    return {
        "not_found": (lending.NotFound, coordination.NotFound),
        "conflict": (LifecycleError, ip.PatentAlreadyPledged),
        "refused": (coordination.ConsentRefused,),
        "invalid": (coordination.CoordinationInputError, coordination.ConsentError),
    }


@contextmanager
def domain_call(lang: str = "en") -> Iterator[None]:
    """Map an area's errors: not found -> 404, lifecycle refusal -> 409, consent refusal -> 403, bad input -> 422."""
    errors = _error_map()
    not_found, conflict, refused = errors["not_found"], errors["conflict"], errors["refused"]
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
