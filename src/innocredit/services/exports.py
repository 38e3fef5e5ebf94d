"""Downloads as Excel and CSV: evaluation results, metrics tables, a bank's portfolio and the recommendation list
pushed to a bank. Every file goes through ``ingest.tables.write_table`` / ``write_workbook``: lists joined with
';', text that a spreadsheet would run as a formula (= + - @) prefixed with an apostrophe."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from innocredit.ingest.tables import write_table, write_workbook
from innocredit.services import coordination, lending

FORMATS = ("xlsx", "csv")
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}


def table_bytes(df: pl.DataFrame, fmt: str, sheet: str = "data", notes: pl.DataFrame | None = None) -> bytes:
    """A frame as the bytes of an ``.xlsx`` workbook (one sheet, plus ``notes`` when given) or a UTF-8 CSV (with
    a byte-order mark, so that Excel opens Chinese text correctly)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="innocredit_export_") as tmp:
        path = Path(tmp) / f"export.{fmt}"
        if fmt == "xlsx":
            sheets = {sheet: df} | ({"notes": notes} if notes is not None else {})
            write_workbook(sheets, path)
            return path.read_bytes()
        write_table(df, path)
        return b"\xef\xbb\xbf" + path.read_bytes()


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()


def recommendations_for_bank(session: Session, bank_id: str, names: dict[str, str] | None = None,
                             reco_list_id: int | None = None) -> pl.DataFrame:
    """The firms pushed to a bank (one row per push), with the firm's name: what the bank works from."""
    rows = coordination.pushes_for_bank(session, bank_id)
    if reco_list_id is not None:
        rows = [r for r in rows if r["reco_list_id"] == reco_list_id]
    names = names or {}
    out = [{"push_id": r["push_id"], "reco_list_id": r["reco_list_id"], "uscc": r["uscc"],
            "name": names.get(r["uscc"]), "pushed_at": r["pushed_at"], "answer_due_on": r["answer_due_on"],
            "status": r["status"], "credit_amount": r["credit_amount"], "rate": r["rate"], "product": r["product"]}
           for r in rows]
    return _frame(out)


def portfolio(session: Session, bank_id: str) -> pl.DataFrame:
    """A bank's loans (its own only), one row per loan."""
    return _frame(lending.list_loans(session, bank_id))


def metrics_table(session: Session, as_of: dt.date, by: str | None = None) -> pl.DataFrame:
    """The coordination metrics for the period ending ``as_of``, one row per group."""
    report = coordination.metrics(session, as_of=as_of, by=by)
    return _frame(report["groups"])


def evaluation_table(results: pl.DataFrame) -> pl.DataFrame:
    """Evaluation results as a download: identity and outcome first, then points per indicator and group."""
    first = [c for c in ("uscc", "system", "system_version", "as_of", "score", "qualified", "route", "state",
                         "failed_conditions", "missing") if c in results.columns]
    return results.select(*first, *[c for c in results.columns if c not in first])
