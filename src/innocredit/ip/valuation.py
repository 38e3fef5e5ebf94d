"""Patent valuation: relief from royalty (income approach) with the cost approach as the floor.

Per patent (all vectorized; see ``docs/ip.md`` for the method and its sources):

- attributed revenue: the firm's main-business revenue (``main_business_revenue``, else ``revenue``) is
  shared among its in-force or pending main-product patents in proportion to their quality score;
- royalty rate: the industry range of ``tables/royalty_rates.yaml`` (GB/T 4754 division, else section,
  else default); base = low + (high - low) * quality / 100, the low and high scenarios use the range ends;
- yearly relief A = attributed revenue * royalty * (1 - tax) (15% for certified high-tech firms, else 25%);
- economic life N = min(remaining statutory life, the kind's cap); the stream declines by ``decay`` a year;
- discount rate r = scenario rate + the kind's technology risk premium;
- value = A / (1 + r) * (1 - q**N) / (1 - q) with q = (1 - decay) / (1 + r), i.e.
  sum over t = 1..N of A (1 - decay)**(t-1) / (1 + r)**t (the formula continues it to fractional N);
- pending applications are multiplied by the kind's grant probability; lapsed, invalidated and expired
  rights are worth 0;
- patents with no attributed revenue take the cost approach: replacement cost * remaining life / term.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from innocredit.ip.config import Tables, load_tables
from innocredit.ip.quality import CohortStats, quality_indicators, score_quality

SCENARIOS = ("low", "base", "high")
FEATURE_INPUTS = ("uscc", "as_of", "industry_code", "revenue", "main_business_revenue", "high_tech_certified")
PATENT_DEFAULTS: dict[str, pl.DataType] = {
    "claims": pl.Int64(), "independent_claims": pl.Int64(), "forward_citations": pl.Int64(),
    "backward_citations": pl.Int64(), "family_size": pl.Int64(), "ipc_main": pl.String(), "main_product": pl.Boolean(),
    "licences": pl.Int64(), "exclusive_licence": pl.Boolean(), "transfers": pl.Int64(),
    "litigation_pending": pl.Boolean(), "pledged": pl.Boolean(), "grant_date": pl.Date(), "filing_date": pl.Date(),
    "high_value": pl.Boolean(),
}


def _complete(patents: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in PATENT_DEFAULTS.items() if c not in patents.columns]
    return patents.with_columns(missing) if missing else patents


def latest_features(features: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per firm: the latest feature row on or before ``as_of`` (only the columns valuation needs)."""
    cols = [c for c in FEATURE_INPUTS if c in features.columns]
    f = features.select(cols)
    for c, t in (("industry_code", pl.String), ("revenue", pl.Float64), ("main_business_revenue", pl.Float64),
                 ("high_tech_certified", pl.Boolean)):
        if c not in f.columns:
            f = f.with_columns(pl.lit(None, dtype=t).alias(c))
    if "as_of" in f.columns:
        f = f.filter(pl.col("as_of").is_null() | (pl.col("as_of") <= as_of)).sort("as_of", nulls_last=False)
    return f.group_by("uscc", maintain_order=True).last().drop("as_of", strict=False)


def _kind_lookup(mapping: dict[str, float], default: float | None = None) -> pl.Expr:
    return pl.col("kind").replace_strict(mapping, default=default, return_dtype=pl.Float64)


def royalty_table(royalty: dict[str, Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    div = royalty.get("divisions") or {}
    sec = royalty.get("sections") or {}
    d = pl.DataFrame({"__division": list(div), "__div_low": [v["low"] for v in div.values()],
                      "__div_high": [v["high"] for v in div.values()]},
                     schema={"__division": pl.String, "__div_low": pl.Float64, "__div_high": pl.Float64})
    s = pl.DataFrame({"__section": list(sec), "__sec_low": [v["low"] for v in sec.values()],
                      "__sec_high": [v["high"] for v in sec.values()]},
                     schema={"__section": pl.String, "__sec_low": pl.Float64, "__sec_high": pl.Float64})
    return d, s


def value_patents(patents: pl.DataFrame, features: pl.DataFrame | None, as_of: dt.date,
                  assumptions: Tables | None = None, stats: CohortStats | None = None) -> pl.DataFrame:
    """Quality, stars and low / base / high value of every patent (see the module doc for the method).

    ``stats``: cohort statistics computed beforehand over the whole patent table (``cohort_stats``, merged
    with ``CohortStats.combine``). With them, any partition that holds whole firms (partition by ``uscc``)
    is valued exactly as in one run over the whole table, which is how a distributed engine runs it.
    """
    tables = assumptions or load_tables()
    v = tables.valuation
    full = _complete(patents)
    scored = (score_quality(full, stats, as_of, tables.quality) if stats is not None
              else quality_indicators(full, as_of, tables.quality))
    feats = latest_features(features, as_of) if features is not None and features.height else latest_features(
        pl.DataFrame(schema={"uscc": pl.String}), as_of)
    lf = scored.lazy().join(feats.lazy(), on="uscc", how="left", maintain_order="left")
    alive = pl.col("status_effective").is_in(["granted", "pending"])
    earning = alive & pl.col("main_product").fill_null(False)
    firm_revenue = pl.coalesce(pl.col("main_business_revenue"), pl.col("revenue")).fill_null(0.0)
    q_weight = pl.when(earning).then(pl.col("quality").clip(1.0, None)).otherwise(0.0)
    lf = lf.with_columns(q_weight.alias("__qw")).with_columns(
        pl.when(earning & (pl.col("__qw").sum().over("uscc") > 0))
        .then(firm_revenue * pl.col("__qw") / pl.col("__qw").sum().over("uscc"))
        .otherwise(0.0).alias("attributed_revenue"))
    div, sec = royalty_table(tables.royalty)
    lf = (lf.with_columns(pl.col("industry_code").str.slice(0, 3).alias("__division"),
                          pl.col("industry_code").str.slice(0, 1).alias("__section"))
          .join(div.lazy(), on="__division", how="left", maintain_order="left")
          .join(sec.lazy(), on="__section", how="left", maintain_order="left"))
    dflt = tables.royalty["default"]
    low = pl.coalesce("__div_low", "__sec_low", pl.lit(float(dflt["low"])))
    high = pl.coalesce("__div_high", "__sec_high", pl.lit(float(dflt["high"])))
    lf = lf.with_columns(
        low.alias("royalty_rate_low"), high.alias("royalty_rate_high"),
        (low + (high - low) * pl.col("quality") / 100.0).alias("royalty_rate_base"),
        pl.when(pl.col("high_tech_certified").fill_null(False)).then(float(v["tax_rate_high_tech"]))
        .otherwise(float(v["tax_rate"])).alias("tax_rate"),
        pl.min_horizontal(pl.col("remaining_life_years").fill_null(0.0),
                          _kind_lookup(v["economic_life_cap_years"], 0.0)).alias("economic_life_years"),
        _kind_lookup(v["risk_premium"], 0.05).alias("risk_premium"),
        pl.when(pl.col("status_effective") == "granted").then(1.0)
        .when(pl.col("status_effective") == "pending").then(_kind_lookup(v["grant_probability"], 0.5))
        .otherwise(0.0).alias("legal_factor"),
    )
    n = pl.col("economic_life_years")
    cost = _kind_lookup(v["replacement_cost"], 0.0) * (
        pl.col("remaining_life_years").fill_null(0.0) / pl.col("statutory_term_years").cast(pl.Float64)
    ).fill_null(0.0).fill_nan(0.0).clip(0.0, 1.0)
    scen: list[pl.Expr] = []
    for i, s in enumerate(SCENARIOS):
        r = float(v["discount_rate"][i]) + pl.col("risk_premium")
        g = 1.0 - float(v["decay"][i])
        qq = g / (1.0 + r)
        annual = pl.col("attributed_revenue") * pl.col(f"royalty_rate_{s}") * (1.0 - pl.col("tax_rate"))
        income = annual / (1.0 + r) * (1.0 - qq.pow(n)) / (1.0 - qq)
        cost_s = cost * float(v["cost_scenario"][i])
        value = pl.when(pl.col("attributed_revenue") > 0).then(income).otherwise(cost_s) * pl.col("legal_factor")
        scen.append(value.alias(f"value_{s}"))
        if s == "base":
            scen.append(r.alias("discount_rate_base"))
            scen.append(pl.lit(float(v["decay"][i])).alias("decay_base"))
            scen.append((income * pl.col("legal_factor")).alias("income_value_base"))
            scen.append((cost_s * pl.col("legal_factor")).alias("cost_value_base"))
    lf = lf.with_columns(scen).with_columns(
        pl.when(pl.col("legal_factor") == 0).then(pl.lit("nil"))
        .when(pl.col("attributed_revenue") > 0).then(pl.lit("income")).otherwise(pl.lit("cost")).alias("method"),
        pl.lit(_provenance(tables)).alias("assumptions_id"),
    )
    drop = [c for c in lf.collect_schema().names() if c.startswith("__")]
    return lf.drop(drop).collect()


def _provenance(tables: Tables) -> str:
    return ";".join(f"{k}={v}" for k, v in tables.provenance().items())


def describe_assumptions(tables: Tables | None = None) -> dict[str, Any]:
    """Every assumption of a valuation, for printing beside the values."""
    t = tables or load_tables()
    return {"provenance": t.provenance(), "valuation": t.valuation, "royalty_rates": t.royalty,
            "quality_weights": t.quality,
            "formula": "value = A/(1+r) * (1-q^N)/(1-q), q=(1-decay)/(1+r), A = attributed revenue * royalty "
                       "* (1 - tax); cost approach = replacement cost * remaining life / term when no revenue"}


def relief_from_royalty(revenue: float, royalty: float, tax: float, years: float, discount: float,
                        decay: float) -> float:
    """Scalar twin of the vectorized formula (for tests, explanations and the per-patent peer)."""
    q = (1.0 - decay) / (1.0 + discount)
    annual = revenue * royalty * (1.0 - tax)
    return annual / (1.0 + discount) * (1.0 - q ** years) / (1.0 - q)
