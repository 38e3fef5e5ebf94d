"""Stored evaluation runs: who ran which system version on which data, and each enterprise's result,
so that a bank can show later exactly why a firm qualified."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import polars as pl
from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from innocredit.evaluation.system import System
from innocredit.storage.base import Base

_BASE_COLS = {"uscc", "system", "system_version", "as_of", "score", "qualified", "route", "failed_conditions",
              "missing"}


class EvaluationRun(Base):
    __tablename__ = "evaluation_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    system_id: Mapped[str] = mapped_column(String(64))
    system_version: Mapped[str] = mapped_column(String(32))
    system_sha256: Mapped[str] = mapped_column(String(64))
    system_definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_as_of: Mapped[dt.date | None] = mapped_column(Date)
    input_ref: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    n_enterprises: Mapped[int] = mapped_column(Integer)
    n_qualified: Mapped[int] = mapped_column(Integer)


class EvaluationResult(Base):
    __tablename__ = "evaluation_results"
    __table_args__ = (Index("ix_evaluation_results_uscc", "uscc"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("evaluation_runs.id", ondelete="CASCADE"), primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float)
    qualified: Mapped[bool] = mapped_column(Boolean)
    route: Mapped[str | None] = mapped_column(String(16))
    points: Mapped[dict[str, Any]] = mapped_column(JSON)
    failed_conditions: Mapped[list[str]] = mapped_column(JSON)
    missing: Mapped[list[str]] = mapped_column(JSON)


def _jsonable(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, float) and v != v:  # NaN
        return None
    return v


def save_run(session: Session, system: System, results: pl.DataFrame, created_by: str,
             input_ref: str | None = None, batch_size: int = 5000) -> str:
    """Store a run and its per-enterprise results (points, groups, flags and track in ``points`` JSON)."""
    run_id = str(uuid.uuid4())
    as_of = results["as_of"].max() if "as_of" in results.columns and results.height else None
    session.add(EvaluationRun(
        id=run_id, system_id=system.id, system_version=system.version, system_sha256=system.sha256,
        system_definition=system.raw, data_as_of=as_of, input_ref=input_ref, created_by=created_by,
        n_enterprises=results.height, n_qualified=int(results["qualified"].sum() or 0),
    ))
    session.flush()
    extra = [c for c in results.columns if c not in _BASE_COLS]
    for start in range(0, results.height, batch_size):
        chunk = results.slice(start, batch_size)
        rows = []
        for r in chunk.iter_rows(named=True):
            rows.append({
                "run_id": run_id, "uscc": r["uscc"], "as_of": r.get("as_of"), "score": r["score"],
                "qualified": bool(r["qualified"]), "route": r.get("route"),
                "points": {c: _jsonable(r[c]) for c in extra},
                "failed_conditions": list(r.get("failed_conditions") or []), "missing": list(r.get("missing") or []),
            })
        session.execute(insert(EvaluationResult), rows)
    return run_id


def get_run(session: Session, run_id: str) -> EvaluationRun | None:
    return session.get(EvaluationRun, run_id)


def run_results(session: Session, run_id: str) -> list[EvaluationResult]:
    return list(session.scalars(select(EvaluationResult).where(EvaluationResult.run_id == run_id)
                                .order_by(EvaluationResult.uscc)))


def why(session: Session, run_id: str, uscc: str) -> dict[str, Any] | None:
    """Everything needed to show later why a firm got its result: run provenance, the system file as it was,
    and the firm's points, failed conditions and missing fields."""
    run = session.get(EvaluationRun, run_id)
    res = session.get(EvaluationResult, (run_id, uscc))
    if run is None or res is None:
        return None
    return {
        "run_id": run.id, "created_by": run.created_by, "created_at": run.created_at, "system": run.system_id,
        "system_version": run.system_version, "system_sha256": run.system_sha256, "data_as_of": run.data_as_of,
        "input_ref": run.input_ref, "system_definition": run.system_definition,
        "uscc": res.uscc, "as_of": res.as_of, "score": res.score, "qualified": res.qualified, "route": res.route,
        "points": res.points, "failed_conditions": res.failed_conditions, "missing": res.missing,
    }


def latest_results(session: Session, uscc: str, system_id: str | None = None) -> list[tuple[EvaluationRun, EvaluationResult]]:
    """A firm's results across runs, newest first."""
    q = (select(EvaluationRun, EvaluationResult).join(EvaluationResult, EvaluationResult.run_id == EvaluationRun.id)
         .where(EvaluationResult.uscc == uscc).order_by(EvaluationRun.created_at.desc()))
    if system_id:
        q = q.where(EvaluationRun.system_id == system_id)
    return [(a, b) for a, b in session.execute(q).all()]
