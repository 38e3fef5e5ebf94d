"""Engine-independent description of a batch job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class BatchJob:
    """A named per-partition function over a polars frame.

    ``partition_by``: columns whose equal values must be processed together (cohorts);
    empty when rows are independent. ``sort_by``: columns that give the output a
    deterministic order, so that engines can be compared row for row.
    """

    name: str
    fn: Callable[[pl.DataFrame], pl.DataFrame]
    partition_by: Sequence[str] = field(default_factory=tuple)
    sort_by: Sequence[str] = ("uscc",)

    def output_schema(self, sample: pl.DataFrame) -> pl.Schema:
        """The schema of the job's output, found by running it on a few rows."""
        return self.fn(sample.head(min(sample.height, 50))).schema


UNSIGNED = (pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)


def polars_portable(df: pl.DataFrame) -> pl.DataFrame:
    """Unsigned integer columns as Int64, the type Spark gives them, so both engines return one schema."""
    cast = {c: pl.Int64 for c, t in df.schema.items() if isinstance(t, UNSIGNED)}
    return df.cast(cast) if cast else df  # type: ignore[arg-type]


def run_polars(job: BatchJob, df: pl.DataFrame) -> pl.DataFrame:
    """Run a job on one machine: the whole table is one partition."""
    out = job.fn(df)
    sort = [c for c in job.sort_by if c in out.columns]
    return out.sort(sort) if sort else out
