"""Compile a product's eligibility decision table into polars expressions.

Hit policy: every rule must pass; the *first* rule (in file order) that does not pass is the
one reported. A condition whose input column is absent from the frame, or null in a row, is
neither true nor false but *missing*: the rule fails with reason ``missing <column>``
(``缺少 <column>``), never as if the value were zero.
"""

from __future__ import annotations

import polars as pl

from innocredit.lending.schema import Condition, Product, Rule

# Derived columns (computed from the feature table when their inputs are present).
DERIVED: dict[str, tuple[tuple[str, ...], pl.Expr]] = {
    "firm_age_years": (("as_of", "registered_on"),
                       (pl.col("as_of") - pl.col("registered_on")).dt.total_days() / 365.25),
    "rd_intensity": (("rd_expense", "revenue"),
                     pl.when(pl.col("revenue") > 0).then(pl.col("rd_expense") / pl.col("revenue"))
                     .when(pl.col("rd_expense") > 0).then(pl.lit(float("inf")))
                     .when(pl.col("rd_expense").is_not_null() & pl.col("revenue").is_not_null()).then(0.0)),
    "debt_ratio": (("liabilities", "total_assets"),
                   pl.when(pl.col("total_assets") > 0).then(pl.col("liabilities") / pl.col("total_assets"))),
}


def add_derived(lf: pl.LazyFrame, columns: set[str] | frozenset[str], present: set[str]) -> pl.LazyFrame:
    """Add the derived columns that are needed and whose inputs are all present."""
    exprs = [expr.alias(name) for name, (inputs, expr) in DERIVED.items()
             if name in columns and name not in present and all(i in present for i in inputs)]
    return lf.with_columns(exprs) if exprs else lf


def condition_expr(cond: Condition, present: set[str] | frozenset[str]) -> tuple[pl.Expr, pl.Expr]:
    """(ok, missing-column) for one condition; ok is null when the input is absent or null."""
    name = pl.lit(cond.column)
    if cond.column not in present:
        return pl.lit(None, dtype=pl.Boolean), name
    c = pl.col(cond.column)
    op, v = cond.op, cond.value
    if op == "is_true":
        ok = c == True  # noqa: E712 (polars expression)
    elif op == "is_false":
        ok = c == False  # noqa: E712
    elif op == "eq":
        ok = c == v
    elif op == "ne":
        ok = c != v
    elif op == "ge":
        ok = c >= v
    elif op == "gt":
        ok = c > v
    elif op == "le":
        ok = c <= v
    elif op == "lt":
        ok = c < v
    elif op in ("in", "not_in"):
        hit = c.cast(pl.String).is_in([str(x) for x in v])
        ok = pl.when(c.is_null()).then(None).otherwise(hit if op == "in" else ~hit)
    else:  # pragma: no cover - the schema rejects other operators
        raise ValueError(f"unknown operator {op}")
    return ok.cast(pl.Boolean), name


def consent_rules(product: Product, present: set[str] | frozenset[str], mode: str) -> list[Rule]:
    """Consent gates: one rule per required data-consent category.

    ``mode="require"``: an absent ``has_consent_<category>`` column fails as missing.
    ``mode="if_present"``: the gate applies only when the caller supplies the column.
    """
    rules = []
    for cat in product.consent:
        col = f"has_consent_{cat}"
        if mode == "require" or col in present:
            rules.append(Rule(f"consent_{cat}", f"已授权使用{cat}数据", f"consent to use {cat} data given", "all",
                              (Condition(col, "is_true"),)))
    return rules
