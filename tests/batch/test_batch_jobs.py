"""Every batch job gives the same result on the Spark engine as on the polars engine.

Points and all non-float columns must be equal exactly; floats to 1e-9 (relative or absolute). The Spark
tests share the session-scoped ``spark`` fixture (local[2]) and use a few thousand rows over several
partitions; the cohort logic of the evaluation is also checked without Spark, on many simulated partitions.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from innocredit.batch.jobs import (
    _track_keys,
    evaluation_fn,
    replicate_by_cohort,
    run_job,
    track_plan,
    with_track_keys,
)
from innocredit.evaluation import cohort_sizes, evaluate, load_system
from innocredit.synthetic import feature_table

AS_OF = dt.date(2026, 6, 30)


def same(remote: pl.DataFrame, local: pl.DataFrame, exact: tuple[str, ...] = ()) -> None:
    assert remote.columns == local.columns
    assert remote.height == local.height
    for c in exact:
        assert remote[c].to_list() == local[c].to_list(), c
    assert_frame_equal(remote, local, check_exact=False, rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def features() -> pl.DataFrame:
    # 3000 firms; every 61st has no industry code, so its track falls through to the all-firms level
    df = feature_table(3000, 5)
    return df.with_columns(pl.when(pl.int_range(pl.len()) % 61 == 0).then(None)
                           .otherwise(pl.col("industry_code")).alias("industry_code"))


@pytest.fixture(scope="module")
def system():
    return load_system("innovation-points")


def _simulate(system, df: pl.DataFrame, buckets: int) -> tuple[pl.DataFrame, float]:
    """The Spark evaluation path with polars only: replicate, hash the cohort tag into buckets, run each."""
    keys = [f"__k_{k}" for k in _track_keys(system)]
    combos = with_track_keys(system, df).group_by(keys).agg(pl.len().cast(pl.Int64).alias("n"))
    plan = track_plan(system, combos, cohort_sizes(system, df.head(1)).schema["n"])
    tagged = replicate_by_cohort(plan, system)(df).with_columns((pl.col("__part").hash(11) % buckets).alias("__b"))
    fn = evaluation_fn(system, None, plan.sizes)
    outs = []
    for _, g in tagged.group_by("__b"):
        home = g.filter(pl.col("__home")).select("uscc").unique()
        rows = g.drop("__part", "__home", "__b").unique("uscc", keep="first", maintain_order=True)
        outs.append(fn(rows).join(home, on="uscc", how="semi"))
    return pl.concat(outs).sort("uscc"), tagged.height / df.height


def test_track_plan_sizes_match_the_evaluation(system, features):
    keys = [f"__k_{k}" for k in _track_keys(system)]
    combos = with_track_keys(system, features).group_by(keys).agg(pl.len().cast(pl.Int64).alias("n"))
    plan = track_plan(system, combos, cohort_sizes(system, features.head(1)).schema["n"])
    ref = cohort_sizes(system, features)
    cols = ref.columns
    order = ["level", *[c for c in cols if c.startswith("__k_")]]
    assert_frame_equal(plan.sizes.select(cols).sort(order, nulls_last=True), ref.sort(order, nulls_last=True))
    # every combination has exactly one home cohort, and it is among the cohorts its rows are copied to
    assert plan.combos.select(pl.col("__parts").list.contains(pl.col("__home_part")).all()).item()


@pytest.mark.parametrize("buckets", [1, 7, 23])
def test_replicated_cohorts_equal_one_run(system, features, buckets):
    local = evaluate(system, features).sort("uscc")
    got, factor = _simulate(system, features, buckets)
    assert got.equals(local)  # exactly: the same function on complete cohorts
    # some firms sit at a wider level than city (small cohorts), and the null-industry ones at "all"
    levels = set(local["track_level"].unique().to_list())
    assert {"city", "all"} <= levels and len(levels) >= 3
    assert 1.0 < factor <= len(system.track_levels)


def test_polars_engine_is_the_plain_function(system, features):
    got = run_job("evaluate", features, system="innovation-points")
    want = evaluate(system, features).sort("uscc")
    assert got.equals(want)


@pytest.mark.spark
@pytest.mark.xdist_group("heavy")
def test_evaluation_identical_on_spark(spark, features):
    from innocredit.batch.spark import collect_polars

    local = run_job("evaluate", features, system="innovation-points")
    remote = collect_polars(run_job("evaluate", features, engine="spark", spark=spark, system="innovation-points",
                                    partitions=5), ["uscc"])
    points = tuple(c for c in local.columns if c.startswith(("pt_", "grp_"))) + ("score", "qualified", "track_level",
                                                                                 "track_cohort", "track_n")
    same(remote, local, exact=points)
    assert local["tpct_rd_intensity"].n_unique() > 100  # the percentiles are really cross-row
    # a system without a track is per row: no shuffle at all
    local = run_job("evaluate", features, system="tech-sme")
    remote = collect_polars(run_job("evaluate", features, engine="spark", spark=spark, system="tech-sme"), ["uscc"])
    same(remote, local, exact=("score", "qualified"))
    assert local["qualified"].any() and not local["qualified"].all()


@pytest.fixture(scope="module")
def patents():
    from innocredit.ip.sample import make_usccs, synthetic_features, synthetic_patents

    usccs = make_usccs(400)
    return synthetic_patents(4000, usccs=usccs, seed=3, as_of=AS_OF), synthetic_features(usccs, as_of=AS_OF)


@pytest.mark.spark
@pytest.mark.xdist_group("heavy")
def test_ip_valuation_identical_on_spark(spark, patents):
    from innocredit.batch.spark import collect_polars

    pat, feats = patents
    local = run_job("ip-value", pat, features=feats, as_of=AS_OF)
    remote = collect_polars(run_job("ip-value", pat, engine="spark", spark=spark, features=feats, as_of=AS_OF,
                                    partitions=4), ["uscc", "patent_id"])
    same(remote, local, exact=("patent_id", "stars", "method", "status_effective"))
    assert local["value_base"].sum() > 0
    cap_local = run_job("ip-value", pat, features=feats, as_of=AS_OF, capacity_policy="default")
    cap_remote = collect_polars(run_job("ip-value", pat, engine="spark", spark=spark, features=feats, as_of=AS_OF,
                                        capacity_policy="default", partitions=3), ["uscc"])
    same(cap_remote, cap_local, exact=("n_patents", "n_pledgeable", "capped"))


@pytest.fixture(scope="module")
def model():
    from innocredit.risk import Scorecard
    from innocredit.risk.features import model_features

    d = model_features(feature_table(4000, 11).filter(pl.col("default_12m").is_not_null()))
    X = d.drop("uscc", "as_of", "industry_code", "region_code", "registered_on", "default_12m")
    return Scorecard().fit(X, d["default_12m"].to_numpy())


@pytest.mark.spark
@pytest.mark.xdist_group("heavy")
def test_scoring_and_matching_identical_on_spark(spark, features, model):
    from innocredit.batch.spark import collect_polars, to_spark

    sdf = to_spark(spark, features, 3)
    local = run_job("score", features, model=model)
    remote = collect_polars(run_job("score", sdf, engine="spark", spark=spark, model=model), ["uscc"])
    same(remote, local, exact=("score_points", "pd_grade", "reason_codes"))
    assert local["pd_grade"].n_unique() > 3
    local = run_job("match", features)
    remote = collect_polars(run_job("match", sdf, engine="spark", spark=spark), ["uscc", "product_id"])
    same(remote, local, exact=("eligible", "failed_rule", "rank", "term_months"))
    assert local.height > features.height  # one row per (firm, product)


def test_unknown_job_and_engine_are_refused(features):
    with pytest.raises(ValueError, match="unknown batch job"):
        run_job("forecast", features)
    with pytest.raises(ValueError, match="unknown engine"):
        run_job("match", features, engine="dask")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs as_of"):
        run_job("ip-value", features)
