"""The Spark engine (adapter): runs a ``BatchJob`` with ``mapInArrow`` on a Spark session.

``INNOCREDIT_SPARK_MASTER`` picks the master (default ``local[*]``). Workers run the
same Python as the driver (``PYSPARK_PYTHON`` is set to it unless already set), so
the wheel or source tree that holds ``innocredit`` must be importable there; see
docs/spark.md for cluster submission.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from innocredit.batch.core import BatchJob

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession


def spark_session(master: str | None = None, app_name: str = "innocredit") -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    master = master or os.environ.get("INNOCREDIT_SPARK_MASTER", "local[*]")
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("INNOCREDIT_SPARK_PARTITIONS", "8"))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", os.environ.get("INNOCREDIT_SPARK_DRIVER_MEMORY", "4g"))
    )
    return builder.getOrCreate()


def _arrow_schema_to_spark(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _spark_to_arrow_schema(schema: Any) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


def _partition_fn(job: BatchJob, target: pa.Schema) -> Any:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        collected = list(batches)
        if not collected:
            return
        frame = pl.from_arrow(pa.Table.from_batches(collected))
        assert isinstance(frame, pl.DataFrame)
        if frame.height == 0:
            return
        out = job.fn(frame).to_arrow()
        out = out.select(target.names).cast(target)
        yield from out.to_batches(max_chunksize=65536)

    return run


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


def collect_polars(sdf: SparkDataFrame, sort_by: list[str] | None = None) -> pl.DataFrame:
    """Bring a Spark result back as a polars frame (through Arrow)."""
    table = sdf.toArrow() if hasattr(sdf, "toArrow") else pa.Table.from_pandas(sdf.toPandas())
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    sort = [c for c in (sort_by or []) if c in frame.columns]
    return frame.sort(sort) if sort else frame
