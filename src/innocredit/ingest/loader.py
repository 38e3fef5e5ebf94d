"""Read and check one feed file, and diff it against stored rows (the store writes are ``services.feeds``).

* A file whose sha256 was already loaded for the same feed is skipped (idempotent re-runs).
* Bad values become ``RowProblem`` s (quarantine); good rows are kept.
* A row whose key + ``as_of`` is already stored with identical values is ``unchanged``; with
  different values it is ``updated`` (the stored row is replaced and points to the new batch).
  A newer ``as_of`` is a new row: older ones stay as history.
* Everything for a file (batch row, problems, feed rows) is written in ONE transaction: a crash
  leaves the store as it was before that file.
* Bulk paths: PostgreSQL ``COPY``; SQLite ``executemany`` on the driver cursor (``FeedRepository``).

Test hook: ``INNOCREDIT_TEST_CRASH_AFTER_ROWS=N`` makes the process ``os._exit(9)`` once N rows
of a file have been sent to the database (before commit).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.ingest.feeds import FEEDS, Feed
from innocredit.ingest.problems import RowProblem
from innocredit.ingest.tables import read_table, validate_table

CHUNK_ROWS = 20_000
CRASH_ENV = "INNOCREDIT_TEST_CRASH_AFTER_ROWS"
LINE_COL = "source_line"
_LINE_TMP = "__innocredit_source_line"


@dataclass
class FileReport:
    """What happened to one file."""

    file: str
    feed: str | None
    status: str = "loaded"  # loaded | skipped (same sha256 already loaded) | failed | ignored (not a feed file)
    sha256: str | None = None
    batch_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0  # new rows (new key or newer as_of)
    rows_updated: int = 0  # same key + as_of, different values: replaced
    rows_unchanged: int = 0
    rows_rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "problems"}
        d["problems"] = [p.as_dict() for p in self.problems]
        return d


def feed_of(path: Path) -> Feed | None:
    """The feed a file belongs to: its name is the feed id, or starts with ``<id>_`` / ``<id>-``."""
    stem = path.name.split(".", 1)[0].lower()
    for fid in sorted(FEEDS, key=len, reverse=True):
        if stem == fid or stem.startswith((fid + "_", fid + "-")):
            return FEEDS[fid]
    return None


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _crash_after() -> int | None:
    value = os.environ.get(CRASH_ENV)
    return int(value) if value else None


def validate_feed_file(feed: Feed, path: Path, sheet: str | None = None
                       ) -> tuple[pl.DataFrame, list[RowProblem], int, list[str]]:
    """Read and check a feed file (CSV, JSON Lines, Parquet or Excel, each column in its own type). Returns (good
    rows with ``source_line``, problems, rows read, ignored columns)."""
    table_in = read_table(path, sheet)
    raw, first_line = table_in.frame, table_in.first_line
    names = set(feed.field_names())
    ignored = [c for c in raw.columns if c not in names]
    raw = raw.select([c for c in raw.columns if c in names]).with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_line).alias(_LINE_TMP)
    )
    table = validate_table(raw, feed.fields, table_in.label, first_line, key=feed.row_key, keep_extra=True)
    data = table.data
    exprs = [pl.col(f.name) if f.name in data.columns else pl.lit(None, dtype=f.dtype).alias(f.name)
             for f in feed.fields]
    data = data.select(*exprs, pl.col(_LINE_TMP).cast(pl.Int64).alias(LINE_COL))
    return data, table.problems, table.rows_read, ignored


def diff_rows(feed: Feed, new: pl.DataFrame, stored: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Split ``new`` into (rows to insert, rows that replace a stored row, count unchanged)."""
    key = list(feed.row_key)
    values = [f.name for f in feed.fields if f.name not in feed.row_key]
    if stored.height == 0:
        return new, new.clear(), 0
    joined = new.join(stored.with_columns(pl.lit(True).alias("__hit")), on=key, how="left", suffix="__old",
                      nulls_equal=False)
    hit = pl.col("__hit").fill_null(False)
    same = pl.all_horizontal([pl.col(v).eq_missing(pl.col(f"{v}__old")) for v in values]) if values else pl.lit(True)
    joined = joined.with_columns(hit.alias("__hit"), same.alias("__same"))
    keep = new.columns
    fresh = joined.filter(~pl.col("__hit")).select(keep)
    changed = joined.filter(pl.col("__hit") & ~pl.col("__same")).select(keep)
    unchanged = joined.filter(pl.col("__hit") & pl.col("__same")).height
    return fresh, changed, unchanged
