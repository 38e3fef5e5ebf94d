"""Batch engines: the same vectorized polars functions run locally or on Apache Spark.

A ``BatchJob`` is a per-partition polars function plus, optionally, the columns that
must travel together (a cohort key). The polars engine calls the function on the whole
table; the Spark engine repartitions by the cohort key (so every cohort lives wholly in
one partition), hands each partition to the function as Arrow (``mapInArrow``) and
returns the same rows. Global steps that need more than one cohort (cohort sizes for a
fall-back rule, say) run first as small aggregations and travel to the workers inside
the job's closure.
"""

from innocredit.batch.core import BatchJob, run_polars

__all__ = ["BatchJob", "run_polars"]
