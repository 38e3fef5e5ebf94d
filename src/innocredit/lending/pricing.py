"""Loan pricing: LPR + risk spread by grade, less the relending funding saving passed on, never below funding.

spread(grade) = expected loss (PD of the grade x the product's LGD) + capital cost + operating cost
(+ the product's extra spread). A relending-eligible loan (the product does not exclude relending and the
firm is on an official list, ``innocredit.lending.relending``) costs the bank less to fund: 60% of it is
refinanced at 1.75%, a saving of 0.6 x (funding floor - 1.75%) a year on the whole loan. The bank's pricing
policy passes ``pass_through`` of that saving on (``policy.yaml`` ``relending``), so the grades keep their
spreads; an eligible loan's floor is its blended funding cost (funding floor - saving). The result is rounded
half-up to 0.01 percentage point (one basis point).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from innocredit.lending.relending import listed_expr
from innocredit.lending.schema import Policy, Product

RATE_STEP = Decimal("0.0001")


def relending_expr(present: set[str] | frozenset[str]) -> pl.Expr:
    """Row's firm is on an official list that qualifies for relending (``relending.listed_expr``)."""
    return listed_expr(present)


def rate_expr(product: Product, policy: Policy, present: set[str] | frozenset[str]) -> pl.Expr:
    """Annual rate as a fraction (Float64), null when ``pd_grade`` is absent, null or unknown."""
    if "pd_grade" not in present:
        return pl.lit(None, dtype=pl.Float64)
    pd_ = pl.col("pd_grade").cast(pl.String).replace_strict(policy.grade_pd, default=None, return_dtype=pl.Float64)
    base = policy.lpr_1y + policy.capital_cost + policy.operating_cost + product.extra_spread
    rate = pd_ * product.lgd + base
    floor = pl.lit(policy.funding_floor)
    if product.relending_eligible:
        cut = float(policy.relending.price_reduction(policy.funding_floor))
        blended = policy.funding_floor - float(policy.relending.saving_rate(policy.funding_floor))
        listed = relending_expr(present)
        rate = pl.when(listed).then(rate - cut).otherwise(rate)
        floor = pl.when(listed).then(pl.lit(blended)).otherwise(floor)
    rate = pl.max_horizontal(rate, floor)
    rate = pl.when(pd_.is_null()).then(pl.lit(None, dtype=pl.Float64)).otherwise(rate)
    return rate.round(4, mode="half_away_from_zero")  # half-up like price() (rates are positive)


def price(product: Product, grade: str, policy: Policy, *, relending: bool = False) -> Decimal:
    """The same rule for one loan, in ``Decimal`` (used when an offer is recorded)."""
    if grade not in policy.grade_pd:
        raise ValueError(f"unknown PD grade {grade!r}; expected one of {', '.join(policy.grade_pd)}")
    d = lambda x: Decimal(str(x))  # noqa: E731
    rate = (d(policy.lpr_1y) + d(policy.grade_pd[grade]) * d(product.lgd) + d(policy.capital_cost)
            + d(policy.operating_cost) + d(product.extra_spread))
    floor = d(policy.funding_floor)
    if product.relending_eligible and relending:
        rate -= policy.relending.price_reduction(policy.funding_floor)
        floor -= policy.relending.saving_rate(policy.funding_floor)
    rate = max(rate, floor)
    return rate.quantize(RATE_STEP, rounding=ROUND_HALF_UP)
