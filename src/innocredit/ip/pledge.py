"""Pledge rates and loan capacity from a bank's pledge policy (``policies/pledge/<bank>.yaml``).

Per patent: pledgeable when its kind has a rate in the policy, its status is pledgeable (granted by default),
it is not already pledged, and its remaining life reaches the policy minimum. Its rate sits in the kind's
[min, max] by quality score; each haircut that applies multiplies it by (1 - cut). Per firm:
capacity = min(sum(value_base * rate), max_loan). Policy text: 《专利权质押登记办法》 (CNIPA order 2021),
CBIRC/CNIPA/NCAC 《关于进一步加强知识产权质押融资工作的通知》 (2019) for the haircut grounds.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from innocredit.ip.config import load_pledge_policy


def _haircut_condition(h: dict[str, Any]) -> pl.Expr:
    when = h["when"]
    if when == "remaining_life_under":
        return pl.col("remaining_life_years").fill_null(0.0) < float(h["years"])
    if when == "litigation_pending":
        return pl.col("litigation_pending").fill_null(False)
    if when == "exclusive_licence":
        return pl.col("exclusive_licence").fill_null(False)
    if when == "kind_in":
        return pl.col("kind").is_in(list(h["kinds"]))
    if when == "not_main_product":
        return ~pl.col("main_product").fill_null(False)
    raise ValueError(f"unknown haircut condition {when!r}")  # the schema prevents this


def pledge_rates(valued: pl.DataFrame, policy: dict[str, Any] | str) -> pl.DataFrame:
    """Add ``pledgeable``, ``pledge_rate``, ``haircuts`` (ids, ';'-joined) and ``pledge_capacity`` per patent."""
    pol = load_pledge_policy(policy) if isinstance(policy, str) else policy
    rates = pol["rates"]
    rmin = pl.col("kind").replace_strict({k: r["min"] for k, r in rates.items()}, default=None,
                                         return_dtype=pl.Float64)
    rmax = pl.col("kind").replace_strict({k: r["max"] for k, r in rates.items()}, default=None,
                                         return_dtype=pl.Float64)
    statuses = pol.get("pledgeable_statuses", ["granted"])
    min_life = float(pol.get("min_remaining_life_years", 0.0))
    status = pl.col("status_effective") if "status_effective" in valued.columns else pl.col("status")
    pledgeable = (rmin.is_not_null() & status.is_in(statuses) & ~pl.col("pledged").fill_null(False)
                  & (pl.col("remaining_life_years").fill_null(0.0) >= min_life) & (pl.col("value_base") > 0))
    factor = pl.lit(1.0)
    cut_ids: list[pl.Expr] = []
    for h in pol["haircuts"]:
        cond = _haircut_condition(h)
        factor = factor * pl.when(cond).then(1.0 - float(h["cut"])).otherwise(1.0)
        cut_ids.append(pl.when(cond).then(pl.lit(h["id"])))
    base_rate = rmin + (rmax - rmin) * pl.col("quality") / 100.0
    out = valued.with_columns(
        pledgeable.fill_null(False).alias("pledgeable"),
        pl.concat_str(cut_ids, separator=";", ignore_nulls=True).alias("haircuts") if cut_ids
        else pl.lit("").alias("haircuts"),
    ).with_columns(
        pl.when(pl.col("pledgeable")).then(base_rate * factor).otherwise(0.0).alias("pledge_rate"),
    ).with_columns(
        (pl.col("value_base") * pl.col("pledge_rate")).alias("pledge_capacity"),
        pl.lit(f"{pol['id']}@{pol['version']}").alias("pledge_policy"),
    )
    return out


def firm_capacity(valued: pl.DataFrame, policy: dict[str, Any] | str) -> pl.DataFrame:
    """Per firm: ip_value_low/base/high, ip_pledge_capacity (capped by max_loan), top_patent_share,
    n_patents, n_pledgeable, capped (bool) and the policy id."""
    pol = load_pledge_policy(policy) if isinstance(policy, str) else policy
    rated = pledge_rates(valued, pol) if "pledge_rate" not in valued.columns else valued
    cap = float(pol["max_loan"])
    out = rated.lazy().group_by("uscc").agg(
        pl.col("value_low").sum().alias("ip_value_low"),
        pl.col("value_base").sum().alias("ip_value_base"),
        pl.col("value_high").sum().alias("ip_value_high"),
        pl.col("value_base").max().alias("__top"),
        pl.col("pledge_capacity").sum().alias("__capacity"),
        pl.len().alias("n_patents"),
        pl.col("pledgeable").sum().cast(pl.Int64).alias("n_pledgeable"),
    ).with_columns(
        pl.when(pl.col("ip_value_base") > 0).then(pl.col("__top") / pl.col("ip_value_base")).otherwise(None)
        .alias("top_patent_share"),
        pl.min_horizontal(pl.col("__capacity"), pl.lit(cap)).alias("ip_pledge_capacity"),
        (pl.col("__capacity") > cap).alias("capped"),
        pl.lit(f"{pol['id']}@{pol['version']}").alias("pledge_policy"),
    ).drop("__top", "__capacity").sort("uscc")
    return out.select("uscc", "ip_value_low", "ip_value_base", "ip_value_high", "ip_pledge_capacity",
                      "top_patent_share", "n_patents", "n_pledgeable", "capped", "pledge_policy").collect()
