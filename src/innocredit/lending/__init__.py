"""Lending: product catalogue (``products/*.yaml``), eligibility decision tables, limits and pricing,
guarantee risk sharing (``schemes/*.yaml``), repayment schedules and the loan lifecycle.

Public API::

    load_products(dir=None) -> list[Product]      load_schemes(dir=None) -> dict[str, Scheme]
    load_policy(lpr=None, sla_working_days=None) -> Policy   (LPR, floor, spreads, SLA, second approver)
    match(features, products=None, policy=None) -> pl.DataFrame      (long: uscc x product)
    match_one(features, uscc, ...) -> list[dict]                       (ranked, with product names)
    build_schedule(principal, rate, term_months, method, start, grace_months=0, day_count="30/360")
    allocate_loss(scheme, loss, pool=None, first_loan=False, unsecured=False)   guarantee_fees(...)

The use cases (apply, approve, contract, disburse ...) live in ``innocredit.services.lending``; the enrichment
from other areas that matching reads in ``innocredit.services.matching`` (see docs/lending.md).
"""

from innocredit.lending.lifecycle import LifecycleError, dpd_bucket, sla_due, transition
from innocredit.lending.matching import OUTPUT_SCHEMA, match, match_one
from innocredit.lending.pricing import price
from innocredit.lending.risk_sharing import allocate_loss, guarantee_fees
from innocredit.lending.schedules import build_schedule
from innocredit.lending.schema import PolicyError, load_policy, load_products, load_schemes

__all__ = [
    "OUTPUT_SCHEMA", "LifecycleError", "PolicyError", "allocate_loss", "build_schedule", "dpd_bucket",
    "guarantee_fees", "load_policy", "load_products", "load_schemes", "match", "match_one", "price", "sla_due",
    "transition",
]
