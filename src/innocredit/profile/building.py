"""Build the feature table (``spec/features.md``) from department feed frames, as of a date.

Pure polars, no I/O: the caller passes one frame per feed id (columns as in the feed schemas of
``docs/data-feeds.md``; extra columns such as lineage are ignored). The mapping, and the meaning of
"as of D", are documented in ``docs/data-feeds.md``:

* every value as of D is taken from the latest row with ``as_of <= D`` for its key;
* an enterprise absent from a feed gets nulls (unknown) for that feed's columns, never 0;
* IP counts come from the patent rows (status ``granted`` and granted on or before D); an enterprise
  with no patent rows counts 0 only when the IP office feed itself is present as of D;
* qualifications (高新, 科技型中小企业 入库, 专精特新 tiers) are "valid on D": from the certificates feed when it is
  present as of D (``profile.qualifications``; a firm without a certificate holds none), else from the S&T
  record's flags, the 高新 flag only while its certificate has not expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from innocredit.profile import features, qualifications

# Class I / Class II rights (spec/features.md, 科技型中小企业评价办法 Ⅰ类/Ⅱ类知识产权)
CLASS1_KINDS = ("invention", "plant_variety", "new_drug", "ic_layout")
CLASS2_KINDS = ("utility_model", "design", "software_copyright")
DEFAULTED_LOAN_STATUSES = ("defaulted", "written_off")
DEFAULT_DPD = 90

REGISTRY_COLUMNS = ("name", "registered_on", "industry_code", "region_code", "abnormal_operations",
                    "prohibited_products")
TAX_CURRENT = ("revenue", "main_business_revenue", "high_tech_revenue", "total_costs", "net_profit", "total_assets",
               "liabilities", "net_assets", "taxes_paid", "rd_expense", "exports", "tax_credit_rating")
TAX_PREV = ("revenue", "main_business_revenue", "net_assets", "rd_expense")
TAX_PREV2 = ("revenue", "net_assets", "rd_expense")
SCIENCE_TECH_COLUMNS = ("tech_staff", "rd_staff", "masters_phd_staff", "talent_programme_members",
                        "tech_sme_registered", "specialized_level", "provincial_rd_institution", "national_award_5y",
                        "provincial_award_3y", "led_standard_5y", "strategic_emerging", "years_in_niche",
                        "tech_contract_turnover", "results_commercialized_3y", "government_subsidies_3y",
                        "equity_financing_3y", "ip_self_developed")
QUALIFICATION_COLUMNS = ("high_tech_certified", "high_tech_cert_expires", "tech_sme_registered", "tech_sme_reg_expires",
                         "specialized_level", "specialized_cert_expires")
COURTS_COLUMNS = ("serious_dishonesty", "open_enforcement_cases", "major_incident_recent")
APPLICATION_COLUMNS = ("requested_amount", "requested_term_months", "loan_purpose", "order_backlog")
IP_COUNT_COLUMNS = ("ip_class1", "ip_class2", "ip_class1_main_product", "ip_class2_main_product",
                    "ip_class1_high_value")


def latest(df: pl.DataFrame, key: list[str] | tuple[str, ...], as_of: dt.date | None) -> pl.DataFrame:
    """The latest row per ``key`` among rows with ``as_of <= as_of`` (all rows when ``as_of`` is None)."""
    if as_of is not None:
        df = df.filter(pl.col("as_of") <= as_of)
    return df.sort("as_of").unique(subset=list(key), keep="last", maintain_order=True)


def _present(feeds: Mapping[str, pl.DataFrame], fid: str) -> pl.DataFrame | None:
    df = feeds.get(fid)
    return df if df is not None and df.height else None


def _tax(tax: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    t = latest(tax, ("uscc", "fiscal_year"), as_of).filter(pl.col("fiscal_year") <= as_of.year)
    t = t.with_columns((pl.col("fiscal_year").max().over("uscc") - pl.col("fiscal_year")).alias("__lag"))
    t = t.filter(pl.col("__lag") <= 2)
    cur = t.filter(pl.col("__lag") == 0).select("uscc", *TAX_CURRENT)
    prev = t.filter(pl.col("__lag") == 1).select("uscc", *[pl.col(c).alias(f"{c}_prev") for c in TAX_PREV])
    prev2 = t.filter(pl.col("__lag") == 2).select("uscc", *[pl.col(c).alias(f"{c}_prev2") for c in TAX_PREV2])
    rd = pl.col("rd_expense_domestic")
    rd3 = t.group_by("uscc").agg(pl.when(rd.count() > 0).then(rd.sum()).alias("rd_expense_domestic_3y"))
    return (cur.join(prev, on="uscc", how="full", coalesce=True)
            .join(prev2, on="uscc", how="full", coalesce=True)
            .join(rd3, on="uscc", how="full", coalesce=True))


def _ip_counts(ip: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    p = latest(ip, ("uscc", "patent_id"), as_of)
    valid = (pl.col("status") == "granted") & (pl.col("grant_date").is_null() | (pl.col("grant_date") <= as_of))
    c1 = valid & pl.col("kind").is_in(CLASS1_KINDS)
    c2 = valid & pl.col("kind").is_in(CLASS2_KINDS)
    main = pl.col("main_product").fill_null(False)
    return p.group_by("uscc").agg(
        c1.sum().alias("ip_class1"),
        c2.sum().alias("ip_class2"),
        (c1 & main).sum().alias("ip_class1_main_product"),
        (c2 & main).sum().alias("ip_class2_main_product"),
        (valid & (pl.col("kind") == "invention") & pl.col("high_value").fill_null(False)).sum()
        .alias("ip_class1_high_value"),
    )


def loan_default_flag() -> pl.Expr:
    """One loan's 12-month default flag from its latest row: the bank's ``default_12m`` when given;
    else 1 when defaulted / written off / 90+ days past due; else 0 once the loan is repaid or 12 months
    since disbursement have been observed; else null (outcome not known yet)."""
    bad = pl.col("status").is_in(DEFAULTED_LOAN_STATUSES) | (pl.col("days_past_due") >= DEFAULT_DPD)
    observed = (pl.col("as_of") >= pl.col("disbursed_on").dt.offset_by("1y")) | (pl.col("status") == "repaid")
    derived = pl.when(bad.fill_null(False)).then(1).when(observed).then(0).otherwise(None)
    return pl.coalesce(pl.col("default_12m").cast(pl.Int64), derived)


def _default_12m(loans: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The outcome label: the 12-month default flag of the firm's most recent loan disbursed on or
    before ``as_of`` (several loans disbursed that same day: 1 if any defaulted); null for a firm
    without a loan or when that loan's outcome is not known yet. The outcome is read from each
    loan's latest stored row, also one after ``as_of``: it is a label for training on history
    (spec/features.md "Outcome"), the one column that looks past the date."""
    ln = latest(loans, ("uscc", "loan_id"), None).filter(pl.col("disbursed_on") <= as_of)
    ln = ln.filter(pl.col("disbursed_on") == pl.col("disbursed_on").max().over("uscc"))
    f = loan_default_flag()
    return ln.with_columns(f.alias("__flag")).group_by("uscc").agg(
        pl.when((pl.col("__flag") == 1).any()).then(1).when(pl.col("__flag").null_count() == 0).then(0)
        .otherwise(None).cast(pl.Int8).alias("default_12m")
    )


def _science_tech(st: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The S&T department's record; its 高新 flag counts only while the certificate it names is valid."""
    cert = pl.col("high_tech_certified") & (
        pl.col("high_tech_cert_expires").is_null() | (pl.col("high_tech_cert_expires") >= as_of))
    return latest(st, ("uscc",), as_of).select("uscc", *SCIENCE_TECH_COLUMNS, cert.alias("high_tech_certified"),
                                               pl.when(cert).then(pl.col("high_tech_cert_expires"))
                                               .alias("high_tech_cert_expires"))


def qualifications_as_of(science_tech: pl.DataFrame | None, certificates: pl.DataFrame | None,
                         as_of: dt.date) -> pl.DataFrame:
    """The qualification columns (``QUALIFICATION_COLUMNS``) valid on ``as_of`` of the firms in the frames given,
    by the same rule as :func:`build_features`: the certificates decide when any certificate row is known as of
    the date (a firm without one holds none), else the S&T record's flags. Used for one firm by the relending
    definition at a loan's date."""
    feeds = {k: v for k, v in (("science_tech", science_tech), ("certificates", certificates)) if v is not None}
    got = build_features(feeds, as_of) if feeds else features.empty_feature_table()
    return got.select("uscc", *QUALIFICATION_COLUMNS)


def build_features(feeds: Mapping[str, pl.DataFrame], as_of: dt.date) -> pl.DataFrame:
    """The feature table as of ``as_of``: one row per enterprise seen in any feed (see module doc)."""
    parts: list[pl.DataFrame] = []
    if (reg := _present(feeds, "registry")) is not None:
        parts.append(latest(reg, ("uscc",), as_of).select("uscc", *REGISTRY_COLUMNS))
    if (tax := _present(feeds, "tax")) is not None:
        parts.append(_tax(tax, as_of))
    if (si := _present(feeds, "social_insurance")) is not None:
        parts.append(latest(si, ("uscc",), as_of).select("uscc", "employees"))
    st = _present(feeds, "science_tech")
    if st is not None:
        parts.append(_science_tech(st, as_of))
    certs = _present(feeds, "certificates")
    certs_known = certs is not None and certs.filter(pl.col("as_of") <= as_of).height > 0
    if certs_known:
        assert certs is not None
        parts = [p.drop([c for c in QUALIFICATION_COLUMNS if c in p.columns]) for p in parts]
        parts.append(qualifications.qualification_columns(
            latest(certs, ("uscc", "qualification", "certificate_no"), as_of), as_of))
    ip = _present(feeds, "ip_office")
    ip_known = ip is not None and ip.filter(pl.col("as_of") <= as_of).height > 0
    if ip is not None:
        parts.append(_ip_counts(ip, as_of))
    if (courts := _present(feeds, "courts")) is not None:
        parts.append(latest(courts, ("uscc",), as_of).select("uscc", *COURTS_COLUMNS))
    if (apps := _present(feeds, "applications")) is not None:
        parts.append(latest(apps, ("uscc",), as_of).select("uscc", *APPLICATION_COLUMNS))
    if (loans := _present(feeds, "bank_loans")) is not None:
        parts.append(_default_12m(loans, as_of))

    universe = pl.concat([df.filter(pl.col("as_of") <= as_of).select("uscc") for df in feeds.values() if df.height]
                         or [pl.DataFrame(schema={"uscc": pl.String})]).unique()
    out = universe
    for part in parts:
        out = out.join(part, on="uscc", how="left")
    if ip_known:
        out = out.with_columns(pl.col(c).fill_null(0) for c in IP_COUNT_COLUMNS)
    if certs_known:  # the certificates feed decides for every firm: one without a certificate holds none
        out = out.with_columns(pl.col("high_tech_certified").fill_null(False),
                               pl.col("tech_sme_registered").fill_null(False),
                               pl.col("specialized_level").fill_null("none"))
    out = out.with_columns(pl.lit(as_of, dtype=pl.Date).alias("as_of"))
    return features.conform(out.select([c for c in out.columns if c in features.BY_NAME])).sort("uscc")
