"""Evaluation use cases: evaluate a feature table with an indicator system and keep the run, show later why a
firm got its result, list a firm's results across runs.

Each function takes a unit of work (a SQLAlchemy ``Session`` whose caller commits) and plain arguments; the domain
work is :mod:`innocredit.evaluation`, the records are :mod:`innocredit.storage.evaluation`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from innocredit.evaluation import System, evaluate
from innocredit.storage import evaluation as store


def record_run(session: Session, system: System, results: pl.DataFrame, created_by: str,
               input_ref: str | None = None) -> str:
    """Keep an evaluation run (who, which system version and definition, on which data) and every enterprise's
    result; returns the run id."""
    if not created_by:
        raise ValueError("created_by is required: a run names who ran it")
    return store.save_run(session, system, results, created_by, input_ref)


def evaluate_and_record(session: Session, system: System, features: pl.DataFrame, created_by: str,
                        as_of: dt.date | None = None, input_ref: str | None = None) -> tuple[str, pl.DataFrame]:
    """Evaluate every enterprise of ``features`` and keep the run: (run id, results)."""
    results = evaluate(system, features, as_of)
    return record_run(session, system, results, created_by, input_ref), results


def why(session: Session, run_id: str, uscc: str) -> dict[str, Any] | None:
    """Everything needed to show why a firm got its result in a stored run (None when there is no such result)."""
    return store.why(session, run_id, uscc)


def history(session: Session, uscc: str, system_id: str | None = None) -> list[dict[str, Any]]:
    """A firm's stored results, newest first: run id, system and version, when, score, qualified, route."""
    return [{"run_id": run.id, "system": run.system_id, "system_version": run.system_version,
             "created_at": run.created_at, "created_by": run.created_by, "as_of": res.as_of, "score": res.score,
             "qualified": res.qualified, "route": res.route, "state": (res.points or {}).get("state")}
            for run, res in store.latest_results(session, uscc, system_id)]
