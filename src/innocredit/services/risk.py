"""Risk use cases: the model registry (register, validate, promote, list), the champion model of a bank, and the
fair-lending governance of promotion.

Each function takes a unit of work (a SQLAlchemy ``Session`` whose caller commits) and plain arguments and
returns plain results. CLI verbs, API routes and pages reach the registry only through here.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from innocredit.lending.audit import canonical_json
from innocredit.risk.artefact import load_model
from innocredit.risk.fairness import AIR_THRESHOLD, min_adverse_impact_ratio
from innocredit.storage import lending as lending_store
from innocredit.storage.base import unit_of_work
from innocredit.storage.risk import MODEL_KINDS, MODEL_STATUSES, RegistryError, RiskModelRepository

__all__ = ["MODEL_KINDS", "MODEL_STATUSES", "RegistryError", "champion_model", "champion_row", "get_model",
           "list_models", "load_artefact", "promote", "record_validation", "register_model", "retire",
           "session", "validations"]

_CACHE: dict[tuple[str, int], Any] = {}
_LOCK = threading.Lock()


@contextmanager
def session(engine: Any) -> Iterator[Session]:
    """One unit of work on ``engine`` (committed on success, rolled back on error), for the CLI."""
    with unit_of_work(engine) as s:
        yield s


def register_model(session: Session, model_id: str, version: int, kind: str, target: str, artefact_path: str,
                   card: dict[str, Any], bank_id: str | None = None) -> dict[str, Any]:
    """Record a trained model as candidate."""
    return RiskModelRepository(session).register(model_id, version, kind, target, artefact_path, card, bank_id)


def get_model(session: Session, model_id: str, version: int | None = None, bank_id: str | None = None
              ) -> dict[str, Any]:
    """One model (latest version unless ``version``); with ``bank_id`` only that bank's. RegistryError if none."""
    return RiskModelRepository(session).get(model_id, version, bank_id)


def list_models(session: Session, bank_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """Models visible to ``bank_id`` (a bank sees only its own; None lists all, for the platform)."""
    return RiskModelRepository(session).list_models(bank_id, status)


def record_validation(session: Session, model_id: str, version: int, oot: bool, metrics: dict[str, Any],
                      data_label: str | None = None) -> int:
    return RiskModelRepository(session).record_validation(model_id, version, oot, metrics, data_label)


def validations(session: Session, model_id: str, version: int) -> list[dict[str, Any]]:
    return RiskModelRepository(session).validations(model_id, version)


def promote(session: Session, model_id: str, version: int, bank_id: str | None = None, *,
            actor: str = "cli", override_by: str | None = None, override_reason: str | None = None
            ) -> dict[str, Any]:
    """Make a model champion. Refused without an out-of-time validation run (the registry's rule) and, when the
    model card's fairness check shows an adverse impact ratio below 0.8 (the four-fifths rule), refused unless
    a second person (``override_by``, not ``actor``) records an override with a reason. The override is
    written into the model's card in the registry and into the audit log."""
    repo = RiskModelRepository(session)
    row = repo.get(model_id, version, bank_id)
    air = min_adverse_impact_ratio(row["card"])
    override: dict[str, Any] | None = None
    if air is not None and air < AIR_THRESHOLD:
        if not override_by or not (override_reason or "").strip():
            raise RegistryError(
                f"model {model_id} v{version} has an adverse impact ratio of {air:.3f} (below {AIR_THRESHOLD}, the "
                "four-fifths rule); promotion needs a second person's override: --override-by PERSON --reason TEXT")
        if override_by == actor:
            raise RegistryError(f"the override must come from a second person, not from {actor!r} who promotes")
        override = {"by": override_by, "reason": str(override_reason).strip(), "requested_by": actor,
                    "adverse_impact_ratio": air, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    promoted = repo.promote(model_id, version, bank_id)
    if override is not None:
        card = {**promoted["card"], "governance": {**promoted["card"].get("governance", {}),
                                                   "fairness_override": override}}
        promoted = repo.set_card(model_id, version, card)
        lending_store.append_audit(session, {
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"), "bank_id": row["bank_id"] or "-",
            "subject_type": "risk_model", "subject_id": f"{model_id}@{version}"[:36], "action": "fairness_override",
            "from_state": row["status"], "to_state": "champion", "actor": override_by,
            "details": canonical_json({"reason": override["reason"], "requested_by": actor,
                                       "adverse_impact_ratio": air}),
        })
    return promoted


def retire(session: Session, model_id: str, version: int) -> dict[str, Any]:
    return RiskModelRepository(session).retire(model_id, version)


def champion_row(session: Session, bank_id: str | None) -> dict[str, Any] | None:
    """The bank's champion, else its latest candidate (shown as such); None for no bank or no model."""
    if not bank_id:
        return None
    repo = RiskModelRepository(session)
    champions = repo.list_models(bank_id=bank_id, status="champion")
    if champions:
        return champions[-1]
    candidates = repo.list_models(bank_id=bank_id, status="candidate")
    return max(candidates, key=lambda r: (str(r["created_at"]), r["version"])) if candidates else None


def load_artefact(row: dict[str, Any]) -> Any:
    """The fitted model of a registry row, cached by (id, version)."""
    key = (row["id"], int(row["version"]))
    with _LOCK:
        if key not in _CACHE:
            model = load_model(row["artefact_path"])
            model.model_id_, model.model_version_ = row["id"], int(row["version"])
            _CACHE[key] = model
        return _CACHE[key]


def champion_model(session: Session, bank_id: str | None) -> tuple[Any | None, str, dict[str, Any] | None]:
    """(model, cache key ``id@version``, registry row) of the bank's champion (else latest candidate);
    (None, "", None) when it has none, and (None, "", row) when its artefact cannot be read."""
    row = champion_row(session, bank_id)
    if row is None:
        return None, "", None
    try:
        model = load_artefact(row)
    except (OSError, ValueError, EOFError, ImportError, AttributeError):  # a missing or unreadable artefact
        return None, "", row
    return model, f"{row['id']}@{row['version']}", row
