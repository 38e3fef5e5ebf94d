"""Derived model features from the enterprise feature table (vectorized polars expressions).

Ratios with a zero or unknown denominator are null (unknown), never zero. The groups used by
``risk compare`` ("balance_sheet" vs "technology") and the monotonic trends live in
``policies/model_features.yaml``.
"""

from __future__ import annotations

import polars as pl

from innocredit.risk.policy import feature_groups

KEEP = ("uscc", "as_of", "industry_code", "region_code", "registered_on", "default_12m")


def _ratio(num: str | pl.Expr, den: str | pl.Expr) -> pl.Expr:
    n = pl.col(num) if isinstance(num, str) else num
    d = pl.col(den) if isinstance(den, str) else den
    return pl.when(d > 0).then(n.cast(pl.Float64) / d.cast(pl.Float64)).otherwise(None)


def _log1p(col: str) -> pl.Expr:
    return pl.when(pl.col(col) >= 0).then(pl.col(col).cast(pl.Float64).log1p()).otherwise(None)


def _b(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Int32).fill_null(0)


def model_feature_exprs() -> dict[str, pl.Expr]:
    return {
        "leverage": _ratio("liabilities", "total_assets"),
        "roa": _ratio("net_profit", "total_assets"),
        "net_margin": _ratio("net_profit", "revenue"),
        "log_revenue": _log1p("revenue"),
        "log_total_assets": _log1p("total_assets"),
        "log_net_assets": pl.when(pl.col("net_assets") >= 0).then(pl.col("net_assets").log1p())
        .when(pl.col("net_assets") < 0).then(-(-pl.col("net_assets")).log1p()).otherwise(None),
        "revenue_growth": _ratio("revenue", "revenue_prev") - 1.0,
        "net_assets_growth": _ratio("net_assets", "net_assets_prev") - 1.0,
        "tax_to_revenue": _ratio("taxes_paid", "revenue"),
        "firm_age_years": (pl.col("as_of") - pl.col("registered_on")).dt.total_days().cast(pl.Float64) / 365.25,
        "log_employees": _log1p("employees"),
        "loan_to_revenue": _ratio("requested_amount", "revenue"),
        "tax_credit_rating": pl.col("tax_credit_rating").cast(pl.String),
        "negative_records": (_b("serious_dishonesty") + _b("abnormal_operations") + _b("major_incident_recent")
                             + _b("prohibited_products") + pl.col("open_enforcement_cases").fill_null(0)
                             ).cast(pl.Float64),
        "rd_intensity": _ratio("rd_expense", "revenue"),
        "rd_growth": _ratio("rd_expense", "rd_expense_prev") - 1.0,
        "tech_staff_share": _ratio("tech_staff", "employees"),
        "masters_phd_share": _ratio("masters_phd_staff", "employees"),
        "talent_members": pl.col("talent_programme_members").cast(pl.Float64),
        "invention_patents": pl.col("ip_class1").cast(pl.Float64),
        "class2_ip": pl.col("ip_class2").cast(pl.Float64),
        "high_value_patents": pl.col("ip_class1_high_value").cast(pl.Float64),
        "high_tech_revenue_share": _ratio("high_tech_revenue", "revenue"),
        "tech_contracts_to_revenue": _ratio("tech_contract_turnover", "revenue"),
        "results_commercialized": pl.col("results_commercialized_3y").cast(pl.Float64),
        "log_equity_financing": _log1p("equity_financing_3y"),
        "order_backlog_to_revenue": _ratio("order_backlog", "revenue"),
        "qualification_count": (_b("high_tech_certified") + _b("tech_sme_registered") + _b("provincial_rd_institution")
                                + _b("national_award_5y") + _b("provincial_award_3y") + _b("led_standard_5y")
                                + _b("strategic_emerging")).cast(pl.Float64),
        "specialized_level": pl.col("specialized_level").cast(pl.String),
    }


def model_features(df: pl.DataFrame) -> pl.DataFrame:
    """The model features of ``df`` (a feature table), keeping identity/segment columns and ``default_12m``.

    Spec columns absent from ``df`` are treated as unknown (null).
    """
    from innocredit.profile.features import SCHEMA

    missing = [pl.lit(None, dtype=SCHEMA[c]).alias(c) for c in SCHEMA if c not in df.columns]
    base = df.with_columns(missing) if missing else df
    exprs = model_feature_exprs()
    keep = [c for c in KEEP if c in df.columns]
    return base.select(*keep, *(e.alias(name) for name, e in exprs.items()))


def feature_sets() -> dict[str, list[str]]:
    """``balance_sheet`` ("看报表") and ``technology`` = balance sheet + innovation, IP and talent ("看技术")."""
    groups = feature_groups()
    bs = [f for f, g in groups.items() if g == "balance_sheet"]
    tech = [f for f, g in groups.items() if g == "technology"]
    return {"balance_sheet": bs, "technology": bs + tech}
