"""Which risk model scores for whom: a bank uses its own champion (else its latest candidate, shown as such);
models are never shared between banks. Loaded artefacts are cached by (id, version)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session

from innocredit.web.data import optional_module

_CACHE: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()


def bank_model_row(session: Session, bank_id: str | None) -> dict[str, Any] | None:
    repo_mod = optional_module("innocredit.storage.risk")
    if repo_mod is None or not bank_id:
        return None
    repo = repo_mod.RiskModelRepository(session)
    lister = getattr(repo, "list_models", None) or repo.list
    champions = lister(bank_id=bank_id, status="champion")
    if champions:
        return champions[-1]
    candidates = lister(bank_id=bank_id, status="candidate")
    return max(candidates, key=lambda r: (str(r["created_at"]), r["version"])) if candidates else None


def load(row: dict[str, Any]) -> Any | None:
    risk = optional_module("innocredit.risk")
    if risk is None:
        return None
    key = (row["id"], int(row["version"]))
    with _LOCK:
        if key not in _CACHE:
            model = risk.load_model(row["artefact_path"])
            model.model_id_, model.model_version_ = row["id"], int(row["version"])
            _CACHE[key] = model
        return _CACHE[key]


def bank_model(session: Session, bank_id: str | None) -> tuple[Any | None, str, dict[str, Any] | None]:
    """(model, cache key, registry row) for the bank; (None, "", None) when it has none."""
    row = bank_model_row(session, bank_id)
    if row is None:
        return None, "", None
    try:
        model = load(row)
    except Exception:  # a missing or unreadable artefact: no scoring rather than a broken page
        return None, "", row
    return model, f"{row['id']}@{row['version']}", row
