"""Risk model registry: models (id, version, kind, status, owner bank, artefact, card) and validation runs.

Status: candidate -> champion -> retired. A model becomes champion only after a validation run on
out-of-time data; promoting one retires the owner's previous champion of the same kind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    String,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.storage.base import Base

MODEL_STATUSES = ("candidate", "champion", "retired")
MODEL_KINDS = ("scorecard", "gbm")


class RegistryError(ValueError):
    """A registry rule was broken (unknown model, promotion without out-of-time validation, ...)."""


class RiskModel(Base):
    __tablename__ = "risk_models"
    __table_args__ = (
        CheckConstraint("status IN ('candidate', 'champion', 'retired')", name="status"),
        CheckConstraint("kind IN ('scorecard', 'gbm')", name="kind"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="candidate")
    bank_id: Mapped[str | None] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(64))
    artefact_path: Mapped[str] = mapped_column(String(500))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RiskValidationRun(Base):
    __tablename__ = "risk_validation_runs"
    __table_args__ = (
        ForeignKeyConstraint(["model_id", "model_version"], ["risk_models.id", "risk_models.version"],
                             name="fk_risk_validation_runs_model_id_risk_models", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[int] = mapped_column(Integer)
    oot: Mapped[bool] = mapped_column(Boolean)
    data_label: Mapped[str | None] = mapped_column(String(500))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def _row(m: RiskModel) -> dict[str, Any]:
    return {"id": m.id, "version": m.version, "kind": m.kind, "status": m.status, "bank_id": m.bank_id,
            "target": m.target, "artefact_path": m.artefact_path, "card": m.card, "created_at": m.created_at}


class RiskModelRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def register(self, model_id: str, version: int, kind: str, target: str, artefact_path: str,
                 card: dict[str, Any], bank_id: str | None = None) -> dict[str, Any]:
        if kind not in MODEL_KINDS:
            raise RegistryError(f"model kind {kind!r} is not one of {MODEL_KINDS}")
        m = RiskModel(id=model_id, version=version, kind=kind, status="candidate", bank_id=bank_id, target=target,
                      artefact_path=artefact_path, card=card)
        self.session.add(m)
        self.session.flush()
        return _row(m)

    def get(self, model_id: str, version: int | None = None, bank_id: str | None = None) -> dict[str, Any]:
        q = select(RiskModel).where(RiskModel.id == model_id)
        if version is not None:
            q = q.where(RiskModel.version == version)
        if bank_id is not None:
            q = q.where(RiskModel.bank_id == bank_id)
        m = self.session.scalars(q.order_by(RiskModel.version.desc())).first()
        if m is None:
            who = f" for bank {bank_id}" if bank_id else ""
            raise RegistryError(f"no model {model_id}{'' if version is None else f' version {version}'}{who}")
        return _row(m)

    def list_models(self, bank_id: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Models visible to ``bank_id`` (a bank sees only its own; None lists all, for the platform)."""
        q = select(RiskModel)
        if bank_id is not None:
            q = q.where(RiskModel.bank_id == bank_id)
        if status is not None:
            q = q.where(RiskModel.status == status)
        return [_row(m) for m in self.session.scalars(q.order_by(RiskModel.id, RiskModel.version))]

    def record_validation(self, model_id: str, version: int, oot: bool, metrics: dict[str, Any],
                          data_label: str | None = None) -> int:
        self.get(model_id, version)
        run = RiskValidationRun(model_id=model_id, model_version=version, oot=oot, metrics=metrics,
                                data_label=data_label)
        self.session.add(run)
        self.session.flush()
        return int(run.id)

    def validations(self, model_id: str, version: int) -> list[dict[str, Any]]:
        q = (select(RiskValidationRun).where(RiskValidationRun.model_id == model_id,
                                             RiskValidationRun.model_version == version)
             .order_by(RiskValidationRun.id))
        return [{"id": r.id, "oot": r.oot, "data_label": r.data_label, "metrics": r.metrics,
                 "created_at": r.created_at} for r in self.session.scalars(q)]

    def promote(self, model_id: str, version: int, bank_id: str | None = None) -> dict[str, Any]:
        """Make a model champion; refuses without an out-of-time validation run. The owner's previous
        champion of the same kind is retired."""
        row = self.get(model_id, version, bank_id)
        if not any(v["oot"] for v in self.validations(model_id, version)):
            raise RegistryError(f"model {model_id} v{version} has no validation run on out-of-time data; "
                                "run `innocredit risk validate` on data after the training window first")
        bank_filter = RiskModel.bank_id.is_(None) if row["bank_id"] is None else RiskModel.bank_id == row["bank_id"]
        self.session.execute(update(RiskModel).where(bank_filter, RiskModel.kind == row["kind"],
                                                     RiskModel.status == "champion").values(status="retired"))
        self.session.execute(update(RiskModel).where(RiskModel.id == model_id, RiskModel.version == version)
                             .values(status="champion"))
        return self.get(model_id, version)

    def set_card(self, model_id: str, version: int, card: dict[str, Any]) -> dict[str, Any]:
        """Replace the stored model card (e.g. to record a governance override)."""
        self.get(model_id, version)
        self.session.execute(update(RiskModel).where(RiskModel.id == model_id, RiskModel.version == version)
                             .values(card=card))
        return self.get(model_id, version)

    def retire(self, model_id: str, version: int) -> dict[str, Any]:
        self.get(model_id, version)
        self.session.execute(update(RiskModel).where(RiskModel.id == model_id, RiskModel.version == version)
                             .values(status="retired"))
        return self.get(model_id, version)
