"""Which risk model scores for whom: a bank uses its own champion (else its latest candidate, shown as such);
models are never shared between banks. The registry is reached through ``innocredit.services.risk``, which
also caches loaded artefacts by (id, version); this module keeps the names the web code calls."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from innocredit.services import risk as risk_service


def bank_model_row(session: Session, bank_id: str | None) -> dict[str, Any] | None:
    return risk_service.champion_row(session, bank_id)


def load(row: dict[str, Any]) -> Any | None:
    return risk_service.load_artefact(row)


def bank_model(session: Session, bank_id: str | None) -> tuple[Any | None, str, dict[str, Any] | None]:
    """(model, cache key, registry row) for the bank; (None, "", None) when it has none."""
    return risk_service.champion_model(session, bank_id)
