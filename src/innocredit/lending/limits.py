"""Credit limits: the product's limit rule as one polars expression, capped by policy.

limit = combine(terms) x product(multipliers), capped by the product's caps (cash flow:
``column x factor``; leverage: ``total_assets x max_debt_ratio - liabilities``), the product maximum, the
policy's maximum single loan and (when the product says so) the amount requested, then rounded down
to the product's step. A term or multiplier whose input is absent or null makes the limit
unknown (null, with the first missing column named), never zero.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from innocredit.lending.schema import LimitRule, Multiplier, Policy


def _multiplier_expr(m: Multiplier) -> pl.Expr:
    c = pl.col(m.column)
    if m.mapping:
        return c.cast(pl.String).replace_strict(dict(m.mapping), default=m.default, return_dtype=pl.Float64)
    expr: Any = None
    for lo, factor in m.bands:  # highest minimum first
        expr = pl.when(c >= lo).then(pl.lit(factor)) if expr is None else expr.when(c >= lo).then(pl.lit(factor))
    return expr.when(c.is_not_null()).then(pl.lit(m.default)).otherwise(pl.lit(None, dtype=pl.Float64))


def limit_expr(rule: LimitRule, policy: Policy, present: set[str] | frozenset[str]) -> tuple[pl.Expr, pl.Expr]:
    """(limit in yuan as Float64 or null, first missing input column or null)."""
    values: list[pl.Expr] = []
    inputs: list[str] = []
    for t in rule.terms:
        if t.column is None:
            values.append(pl.lit(float(t.constant or 0.0)))
            continue
        inputs.append(t.column)
        values.append(pl.col(t.column).cast(pl.Float64) * t.factor if t.column in present
                      else pl.lit(None, dtype=pl.Float64))
    if len(values) == 1:
        base = values[0]
    else:
        fn = {"min": pl.min_horizontal, "max": pl.max_horizontal, "sum": pl.sum_horizontal}[rule.combine]
        any_null = pl.any_horizontal([v.is_null() for v in values])
        base = pl.when(any_null).then(pl.lit(None, dtype=pl.Float64)).otherwise(fn(values))
    for m in rule.multipliers:
        inputs.append(m.column)
        base = base * (_multiplier_expr(m) if m.column in present else pl.lit(None, dtype=pl.Float64))
    for c in rule.caps:
        inputs.extend(c.inputs)
        if not all(col in present for col in c.inputs):
            base = base * pl.lit(None, dtype=pl.Float64)
            continue
        if c.column is not None:
            value = pl.col(c.column).cast(pl.Float64) * c.factor
        else:
            headroom = pl.col("total_assets").cast(pl.Float64) * (c.max_debt_ratio or 0.0) \
                - pl.col("liabilities").cast(pl.Float64)
            value = pl.max_horizontal(headroom, pl.lit(0.0))
        base = pl.when(value.is_null()).then(pl.lit(None, dtype=pl.Float64)).otherwise(
            pl.min_horizontal(base, value))
    cap = min(rule.max, policy.max_single_loan)
    limit = pl.min_horizontal(base, pl.lit(cap))
    limit = pl.when(base.is_null()).then(pl.lit(None, dtype=pl.Float64)).otherwise(limit)
    if rule.cap_by_request and "requested_amount" in present:
        req = pl.col("requested_amount").cast(pl.Float64)
        limit = pl.when(req.is_not_null() & (req > 0) & (req < limit)).then(req).otherwise(limit)
    step = rule.round_down_to
    limit = (limit / step).floor() * step
    missing: Any = None
    for col in dict.fromkeys(inputs):
        isnull = pl.col(col).is_null() if col in present else pl.lit(True)
        missing = pl.when(isnull).then(pl.lit(col)) if missing is None else missing.when(isnull).then(pl.lit(col))
    missing = pl.lit(None, dtype=pl.String) if missing is None else missing.otherwise(pl.lit(None, dtype=pl.String))
    return limit, missing


def term_expr(min_months: int, max_months: int, default_months: int, present: set[str] | frozenset[str]) -> pl.Expr:
    """The requested term clipped to the product's range, or the product default."""
    if "requested_term_months" not in present:
        return pl.lit(default_months, dtype=pl.Int64)
    req = pl.col("requested_term_months").cast(pl.Int64)
    return pl.when(req.is_null() | (req <= 0)).then(pl.lit(default_months, dtype=pl.Int64)).otherwise(
        req.clip(min_months, max_months))
