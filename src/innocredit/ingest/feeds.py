"""The department feeds: one typed schema per source (the contract for readers, the
demo-data generator and feature building). Documented in ``docs/data-feeds.md``.

A feed directory holds files whose name starts with the feed id, e.g. ``tax.csv``,
``tax_2025.parquet``, ``ip_office.jsonl``. Every row is keyed by ``uscc`` and ``as_of``
(plus the feed's own key columns); a newer ``as_of`` supersedes an older one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from innocredit.ingest.tables import FieldSpec, uscc_valid_mask
from innocredit.profile.features import LOAN_PURPOSES, SPECIALIZED_LEVELS, TAX_CREDIT_RATINGS
from innocredit.profile.industry import industry_code_error, industry_code_valid_expr
from innocredit.profile.qualifications import CERTIFICATE_STATUSES, QUALIFICATIONS
from innocredit.profile.uscc import uscc_error, uscc_valid_expr

REGISTRY_STATUSES = ("active", "suspended", "revoked", "cancelled")
IP_KINDS = ("invention", "utility_model", "design", "software_copyright", "trademark", "ic_layout",
            "plant_variety", "new_drug")
IP_STATUSES = ("pending", "granted", "lapsed", "invalidated", "expired")
LOAN_STATUSES = ("active", "repaid", "overdue", "defaulted", "written_off")

_S, _D, _B, _I, _F = pl.String, pl.Date, pl.Boolean, pl.Int64, pl.Float64


def _uscc() -> FieldSpec:
    return FieldSpec("uscc", _S, required=True, valid=uscc_valid_expr, explain=uscc_error, valid_series=uscc_valid_mask)


def _as_of() -> FieldSpec:
    return FieldSpec("as_of", _D, required=True)


def _money(name: str, required: bool = False, signed: bool = False) -> FieldSpec:
    return FieldSpec(name, _F, required=required, non_negative=not signed)


def _count(name: str, required: bool = False) -> FieldSpec:
    return FieldSpec(name, _I, required=required, non_negative=True)


def _flag(name: str) -> FieldSpec:
    return FieldSpec(name, _B)


@dataclass(frozen=True)
class Feed:
    id: str
    source: str  # the department that sends it
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]  # columns that identify one fact; with as_of they identify one row

    @property
    def row_key(self) -> tuple[str, ...]:
        return (*self.key, "as_of")

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


REGISTRY = Feed("registry", "market regulation (市场监管) registry", (
    _uscc(), _as_of(),
    FieldSpec("name", _S, required=True),
    FieldSpec("registered_on", _D, required=True),
    FieldSpec("industry_code", _S, required=True, valid=industry_code_valid_expr, explain=industry_code_error),
    FieldSpec("region_code", _S, required=True, valid=lambda c: pl.col(c).str.contains(r"^\d{6}$"),
              explain=lambda v: f"region code {v!r} is not 6 digits"),
    FieldSpec("status", _S, required=True, choices=REGISTRY_STATUSES),
    _money("registered_capital"),
    _flag("abnormal_operations"),
    _flag("prohibited_products"),
), ("uscc",))

TAX = Feed("tax", "tax bureau (税务) annual returns, one row per fiscal year", (
    _uscc(), _as_of(),
    FieldSpec("fiscal_year", _I, required=True, non_negative=True),
    _money("revenue"), _money("main_business_revenue"), _money("high_tech_revenue"), _money("total_costs"),
    _money("net_profit", signed=True), _money("total_assets"), _money("liabilities"),
    _money("net_assets", signed=True), _money("taxes_paid"), _money("rd_expense"),
    _money("rd_expense_domestic"), _money("rd_super_deduction"), _money("exports"),
    FieldSpec("tax_credit_rating", _S, choices=TAX_CREDIT_RATINGS),
), ("uscc", "fiscal_year"))

SOCIAL_INSURANCE = Feed("social_insurance", "human resources and social security (人社) contributions", (
    _uscc(), _as_of(), _count("employees", required=True),
), ("uscc",))

SCIENCE_TECH = Feed("science_tech", "science and technology department (科技) records", (
    _uscc(), _as_of(),
    _count("tech_staff"), _count("rd_staff"), _count("masters_phd_staff"), _count("talent_programme_members"),
    _flag("high_tech_certified"), FieldSpec("high_tech_cert_expires", _D), _flag("tech_sme_registered"),
    FieldSpec("specialized_level", _S, choices=SPECIALIZED_LEVELS),
    _flag("provincial_rd_institution"), _flag("national_award_5y"), _flag("provincial_award_3y"),
    _flag("led_standard_5y"), _flag("strategic_emerging"), FieldSpec("years_in_niche", _F, non_negative=True),
    _money("tech_contract_turnover"), _count("results_commercialized_3y"), _money("government_subsidies_3y"),
    _money("equity_financing_3y"), _flag("ip_self_developed"),
), ("uscc",))

IP_OFFICE = Feed("ip_office", "IP office (知识产权局): one row per patent, copyright, trademark or layout design", (
    _uscc(), _as_of(),
    FieldSpec("patent_id", _S, required=True),
    FieldSpec("kind", _S, required=True, choices=IP_KINDS),
    FieldSpec("status", _S, required=True, choices=IP_STATUSES),
    FieldSpec("filing_date", _D), FieldSpec("grant_date", _D),
    _count("claims"), _count("independent_claims"), _count("forward_citations"), _count("backward_citations"),
    _count("family_size"), FieldSpec("ipc_main", _S),
    _flag("main_product"), _flag("high_value"),
    _count("licences"), _flag("exclusive_licence"), _count("transfers"), _flag("litigation_pending"),
    _flag("pledged"),
), ("uscc", "patent_id"))

COURTS = Feed("courts", "courts and credit (法院/信用): dishonesty list, enforcement, incidents", (
    _uscc(), _as_of(),
    _flag("serious_dishonesty"), _count("open_enforcement_cases"), _flag("major_incident_recent"),
), ("uscc",))

BANK_LOANS = Feed("bank_loans", "banks: existing loans and repayment history, one row per loan", (
    _uscc(), _as_of(),
    FieldSpec("loan_id", _S, required=True), FieldSpec("bank_id", _S, required=True),
    FieldSpec("product_kind", _S), _money("amount", required=True), FieldSpec("rate", _F, non_negative=True),
    FieldSpec("disbursed_on", _D, required=True), FieldSpec("maturity_on", _D), _flag("secured"),
    _money("outstanding"), _count("days_past_due"), FieldSpec("status", _S, choices=LOAN_STATUSES),
    FieldSpec("default_12m", _I, valid=lambda c: pl.col(c).is_in([0, 1]),
              explain=lambda v: f"default_12m must be 0 or 1, not {v!r}"),
), ("uscc", "loan_id"))

APPLICATIONS = Feed("applications", "financing needs from visits or self-applications (申报)", (
    _uscc(), _as_of(),
    _money("requested_amount", required=True), _count("requested_term_months"),
    FieldSpec("loan_purpose", _S, choices=LOAN_PURPOSES), _money("order_backlog"),
), ("uscc",))

CERTIFICATES = Feed("certificates", "S&T department and MIIT (科技/工信): qualification certificates and official "
                    "lists, one row per certificate", (
    _uscc(), _as_of(),
    FieldSpec("qualification", _S, required=True, choices=QUALIFICATIONS),
    FieldSpec("certificate_no", _S, required=True),
    FieldSpec("issued_on", _D, required=True),
    FieldSpec("expires_on", _D, not_before="issued_on"),
    FieldSpec("status", _S, choices=CERTIFICATE_STATUSES),
    FieldSpec("issuer", _S),
), ("uscc", "qualification", "certificate_no"))

FEEDS: dict[str, Feed] = {f.id: f for f in (REGISTRY, TAX, SOCIAL_INSURANCE, SCIENCE_TECH, IP_OFFICE, COURTS,
                                            BANK_LOANS, APPLICATIONS, CERTIFICATES)}

# Class I / Class II IP kinds (spec/features.md)
CLASS1_KINDS = ("invention", "plant_variety", "new_drug", "ic_layout")
CLASS2_KINDS = ("utility_model", "design", "software_copyright")
VALID_IP_STATUSES = ("granted",)
