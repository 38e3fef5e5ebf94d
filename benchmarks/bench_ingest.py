"""Benchmark: ingest the department feeds of N enterprises (issue 2: 100,000, ~1M rows) into SQLite and PostgreSQL.

Input: ``innocredit.synthetic.write_feeds`` (Parquet), generated once before timing.
Ours: ``innocredit.services.feeds.ingest_dir`` — read, validate every value, diff against the store,
lineage (batch + source line), one transaction per file; bulk path = executemany (SQLite) / COPY (PostgreSQL).
Peer: the same rows read with polars and sent with a plain bulk ``INSERT`` (``executemany`` on the DB
driver's cursor) into the same tables, one commit per file, no validation.
Also timed (ours only): re-ingesting the same directory (a no-op) and building the feature table.
Each side runs in its own child process (own peak RSS) on a fresh database.

    .venv/bin/python benchmarks/bench_ingest.py [--size N] [--quick] [--no-postgres]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import PEAK_SNIPPET, run_child, write_rows  # noqa: E402

PG_URL = os.environ.get("INNOCREDIT_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

OURS = r'''
import time
from innocredit.storage.base import make_engine
from innocredit.storage.migrate import upgrade
from innocredit.services.feeds import ingest_dir, features_as_of
e = make_engine({url!r}); upgrade(e)
t = time.perf_counter(); r = ingest_dir(e, {feed_dir!r}); s = time.perf_counter() - t
assert r.ok, r.problems[:5]
if {again}:  # second child on the same database: the re-run is a no-op, then build the features
    assert r.total("rows_loaded") == 0
    print("NOOP", s)
    t = time.perf_counter(); f = features_as_of(e); print("FEATURES", time.perf_counter() - t); print("FROWS", f.height)
else:
    print("SECONDS", s); print("ROWS", r.total("rows_loaded"))
'''

PEER = r'''
import time
from pathlib import Path
import polars as pl
from sqlalchemy import text
from innocredit.storage.base import make_engine
from innocredit.storage.migrate import upgrade
from innocredit.ingest.loader import feed_of
e = make_engine({url!r}); upgrade(e)
with e.begin() as c:
    c.execute(text("INSERT INTO ingest_batches (id, feed, file, file_sha256, rows_read, rows_loaded, rows_updated, "
                   "rows_unchanged, rows_rejected, started_at) VALUES (1, 'x', 'x', 'x', 0, 0, 0, 0, 0, CURRENT_TIMESTAMP)"))
raw = e.raw_connection()
pg = e.dialect.name == "postgresql"
mark = "%s" if pg else "?"
t = time.perf_counter(); n = 0
for path in sorted(Path({feed_dir!r}).iterdir()):
    feed = feed_of(path)
    df = pl.read_parquet(path).with_columns(pl.lit(1).alias("batch_id"), (pl.int_range(pl.len()) + 1).alias("source_line"))
    if not pg:
        df = df.with_columns(*[pl.col(c).dt.strftime("%Y-%m-%d") for c, d in df.schema.items() if d == pl.Date],
                             *[pl.col(c).cast(pl.Int8) for c, d in df.schema.items() if d == pl.Boolean])
    cols = ", ".join('"' + c + '"' for c in df.columns)
    cur = raw.cursor()
    cur.executemany(f'INSERT INTO "feed_{{feed.id}}" ({{cols}}) VALUES ({{", ".join([mark] * df.width)}})', df.rows())
    raw.commit(); cur.close(); n += df.height
print("SECONDS", time.perf_counter() - t); print("ROWS", n)
'''


def _value(out: str, key: str) -> float | None:
    for line in out.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[1])
    return None


def _pg_available() -> bool:
    try:
        from sqlalchemy import create_engine, text

        eng = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


class _Database:
    """A fresh database per run: a SQLite file, or a PostgreSQL schema dropped afterwards."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind, self.tmp = kind, tmp
        self.schema: str | None = None

    def url(self) -> str:
        if self.kind == "sqlite":
            path = self.tmp / f"bench_{uuid.uuid4().hex[:8]}.db"
            return f"sqlite:///{path}"
        from sqlalchemy import create_engine, text

        self.drop()
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        eng = create_engine(PG_URL)
        with eng.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        eng.dispose()
        return f"{PG_URL}?options=-csearch_path%3D{self.schema}"

    def drop(self) -> None:
        if self.schema is None:
            return
        from sqlalchemy import create_engine, text

        eng = create_engine(PG_URL)
        with eng.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        eng.dispose()
        self.schema = None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=100_000, help="enterprises (default 100,000)")
    ap.add_argument("--quick", action="store_true", help="5,000 enterprises")
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    size = 5_000 if args.quick else args.size
    tmp = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    rows: list[dict[str, object]] = []
    try:
        from innocredit.synthetic import write_feeds

        feed_dir = tmp / "feeds"
        write_feeds(feed_dir, size, 1, fmt="parquet")
        kinds = ["sqlite"]
        if not args.no_postgres:
            if _pg_available():
                kinds.append("postgresql")
            else:
                print(f"PostgreSQL at {PG_URL} is not available: skipped", file=sys.stderr)
        for kind in kinds:
            db = _Database(kind, tmp)
            try:
                url = db.url()
                _, ours_mb, out = run_child(OURS.format(url=url, feed_dir=str(feed_dir), again=False) + PEAK_SNIPPET)
                o_sec, o_rows = _value(out, "SECONDS") or float("nan"), _value(out, "ROWS")
                _, again_mb, out2 = run_child(OURS.format(url=url, feed_dir=str(feed_dir), again=True) + PEAK_SNIPPET)
                noop, feats, frows = _value(out2, "NOOP"), _value(out2, "FEATURES"), _value(out2, "FROWS")
                _, peer_mb, pout = run_child(PEER.format(url=db.url(), feed_dir=str(feed_dir)) + PEAK_SNIPPET)
            finally:
                db.drop()
            p_sec, p_rows = _value(pout, "SECONDS"), _value(pout, "ROWS")
            assert o_rows == p_rows, (o_rows, p_rows)
            n = int(o_rows or 0)
            ratio = o_sec / p_sec if p_sec else None
            driver = "COPY" if kind == "postgresql" else "executemany"
            rows.append({
                "work": f"ingest feeds of {size:,} enterprises ({n:,} rows) into {kind} [ours: {driver}, "
                        f"{n / o_sec:,.0f} rows/s; peer {n / (p_sec or 1):,.0f} rows/s]",
                "size": n, "ours_s": round(o_sec, 3),
                "peer": f"plain bulk INSERT (driver executemany) into the same {kind} tables, no validation",
                "peer_s": round(p_sec or 0, 3), "ratio": round(ratio, 3) if ratio else None,
                "ours_peak_mb": round(ours_mb, 1), "peer_peak_mb": round(peer_mb, 1),
                "target": "validated + diffed + lineage ingest within 3x of a plain bulk INSERT",
                "met": bool(ratio is not None and ratio <= 3.0),
                "ours_rows_per_s": round(n / o_sec), "peer_rows_per_s": round(n / (p_sec or 1)),
            })
            rows.append({
                "work": f"re-ingest the same {size:,} enterprises into {kind} (no-op, sha256 skip)",
                "size": n, "ours_s": round(noop or 0, 3), "peer": "-", "peer_s": None, "ratio": None,
                "ours_peak_mb": round(again_mb, 1), "peer_peak_mb": None,
                "target": "no-op re-run under 5% of the first load", "met": bool(noop is not None and noop < 0.05 * o_sec),
            })
            rows.append({
                "work": f"build the feature table of {int(frows or 0):,} enterprises from {kind} (features_as_of)",
                "size": int(frows or 0), "ours_s": round(feats or 0, 3), "peer": "-", "peer_s": None, "ratio": None,
                "ours_peak_mb": round(again_mb, 1), "peer_peak_mb": None,
                "target": "under the ingest time", "met": bool(feats is not None and feats < o_sec),
            })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'work':<110} {'ours_s':>8} {'peer_s':>8} {'ratio':>6} {'met':>4}")
    for r in rows:
        peer = "-" if r["peer_s"] is None else f"{r['peer_s']:.2f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(f"{r['work']:<110} {r['ours_s']:>8.2f} {peer:>8} {ratio:>6} {r['met']!s:>4}")
    write_rows("ingest", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
