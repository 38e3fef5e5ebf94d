"""The feature table (``spec/features.md``) built straight from the latent population.

It means the same as the table built from the generated feeds: latest fiscal year = FY2025,
``_prev`` = FY2024, ``_prev2`` = FY2023, three-year sums over FY2023-2025, employees = the
latest social-insurance snapshot, IP counts = valid (granted) rights in the IP office feed,
financing need from the applications feed, and ``default_12m`` = the outcome of the firm's
most recent loan (null for firms without a loan).
"""

from __future__ import annotations

import datetime as dt

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


def _days_of(d: dt.date) -> int:
    return d.toordinal() - EPOCH_ORDINAL


def _as_dates(days: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.float64), nan_to_null=True).cast(pl.Int32).cast(pl.Date)


def certificate_dates(pop: Population) -> dict[str, pl.Series]:
    """Each firm's certificate issue dates and last valid days (null where it holds none), valid on the as-of
    date. No random draw (the other feeds do not change): dates are spread by the firm's index.

    * 高新: issued in the second half of its issue year; valid three years from issue (国科发火〔2016〕32号);
    * 科技型中小企业 入库: registered this year before the as-of date; valid to 31 December;
    * 专精特新 tiers: issued from July 2023 to the as-of date; valid three years (工信部企业〔2022〕63号), so
      some lapse within a quarter of the as-of date (the early warning has something to show)."""
    n, idx = pop.n, np.arange(pop.n)
    as_of = _days_of(ref.AS_OF)
    first = np.array([_days_of(dt.date(y, 7, 1)) for y in range(2023, 2026)])[pop["cert_issue_year"] - 2023]
    ht = first + (idx * 7919) % 184
    year0 = _days_of(dt.date(ref.AS_OF.year, 1, 5))
    ts = year0 + (idx * 104729) % max(1, as_of - year0)
    sp0 = _days_of(dt.date(2023, 7, 1))
    sp = sp0 + (idx * 15485863) % max(1, as_of - sp0)
    held_ht = np.asarray(pop["high_tech_certified"], dtype=bool)
    held_ts = np.asarray(pop["tech_sme_registered"], dtype=bool)
    held_sp = np.asarray(pop["specialized_level"]) > 0
    nan = np.full(n, np.nan)
    ht_on = _as_dates(np.where(held_ht, ht, nan))
    sp_on = _as_dates(np.where(held_sp, sp, nan))
    year_end = _as_dates(np.where(held_ts, _days_of(dt.date(ref.AS_OF.year, 12, 31)), nan))
    return {"high_tech_issued": ht_on, "high_tech_cert_expires": ht_on.dt.offset_by("3y"),
            "tech_sme_issued": _as_dates(np.where(held_ts, ts, nan)), "tech_sme_reg_expires": year_end,
            "specialized_issued": sp_on,
            "specialized_cert_expires": sp_on.dt.offset_by("3y")}


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
        **{k: v for k, v in certificate_dates(pop).items() if k.endswith("_expires")},
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
