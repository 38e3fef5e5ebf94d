"""Patent quality: OECD-style indicators normalised within cohorts, and the CNIPA value degrees.

Two steps so that a distributed engine can run them across partitions:
1. :func:`cohort_stats` — small aggregates per cohort (kind, IPC class, filing year) and per fall-back
   cohort (kind, IPC section, filing year);
2. :func:`score_quality` — per row: join the statistics, normalise, combine with the YAML weights.

Method and sources: ``docs/ip.md`` (Squicciarini, Dernis & Criscuolo 2013, OECD STI Working Paper
2013/03 "Measuring Patent Quality"; Hall, Jaffe & Trajtenberg 2001 for generality/originality; CNIPA
专利价值分析指标体系 for the legal / technical / economic value degrees).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl

from innocredit.ip.records import statutory_expiry, statutory_term_years

STAT_COLS = ("forward_citations", "backward_citations", "family_size", "claims", "grant_lag_days")
FINE_KEY = ("kind", "ipc_class", "filing_year")
COARSE_KEY = ("kind", "ipc_section", "filing_year")


def with_cohort_keys(patents: pl.DataFrame | pl.LazyFrame) -> Any:
    """Add ``ipc_class`` (e.g. G06), ``ipc_section`` (G), ``filing_year`` and ``grant_lag_days``."""
    ipc = pl.col("ipc_main").str.strip_chars().str.to_uppercase()
    return patents.with_columns(
        ipc.str.slice(0, 3).alias("ipc_class"),
        ipc.str.slice(0, 1).alias("ipc_section"),
        pl.col("filing_date").dt.year().alias("filing_year"),
        (pl.col("grant_date") - pl.col("filing_date")).dt.total_days().alias("grant_lag_days"),
    )


@dataclass(frozen=True)
class CohortStats:
    """Per-cohort counts and maxima; ``fine`` keyed by FINE_KEY, ``coarse`` by COARSE_KEY."""

    fine: pl.DataFrame
    coarse: pl.DataFrame

    @staticmethod
    def combine(parts: list[CohortStats]) -> CohortStats:
        """Merge statistics computed on separate partitions (counts add, maxima take the max)."""
        def merge(frames: list[pl.DataFrame], key: tuple[str, ...]) -> pl.DataFrame:
            return pl.concat(frames).group_by(list(key)).agg(
                pl.col("n").sum(), *[pl.col(f"max_{c}").max() for c in STAT_COLS])
        return CohortStats(merge([p.fine for p in parts], FINE_KEY), merge([p.coarse for p in parts], COARSE_KEY))


def _agg(key: tuple[str, ...]) -> list[pl.Expr]:
    return [pl.len().alias("n"), *[pl.col(c).max().alias(f"max_{c}") for c in STAT_COLS]]


def cohort_stats(patents: pl.DataFrame) -> CohortStats:
    """Step 1: cohort sizes and maxima of the normalised indicators (every row counts, whatever its status)."""
    lf = with_cohort_keys(patents.lazy().select(
        "kind", "ipc_main", "filing_date", "grant_date", *[c for c in STAT_COLS if c != "grant_lag_days"]))
    fine = lf.group_by(list(FINE_KEY)).agg(_agg(FINE_KEY))
    coarse = lf.group_by(list(COARSE_KEY)).agg(_agg(COARSE_KEY))
    fine_df, coarse_df = pl.collect_all([fine, coarse])
    return CohortStats(fine_df, coarse_df)


def _ratio(x: str, m: str) -> pl.Expr:
    """x / cohort max in [0, 1]; 0 when the cohort max is 0; null when x is unknown."""
    return pl.when(pl.col(m) > 0).then(pl.col(x) / pl.col(m)).otherwise(
        pl.when(pl.col(x).is_not_null()).then(0.0)).clip(0.0, 1.0)


def _diversity(col: str) -> pl.Expr:
    """1 - Herfindahl of the classes in a ';'-separated list (Hall, Jaffe & Trajtenberg 2001); null when empty."""
    classes = pl.col(col).str.split(";").list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    n = classes.list.len()
    hhi = classes.list.eval(
        (pl.element().value_counts().struct.field("count").cast(pl.Float64) / pl.len()).pow(2).sum()
    ).list.first()
    return pl.when(n > 0).then(1.0 - hhi).otherwise(None)


def _weighted(parts: dict[str, pl.Expr], weights: dict[str, float]) -> pl.Expr:
    """Weighted mean of the known sub-indicators (unknown ones are left out and the rest re-weighted)."""
    num = pl.sum_horizontal([parts[k].fill_null(0.0) * w for k, w in weights.items()])
    den = pl.sum_horizontal([pl.when(parts[k].is_not_null()).then(w).otherwise(0.0) for k, w in weights.items()])
    return pl.when(den > 0).then(num / den).otherwise(0.0)


def score_quality(patents: pl.DataFrame, stats: CohortStats, as_of: dt.date, weights: dict[str, Any]) -> pl.DataFrame:
    """Step 2: per-patent normalised indicators, value degrees, quality 0-100 and stars."""
    lf = with_cohort_keys(patents.lazy())
    min_n = int(weights["min_cohort_size"])
    fine = stats.fine.lazy().rename({c: f"f_{c}" for c in stats.fine.columns if c not in FINE_KEY})
    coarse = stats.coarse.lazy().rename({c: f"c_{c}" for c in stats.coarse.columns if c not in COARSE_KEY})
    lf = lf.join(fine, on=list(FINE_KEY), how="left", nulls_equal=True, maintain_order="left")
    lf = lf.join(coarse, on=list(COARSE_KEY), how="left", nulls_equal=True, maintain_order="left")
    # a class cohort smaller than min_cohort_size borrows the statistics of its (larger) section cohort
    use_fine = (pl.col("f_n") >= min_n) | (pl.col("c_n").fill_null(0) <= pl.col("f_n"))
    lf = lf.with_columns(
        *[pl.when(use_fine).then(pl.col(f"f_max_{c}")).otherwise(pl.col(f"c_max_{c}")).alias(f"__max_{c}")
          for c in STAT_COLS],
        pl.when(use_fine).then(pl.col("f_n")).otherwise(pl.col("c_n")).alias("cohort_size"),
        pl.when(use_fine).then(pl.lit("class")).otherwise(pl.lit("section")).alias("cohort_level"),
    )
    as_of_lit = pl.lit(as_of, dtype=pl.Date)
    term = statutory_term_years("kind", "filing_date")
    expiry = statutory_expiry("kind", "filing_date")
    alive = pl.col("status").is_in(["granted", "pending"])
    # a feed status can lag the calendar: "granted" after the statutory term has ended counts as expired
    lf = lf.with_columns(
        pl.when((pl.col("status") == "granted") & (expiry <= as_of_lit)).then(pl.lit("expired"))
        .otherwise(pl.col("status")).alias("status_effective"),
        term.alias("statutory_term_years"),
        expiry.alias("statutory_expiry"),
        pl.when(alive & expiry.is_not_null())
        .then(((expiry - as_of_lit).dt.total_days() / 365.25).clip(0.0, None))
        .when(alive).then(None).otherwise(0.0).alias("remaining_life_years"),
    )
    cols = set(patents.columns)
    lf = lf.with_columns(
        _ratio("forward_citations", "__max_forward_citations").alias("ind_forward_citations"),
        _ratio("backward_citations", "__max_backward_citations").alias("ind_backward_citations"),
        _ratio("family_size", "__max_family_size").alias("ind_family_size"),
        _ratio("claims", "__max_claims").alias("ind_claims"),
        (1.0 - _ratio("grant_lag_days", "__max_grant_lag_days")).alias("ind_grant_lag"),
        (_diversity("forward_citation_ipcs") if "forward_citation_ipcs" in cols
         else pl.lit(None, dtype=pl.Float64)).alias("ind_generality"),
        (_diversity("backward_citation_ipcs") if "backward_citation_ipcs" in cols
         else pl.lit(None, dtype=pl.Float64)).alias("ind_originality"),
        (pl.col("remaining_life_years") / pl.col("statutory_term_years")).clip(0.0, 1.0).alias("ind_remaining_life"),
    )
    full_lic = float(weights["licences_for_full_score"])
    full_ind = float(weights["independent_claims_for_full_scope"])
    validity = pl.col("status_effective").replace_strict(weights["validity"], default=0.0, return_dtype=pl.Float64)
    scope = pl.when(pl.col("ind_claims").is_not_null()).then(
        0.5 * pl.col("ind_claims") + 0.5 * (pl.col("independent_claims").fill_null(1) / full_ind).clip(0.0, 1.0))
    legal = {"validity": validity, "remaining_life": pl.col("ind_remaining_life"), "scope": scope,
             "dispute": pl.when(pl.col("litigation_pending").fill_null(False)).then(0.0).otherwise(1.0)}
    technical = {"citations": pl.col("ind_forward_citations"),
                 # originality: citation-class diversity when known, else the cohort-normalised backward citations
                 "originality": pl.coalesce(pl.col("ind_originality"), pl.col("ind_backward_citations")),
                 "generality": pl.col("ind_generality"), "claims": pl.col("ind_claims"),
                 "grant_lag": pl.col("ind_grant_lag")}
    licensing = pl.when(pl.col("exclusive_licence").fill_null(False)).then(1.0).otherwise(
        (pl.col("licences").fill_null(0) / full_lic).clip(0.0, 1.0))
    economic = {"main_product": pl.col("main_product").fill_null(False).cast(pl.Float64),
                "licensing": licensing, "market_coverage": pl.col("ind_family_size")}
    dims = weights["dimensions"]
    lf = lf.with_columns(
        _weighted(legal, dims["legal"]["indicators"]).alias("legal_degree"),
        _weighted(technical, dims["technical"]["indicators"]).alias("technical_degree"),
        _weighted(economic, dims["economic"]["indicators"]).alias("economic_degree"),
    )
    wsum = sum(float(dims[d]["weight"]) for d in ("legal", "technical", "economic"))
    quality = 100.0 * (float(dims["legal"]["weight"]) * pl.col("legal_degree")
                       + float(dims["technical"]["weight"]) * pl.col("technical_degree")
                       + float(dims["economic"]["weight"]) * pl.col("economic_degree")) / wsum
    stars = pl.lit(1)
    for band in sorted(weights["stars"], key=lambda b: b["min"]):
        stars = pl.when(pl.col("quality") >= band["min"]).then(pl.lit(band["stars"])).otherwise(stars)
    lf = lf.with_columns(quality.clip(0.0, 100.0).alias("quality")).with_columns(stars.cast(pl.Int8).alias("stars"))
    drop = [c for c in lf.collect_schema().names() if c.startswith(("f_", "c_", "__max_"))]
    return lf.drop(drop).collect()


def quality_indicators(patents: pl.DataFrame, as_of: dt.date, weights: dict[str, Any]) -> pl.DataFrame:
    """Both steps on one machine."""
    return score_quality(patents, cohort_stats(patents), as_of, weights)
