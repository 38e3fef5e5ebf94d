"""Risk policies as YAML data, validated by JSON Schema on load: master scale, protected attributes,
model features (groups and trends), reason codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from innocredit.core.policy import PolicyError, display_name, load_policy_file
from innocredit.risk.binning import TRENDS

__all__ = ["PolicyError", "ProtectedAttributeError", "MasterScale", "load_policy", "default_policy"]


class ProtectedAttributeError(ValueError):
    """A protected personal attribute was offered as a model feature."""


_TEXT = {"type": "string", "minLength": 1}
SCHEMAS: dict[str, dict[str, Any]] = {
    "master_scale": {
        "type": "object", "required": ["id", "version", "grades"], "additionalProperties": False,
        "properties": {
            "id": _TEXT, "version": {"type": "integer"},
            "grades": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["grade", "pd_max"], "additionalProperties": False,
                "properties": {"grade": _TEXT, "pd_max": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}}}},
        },
    },
    "protected": {
        "type": "object", "required": ["id", "version", "names", "words"], "additionalProperties": False,
        "properties": {"id": _TEXT, "version": {"type": "integer"},
                       "names": {"type": "array", "items": _TEXT}, "words": {"type": "array", "items": _TEXT},
                       "abbreviations": {"type": "array", "items": _TEXT},
                       "chinese": {"type": "array", "items": _TEXT},
                       "value_sets": {"type": "object", "additionalProperties": {
                           "type": "array", "minItems": 2, "items": _TEXT}}},
    },
    "model_features": {
        "type": "object", "required": ["id", "version", "features"], "additionalProperties": False,
        "properties": {
            "id": _TEXT, "version": {"type": "integer"},
            "features": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["group", "trend"],
                "properties": {"group": {"enum": ["balance_sheet", "technology"]}, "trend": {"enum": list(TRENDS)},
                               "zh": _TEXT, "en": _TEXT, "note": _TEXT}}},
        },
    },
    "reason_codes": {
        "type": "object", "required": ["id", "version", "generic", "codes"], "additionalProperties": False,
        "properties": {
            "id": _TEXT, "version": {"type": "integer"},
            "generic": {"type": "object", "required": ["zh", "en"], "properties": {"zh": _TEXT, "en": _TEXT}},
            "codes": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["code", "zh", "en"], "additionalProperties": False,
                "properties": {"code": {"type": "string", "pattern": "^[A-Z0-9-]+$"}, "zh": _TEXT, "en": _TEXT}}},
        },
    },
}


def load_policy(kind: str, path: str | Path | None = None) -> dict[str, Any]:
    """Load and validate a policy through the shared loader (``innocredit.core.policy``: YAML 1.2, JSON Schema,
    ``PolicyError`` naming the file and the JSON path); ``path`` None means the packaged
    ``policies/<kind>.yaml``."""
    source = resources.files("innocredit.risk") / "policies" / f"{kind}.yaml" if path is None else Path(path)
    data = load_policy_file(source, SCHEMAS[kind])
    if kind == "master_scale":
        bounds = [g["pd_max"] for g in data["grades"]]
        if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])) or bounds[-1] != 1:
            raise PolicyError(display_name(source), "$.grades", "pd_max must increase strictly and the last must be 1")
    return data


@lru_cache(maxsize=8)
def default_policy(kind: str) -> dict[str, Any]:
    return load_policy(kind)


@dataclass(frozen=True)
class MasterScale:
    id: str
    version: int
    grades: tuple[str, ...]
    pd_max: tuple[float, ...]

    @classmethod
    def from_policy(cls, data: dict[str, Any]) -> MasterScale:
        return cls(data["id"], data["version"], tuple(g["grade"] for g in data["grades"]),
                   tuple(float(g["pd_max"]) for g in data["grades"]))

    @classmethod
    def default(cls) -> MasterScale:
        return cls.from_policy(default_policy("master_scale"))

    def grade_index(self, pd: np.ndarray) -> np.ndarray:
        """Index of the first grade whose pd_max >= pd (vectorized)."""
        idx = np.searchsorted(np.asarray(self.pd_max), np.asarray(pd, dtype=float), side="left")
        return np.minimum(idx, len(self.grades) - 1)

    def grade(self, pd: np.ndarray) -> np.ndarray:
        return np.asarray(self.grades, dtype=object)[self.grade_index(pd)]

    def ranges(self) -> list[dict[str, Any]]:
        lows = (0.0, *self.pd_max[:-1])
        return [{"grade": g, "pd_min": lo, "pd_max": hi} for g, lo, hi in zip(self.grades, lows, self.pd_max)]


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[_\-.\s]+", spaced.lower()) if w]


def protected_rule(column: str, policy: dict[str, Any] | None = None) -> str | None:
    """The name rule that makes ``column`` a protected attribute (``name``, ``word``, ``abbreviation``,
    ``chinese``), or None."""
    policy = policy or default_policy("protected")
    low = column.lower()
    if low in {n.lower() for n in policy["names"]}:
        return "name"
    words = _words(column)
    if {w.lower() for w in policy["words"]}.intersection(words):
        return "word"
    if {w.lower() for w in policy.get("abbreviations", [])}.intersection(words):
        return "abbreviation"
    if any(z in column for z in policy.get("chinese", [])):
        return "chinese"
    return None


def protected_columns(columns: list[str], policy: dict[str, Any] | None = None) -> list[str]:
    """Columns whose names are protected attributes (see ``protected_rule``)."""
    return [c for c in columns if protected_rule(c, policy) is not None]


def values_rule(values: list[Any], policy: dict[str, Any] | None = None) -> str | None:
    """The value set (``sex``, ``marital status``, ...) that a column's distinct values look like, or None:
    at most 12 distinct values, all in the set, at least two of them."""
    policy = policy or default_policy("protected")
    distinct = {str(v).strip().lower() for v in values if v is not None and str(v).strip()}
    if not 2 <= len(distinct) <= 12:
        return None
    for name, members in policy.get("value_sets", {}).items():
        if distinct <= {str(m).lower() for m in members}:
            return str(name)
    return None


def refuse_protected(columns: list[str], policy: dict[str, Any] | None = None, allowed: Any = ()) -> None:
    """Refuse protected attributes as features, naming each column with the rule that caught it."""
    allow = set(allowed or ())
    bad = [(c, protected_rule(c, policy)) for c in columns if c not in allow]
    bad = [(c, r) for c, r in bad if r is not None]
    if bad:
        raise ProtectedAttributeError(
            "protected personal attributes cannot be model features: "
            + ", ".join(f"{c} (rule: {r})" for c, r in bad)
            + " (see innocredit/risk/policies/protected.yaml); drop these columns, declare them with --protected "
            "to use them for fairness checks only, or --allow COLUMN --reason TEXT if the rule is wrong")


def feature_trends() -> dict[str, str]:
    return {k: v["trend"] for k, v in default_policy("model_features")["features"].items()}


def feature_groups() -> dict[str, str]:
    return {k: v["group"] for k, v in default_policy("model_features")["features"].items()}
