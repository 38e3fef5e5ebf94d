"""Risk policies as YAML data, validated by JSON Schema on load: master scale, protected attributes,
model features (groups and trends), reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import yaml

from innocredit.risk.binning import TRENDS


class PolicyError(ValueError):
    """A policy file is malformed: names the file, the path inside the YAML and what is wrong."""


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
                       "names": {"type": "array", "items": _TEXT}, "words": {"type": "array", "items": _TEXT}},
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
    """Load and validate a policy; ``path`` None means the packaged default ``policies/<kind>.yaml``."""
    if path is None:
        ref = resources.files("innocredit.risk") / "policies" / f"{kind}.yaml"
        text, name = ref.read_text(encoding="utf-8"), f"innocredit/risk/policies/{kind}.yaml"
    else:
        text, name = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{name}: not valid YAML: {exc}") from exc
    try:
        jsonschema.validate(data, SCHEMAS[kind])
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise PolicyError(f"{name}: at {where}: {exc.message}") from exc
    if kind == "master_scale":
        bounds = [g["pd_max"] for g in data["grades"]]
        if any(b2 <= b1 for b1, b2 in zip(bounds, bounds[1:])) or bounds[-1] != 1:
            raise PolicyError(f"{name}: at grades: pd_max must increase strictly and the last must be 1")
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


def protected_columns(columns: list[str], policy: dict[str, Any] | None = None) -> list[str]:
    policy = policy or default_policy("protected")
    names = {n.lower() for n in policy["names"]}
    words = {w.lower() for w in policy["words"]}
    out = []
    for c in columns:
        low = c.lower()
        if low in names or words.intersection(low.replace("-", "_").split("_")):
            out.append(c)
    return out


def refuse_protected(columns: list[str], policy: dict[str, Any] | None = None) -> None:
    bad = protected_columns(columns, policy)
    if bad:
        raise ProtectedAttributeError(
            f"protected personal attributes cannot be model features: {', '.join(bad)} "
            "(see innocredit/risk/policies/protected.yaml); drop these columns")


def feature_trends() -> dict[str, str]:
    return {k: v["trend"] for k, v in default_policy("model_features")["features"].items()}


def feature_groups() -> dict[str, str]:
    return {k: v["group"] for k, v in default_policy("model_features")["features"].items()}
