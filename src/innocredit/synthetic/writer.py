"""Write the generated feeds to files (the adapter half of the generator)."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

from innocredit.synthetic.feeds import FEED_ORDER, FeedBuilder
from innocredit.synthetic.population import draw_population

FILE_FORMATS = ("parquet", "csv", "jsonl")

# progress(feed id, rows written, seconds); called after each feed is written
Progress = Callable[[str, int, float], None]


PARQUET_ROW_GROUP = 256 * 1024


def write_frames(frames: Iterable[pl.DataFrame], path: Path, fmt: str) -> int:
    """Write one feed given as a sequence of frames with the same schema; returns the rows written.

    The bytes depend only on the frames (fixed compression and row groups), so the same
    seed gives byte-identical files.
    """
    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown file format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")
    rows = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        try:
            for df in frames:
                table = df.to_arrow()
                if writer is None:
                    # dictionary-encode text and dates only: on money columns it costs time and saves nothing
                    text = [f.name for f in table.schema if f.type in (pa.string(), pa.large_string(), pa.date32())]
                    writer = pq.ParquetWriter(path, table.schema, compression="zstd", use_dictionary=text)
                writer.write_table(table, row_group_size=PARQUET_ROW_GROUP)
                rows += df.height
        finally:
            if writer is not None:
                writer.close()
        return rows
    with path.open("wb") as fh:
        for i, df in enumerate(frames):
            if fmt == "csv":
                df.write_csv(fh, include_header=i == 0)
            else:
                df.write_ndjson(fh)
            rows += df.height
    return rows


def write_feeds(
    out_dir: str | Path,
    n_enterprises: int,
    seed: int,
    fmt: str = "parquet",
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Generate the feeds of ``n_enterprises`` firms and write ``<out_dir>/<feed>.<fmt>``.

    A producer thread builds the frames (numpy/polars release the GIL) while this thread
    writes the previous ones; the hand-over queue holds at most two frames, so peak memory
    is the population plus a few chunks. Files are written one after another in feed order,
    so their bytes do not depend on the timing. Returns the path of each feed file.
    """
    if fmt not in FILE_FORMATS:
        raise ValueError(f"unknown file format {fmt!r}; use one of {', '.join(FILE_FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    builder = FeedBuilder(draw_population(n_enterprises, seed))
    if progress is not None:
        progress("population", n_enterprises, time.perf_counter() - t0)

    hand_over: queue.Queue[tuple[str, pl.DataFrame | None | BaseException]] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for feed_id in FEED_ORDER:
                for df in builder.chunks(feed_id):
                    if stop.is_set():
                        return
                    hand_over.put((feed_id, df))
                hand_over.put((feed_id, None))  # end of this feed
        except BaseException as exc:  # handed to the writing thread, which re-raises it
            hand_over.put(("", exc))

    def frames_of(feed_id: str) -> Iterator[pl.DataFrame]:
        while True:
            fid, item = hand_over.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                return
            assert fid == feed_id
            yield item

    producer = threading.Thread(target=produce, name="demo-data-producer", daemon=True)
    producer.start()
    paths: dict[str, Path] = {}
    try:
        for feed_id in FEED_ORDER:
            t = time.perf_counter()
            path = out / f"{feed_id}.{fmt}"
            rows = write_frames(frames_of(feed_id), path, fmt)
            paths[feed_id] = path
            if progress is not None:
                progress(feed_id, rows, time.perf_counter() - t)
    finally:
        stop.set()
        while producer.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                hand_over.get(timeout=0.1)
        producer.join()
    return paths
