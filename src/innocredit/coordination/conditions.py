"""Conditions as data: a small YAML vocabulary compiled to polars expressions (three-valued logic).

A leaf is ``{field, op, value}`` or ``{field, op, other, times}`` (compare with another column
times a factor); nodes are ``{all: [...]}``, ``{any: [...]}`` and ``{not: ...}``. A leaf whose
field is null (unknown) is null, and nulls propagate with Kleene logic (``False & null`` is
False, ``True & null`` is null), so a criterion is True, False or unknown — never silently
"no". ``if_missing: pass|fail`` on a leaf turns its unknown into True or False.
"""

from __future__ import annotations

from typing import Any

import polars as pl

OPS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "is_true", "is_false")

LEAF_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["field", "op"], "additionalProperties": False,
    "properties": {
        "field": {"type": "string", "minLength": 1},
        "op": {"enum": list(OPS)},
        "value": {},
        "other": {"type": "string", "minLength": 1},
        "times": {"type": "number"},
        "if_missing": {"enum": ["pass", "fail", "unknown"]},
    },
}
CONDITION_SCHEMA: dict[str, Any] = {
    "$defs": {
        "cond": {
            "oneOf": [
                LEAF_SCHEMA,
                {"type": "object", "required": ["all"], "additionalProperties": False,
                 "properties": {"all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/cond"}}}},
                {"type": "object", "required": ["any"], "additionalProperties": False,
                 "properties": {"any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/cond"}}}},
                {"type": "object", "required": ["not"], "additionalProperties": False,
                 "properties": {"not": {"$ref": "#/$defs/cond"}}},
            ]
        }
    },
}


def condition_fields(cond: dict[str, Any]) -> set[str]:
    """Every column a condition reads."""
    if "all" in cond or "any" in cond:
        return set().union(*(condition_fields(c) for c in cond.get("all", cond.get("any", []))))
    if "not" in cond:
        return condition_fields(cond["not"])
    return {cond["field"]} | ({cond["other"]} if "other" in cond else set())


def compile_condition(cond: dict[str, Any]) -> pl.Expr:
    """The polars expression of a (schema-valid) condition."""
    if "all" in cond:
        return pl.all_horizontal([compile_condition(c) for c in cond["all"]]) if len(cond["all"]) > 1 \
            else compile_condition(cond["all"][0])
    if "any" in cond:
        return pl.any_horizontal([compile_condition(c) for c in cond["any"]]) if len(cond["any"]) > 1 \
            else compile_condition(cond["any"][0])
    if "not" in cond:
        return ~compile_condition(cond["not"])
    col = pl.col(cond["field"])
    op = cond["op"]
    rhs: Any = pl.col(cond["other"]) * cond.get("times", 1.0) if "other" in cond else cond.get("value")
    if op in ("in", "not_in"):
        values = list(rhs) if isinstance(rhs, list) else [rhs]
        expr = col.is_in(values)
        # is_in gives False for null; keep unknown as null
        expr = pl.when(col.is_null()).then(None).otherwise(expr if op == "in" else ~expr)
    elif op == "is_true":
        expr = col.cast(pl.Boolean)
    elif op == "is_false":
        expr = ~col.cast(pl.Boolean)
    else:
        lit = rhs if isinstance(rhs, pl.Expr) else pl.lit(rhs)
        expr = {"eq": col == lit, "ne": col != lit, "gt": col > lit, "ge": col >= lit,
                "lt": col < lit, "le": col <= lit}[op]
    missing = cond.get("if_missing", "unknown")
    if missing == "pass":
        expr = expr.fill_null(True)
    elif missing == "fail":
        expr = expr.fill_null(False)
    return expr


def with_missing_columns(df: pl.DataFrame, fields: set[str]) -> pl.DataFrame:
    """Add absent columns as nulls (unknown), so a policy can name a field a frame does not carry."""
    absent = [f for f in sorted(fields) if f not in df.columns]
    return df.with_columns(pl.lit(None).alias(f) for f in absent) if absent else df
