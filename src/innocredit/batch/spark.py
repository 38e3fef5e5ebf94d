"""The Spark engine (adapter): runs a ``BatchJob`` with ``mapInArrow`` on a Spark session.

``INNOCREDIT_SPARK_MASTER`` picks the master (default ``local[*]``). Workers run the
same Python as the driver (``PYSPARK_PYTHON`` is set to it unless already set), so
the wheel or source tree that holds ``innocredit`` must be importable there; see
docs/spark.md for cluster submission.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from innocredit.batch.core import BatchJob

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession


def submitted() -> bool:
    """True when this driver was started by ``spark-submit`` (which hands it a running JVM gateway)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_session(master: str | None = None, app_name: str = "innocredit") -> SparkSession:
    """The Spark session for batch jobs.

    Stand-alone: master from the argument, else ``INNOCREDIT_SPARK_MASTER``, else ``local[*]``, with our
    defaults (8 shuffle partitions, 4 GB driver). Under ``spark-submit`` the master and every setting come
    from ``spark-submit``; only the ``INNOCREDIT_SPARK_*`` variables that are set explicitly apply.
    """
    if not submitted():
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    env = os.environ.get
    master = master or env("INNOCREDIT_SPARK_MASTER") or (None if submitted() else "local[*]")
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    settings = {
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
    }
    if not submitted():
        settings |= {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8", "spark.driver.memory": "4g"}
    if env("INNOCREDIT_SPARK_PARTITIONS"):
        settings["spark.sql.shuffle.partitions"] = env("INNOCREDIT_SPARK_PARTITIONS", "8")
    if env("INNOCREDIT_SPARK_DRIVER_MEMORY"):
        settings["spark.driver.memory"] = env("INNOCREDIT_SPARK_DRIVER_MEMORY", "4g")
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _arrow_schema_to_spark(schema: pa.Schema) -> Any:
    """Spark has no unsigned integers: they become 64-bit signed (``polars_portable`` does the same locally)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    fields = [pa.field(f.name, pa.int64(), f.nullable) if pa.types.is_unsigned_integer(f.type) else f
              for f in schema]
    return from_arrow_schema(pa.schema(fields))


def _spark_to_arrow_schema(schema: Any) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


def _arrow_partition(compute: Callable[[pl.DataFrame], pl.DataFrame], target: pa.Schema) -> Any:
    """A ``mapInArrow`` function: the partition's batches as one polars frame -> ``compute`` -> batches in the
    ``target`` schema (an empty partition yields nothing)."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        collected = list(batches)
        if not collected:
            return
        frame = pl.from_arrow(pa.Table.from_batches(collected))
        assert isinstance(frame, pl.DataFrame)
        if frame.height == 0:
            return
        out = compute(frame).to_arrow().select(target.names).cast(target)
        yield from out.to_batches(max_chunksize=65536)

    return run


def _partition_fn(job: BatchJob, target: pa.Schema) -> Any:
    return _arrow_partition(job.fn, target)


def to_spark(spark: SparkSession, df: pl.DataFrame, partitions: int | None = None) -> SparkDataFrame:
    """Hand a polars frame to Spark as Arrow (used by tests and small inputs)."""
    sdf = spark.createDataFrame(df.to_arrow())
    return sdf.repartition(partitions) if partitions else sdf


def run_spark(job: BatchJob, sdf: SparkDataFrame, sample: pl.DataFrame, partitions: int | None = None) -> SparkDataFrame:
    """Run ``job`` over a Spark DataFrame. ``sample`` (a few input rows as polars) fixes the output schema."""
    out_schema = pl.DataFrame(schema=job.output_schema(sample)).to_arrow().schema
    spark_schema = _arrow_schema_to_spark(out_schema)
    target = _spark_to_arrow_schema(spark_schema)
    if job.partition_by:
        cols = list(job.partition_by)
        sdf = sdf.repartition(partitions, *cols) if partitions else sdf.repartition(*cols)
    return sdf.mapInArrow(_partition_fn(job, target), spark_schema)


def _replicated_fn(job: BatchJob, target: pa.Schema, key: str, part_col: str, home_col: str) -> Any:
    def compute(frame: pl.DataFrame) -> pl.DataFrame:
        home = frame.filter(pl.col(home_col)).select(key).unique()
        rows = frame.drop(part_col, home_col).unique(key, keep="first", maintain_order=True)
        return job.fn(rows).join(home, on=key, how="semi", maintain_order="left")

    return _arrow_partition(compute, target)


def run_spark_replicated(job: BatchJob, sdf: SparkDataFrame, sample: pl.DataFrame, key: str = "uscc",
                         partitions: int | None = None, part_col: str = "__part",
                         home_col: str = "__home") -> SparkDataFrame:
    """Run ``job`` over rows that were copied once per cohort they belong to.

    Every row of ``sdf`` carries ``part_col`` (one cohort it belongs to) and ``home_col`` (true on the copy
    whose cohort is the row's own). The copies are repartitioned by cohort, so each partition holds whole
    cohorts; it runs ``job.fn`` on its distinct rows (by ``key``) and keeps the rows whose home copy it
    received, so every row comes out exactly once, computed with its complete cohort.
    ``sample``: a few input rows without the two tag columns (fixes the output schema).
    """
    out_schema = pl.DataFrame(schema=job.output_schema(sample)).to_arrow().schema
    spark_schema = _arrow_schema_to_spark(out_schema)
    target = _spark_to_arrow_schema(spark_schema)
    sdf = sdf.repartition(partitions, part_col) if partitions else sdf.repartition(part_col)
    return sdf.mapInArrow(_replicated_fn(job, target, key, part_col, home_col), spark_schema)


def collect_polars(sdf: SparkDataFrame, sort_by: list[str] | None = None) -> pl.DataFrame:
    """Bring a Spark result back as a polars frame (through Arrow)."""
    table = sdf.toArrow() if hasattr(sdf, "toArrow") else pa.Table.from_pandas(sdf.toPandas())
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    sort = [c for c in (sort_by or []) if c in frame.columns]
    return frame.sort(sort) if sort else frame
