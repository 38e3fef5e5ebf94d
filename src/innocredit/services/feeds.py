"""Department feeds: ingest a directory (each file in one transaction), read stored feeds as of a date.

Public functions (other areas call these):

* ``ingest_dir(engine, feed_dir) -> IngestReport``
* ``features_as_of(engine, as_of=None) -> pl.DataFrame`` (the feature table; None = latest data)
* ``patents_as_of(engine, as_of=None)`` / ``loans_as_of(engine, as_of=None)`` (latest row per patent / loan)
* ``enterprise_history(engine, uscc) -> dict[feed id, frame]`` (every stored row, with lineage)

A bank-loan feed file also brings its loans into the loan register (``services.lending``), in the file's
transaction: the register is the one record of loans that metrics and warnings read.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from innocredit.ingest.feeds import FEEDS, Feed
from innocredit.ingest.loader import (
    CHUNK_ROWS,
    CRASH_ENV,
    LINE_COL,
    FileReport,
    diff_rows,
    feed_of,
    sha256_of,
    validate_feed_file,
)
from innocredit.ingest.problems import RowProblem, TableError
from innocredit.profile.building import build_features, latest
from innocredit.profile.features import empty_feature_table
from innocredit.storage.base import UnitOfWork
from innocredit.storage.feeds import FeedRepository, IngestJobRow

PROBLEM_SCHEMA = {"file": pl.String, "line": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}


@dataclass
class IngestReport:
    feed_dir: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def problems(self) -> list[RowProblem]:
        out = [p for f in self.files for p in f.problems]
        out += [RowProblem(f.file, 0, "*", None, f.error) for f in self.files if f.status == "failed" and f.error]
        return out

    def total(self, attr: str) -> int:
        return sum(int(getattr(f, attr)) for f in self.files)

    @property
    def ok(self) -> bool:
        return not any(f.status == "failed" or f.rows_rejected for f in self.files)

    def problems_frame(self) -> pl.DataFrame:
        rows = [(p.file, p.line, p.column, None if p.value is None else str(p.value), p.reason) for p in self.problems]
        return pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")

    def as_dict(self) -> dict[str, Any]:
        return {
            "feed_dir": self.feed_dir,
            "totals": {k: self.total(k) for k in ("rows_read", "rows_loaded", "rows_updated", "rows_unchanged",
                                                  "rows_rejected")},
            "files": [f.as_dict() for f in self.files],
        }


def _crash_after() -> int | None:
    value = os.environ.get(CRASH_ENV)
    return int(value) if value else None


def _crash_hook(crash_after: int | None):  # type: ignore[no-untyped-def]
    if crash_after is None:
        return None

    def hook(sent: int) -> None:
        if sent >= crash_after:
            os._exit(9)  # the test hook: die mid-file, before the commit

    return hook


def load_file(engine: Engine, feed: Feed, path: str | Path) -> FileReport:
    """Load one feed file (see module doc)."""
    path = Path(path)
    started = dt.datetime.now(dt.UTC)
    report = FileReport(file=str(path), feed=feed.id)
    report.sha256 = sha256_of(path)
    with UnitOfWork(engine) as uow:
        repo = FeedRepository(uow.session)
        done = repo.loaded_batch(feed.id, report.sha256)
        if done is not None:
            report.status = "skipped"
            report.batch_id, report.rows_read, report.rows_rejected = done.id, done.rows_read, done.rows_rejected
            report.rows_unchanged = done.rows_read - done.rows_rejected
            report.problems = [RowProblem(str(path), p.line, p.column, p.value, p.reason)
                               for p in repo.batch_problems(done.id)]
            return report
    try:
        data, problems, rows_read, ignored = validate_feed_file(feed, path)
    except TableError as exc:
        report.status, report.error = "failed", str(exc)
        return report
    report.rows_read, report.problems, report.ignored_columns = rows_read, problems, ignored
    report.rows_rejected = rows_read - data.height
    crash_after = _crash_after()
    with UnitOfWork(engine) as uow:  # one transaction for the whole file, register included
        repo = FeedRepository(uow.session)
        batch = repo.start_batch(feed=feed.id, file=path.name, file_sha256=report.sha256, rows_read=rows_read,
                                 rows_rejected=report.rows_rejected, started_at=started)
        report.batch_id = batch.id
        if data.height:
            stored = repo.rows_between(feed, data["as_of"].min(), data["as_of"].max())  # type: ignore[arg-type]
            fresh, changed, report.rows_unchanged = diff_rows(feed, data, stored)
            repo.delete_rows(feed, changed)
            to_insert = pl.concat([fresh, changed]).with_columns(pl.lit(batch.id, dtype=pl.Int64).alias("batch_id"))
            chunk = CHUNK_ROWS if crash_after is None else max(1, min(CHUNK_ROWS, crash_after))
            repo.bulk_insert(feed, to_insert, chunk, _crash_hook(crash_after))
            report.rows_loaded, report.rows_updated = fresh.height, changed.height
            if feed.id == "bank_loans":
                _register_bank_loans(uow.session, to_insert)
        repo.add_problems(batch.id, [{"line": p.line, "column": p.column,
                                      "value": None if p.value is None else str(p.value), "reason": p.reason}
                                     for p in problems])
        batch.rows_loaded, batch.rows_updated = report.rows_loaded, report.rows_updated
        batch.rows_unchanged, batch.finished_at = report.rows_unchanged, dt.datetime.now(dt.UTC)
    report.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return report


def feed_files(feed_dir: str | Path) -> list[tuple[Path, Feed | None]]:
    """The files of a feed directory with their feed (None = not a feed file), in load order."""
    root = Path(feed_dir)
    if not root.is_dir():
        raise TableError(f"{root}: not a directory")
    files = [p for p in sorted(root.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return [(p, feed_of(p)) for p in files]


def ingest_dir(engine: Engine, feed_dir: str | Path) -> IngestReport:
    """Load every feed file of ``feed_dir`` (each in its own transaction); see ``loader``."""
    return ingest_files(engine, feed_files(feed_dir), str(feed_dir))


def features_as_of(engine: Engine, as_of: dt.date | None = None) -> pl.DataFrame:
    """The feature table built from the stored feeds as of ``as_of`` (None = the latest ``as_of`` stored)."""
    with UnitOfWork(engine) as uow:
        repo = FeedRepository(uow.session)
        if as_of is None:
            as_of = repo.latest_as_of()
            if as_of is None:
                return empty_feature_table()
        frames = {fid: repo.read_as_of(feed, as_of) for fid, feed in FEEDS.items()}
    return build_features(frames, as_of)


def patents_as_of(engine: Engine, as_of: dt.date | None = None) -> pl.DataFrame:
    """IP office rows, the latest per (uscc, patent_id) as of the date (None = latest), with lineage."""
    with UnitOfWork(engine) as uow:
        df = FeedRepository(uow.session).read_as_of(FEEDS["ip_office"], as_of, lineage=True)
    return latest(df, FEEDS["ip_office"].key, None).sort("uscc", "patent_id")


def loans_as_of(engine: Engine, as_of: dt.date | None = None) -> pl.DataFrame:
    """Bank loan rows, the latest per (uscc, loan_id) as of the date (None = latest), with lineage."""
    with UnitOfWork(engine) as uow:
        df = FeedRepository(uow.session).read_as_of(FEEDS["bank_loans"], as_of, lineage=True)
    return latest(df, FEEDS["bank_loans"].key, None).sort("uscc", "loan_id")


def enterprise_history(engine: Engine, uscc: str) -> dict[str, pl.DataFrame]:
    """Every stored row of every feed for one enterprise, oldest first, with lineage columns
    (``batch_id``, ``source_line``, ``source_file``, ``file_sha256``)."""
    with UnitOfWork(engine) as uow:
        repo = FeedRepository(uow.session)
        return {fid: repo.read_as_of(feed, uscc=uscc, lineage=True).sort("as_of", LINE_COL)
                for fid, feed in FEEDS.items()}


def _register_bank_loans(session: Session, rows: pl.DataFrame) -> None:
    """The feed's newest row per loan into the loan register (origin ``bank_feed``)."""
    from innocredit.services.lending import record_reported_loans

    latest_rows = rows.sort("as_of").unique(["bank_id", "loan_id"], keep="last")
    record_reported_loans(session, latest_rows.rename({"product_kind": "product"}), origin="bank_feed")


def firm_patents(session: Session, uscc: str) -> pl.DataFrame:
    """The latest IP-office row of each of the firm's patents."""
    df = FeedRepository(session).read_as_of(FEEDS["ip_office"], None, uscc=uscc)
    return latest(df, FEEDS["ip_office"].key, None).sort("patent_id") if df.height else df


def firm_regions(session: Session, usccs: list[str]) -> dict[str, str]:
    """The registered region code of each firm (latest registry row), for routing pushes."""
    if not usccs:
        return {}
    wanted = set(usccs)
    reg = FeedRepository(session).read_as_of(FEEDS["registry"], None)
    if reg.height == 0 or "region_code" not in reg.columns:
        return {}
    reg = reg.filter(pl.col("uscc").is_in(wanted)).sort("as_of").unique("uscc", keep="last")
    return {u: r for u, r in zip(reg["uscc"].to_list(), reg["region_code"].to_list()) if r}


def registry_status(engine: Engine) -> pl.DataFrame | None:
    """The latest registry status per enterprise (uscc, registry_status), ``None`` without a registry feed."""
    with UnitOfWork(engine) as uow:
        reg = FeedRepository(uow.session).read_as_of(FEEDS["registry"], None)
    if reg.height == 0 or "status" not in reg.columns:
        return None
    return reg.sort("as_of").unique("uscc", keep="last").select("uscc", pl.col("status").alias("registry_status"))


# ---------------------------------------------------------------- uploads (web) and background ingestion

UPLOAD_SUFFIXES = (".csv", ".xlsx", ".parquet", ".jsonl")


@dataclass
class IngestJob:
    """One uploaded feed file being ingested in the background. ``stage``: queued -> reading -> loading -> done
    (or failed); ``progress`` is the fraction of the stages passed."""

    id: str
    feed: str
    file: str
    stage: str = "queued"
    progress: float = 0.0
    report: FileReport | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        r = self.report
        return {"id": self.id, "feed": self.feed, "file": Path(self.file).name, "stage": self.stage,
                "progress": self.progress, "error": self.error,
                "status": r.status if r else None, "rows_read": r.rows_read if r else 0,
                "rows_loaded": r.rows_loaded if r else 0, "rows_updated": r.rows_updated if r else 0,
                "rows_unchanged": r.rows_unchanged if r else 0, "rows_rejected": r.rows_rejected if r else 0,
                "problems": len(r.problems) if r else 0}


def _save_job(engine: Engine, job: IngestJob) -> None:
    """Write the job's state to ``ingest_jobs`` (committed at once: the other workers read it)."""
    import json

    now = dt.datetime.now(dt.UTC)
    report = json.dumps(job.report.as_dict(), default=str) if job.report is not None else None
    with UnitOfWork(engine) as uow:
        row = uow.session.get(IngestJobRow, job.id)
        if row is None:
            row = IngestJobRow(id=job.id, feed=job.feed, file=job.file, created_at=now)
            uow.session.add(row)
        row.stage, row.progress, row.error, row.report, row.updated_at = (job.stage, job.progress, job.error,
                                                                          report, now)


def _job_of(row: IngestJobRow) -> IngestJob:
    import json

    job = IngestJob(row.id, row.feed, row.file, row.stage, row.progress, error=row.error)
    if row.report:
        d = json.loads(row.report)
        problems = [RowProblem(p["file"], p["line"], p["column"], p["value"], p["reason"]) for p in d.pop("problems")]
        job.report = FileReport(**{k: v for k, v in d.items() if k in FileReport.__dataclass_fields__},
                                problems=problems)
    return job


def save_upload(upload_dir: str | Path, feed_id: str, filename: str, data: bytes) -> Path:
    """Keep an uploaded feed file as ``<feed>_<sha256 prefix><suffix>`` in ``upload_dir`` (the same bytes land
    in the same file). Raises ``TableError`` for an unknown feed, a file type the reader does not take or an
    empty file."""
    import hashlib

    if feed_id not in FEEDS:
        raise TableError(f"unknown feed {feed_id!r}; feeds: {', '.join(FEEDS)}")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise TableError(f"{filename}: a feed file must be {', '.join(UPLOAD_SUFFIXES)}")
    if not data:
        raise TableError(f"{filename}: the file is empty")
    root = Path(upload_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{feed_id}_{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def start_ingest(engine: Engine, feed_id: str, path: str | Path, background: bool = True) -> IngestJob:
    """Ingest one saved feed file in a background thread (``background=False``: in this thread). The job is
    idempotent as ``load_file`` is: the same file again is ``skipped``. Follow it with ``ingest_job(id)``."""
    import uuid

    job = IngestJob(uuid.uuid4().hex[:16], feed_id, str(path))
    _save_job(engine, job)

    def run() -> None:
        job.stage, job.progress = "loading", 0.5
        _save_job(engine, job)
        try:
            job.report = load_file(engine, FEEDS[feed_id], path)
            if job.report.status == "failed":
                job.stage, job.error = "failed", job.report.error
            else:
                job.stage = "done"
        except Exception as exc:  # noqa: BLE001 - the job records why; the web answers with it
            job.stage, job.error = "failed", f"{type(exc).__name__}: {exc}"
        job.progress = 1.0
        _save_job(engine, job)

    if background:
        threading.Thread(target=run, name=f"ingest-{job.id}", daemon=True).start()
    else:
        run()
    return job


def ingest_job(engine: Engine, job_id: str) -> IngestJob | None:
    """A job as stored (any worker may have started it); ``None`` for an unknown id."""
    with UnitOfWork(engine) as uow:
        row = uow.session.get(IngestJobRow, job_id[:32])
        return None if row is None else _job_of(row)


def problems_workbook(problems: list[RowProblem], path: str | Path) -> Path:
    """The problems (quarantine) as an Excel workbook, one row per problem: file, line, column, value, reason."""
    from innocredit.ingest.tables import write_workbook

    rows = [(Path(p.file).name, p.line, p.column, None if p.value is None else str(p.value), p.reason)
            for p in problems]
    write_workbook({"problems": pl.DataFrame(rows, schema=PROBLEM_SCHEMA, orient="row")}, path)
    return Path(path)


def ingest_files(engine: Engine, files: list[tuple[Path, Feed | None]], feed_dir: str = "",
                 after_file: Any = None) -> IngestReport:
    """Load the given ``feed_files`` (each in its own transaction); ``after_file(path)`` is called after each
    feed file (the CLI's progress bar)."""
    report = IngestReport(feed_dir)
    for path, feed in files:
        if feed is None:
            report.files.append(FileReport(str(path), None, status="ignored",
                                           error="file name does not start with a feed id: "
                                                 + ", ".join(FEEDS)))
            continue
        report.files.append(load_file(engine, feed, path))
        if after_file is not None:
            after_file(path)
    return report
