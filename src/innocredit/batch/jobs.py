"""The batch jobs of each area, on either engine, through one function: :func:`run_job`.

=========  ==================================================  ====================  ====================
kind       function (the same on both engines)                 cross-row step        Spark partitioning
=========  ==================================================  ====================  ====================
evaluate   ``evaluation.evaluate`` (+ ``track_statistics``)    track percentiles     replicated cohorts
ip-value   ``ip.value_patents`` (+ ``firm_capacity``)          cohort normalisation  by firm (``uscc``)
score      ``risk.score_table`` (on ``model_features``)        none                  as read
match      ``lending.match``                                   none                  as read
=========  ==================================================  ====================  ====================

``engine="polars"`` returns a polars frame; ``engine="spark"`` returns a Spark DataFrame (nothing is
collected; write it with ``.write.parquet`` or bring it back with :func:`collect_polars`).

How the cross-row steps stay exact on many partitions:

* **IP**: the cohort statistics (counts and maxima per kind x IPC class x filing year) are mergeable:
  each partition computes ``ip.cohort_stats``, the driver merges them with ``CohortStats.combine`` and
  ships the result to the workers, which value whole firms with ``value_patents(..., stats=...)``.
* **Evaluation**: a firm is placed at the narrowest track level whose cohort is large enough, and ranked
  among *all* firms sharing that level's keys (also firms placed at a narrower level). Placement depends
  only on the cohort keys, so it is computed on the driver from the global count per key combination (a
  small group-by). Each row is then copied to every used cohort it belongs to (a cohort is used when at
  least one firm is placed in it), the copies are repartitioned by cohort, and each partition runs
  ``track_statistics`` (with the global cohort sizes) and ``evaluate`` on its distinct rows, keeping only
  the rows whose own cohort it holds. Every used cohort is complete in its partition, so percentiles are
  those of one run over the whole table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import polars as pl

from innocredit.batch.core import BatchJob, polars_portable, run_polars

if TYPE_CHECKING:
    from pyspark.sql import DataFrame as SparkDataFrame
    from pyspark.sql import SparkSession

Engine = Literal["polars", "spark"]
KINDS = ("evaluate", "ip-value", "score", "match")
PART_COL = "__part"
HOME_COL = "__home"


# --------------------------------------------------------------------------------------------- evaluation

def _track_keys(system: Any) -> list[str]:
    return sorted({k for lv in system.track_levels for k in lv.keys})


def with_track_keys(system: Any, df: pl.DataFrame) -> pl.DataFrame:
    """``df`` plus the cohort key columns ``__k_<key>`` the track uses (division, city, ...), as the
    evaluation derives them (absent industry or region columns give null keys)."""
    from innocredit.evaluation.track import KEY_EXPRS

    add = [pl.lit(None, dtype=pl.String).alias(c) for c in ("industry_code", "region_code") if c not in df.columns]
    base = df.with_columns(add) if add else df
    return base.with_columns(KEY_EXPRS[k].alias(f"__k_{k}") for k in _track_keys(system))


@dataclass(frozen=True)
class TrackPlan:
    """Global track facts, computed on the driver from the count per key combination.

    ``sizes``: what ``evaluation.cohort_sizes`` returns for the whole table. ``combos``: one row per key
    combination with ``__parts`` (every used cohort the combination belongs to) and ``__home_part`` (the
    cohort a firm with these keys is placed in)."""

    sizes: pl.DataFrame
    combos: pl.DataFrame
    keys: tuple[str, ...]


def _part_id(i: int, keys: Sequence[str]) -> pl.Expr:
    return pl.concat_str([pl.lit(str(i)), *[pl.col(f"__k_{k}").fill_null("?") for k in keys]], separator="|")


def track_plan(system: Any, combos: pl.DataFrame, sizes_dtype: pl.DataType = pl.UInt32()) -> TrackPlan:
    """Placement of every key combination. ``combos``: columns ``__k_<key>`` and ``n`` (firms with those keys).

    The rule is the evaluation's (``evaluation.track``): the first level before the last whose keys are all
    known and whose cohort has at least ``track_min_size`` firms, else the last level."""
    keys = tuple(_track_keys(system))
    levels = system.track_levels
    last = len(levels) - 1
    sizes, n_cols = [], []
    c = combos
    for i, lv in enumerate(levels):
        kc = [f"__k_{k}" for k in lv.keys]
        s = (c.group_by(kc).agg(pl.col("n").sum()) if kc else c.select(pl.col("n").sum()))
        s = s.with_columns(pl.col("n").cast(sizes_dtype), pl.lit(lv.id).alias("level"))
        sizes.append(s)
        if kc:
            known = s.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in kc))
            c = c.join(known.select(*kc, pl.col("n").alias(f"__n{i}")), on=kc, how="left", maintain_order="left")
        else:
            c = c.with_columns(pl.lit(s["n"][0]).alias(f"__n{i}"))
        n_cols.append(f"__n{i}")
    level = pl.lit(last)
    for i in reversed(range(last)):
        level = pl.when(pl.col(n_cols[i]) >= system.track_min_size).then(pl.lit(i)).otherwise(level)
    c = c.with_columns(level.alias("__lvl"))
    home = _part_id(last, levels[last].keys)
    for i in reversed(range(last)):
        home = pl.when(pl.col("__lvl") == i).then(_part_id(i, levels[i].keys)).otherwise(home)
    c = c.with_columns(home.alias("__home_part"))
    used = set(c["__home_part"].unique().to_list())
    parts = pl.concat_list([pl.when(_part_id(i, lv.keys).is_in(list(used))).then(_part_id(i, lv.keys))
                            for i, lv in enumerate(levels)]).list.drop_nulls()
    combos_out = c.select(*[f"__k_{k}" for k in keys], parts.alias("__parts"), "__home_part")
    return TrackPlan(pl.concat(sizes, how="diagonal_relaxed"), combos_out, keys)


def replicate_by_cohort(plan: TrackPlan, system: Any) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Per-row step: each row once per used cohort it belongs to, tagged ``__part`` and ``__home``."""
    keys = [f"__k_{k}" for k in plan.keys]

    def fn(df: pl.DataFrame) -> pl.DataFrame:
        cols = df.columns
        keyed = with_track_keys(system, df).join(plan.combos, on=keys, how="left", nulls_equal=True,
                                                 maintain_order="left")
        return (keyed.explode("__parts")
                .select(*cols, pl.col("__parts").alias(PART_COL), (pl.col("__parts") == pl.col("__home_part"))
                        .alias(HOME_COL)))
    return fn


def evaluation_fn(system: Any, as_of: dt.date | None = None, sizes: pl.DataFrame | None = None,
                  detail: bool = False) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """The per-partition evaluation: ``track_statistics`` with the global ``sizes`` (when given), then
    ``evaluate``. With ``sizes=None`` on the whole table this is exactly ``evaluate(system, features)``."""
    from innocredit.evaluation import evaluate, track_statistics

    def fn(df: pl.DataFrame) -> pl.DataFrame:
        df = df.drop([c for c in df.columns if c.startswith("__k_")])
        ts = track_statistics(system, df, as_of, sizes=sizes) if system.track_levels else None
        return evaluate(system, df, as_of, track_stats=ts, detail=detail)
    return fn


def evaluation_job(system: Any, as_of: dt.date | None = None, sizes: pl.DataFrame | None = None,
                   detail: bool = False) -> BatchJob:
    """The evaluation as a ``BatchJob``; rows are grouped by the ``__part`` cohort tag when a track is used."""
    return BatchJob(f"evaluate:{system.id}", evaluation_fn(system, as_of, sizes, detail),
                    partition_by=(PART_COL,) if system.track_levels else (), sort_by=("uscc",))


def _evaluate_spark(sdf: SparkDataFrame, sample: pl.DataFrame, system: Any, as_of: dt.date | None,
                    partitions: int | None, detail: bool) -> SparkDataFrame:
    from innocredit.batch.spark import collect_polars, run_spark, run_spark_replicated
    from innocredit.evaluation import cohort_sizes

    if not system.track_levels:
        return run_spark(evaluation_job(system, as_of, detail=detail), sdf, sample)
    keys = [f"__k_{k}" for k in _track_keys(system)]
    if not keys:  # one cohort: the whole table
        return run_spark(evaluation_job(system, as_of, detail=detail), sdf.coalesce(1), sample)
    # only the two code columns travel to Python in this pass (Parquet reads just those columns)
    code_cols = [c for c in ("industry_code", "region_code") if c in sdf.columns]
    keyed = run_spark(BatchJob("track-keys", lambda df: with_track_keys(system, df).select(keys)),
                      sdf.select(*code_cols) if code_cols else sdf.select(sdf.columns[:1]), sample.select(code_cols)
                      if code_cols else sample.head(0).select(sample.columns[:1]))
    combos = collect_polars(keyed.groupBy(*keys).count().withColumnRenamed("count", "n"))
    ref = cohort_sizes(system, sample.head(1))
    plan = track_plan(system, combos, ref.schema["n"])
    tagged = run_spark(BatchJob("track-replicate", replicate_by_cohort(plan, system)), sdf, sample)
    job = evaluation_job(system, as_of, plan.sizes, detail)
    return run_spark_replicated(job, tagged, sample, key="uscc", partitions=partitions)


# --------------------------------------------------------------------------------------------- IP

FEATURE_PREFIX = "__f_"


def ip_fn(as_of: dt.date, stats: Any = None, assumptions: Any = None, capacity_policy: Any = None,
          patent_columns: Sequence[str] | None = None) -> Callable[..., pl.DataFrame]:
    """Value the patents of whole firms; with ``capacity_policy`` (a bank id or policy dict), the firm
    capacity instead. On Spark, the firm's latest feature row travels on each patent row with the
    ``__f_`` prefix (``patent_columns`` names the patent columns)."""
    from innocredit.ip import firm_capacity, value_patents

    def fn(patents: pl.DataFrame, features: pl.DataFrame | None = None) -> pl.DataFrame:
        if features is None and patent_columns is not None:
            fcols = [c for c in patents.columns if c.startswith(FEATURE_PREFIX)]
            features = (patents.select("uscc", *[pl.col(c).alias(c.removeprefix(FEATURE_PREFIX)) for c in fcols])
                        .unique("uscc", keep="first", maintain_order=True))
            patents = patents.select(list(patent_columns))
        valued = value_patents(patents, features, as_of, assumptions, stats=stats)
        return firm_capacity(valued, capacity_policy) if capacity_policy is not None else valued
    return fn


def ip_job(as_of: dt.date, features: pl.DataFrame | None, stats: Any = None, assumptions: Any = None,
           capacity_policy: Any = None) -> BatchJob:
    """The IP valuation of a whole patent table (polars engine): one partition, features as given."""
    inner = ip_fn(as_of, stats, assumptions, capacity_policy)
    sort = ("uscc",) if capacity_policy is not None else ("uscc", "patent_id")
    return BatchJob("ip-value", lambda df: inner(df, features), partition_by=("uscc",), sort_by=sort)


def _stats_frame(patents: pl.DataFrame) -> pl.DataFrame:
    """``cohort_stats`` of one partition as one frame (fine and coarse rows; counts as Int64)."""
    from innocredit.ip import cohort_stats

    s = cohort_stats(patents)
    fine = s.fine.rename({"ipc_class": "ipc"}).with_columns(pl.lit("fine").alias("__level"))
    coarse = s.coarse.rename({"ipc_section": "ipc"}).with_columns(pl.lit("coarse").alias("__level"))
    return pl.concat([fine, coarse], how="diagonal_relaxed").with_columns(pl.col("n").cast(pl.Int64))


def _ip_spark(sdf: SparkDataFrame, sample: pl.DataFrame, features: Any, as_of: dt.date, assumptions: Any,
              capacity_policy: Any, partitions: int | None) -> SparkDataFrame:
    from pyspark.sql import functions as F

    from innocredit.batch.spark import collect_polars, run_spark, to_spark
    from innocredit.ip import cohort_stats
    from innocredit.ip.quality import CohortStats
    from innocredit.ip.valuation import latest_features

    # 1. mergeable cohort statistics: per partition, merged on the driver
    parts = collect_polars(run_spark(BatchJob("ip-stats", _stats_frame), sdf, sample))
    ref = cohort_stats(sample.head(1))
    fine = parts.filter(pl.col("__level") == "fine").rename({"ipc": "ipc_class"}).select(ref.fine.columns)
    coarse = parts.filter(pl.col("__level") == "coarse").rename({"ipc": "ipc_section"}).select(ref.coarse.columns)
    stats = CohortStats.combine([CohortStats(fine.cast(ref.fine.schema), coarse.cast(ref.coarse.schema))])
    # 2. each firm's latest feature row on or before as_of (the same function, per firm)
    fsdf = features if features is not None and not isinstance(features, pl.DataFrame) else None
    if features is None:
        fsample = pl.DataFrame(schema={"uscc": pl.String})
    elif isinstance(features, pl.DataFrame):
        fsample = features.head(50)
        fsdf = to_spark(sdf.sparkSession, features)
    else:
        fsample = collect_polars(features.limit(50))
    fjob = BatchJob("ip-latest-features", lambda f: latest_features(f, as_of), partition_by=("uscc",))
    patent_columns = list(sample.columns)
    if fsdf is not None:
        latest = run_spark(fjob, fsdf, fsample, partitions)
        latest = latest.select(*[F.col(c).alias(FEATURE_PREFIX + c if c != "uscc" else "__fuscc")
                                 for c in latest.columns])
        joined = sdf.join(latest, sdf["uscc"] == latest["__fuscc"], "left").drop("__fuscc")
        lsample = latest_features(fsample, as_of)
        jsample = sample.join(lsample.rename({c: FEATURE_PREFIX + c for c in lsample.columns if c != "uscc"}),
                              on="uscc", how="left")
    else:
        joined, jsample = sdf, sample
    # 3. value whole firms with the global statistics
    inner = ip_fn(as_of, stats, assumptions, capacity_policy, patent_columns)
    sort = ("uscc",) if capacity_policy is not None else ("uscc", "patent_id")
    job = BatchJob("ip-value", lambda df: inner(df), partition_by=("uscc",), sort_by=sort)
    return run_spark(job, joined, jsample, partitions)


# --------------------------------------------------------------------------------------------- risk, matching

def risk_fn(model: Any) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """``score_table`` on a feature table (model features derived first) or on a model-feature table."""
    from innocredit.risk import score_table
    from innocredit.risk.features import model_features

    raw = list(model.raw_features())

    def fn(df: pl.DataFrame) -> pl.DataFrame:
        frame = df if all(c in df.columns for c in raw) else model_features(df)
        return score_table(model, frame)
    return fn


def risk_job(model: Any) -> BatchJob:
    """Scoring is per row: no partitioning."""
    return BatchJob("score", risk_fn(model), partition_by=(), sort_by=("uscc",))


def match_job(products: Any = None, policy: Any = None, consent: str = "if_present") -> BatchJob:
    """Matching is per row (one enterprise against the catalogue): no partitioning."""
    from innocredit.lending import load_products, match
    from innocredit.settings import default_lending_policy

    prods = list(products) if products is not None else load_products()
    pol = policy if policy is not None else default_lending_policy()
    return BatchJob("match", lambda df: match(df, prods, pol, consent=consent), partition_by=(),
                    sort_by=("uscc", "product_id"))


# --------------------------------------------------------------------------------------------- one entry point

def run_job(kind: str, data: Any, *, engine: Engine = "polars", spark: SparkSession | None = None,
            partitions: int | None = None, system: Any = None, as_of: dt.date | None = None,
            detail: bool = False, features: Any = None, assumptions: Any = None, capacity_policy: Any = None,
            model: Any = None, products: Any = None, policy: Any = None, consent: str = "if_present") -> Any:
    """Run one batch job on one engine.

    ``data``: the input table: a polars frame, or (Spark engine) a Spark DataFrame. ``kind`` and its
    parameters: ``evaluate`` (``system``: a System or id, ``as_of``, ``detail``); ``ip-value`` (``data``
    = patents, ``features``, ``as_of`` (required), ``assumptions``, ``capacity_policy`` for per-firm
    capacity); ``score`` (``model``); ``match`` (``products``, ``policy``, ``consent``).
    The polars engine returns a polars frame sorted by the job's key; the Spark engine a Spark DataFrame.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown batch job {kind!r}; known: {', '.join(KINDS)}")
    if engine not in ("polars", "spark"):
        raise ValueError(f"unknown engine {engine!r}; use polars or spark")
    if kind == "evaluate":
        from innocredit.evaluation import load_system

        if system is None:
            raise ValueError("evaluate needs a system")
        system = load_system(system) if isinstance(system, str) else system
    if kind == "ip-value" and as_of is None:
        raise ValueError("ip-value needs as_of")
    if engine == "polars":
        if not isinstance(data, pl.DataFrame):
            raise TypeError("the polars engine takes a polars DataFrame")
        if kind == "evaluate":
            job = BatchJob(f"evaluate:{system.id}", evaluation_fn(system, as_of, None, detail))
        elif kind == "ip-value":
            assert as_of is not None
            feats = features if features is None or isinstance(features, pl.DataFrame) else None
            job = ip_job(as_of, feats, None, assumptions, capacity_policy)
        elif kind == "score":
            job = risk_job(model)
        else:
            job = match_job(products, policy, consent)
        return polars_portable(run_polars(job, data))

    from innocredit.batch.spark import collect_polars, run_spark, spark_session, to_spark

    session = spark or spark_session()
    if isinstance(data, pl.DataFrame):
        sample = data.head(50)
        sdf = to_spark(session, data, partitions)
    else:
        sdf = data
        sample = collect_polars(sdf.limit(50))
    if kind == "evaluate":
        return _evaluate_spark(sdf, sample, system, as_of, partitions, detail)
    if kind == "ip-value":
        assert as_of is not None
        return _ip_spark(sdf, sample, features, as_of, assumptions, capacity_policy, partitions)
    job = risk_job(model) if kind == "score" else match_job(products, policy, consent)
    if partitions and not isinstance(data, pl.DataFrame):
        sdf = sdf.repartition(partitions)  # rows are independent: spread them evenly over the cores
    return run_spark(job, sdf, sample)
