"""Application service for department feeds: ingest a directory, read stored feeds as of a date.

Public functions (other areas call these):

* ``ingest_dir(engine, feed_dir) -> IngestReport``
* ``features_as_of(engine, as_of=None) -> pl.DataFrame`` (the feature table; None = latest data)
* ``patents_as_of(engine, as_of=None)`` / ``loans_as_of(engine, as_of=None)`` (latest row per patent / loan)
* ``enterprise_history(engine, uscc) -> dict[feed id, frame]`` (every stored row, with lineage)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.engine import Engine

from innocredit.ingest.feeds import FEEDS, Feed
from innocredit.ingest.loader import LINE_COL, FileReport, feed_of, load_file
from innocredit.ingest.problems import RowProblem, TableError
from innocredit.profile.building import build_features, latest
from innocredit.profile.features import empty_feature_table
from innocredit.storage.base import UnitOfWork
from innocredit.storage.feeds import FeedRepository

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


def feed_files(feed_dir: str | Path) -> list[tuple[Path, Feed | None]]:
    """The files of a feed directory with their feed (None = not a feed file), in load order."""
    root = Path(feed_dir)
    if not root.is_dir():
        raise TableError(f"{root}: not a directory")
    files = [p for p in sorted(root.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return [(p, feed_of(p)) for p in files]


def ingest_dir(engine: Engine, feed_dir: str | Path) -> IngestReport:
    """Load every feed file of ``feed_dir`` (each in its own transaction); see ``loader``."""
    report = IngestReport(str(feed_dir))
    for path, feed in feed_files(feed_dir):
        if feed is None:
            report.files.append(FileReport(str(path), None, status="ignored",
                                           error="file name does not start with a feed id: "
                                                 + ", ".join(FEEDS)))
            continue
        report.files.append(load_file(engine, feed, path))
    return report


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
