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


_INPUT_DTYPES: dict[str, pl.DataType] = {"number": pl.Float64(), "bool": pl.Boolean(), "string": pl.String()}
_TRUE = ("true", "1", "yes", "t", "y")
_FALSE = ("false", "0", "no", "f", "n")


class InputError(ValueError):
    """A value of a system's declared input column that cannot be read as its type: names column and row."""


def _input_expr(name: str, kind: str, dtype: pl.DataType) -> pl.Expr:
    """A declared non-spec input converted to its type (bad values become null; see :func:`check_inputs`)."""
    c = pl.col(name)
    if dtype == _INPUT_DTYPES[kind]:
        return c
    if kind == "bool":
        if dtype == pl.String:
            t = c.str.strip_chars().str.to_lowercase()
            return pl.when(t.is_in(list(_TRUE))).then(True).when(t.is_in(list(_FALSE))).then(False)
        return c.cast(pl.Boolean, strict=False)
    if kind == "number":
        return (c.str.strip_chars() if dtype == pl.String else c).cast(pl.Float64, strict=False)
    return c.cast(pl.String)


def check_inputs(system: System, features: pl.DataFrame) -> None:
    """Raise :class:`InputError` naming the column, the row (1 = first data row) and the value when a declared
    input (``inputs: [{name, type}]`` in the system file) holds a value that is not of its type or choices."""
    for name, kind in system.input_types.items():
        if name not in features.columns:
            continue
        raw = features[name]
        conv = features.select(_input_expr(name, kind, raw.dtype).alias("v"))["v"]
        bad = raw.is_not_null() & conv.is_null()
        if raw.dtype == pl.String:
            bad = bad & (raw.str.strip_chars() != "")
        choices = system.input_choices.get(name)
        if choices:
            bad = bad | (conv.is_not_null() & ~conv.cast(pl.String).is_in(list(choices)))
        idx = bad.arg_true()
        if idx.len():
            i = int(idx[0])
            want = f"one of {', '.join(choices)}" if choices else f"a {kind}"
            raise InputError(f"column {name!r}, row {i + 1}: value {raw[i]!r} is not {want} "
                             f"(system {system.id} input)")


def prepare(system: System, features: pl.DataFrame | pl.LazyFrame, as_of: dt.date | None) -> pl.LazyFrame:
    """Add absent input columns as nulls (unknown), convert declared inputs to their types, add the date."""
    lf = features.lazy()
    schema = lf.collect_schema()
    cols = schema.names()
    need = set(system.feature_inputs) | {"uscc", "as_of", "registered_on", "industry_code", "region_code",
                                         "revenue", "revenue_prev"}
    need |= {j.input for j in system.judgement if j.input is not None}

    def dtype(c: str) -> pl.DataType:
        if c in BY_NAME:
            return BY_NAME[c].dtype  # type: ignore[return-value]
        return _INPUT_DTYPES[system.input_types.get(c, "number")]

    add = [pl.lit(None, dtype=dtype(c)).alias(c) for c in sorted(need) if c not in cols]
    conv = [_input_expr(c, k, schema[c]).alias(c) for c, k in system.input_types.items()
            if c in cols and c not in BY_NAME]
    return lf.with_columns(*add, *conv).with_columns(as_of_expr(as_of).alias(AS_OF))


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
