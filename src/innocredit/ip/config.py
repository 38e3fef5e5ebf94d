"""The IP tables and policies as data: YAML files checked against a JSON Schema when loaded.

``tables/quality_weights.yaml``, ``tables/valuation.yaml``, ``tables/royalty_rates.yaml``,
``policies/pledge/<bank>.yaml``, ``policies/pools/<agreement>.yaml``. They are read by the platform's one policy
loader (``innocredit.core.policy``): a file that breaks its schema raises :class:`PolicyError` naming the file,
the JSON path inside the YAML and what is wrong (``ip/policies/pledge/x.yaml: $.rates.invention: min 0.6 is
above max 0.5``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from innocredit.core.policy import PolicyError, display_name, load_policy_file
from innocredit.ip.records import IP_KINDS, STATUSES

__all__ = ["ABSORPTION_STEPS", "HAIRCUT_WHEN", "PLEDGE_SCHEMA", "POOL_SCHEMA", "QUALITY_SCHEMA", "ROYALTY_SCHEMA",
           "VALUATION_SCHEMA", "PolicyError", "Tables", "available", "load_pledge_policy", "load_pool_agreement",
           "load_tables", "load_yaml"]

_HERE = resources.files("innocredit.ip")


_FRAC = {"type": "number", "minimum": 0, "maximum": 1}
_POS = {"type": "number", "exclusiveMinimum": 0}
_NONNEG = {"type": "number", "minimum": 0}
_TEXT = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_KIND_MAP = lambda item: {"type": "object", "propertyNames": {"enum": list(IP_KINDS)},  # noqa: E731
                          "additionalProperties": item}
_TRIPLE = {"type": "array", "items": _FRAC, "minItems": 3, "maxItems": 3}
_HEAD = {"id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"}, "version": {"type": "string"}}
# A policy number no public text gives: its JSON path and one line of reasoning (pledge and pool policies).
_ASSUMPTIONS = {"type": "array", "items": {
    "type": "object", "required": ["field", "reasoning"], "additionalProperties": False,
    "properties": {"field": {"type": "string", "minLength": 1}, "reasoning": {"type": "string", "minLength": 1}}}}


def _dim(names: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": ["weight", "indicators"], "additionalProperties": False,
            "properties": {"weight": _FRAC,
                           "indicators": {"type": "object", "propertyNames": {"enum": names},
                                          "additionalProperties": _NONNEG, "minProperties": 1}}}


LEGAL = ["validity", "remaining_life", "scope", "dispute"]
TECHNICAL = ["citations", "originality", "generality", "claims", "grant_lag"]
ECONOMIC = ["main_product", "licensing", "market_coverage"]

QUALITY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "version", "min_cohort_size", "dimensions", "validity", "stars",
                 "licences_for_full_score", "independent_claims_for_full_scope"],
    "properties": {
        **_HEAD, "min_cohort_size": {"type": "integer", "minimum": 1},
        "dimensions": {"type": "object", "required": ["legal", "technical", "economic"], "additionalProperties": False,
                       "properties": {"legal": _dim(LEGAL), "technical": _dim(TECHNICAL),
                                      "economic": _dim(ECONOMIC)}},
        "validity": {"type": "object", "required": list(STATUSES), "additionalProperties": False,
                     "properties": {s: _FRAC for s in STATUSES}},
        "licences_for_full_score": _POS, "independent_claims_for_full_scope": _POS,
        "stars": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["min", "stars"], "additionalProperties": False,
            "properties": {"min": {"type": "number", "minimum": 0, "maximum": 100},
                           "stars": {"type": "integer", "minimum": 1, "maximum": 5}}}},
    },
}

VALUATION_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "version", "tax_rate", "tax_rate_high_tech", "discount_rate", "risk_premium", "decay",
                 "economic_life_cap_years", "grant_probability", "replacement_cost", "cost_scenario"],
    "properties": {
        **_HEAD, "tax_rate": _FRAC, "tax_rate_high_tech": _FRAC,
        "discount_rate": {**_TRIPLE, "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
        "risk_premium": _KIND_MAP(_FRAC), "decay": _TRIPLE,
        "economic_life_cap_years": _KIND_MAP(_POS), "grant_probability": _KIND_MAP(_FRAC),
        "replacement_cost": _KIND_MAP(_NONNEG),
        "cost_scenario": {"type": "array", "items": _NONNEG, "minItems": 3, "maxItems": 3},
    },
}

_RATE = {"type": "object", "required": ["low", "high"], "additionalProperties": False,
         "properties": {"low": _FRAC, "high": _FRAC, "source": {"enum": ["unido", "assumed", "market"]}}}
ROYALTY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["id", "version", "default"],
    "properties": {
        **_HEAD, "default": _RATE,
        "divisions": {"type": "object", "propertyNames": {"pattern": "^[A-T][0-9]{2}$"}, "additionalProperties": _RATE},
        "sections": {"type": "object", "propertyNames": {"pattern": "^[A-T]$"}, "additionalProperties": _RATE},
    },
}

HAIRCUT_WHEN = ("remaining_life_under", "litigation_pending", "exclusive_licence", "kind_in", "not_main_product")
PLEDGE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "version", "bank_id", "name", "rates", "max_loan", "haircuts"],
    "properties": {
        **_HEAD, "bank_id": {"type": "string", "minLength": 1}, "name": _TEXT,
        "source": {"type": "string", "minLength": 1}, "assumptions": _ASSUMPTIONS,
        "rates": _KIND_MAP({"type": "object", "required": ["min", "max"], "additionalProperties": False,
                            "properties": {"min": _FRAC, "max": _FRAC}}),
        "pledgeable_statuses": {"type": "array", "items": {"enum": list(STATUSES)}, "minItems": 1},
        "min_remaining_life_years": _NONNEG, "max_loan": _POS,
        "haircuts": {"type": "array", "items": {
            "type": "object", "required": ["id", "when", "cut", "name"], "additionalProperties": False,
            "properties": {"id": {"type": "string"}, "when": {"enum": list(HAIRCUT_WHEN)}, "cut": _FRAC,
                           "name": _TEXT, "years": _POS,
                           "kinds": {"type": "array", "items": {"enum": list(IP_KINDS)}, "minItems": 1}},
            "allOf": [
                {"if": {"properties": {"when": {"const": "remaining_life_under"}}}, "then": {"required": ["years"]}},
                {"if": {"properties": {"when": {"const": "kind_in"}}}, "then": {"required": ["kinds"]}},
            ]}},
    },
}

ABSORPTION_STEPS = ("defaulter_patents", "reserve_fund", "members_pro_rata", "guarantor", "bank")
POOL_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "version", "name", "base_rate", "diversification_bonus", "max_rate", "absorption"],
    "properties": {
        **_HEAD, "name": _TEXT, "base_rate": _FRAC, "diversification_bonus": _FRAC, "max_rate": _FRAC,
        "source": {"type": "string", "minLength": 1}, "assumptions": _ASSUMPTIONS,
        "absorption": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["step", "name"], "additionalProperties": False,
            "properties": {"step": {"enum": list(ABSORPTION_STEPS)}, "name": _TEXT, "recovery_rate": _FRAC,
                           "amount": _NONNEG, "cap_share_of_contribution": _FRAC, "share": _FRAC},
            "allOf": [
                {"if": {"properties": {"step": {"const": "defaulter_patents"}}}, "then": {"required": ["recovery_rate"]}},
                {"if": {"properties": {"step": {"const": "reserve_fund"}}}, "then": {"required": ["amount"]}},
                {"if": {"properties": {"step": {"const": "guarantor"}}}, "then": {"required": ["share"]}},
            ]}},
    },
}


def load_yaml(path: Any, schema: dict[str, Any], what: str = "policy") -> dict[str, Any]:
    """Read ``path`` and check it against ``schema`` (``core.policy.load_policy_file``); ``what`` names the
    kind of file in the error when the file is missing."""
    try:
        return load_policy_file(path, schema)
    except PolicyError as exc:
        if exc.reason == "no such file":
            raise PolicyError(exc.file, "", f"no such {what} file") from exc
        raise


def _resolve(id_or_path: str | Path, folder: str) -> Any:
    p = Path(id_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    return _HERE.joinpath(folder, f"{id_or_path}.yaml")


def available(folder: str) -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in _HERE.joinpath(folder).iterdir() if p.name.endswith(".yaml"))


@dataclass(frozen=True)
class Tables:
    """The three valuation tables, loaded and checked."""

    quality: dict[str, Any]
    valuation: dict[str, Any]
    royalty: dict[str, Any]

    def provenance(self) -> dict[str, str]:
        return {k: f"{v['id']}@{v['version']}" for k, v in
                (("quality", self.quality), ("valuation", self.valuation), ("royalty", self.royalty))}


def load_tables(quality: str | Path | None = None, valuation: str | Path | None = None,
                royalty: str | Path | None = None) -> Tables:
    """Load the quality weights, valuation assumptions and royalty table (package defaults when None)."""
    return Tables(
        load_yaml(Path(quality) if quality else _HERE.joinpath("tables", "quality_weights.yaml"),
                  QUALITY_SCHEMA, "quality-weights table"),
        load_yaml(Path(valuation) if valuation else _HERE.joinpath("tables", "valuation.yaml"),
                  VALUATION_SCHEMA, "valuation-assumptions table"),
        load_yaml(Path(royalty) if royalty else _HERE.joinpath("tables", "royalty_rates.yaml"),
                  ROYALTY_SCHEMA, "royalty-rate table"),
    )


def load_pledge_policy(bank_id_or_path: str | Path = "default") -> dict[str, Any]:
    """A bank's pledge-rate policy, by id (``policies/pledge/<id>.yaml``) or by path."""
    path = _resolve(bank_id_or_path, "policies/pledge")
    if not Path(str(path)).exists() and not path.is_file():
        raise PolicyError(display_name(path), "", f"unknown pledge policy {str(bank_id_or_path)!r}; "
                          f"known: {', '.join(available('policies/pledge'))}")
    policy = load_yaml(path, PLEDGE_SCHEMA, "pledge policy")
    for kind, r in policy["rates"].items():
        if r["min"] > r["max"]:
            raise PolicyError(display_name(path), f"$.rates.{kind}", f"min {r['min']} is above max {r['max']}")
    return policy


def load_pool_agreement(id_or_path: str | Path = "default") -> dict[str, Any]:
    """A patent-pool agreement, by id (``policies/pools/<id>.yaml``) or by path."""
    path = _resolve(id_or_path, "policies/pools")
    if not Path(str(path)).exists() and not path.is_file():
        raise PolicyError(display_name(path), "", f"unknown pool agreement {str(id_or_path)!r}; "
                          f"known: {', '.join(available('policies/pools'))}")
    agreement = load_yaml(path, POOL_SCHEMA, "pool agreement")
    if agreement["base_rate"] > agreement["max_rate"]:
        raise PolicyError(display_name(path), "$.base_rate",
                          f"{agreement['base_rate']} is above max_rate {agreement['max_rate']}")
    return agreement
