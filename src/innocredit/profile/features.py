"""The enterprise feature table (``shared/spec/features.md``): the contract between data and decisions.

Column names here are fixed. Money is CNY yuan, ratios are fractions, dates ISO.
A null means "unknown", never zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# GB/T 4754-2017 sections (门类) A..T
INDUSTRY_SECTIONS = frozenset("ABCDEFGHIJKLMNOPQRST")
SPECIALIZED_LEVELS = ("none", "innovative", "specialized", "little_giant")
TAX_CREDIT_RATINGS = ("A", "B", "M", "C", "D")
LOAN_PURPOSES = ("working_capital", "rd", "equipment", "order_fulfilment", "other")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: type[pl.DataType] | pl.DataType
    group: str
    meaning: str
    non_negative: bool = False
    choices: tuple[str, ...] | None = None


def _c(name: str, dtype: type[pl.DataType] | pl.DataType, group: str, meaning: str, **kw: object) -> Column:
    return Column(name, dtype, group, meaning, **kw)  # type: ignore[arg-type]


_MONEY = pl.Float64
_COUNT = pl.Int64

COLUMNS: tuple[Column, ...] = (
    # identity
    _c("uscc", pl.String, "identity", "unified social credit code"),
    _c("name", pl.String, "identity", "registered name"),
    _c("as_of", pl.Date, "identity", "date the row describes"),
    _c("registered_on", pl.Date, "identity", "date of establishment"),
    _c("industry_code", pl.String, "identity", "GB/T 4754-2017 code"),
    _c("region_code", pl.String, "identity", "administrative division code"),
    # scale and finance
    *(_c(n, _COUNT, "scale", m, non_negative=True) for n, m in (
        ("employees", "staff on the payroll"),
        ("tech_staff", "science and technology staff"),
        ("rd_staff", "R&D personnel"),
        ("masters_phd_staff", "staff with a master's or doctoral degree"),
        ("talent_programme_members", "members of provincial-or-higher talent programmes"),
    )),
    *(_c(n, _MONEY, "finance", m, non_negative=True) for n, m in (
        ("revenue", "sales revenue"),
        ("revenue_prev", "sales revenue, previous year"),
        ("revenue_prev2", "sales revenue, two years before"),
        ("main_business_revenue", "main-business revenue"),
        ("main_business_revenue_prev", "main-business revenue, previous year"),
        ("high_tech_revenue", "high-tech products and services revenue"),
        ("total_costs", "total costs and expenses"),
    )),
    _c("net_profit", _MONEY, "finance", "net profit"),
    _c("total_assets", _MONEY, "finance", "total assets", non_negative=True),
    _c("liabilities", _MONEY, "finance", "total liabilities", non_negative=True),
    _c("net_assets", _MONEY, "finance", "net assets"),
    _c("net_assets_prev", _MONEY, "finance", "net assets, previous year"),
    _c("net_assets_prev2", _MONEY, "finance", "net assets, two years before"),
    *(_c(n, _MONEY, "finance", m, non_negative=True) for n, m in (
        ("taxes_paid", "taxes paid"),
        ("rd_expense", "R&D expense"),
        ("rd_expense_prev", "R&D expense, previous year"),
        ("rd_expense_prev2", "R&D expense, two years before"),
        ("rd_expense_domestic_3y", "R&D spent in mainland China over three years"),
        ("equity_financing_3y", "equity financing over three years"),
        ("tech_contract_turnover", "technology contract turnover"),
    )),
    _c("results_commercialized_3y", _COUNT, "finance", "S&T results commercialized in three years", non_negative=True),
    _c("order_backlog", _MONEY, "finance", "signed, unfulfilled orders", non_negative=True),
    _c("government_subsidies_3y", _MONEY, "finance", "government subsidies over three years", non_negative=True),
    _c("exports", _MONEY, "finance", "customs-declared exports", non_negative=True),
    # intellectual property
    *(_c(n, _COUNT, "ip", m, non_negative=True) for n, m in (
        ("ip_class1", "Class I IP rights held"),
        ("ip_class2", "Class II IP rights held"),
        ("ip_class1_main_product", "Class I rights tied to main products"),
        ("ip_class2_main_product", "Class II rights tied to main products"),
        ("ip_class1_high_value", "high-value invention patents"),
    )),
    _c("ip_self_developed", pl.Boolean, "ip", "core IP from own R&D"),
    # qualifications
    _c("high_tech_certified", pl.Boolean, "qualification", "valid high-tech enterprise certificate"),
    _c("tech_sme_registered", pl.Boolean, "qualification", "registered tech-based SME this year"),
    _c("specialized_level", pl.String, "qualification", "specialized SME level", choices=SPECIALIZED_LEVELS),
    _c("high_tech_cert_expires", pl.Date, "qualification", "last valid day of the high-tech certificate"),
    _c("tech_sme_reg_expires", pl.Date, "qualification", "last valid day of the tech-SME registration"),
    _c("specialized_cert_expires", pl.Date, "qualification", "last valid day of the specialized-SME certificate"),
    _c("provincial_rd_institution", pl.Boolean, "qualification", "provincial-or-higher R&D institution"),
    _c("national_award_5y", pl.Boolean, "qualification", "national S&T award in five years"),
    _c("provincial_award_3y", pl.Boolean, "qualification", "provincial S&T award in three years"),
    _c("led_standard_5y", pl.Boolean, "qualification", "led a standard in five years"),
    _c("strategic_emerging", pl.Boolean, "qualification", "strategic emerging industry product"),
    _c("years_in_niche", pl.Float64, "qualification", "years in its niche market", non_negative=True),
    # negative information
    _c("serious_dishonesty", pl.Boolean, "negative", "on the serious dishonesty list"),
    _c("abnormal_operations", pl.Boolean, "negative", "on the abnormal operations list"),
    _c("major_incident_recent", pl.Boolean, "negative", "major incident in the current or previous year"),
    _c("prohibited_products", pl.Boolean, "negative", "prohibited or restricted products"),
    _c("tax_credit_rating", pl.String, "negative", "tax credit rating", choices=TAX_CREDIT_RATINGS),
    _c("open_enforcement_cases", _COUNT, "negative", "open court enforcement cases", non_negative=True),
    # financing need
    _c("requested_amount", _MONEY, "need", "amount sought", non_negative=True),
    _c("requested_term_months", _COUNT, "need", "term sought in months", non_negative=True),
    _c("loan_purpose", pl.String, "need", "purpose of the loan"),
    # outcome
    _c("default_12m", pl.Int8, "outcome", "1 when 90+ DPD or written off within 12 months"),
)

BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
FEATURE_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS)
SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {c.name: c.dtype for c in COLUMNS}
REQUIRED_COLUMNS: tuple[str, ...] = ("uscc",)


def empty_feature_table() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def conform(df: pl.DataFrame) -> pl.DataFrame:
    """Add absent spec columns as nulls (unknown) and cast spec columns to their types.

    Extra columns are kept after the spec columns. Casting is strict: callers
    validate values first (see ``innocredit.ingest.tables``).
    """
    exprs = []
    for col in COLUMNS:
        if col.name in df.columns:
            exprs.append(pl.col(col.name).cast(col.dtype, strict=True))
        else:
            exprs.append(pl.lit(None, dtype=col.dtype).alias(col.name))
    extra = [c for c in df.columns if c not in BY_NAME]
    return df.select(*exprs, *extra)


def industry_section(code: str | None) -> str | None:
    """The GB/T 4754 section letter of an industry code such as ``I6513``."""
    return code[0] if code else None


def industry_division(code: str | None) -> str | None:
    """The GB/T 4754 division (section letter + two digits), e.g. ``I65``."""
    return code[:3] if code and len(code) >= 3 else None
