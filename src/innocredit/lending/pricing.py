"""Loan pricing: LPR + risk spread by grade - policy support, never below the funding floor.

spread(grade) = expected loss (PD of the grade x the product's LGD) + capital cost + operating cost
(+ the product's extra spread). A relending-eligible loan (the product qualifies for the PBoC
tech-innovation relending and the firm is on the policy credit list or a qualified tech SME) gets
the policy support subtracted and is priced at most at the policy cap (LPR + cap). The result is
never below the funding floor, and is rounded to 0.01 percentage point (one basis point).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from innocredit.lending.schema import Policy, Product

RATE_STEP = Decimal("0.0001")


def relending_expr(present: set[str] | frozenset[str]) -> pl.Expr:
    """Row qualifies for relending support: on the policy credit list or a qualified tech SME (null = no)."""
    flags = [pl.col(c).fill_null(False) for c in ("policy_credit_eligible", "tech_sme_qualified") if c in present]
    if not flags:
        return pl.lit(False)
    return pl.any_horizontal(flags)


def rate_expr(product: Product, policy: Policy, present: set[str] | frozenset[str]) -> pl.Expr:
    """Annual rate as a fraction (Float64), null when ``pd_grade`` is absent, null or unknown."""
    if "pd_grade" not in present:
        return pl.lit(None, dtype=pl.Float64)
    pd_ = pl.col("pd_grade").cast(pl.String).replace_strict(policy.grade_pd, default=None, return_dtype=pl.Float64)
    base = policy.lpr_1y + policy.capital_cost + policy.operating_cost + product.extra_spread
    rate = pd_ * product.lgd + base
    if product.relending_eligible:
        cap = policy.lpr_1y + policy.relending_cap_over_lpr
        supported = pl.min_horizontal(rate - policy.relending_support, pl.lit(cap))
        rate = pl.when(relending_expr(present)).then(supported).otherwise(rate)
    rate = pl.max_horizontal(rate, pl.lit(policy.funding_floor))
    rate = pl.when(pd_.is_null()).then(pl.lit(None, dtype=pl.Float64)).otherwise(rate)
    return rate.round(4, mode="half_away_from_zero")  # half-up like price() (rates are positive)


def price(product: Product, grade: str, policy: Policy, *, relending: bool = False) -> Decimal:
    """The same rule for one loan, in ``Decimal`` (used when an offer is recorded)."""
    if grade not in policy.grade_pd:
        raise ValueError(f"unknown PD grade {grade!r}; expected one of {', '.join(policy.grade_pd)}")
    d = lambda x: Decimal(str(x))  # noqa: E731
    rate = (d(policy.lpr_1y) + d(policy.grade_pd[grade]) * d(product.lgd) + d(policy.capital_cost)
            + d(policy.operating_cost) + d(product.extra_spread))
    if product.relending_eligible and relending:
        rate = min(rate - d(policy.relending_support), d(policy.lpr_1y) + d(policy.relending_cap_over_lpr))
    rate = max(rate, d(policy.funding_floor))
    return rate.quantize(RATE_STEP, rounding=ROUND_HALF_UP)
