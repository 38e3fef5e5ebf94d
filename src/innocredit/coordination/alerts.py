"""Early warnings after the loan (贷后预警): YAML rules over "previous vs new" snapshots, vectorized.

Each rule reads one source — ``features`` (key uscc), ``patents`` (key uscc + patent_id) or ``loans``
(key loan_id) — joins the new snapshot to the previous one and fires where all its change conditions
hold. Firing firms are joined to their outstanding loans, so each alert names the loan and the lending
bank, with a severity and the evidence (the fields before and after, as JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from innocredit.coordination.policy import ID, TEXT, PolicyError, read_policy

SEVERITIES = ("low", "medium", "high", "critical")
SOURCES = {"features": ("uscc",), "patents": ("uscc", "patent_id"), "loans": ("loan_id",)}
CHANGES = ("became_true", "became_in", "increased", "drop_ratio_over", "is_true", "in")
OUTSTANDING_STATUSES = ("active", "overdue")

_CHANGE = {"type": "object", "required": ["field", "change"], "additionalProperties": False,
           "properties": {"field": {"type": "string"}, "change": {"enum": list(CHANGES)},
                          "values": {"type": "array", "minItems": 1}, "value": {"type": "number"}},
           "allOf": [
               {"if": {"properties": {"change": {"enum": ["became_in", "in"]}}},
                "then": {"required": ["values"]}},
               {"if": {"properties": {"change": {"const": "drop_ratio_over"}}}, "then": {"required": ["value"]}},
           ]}
ALERTS_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["id", "version", "rules"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "version": {"type": "string"},
        "rules": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id", "name", "severity", "source", "when"], "additionalProperties": False,
            "properties": {"id": ID, "name": TEXT, "severity": {"enum": list(SEVERITIES)},
                           "source": {"enum": list(SOURCES)}, "when": {"type": "array", "minItems": 1,
                                                                       "items": _CHANGE},
                           "evidence": {"type": "array", "items": {"type": "string"}},
                           "max_days_between": {"type": "integer", "minimum": 1}}}},
    },
}

ALERT_COLUMNS = {"rule_id": pl.String, "severity": pl.String, "uscc": pl.String, "loan_id": pl.String,
                 "bank_id": pl.String, "evidence": pl.String, "name_zh": pl.String, "name_en": pl.String}


@dataclass(frozen=True)
class AlertRules:
    version: str
    rules: tuple[dict[str, Any], ...]


def load_alert_rules(source: str | Path = "alerts.yaml") -> AlertRules:
    d = read_policy(source, ALERTS_SCHEMA)
    ids = [r["id"] for r in d["rules"]]
    if len(ids) != len(set(ids)):
        raise PolicyError(str(source), "$.rules", "rule ids are not unique")
    return AlertRules(str(d["version"]), tuple(d["rules"]))


@lru_cache(maxsize=1)
def default_alert_rules() -> AlertRules:
    return load_alert_rules()


def _change_expr(c: dict[str, Any], has_before: bool) -> pl.Expr:
    new = pl.col(c["field"])
    old = pl.col(f"{c['field']}_before") if has_before else pl.lit(None)
    kind = c["change"]
    if kind == "is_true":
        return new.cast(pl.Boolean).fill_null(False)
    if kind == "in":
        return new.is_in(c["values"]).fill_null(False)
    if kind == "became_true":
        return new.cast(pl.Boolean).fill_null(False) & ~old.cast(pl.Boolean).fill_null(False)
    if kind == "became_in":
        return new.is_in(c["values"]).fill_null(False) & ~old.is_in(c["values"]).fill_null(False)
    if kind == "increased":
        # no previous value counts as zero: a first snapshot that already shows a case or a missed instalment fires
        return (new.cast(pl.Float64) > old.cast(pl.Float64).fill_null(0.0)).fill_null(False)
    if kind == "drop_ratio_over":
        o, n = old.cast(pl.Float64), new.cast(pl.Float64)
        return ((o > 0) & ((o - n) / o > c["value"])).fill_null(False)
    raise ValueError(kind)  # unreachable: the schema allows only CHANGES


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=ALERT_COLUMNS)


def outstanding_loans(loans: pl.DataFrame) -> pl.DataFrame:
    amount = pl.coalesce(pl.col("outstanding"), pl.col("amount")) if "outstanding" in loans.columns else pl.col("amount")
    status = pl.col("status").is_in(list(OUTSTANDING_STATUSES)).fill_null(True) if "status" in loans.columns \
        else pl.lit(True)
    return loans.filter(status & (amount > 0)).select(pl.col("loan_id").cast(pl.String),
                                                       pl.col("uscc").cast(pl.String),
                                                       pl.col("bank_id").cast(pl.String))


def evaluate_rule(rule: dict[str, Any], before: pl.DataFrame | None, after: pl.DataFrame,
                  loans: pl.DataFrame) -> pl.DataFrame:
    """Alerts of one rule: one row per (firing entity, outstanding loan)."""
    key = list(SOURCES[rule["source"]])
    fields = {c["field"] for c in rule["when"]} | set(rule.get("evidence", []))
    absent = [f for f in sorted(fields | set(key)) if f not in after.columns]
    if any(k in absent for k in key):
        return _empty()
    new = after.with_columns(pl.lit(None).alias(f) for f in absent)
    has_before = before is not None
    if before is not None:
        prev_cols = [f for f in sorted(fields - set(key)) if f in before.columns]
        extra = ["as_of"] if "as_of" in before.columns else []
        prev = before.select(*key, *prev_cols, *extra).unique(key, keep="last").rename(
            {c: f"{c}_before" for c in (*prev_cols, *extra)})
        joined = new.join(prev, on=key, how="left")
        missing_prev = [f"{f}_before" for f in sorted(fields - set(key)) if f"{f}_before" not in joined.columns]
        joined = joined.with_columns(pl.lit(None).alias(c) for c in missing_prev)
    else:
        joined = new
    cond = pl.all_horizontal([_change_expr(c, has_before) for c in rule["when"]])
    if rule.get("max_days_between") and "as_of" in joined.columns and "as_of_before" in joined.columns:
        gap = (pl.col("as_of").cast(pl.Date) - pl.col("as_of_before").cast(pl.Date)).dt.total_days()
        cond = cond & (gap <= rule["max_days_between"]).fill_null(False)
    fired = joined.filter(cond)
    if fired.is_empty():
        return _empty()
    ev_fields = list(rule.get("evidence", [])) or sorted(fields - set(key))
    parts: list[pl.Expr] = []
    for f in ev_fields:
        if f in key:
            parts.append(pl.col(f).cast(pl.String).alias(f))
            continue
        parts.append(pl.col(f).cast(pl.String).alias(f))
        if has_before:
            parts.append(pl.col(f"{f}_before").cast(pl.String).alias(f"{f}_before"))
    fired = fired.with_columns(pl.struct(parts).struct.json_encode().alias("evidence"))
    ol = outstanding_loans(loans)
    if rule["source"] == "loans":
        hit = fired.select(pl.col("loan_id").cast(pl.String), "evidence").join(ol, on="loan_id", how="inner")
    else:
        hit = fired.select(pl.col("uscc").cast(pl.String), "evidence").join(ol, on="uscc", how="inner")
    return hit.select(
        pl.lit(rule["id"]).alias("rule_id"), pl.lit(rule["severity"]).alias("severity"), "uscc", "loan_id",
        "bank_id", "evidence", pl.lit(rule["name"]["zh"]).alias("name_zh"), pl.lit(rule["name"]["en"]).alias("name_en"),
    ).unique(["rule_id", "loan_id", "evidence"], maintain_order=True)


def evaluate_alerts(loans: pl.DataFrame, *, features_before: pl.DataFrame | None = None,
                    features_after: pl.DataFrame | None = None, patents_before: pl.DataFrame | None = None,
                    patents_after: pl.DataFrame | None = None, loans_before: pl.DataFrame | None = None,
                    loans_after: pl.DataFrame | None = None, rules: AlertRules | None = None) -> pl.DataFrame:
    """Every rule over the snapshots given. ``loans`` is the loan register that links firms to their
    outstanding loans and lending banks (loan_id, uscc, bank_id, amount, outstanding, status). Loan rules
    compare ``loans_before`` with ``loans_after`` (missed_instalments, days_past_due ...). Rules whose
    source has no new snapshot are skipped. Sorted by severity (critical first), rule, loan."""
    rules = rules or default_alert_rules()
    sources: dict[str, tuple[pl.DataFrame | None, pl.DataFrame | None]] = {
        "features": (features_before, features_after), "patents": (patents_before, patents_after),
        "loans": (loans_before, loans_after)}
    frames = []
    for rule in rules.rules:
        before, after = sources[rule["source"]]
        if after is None:
            continue
        frames.append(evaluate_rule(rule, before, after, loans))
    if not frames:
        return _empty()
    out = pl.concat(frames, how="vertical_relaxed")
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return out.sort([pl.col("severity").replace_strict(order, return_dtype=pl.Int64), "rule_id", "loan_id"])
