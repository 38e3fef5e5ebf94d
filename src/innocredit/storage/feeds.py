"""Stored department feeds with lineage (see ``docs/data-feeds.md``).

* ``ingest_batches``: one row per loaded file (feed, file name, sha256, row counts, start/finish).
  A file is loaded in one transaction together with its batch row, so a batch row exists only
  for a file that was loaded completely.
* ``ingest_problems``: the quarantined values of a batch (line, column, value, reason).
* ``feed_<id>``: one table per feed of ``innocredit.ingest.feeds.FEEDS``. The primary key is the
  feed's key plus ``as_of``, so every ``as_of`` is kept (history) and the latest one as of a date
  wins. Each row carries ``batch_id`` (-> feed, file, sha256) and ``source_line``: its lineage.

The feed tables are declared from the feed schemas; the migration ``feeds_0001`` spells them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import TypeEngine

from innocredit.ingest.feeds import FEEDS, Feed
from innocredit.storage.base import Base, metadata

LINEAGE_COLUMNS = ("batch_id", "source_line")


class IngestBatch(Base):
    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed: Mapped[str] = mapped_column(String(32))
    file: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_updated: Mapped[int] = mapped_column(Integer)
    rows_unchanged: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class IngestJobRow(Base):
    """An uploaded feed file being ingested in the background: every server worker reads the same row."""

    __tablename__ = "ingest_jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    feed: Mapped[str] = mapped_column(String(32))
    file: Mapped[str] = mapped_column(Text)
    stage: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    report: Mapped[str | None] = mapped_column(Text)  # the file's report as JSON, problems included
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class IngestProblem(Base):
    __tablename__ = "ingest_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ingest_batches.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def sql_type(dtype: object, name: str) -> TypeEngine:
    """The SQL type of a feed column (``uscc`` is 18 characters)."""
    if name == "uscc":
        return String(18)
    if dtype == pl.Date:
        return Date()
    if dtype == pl.Boolean:
        return Boolean()
    if dtype == pl.Int64:
        return BigInteger()
    if dtype == pl.Float64:
        return Float()
    return Text()


def _feed_table(feed: Feed) -> Table:
    name = f"feed_{feed.id}"
    cols: list[Column] = [
        Column(f.name, sql_type(f.dtype, f.name), nullable=f.name not in feed.row_key) for f in feed.fields
    ]
    cols.append(Column("batch_id", Integer, ForeignKey("ingest_batches.id"), nullable=False))
    cols.append(Column("source_line", Integer, nullable=False))
    return Table(name, metadata, *cols, PrimaryKeyConstraint(*feed.row_key, name=f"pk_{name}"),
                 Index(f"ix_{name}_as_of", "as_of"), Index(f"ix_{name}_batch_id", "batch_id"))


FEED_TABLES: dict[str, Table] = {fid: _feed_table(feed) for fid, feed in FEEDS.items()}


RowCallback = Callable[[int], None]


class FeedRepository:
    """Stored feeds, batches and problems, within one unit of work (``UnitOfWork(engine).session``).

    Bulk paths go through the session's own connection, so they are part of its transaction:
    nothing is visible, and nothing survives a crash, before the unit of work commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn: Connection = session.connection()
        self.sqlite = self.conn.dialect.name == "sqlite"

    # -- batches and problems ---------------------------------------------------------------
    def loaded_batch(self, feed_id: str, sha256: str) -> IngestBatch | None:
        """The first batch that loaded a file with this content for this feed, if any."""
        return self.session.scalars(select(IngestBatch).where(IngestBatch.feed == feed_id,
                                                              IngestBatch.file_sha256 == sha256)
                                    .order_by(IngestBatch.id).limit(1)).first()

    def batch_problems(self, batch_id: int) -> list[IngestProblem]:
        return list(self.session.scalars(select(IngestProblem).where(IngestProblem.batch_id == batch_id)
                                         .order_by(IngestProblem.id)))

    def start_batch(self, **values: Any) -> IngestBatch:
        batch = IngestBatch(rows_loaded=0, rows_updated=0, rows_unchanged=0, **values)
        self.session.add(batch)
        self.session.flush()
        return batch

    def add_problems(self, batch_id: int, problems: list[dict[str, Any]]) -> None:
        if problems:
            self.conn.execute(insert(IngestProblem), [{"batch_id": batch_id, **p} for p in problems])

    # -- feed rows --------------------------------------------------------------------------
    def read(self, feed: Feed, where: list[Any] | None = None, lineage: bool = False) -> pl.DataFrame:
        """Stored rows of ``feed`` as a typed polars frame; with ``lineage`` also ``batch_id``,
        ``source_line``, ``source_file``, ``file_sha256``."""
        table = FEED_TABLES[feed.id]
        schema: dict[str, Any] = {f.name: f.dtype for f in feed.fields}
        cols: list[Any] = [table.c[c] for c in schema]
        batches: Any = IngestBatch.__table__
        join = None
        if lineage:
            cols += [table.c.batch_id, table.c.source_line, batches.c.file, batches.c.file_sha256]
            schema.update({"batch_id": pl.Int64, "source_line": pl.Int64, "source_file": pl.String,
                           "file_sha256": pl.String})
            join = (table, batches, table.c.batch_id == batches.c.id)
        return self._fetch(cols, schema, where or [], join)

    def read_as_of(self, feed: Feed, as_of: dt.date | None = None, uscc: str | None = None,
                   lineage: bool = False) -> pl.DataFrame:
        table = FEED_TABLES[feed.id]
        where = []
        if as_of is not None:
            where.append(table.c.as_of <= as_of)
        if uscc is not None:
            where.append(table.c.uscc == uscc)
        return self.read(feed, where, lineage)

    def has_rows(self, feed: Feed, as_of: dt.date | None = None) -> bool:
        """Whether the feed holds any row (with ``as_of`` on or before the date, when given)."""
        table = FEED_TABLES[feed.id]
        stmt = select(table.c.uscc).limit(1)
        if as_of is not None:
            stmt = stmt.where(table.c.as_of <= as_of)
        return self.conn.execute(stmt).first() is not None

    def rows_between(self, feed: Feed, lo: dt.date, hi: dt.date) -> pl.DataFrame:
        return self.read(feed, [FEED_TABLES[feed.id].c.as_of.between(lo, hi)])

    def latest_as_of(self) -> dt.date | None:
        dates = [self.conn.execute(select(func.max(t.c.as_of))).scalar() for t in FEED_TABLES.values()]
        known = [d for d in dates if d is not None]
        return max(known) if known else None

    def delete_rows(self, feed: Feed, keys: pl.DataFrame) -> None:
        """Delete the stored rows whose row key (feed key + as_of) is in ``keys``."""
        if keys.height == 0:
            return
        table = FEED_TABLES[feed.id]
        params = [{f"k_{k}": v for k, v in zip(feed.row_key, row, strict=True)}
                  for row in keys.select(feed.row_key).iter_rows()]
        self.conn.execute(delete(table).where(and_(*[table.c[k] == bindparam(f"k_{k}") for k in feed.row_key])),
                          params)

    def bulk_insert(self, feed: Feed, df: pl.DataFrame, chunk: int = 20_000,
                    after_chunk: RowCallback | None = None) -> None:
        """Insert ``df`` (feed columns + ``batch_id`` + ``source_line``) with the driver's bulk path:
        PostgreSQL ``COPY``, SQLite ``executemany``. ``after_chunk(rows sent so far)`` runs after each chunk."""
        if df.height == 0:
            return
        name, cols = FEED_TABLES[feed.id].name, df.columns
        col_sql = ", ".join(f'"{c}"' for c in cols)
        sent = 0
        raw: Any = self.conn.connection.driver_connection
        if self.conn.dialect.name == "postgresql":
            with raw.cursor() as cur:
                for part in df.iter_slices(chunk):
                    with cur.copy(f'COPY "{name}" ({col_sql}) FROM STDIN') as copy:
                        for row in part.iter_rows():
                            copy.write_row(row)
                    sent += part.height
                    if after_chunk:
                        after_chunk(sent)
            return
        # SQLite: dates as ISO text and booleans as 0/1, exactly as SQLAlchemy stores them
        conv = df.with_columns(
            *[pl.col(c).dt.strftime("%Y-%m-%d") for c in cols if df.schema[c] == pl.Date],
            *[pl.col(c).cast(pl.Int8) for c in cols if df.schema[c] == pl.Boolean],
        )
        stmt = f'INSERT INTO "{name}" ({col_sql}) VALUES ({", ".join("?" for _ in cols)})'
        cur = raw.cursor()
        try:
            for part in conv.iter_slices(chunk):
                cur.executemany(stmt, part.iter_rows())
                sent += part.height
                if after_chunk:
                    after_chunk(sent)
        finally:
            cur.close()

    def _fetch(self, columns: list[Any], schema: dict[str, Any], where: list[Any],
               join: tuple[Any, Any, Any] | None) -> pl.DataFrame:
        # on SQLite dates come back as their stored ISO text and polars parses them (vectorized)
        # instead of SQLAlchemy's per-value result processor
        exprs = [type_coerce(c, Text).label(n) if self.sqlite and schema[n] == pl.Date else c.label(n)
                 for c, n in zip(columns, schema, strict=True)]
        stmt = select(*exprs) if join is None else select(*exprs).join_from(*join)
        if where:
            stmt = stmt.where(*where)
        rows = self.conn.execute(stmt).all()
        fetch_schema = {n: (pl.String if self.sqlite and d == pl.Date else d) for n, d in schema.items()}
        df = pl.DataFrame([tuple(r) for r in rows], schema=fetch_schema, orient="row")
        if self.sqlite:
            df = df.with_columns(pl.col(n).str.to_date("%Y-%m-%d") for n, d in schema.items() if d == pl.Date)
        return df
