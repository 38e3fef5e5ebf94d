"""The feature table (``spec/features.md``) built straight from the latent population.

It means the same as the table built from the generated feeds: latest fiscal year = FY2025,
``_prev`` = FY2024, ``_prev2`` = FY2023, three-year sums over FY2023-2025, employees = the
latest social-insurance snapshot, IP counts = valid (granted) rights in the IP office feed,
financing need from the applications feed, and ``default_12m`` = the outcome of the firm's
most recent loan (null for firms without a loan).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from innocredit.profile import features
from innocredit.profile.features import LOAN_PURPOSES, SPECIALIZED_LEVELS, TAX_CREDIT_RATINGS
from innocredit.synthetic import reference as ref
from innocredit.synthetic.ids import affine_permutation, uscc_series
from innocredit.synthetic.population import EPOCH_ORDINAL, Population, streams


def identity_frame(pop: Population) -> pl.DataFrame:
    """uscc, name, registered_on, industry_code, region_code (shared by the registry feed)."""
    n = pop.n
    rng = streams(pop.seed)[1]
    region_int = np.array([int(r[0]) for r in ref.REGIONS], dtype=np.int64)[pop["region"]]
    serials = affine_permutation(np.arange(n), 10**8, rng) if n <= 10**8 else None
    if serials is None:
        raise ValueError("at most 100,000,000 enterprises")
    uscc = uscc_series(region_int, serials)
    city_of_region = [ref.CITY_OF_PREFIX[r[0][:4]] for r in ref.REGIONS]
    chars = pl.Series(list(ref.NAME_CHARS))
    c1 = chars.gather(rng.integers(0, len(ref.NAME_CHARS), n))
    c2 = chars.gather(rng.integers(0, len(ref.NAME_CHARS), n))
    city = pl.Series(city_of_region).gather(pop["region"])
    suffix = pl.Series([ref.SECTOR_NAME_SUFFIX[s] for s in ref.SECTOR_IDS]).gather(pop["sector"])
    frame = pl.DataFrame({
        "uscc": uscc,
        "name_city": city, "c1": c1, "c2": c2, "suffix": suffix,
    }).select(
        "uscc",
        pl.concat_str(["name_city", "c1", "c2", "suffix", pl.lit("有限公司")]).alias("name"),
    )
    return frame.with_columns(
        pl.Series("registered_on", pop["registered_ord"] - EPOCH_ORDINAL).cast(pl.Date),
        pl.Series("industry_code", [i[0] for i in ref.INDUSTRIES]).gather(pop["industry"]),
        pl.Series("region_code", [r[0] for r in ref.REGIONS]).gather(pop["region"]),
    )


def _fy(pop: Population, name: str, idx: int) -> np.ndarray:
    return pop[f"fy_{name}"][:, idx]


def feature_table_from(pop: Population) -> pl.DataFrame:
    n = pop.n
    ident = identity_frame(pop)
    nan_sum = lambda a: np.where(np.isnan(a).all(axis=1), np.nan, np.nansum(a, axis=1))  # noqa: E731
    cols: dict[str, object] = {
        "as_of": pl.Series("as_of", [ref.AS_OF] * n, dtype=pl.Date) if n else [],
        "employees": pop["employees"],
        "tech_staff": pop["tech_staff"], "rd_staff": pop["rd_staff"],
        "masters_phd_staff": pop["masters_phd_staff"], "talent_programme_members": pop["talent_programme_members"],
        "revenue": _fy(pop, "revenue", 2), "revenue_prev": _fy(pop, "revenue", 1),
        "revenue_prev2": _fy(pop, "revenue", 0),
        "main_business_revenue": _fy(pop, "main_business_revenue", 2),
        "main_business_revenue_prev": _fy(pop, "main_business_revenue", 1),
        "high_tech_revenue": _fy(pop, "high_tech_revenue", 2),
        "total_costs": _fy(pop, "total_costs", 2), "net_profit": _fy(pop, "net_profit", 2),
        "total_assets": _fy(pop, "total_assets", 2), "liabilities": _fy(pop, "liabilities", 2),
        "net_assets": _fy(pop, "net_assets", 2), "net_assets_prev": _fy(pop, "net_assets", 1),
        "net_assets_prev2": _fy(pop, "net_assets", 0),
        "taxes_paid": _fy(pop, "taxes_paid", 2),
        "rd_expense": _fy(pop, "rd_expense", 2), "rd_expense_prev": _fy(pop, "rd_expense", 1),
        "rd_expense_prev2": _fy(pop, "rd_expense", 0),
        "rd_expense_domestic_3y": nan_sum(pop["fy_rd_expense_domestic"]),
        "equity_financing_3y": pop["equity_financing_3y"],
        "tech_contract_turnover": pop["tech_contract_turnover"],
        "results_commercialized_3y": pop["results_commercialized_3y"],
        "order_backlog": np.where(pop["applies"], pop["order_backlog"], np.nan),
        "government_subsidies_3y": pop["government_subsidies_3y"],
        "exports": _fy(pop, "exports", 2),
        "ip_class1": pop["ip_class1"], "ip_class2": pop["ip_class2"],
        "ip_class1_main_product": pop["ip_class1_main_product"],
        "ip_class2_main_product": pop["ip_class2_main_product"],
        "ip_class1_high_value": pop["ip_class1_high_value"],
        "ip_self_developed": pop["ip_self_developed"],
        "high_tech_certified": pop["high_tech_certified"],
        "tech_sme_registered": pop["tech_sme_registered"],
        "specialized_level": pl.Series(SPECIALIZED_LEVELS).gather(pop["specialized_level"]),
        "provincial_rd_institution": pop["provincial_rd_institution"],
        "national_award_5y": pop["national_award_5y"], "provincial_award_3y": pop["provincial_award_3y"],
        "led_standard_5y": pop["led_standard_5y"], "strategic_emerging": pop["strategic_emerging"],
        "years_in_niche": pop["years_in_niche"],
        "serious_dishonesty": pop["serious_dishonesty"], "abnormal_operations": pop["abnormal_operations"],
        "major_incident_recent": pop["major_incident_recent"], "prohibited_products": pop["prohibited_products"],
        "tax_credit_rating": pl.Series(TAX_CREDIT_RATINGS).gather(pop["tax_rating_index"]),
        "open_enforcement_cases": pop["open_enforcement_cases"],
    }
    df = pl.DataFrame(cols, nan_to_null=True)
    applies = pl.Series(pop["applies"])
    need = pl.DataFrame({
        "requested_amount": pop["requested_amount"],
        "requested_term_months": pop["requested_term_months"],
        "loan_purpose": pl.Series(LOAN_PURPOSES).gather(pop["loan_purpose"]),
        "default_12m": np.where(pop["defaulted"], 1, 0).astype(np.int8),
    }).with_columns(
        pl.when(applies).then(pl.col(c)).otherwise(None).alias(c)
        for c in ("requested_amount", "requested_term_months", "loan_purpose")
    ).with_columns(
        pl.when(pl.Series(pop["n_loans"] > 0)).then(pl.col("default_12m")).otherwise(None).alias("default_12m"),
    )
    out = pl.concat([ident, df, need], how="horizontal")
    return features.conform(out)


def feature_table(n: int, seed: int) -> pl.DataFrame:
    """A realistic feature table of ``n`` enterprises (spec/features.md columns, in order).

    ``default_12m`` is 0/1 for firms with a loan history and null otherwise. Same ``(n, seed)``
    -> same table. Agrees in meaning with the feeds from :func:`generate_feeds` for the same
    ``(n, seed)``.
    """
    from innocredit.synthetic.population import draw_population

    return feature_table_from(draw_population(n, seed))
