"""Name resolution shared by the engine and the track: formulas see feature columns and derived names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from innocredit.evaluation.formula import Formula, compile_expr
from innocredit.evaluation.system import Alternative, System
from innocredit.profile.features import BY_NAME

AS_OF = "__as_of"
STAGE = "__stage"


def as_of_expr(as_of: dt.date | None) -> pl.Expr:
    """The evaluation date: the argument when given, else each row's ``as_of``."""
    return pl.lit(as_of, dtype=pl.Date) if as_of is not None else pl.col("as_of")


def prepare(system: System, features: pl.DataFrame | pl.LazyFrame, as_of: dt.date | None) -> pl.LazyFrame:
    """Add absent input columns as nulls (unknown) and the evaluation date column."""
    lf = features.lazy()
    cols = lf.collect_schema().names()
    need = set(system.feature_inputs) | {"uscc", "as_of", "registered_on", "industry_code", "region_code",
                                         "revenue", "revenue_prev"}
    add = [pl.lit(None, dtype=BY_NAME[c].dtype if c in BY_NAME else pl.Float64).alias(c)
           for c in sorted(need) if c not in cols]
    return lf.with_columns(*add).with_columns(as_of_expr(as_of).alias(AS_OF))


def resolver(extra: dict[str, pl.Expr] | None = None) -> Callable[[str], pl.Expr]:
    """A name -> expression map: derived names first, then ``extra``, then plain columns."""
    asof = pl.col(AS_OF)
    derived = {
        "as_of": asof,
        "age_years": (asof - pl.col("registered_on")).dt.total_days() / 365.25,
        "stage": pl.col(STAGE),
    }
    more = extra or {}

    def get(name: str) -> pl.Expr:
        if name in derived:
            return derived[name]
        if name in more:
            return more[name]
        return pl.col(name)

    return get


def compile_formula(f: Formula, get: Callable[[str], pl.Expr]) -> pl.Expr:
    return compile_expr(f, get, pl.col(AS_OF))


def value_expr(alt: Alternative, get: Callable[[str], pl.Expr]) -> pl.Expr | None:
    """The indicator value (float; null when undefined, e.g. a zero denominator)."""
    if alt.value is None:
        return None
    e = compile_formula(alt.value, get)
    return e.cast(pl.Float64)


def inputs_missing(names: frozenset[str] | set[str], system: System) -> pl.Expr | None:
    """True when any feature input in ``names`` is null (unknown). ``age_years`` reads registered_on."""
    fields = set()
    for n in names:
        if n == "age_years":
            fields.add("registered_on")
        elif (n in BY_NAME or n in system.inputs) and n != "as_of":
            fields.add(n)
    if not fields:
        return None
    return pl.any_horizontal([pl.col(f).is_null() for f in sorted(fields)])
