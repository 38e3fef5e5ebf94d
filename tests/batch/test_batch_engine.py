"""The Spark engine returns exactly what the polars engine returns, also for cohort-wise steps."""

import numpy as np
import polars as pl
import pytest

from innocredit.batch import BatchJob, run_polars
from innocredit.batch.spark import collect_polars, run_spark, to_spark

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("heavy")]


def _cohort_percentile(df: pl.DataFrame) -> pl.DataFrame:
    # share of the cohort strictly below, plus half the ties: a cross-row step that needs the whole cohort
    n = pl.len().over("cohort")
    below = (pl.col("x").rank("min").over("cohort") - 1).cast(pl.Float64)
    ties = (pl.col("x").rank("max").over("cohort") - pl.col("x").rank("min").over("cohort") + 1).cast(pl.Float64)
    return df.select("uscc", "cohort", ((below + 0.5 * ties) / n).alias("pct"), (pl.col("x") * 2).alias("x2"))


def test_cohort_job_identical_on_spark(spark):
    rng = np.random.default_rng(7)
    n = 5000
    df = pl.DataFrame({
        "uscc": [f"{i:018d}" for i in range(n)],
        "cohort": rng.choice(["a", "b", "c", "d", "e"], n),
        "x": rng.integers(0, 50, n),
    })
    job = BatchJob("pct", _cohort_percentile, partition_by=("cohort",))
    local = run_polars(job, df)
    remote = collect_polars(run_spark(job, to_spark(spark, df, 4), df, partitions=3), ["uscc"])
    assert remote.shape == local.shape
    assert remote["pct"].to_list() == local["pct"].to_list()
    assert remote["x2"].to_list() == local["x2"].to_list()
    # the step really is cohort-wise: a row's percentile depends on the others in its cohort
    assert local.filter(pl.col("cohort") == "a")["pct"].n_unique() > 10
