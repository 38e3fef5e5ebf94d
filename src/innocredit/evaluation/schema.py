"""The JSON Schema every indicator-system YAML file must satisfy (see docs/evaluation.md)."""

from __future__ import annotations

from typing import Any

_TEXT = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_FORMULA = {"type": ["string", "number", "boolean"]}
_NUM = {"type": "number"}
# points: a number, or [lowest, highest] when the policy gives a range (高新技术企业: "A. 7-8分")
_POINTS = {"oneOf": [_NUM, {"type": "array", "items": _NUM, "minItems": 2, "maxItems": 2}]}
_RULE = {"type": "object", "required": ["id", "name", "when"], "additionalProperties": False,
         "properties": {"id": _ID, "name": _TEXT, "when": _FORMULA, "points": _NUM}}
_BAND = {"type": "object", "required": ["points"], "additionalProperties": False,
         "properties": {"min": {"type": ["number", "string"]}, "above": {"type": ["number", "string"]},
                        "points": _POINTS, "label": _TEXT},
         "oneOf": [{"required": ["min"]}, {"required": ["above"]}]}
_CASE = {"type": "object", "required": ["when", "points"], "additionalProperties": False,
         "properties": {"when": _FORMULA, "points": _POINTS, "label": _TEXT}}
_SCORING = {
    "type": "object", "required": ["method"],
    "oneOf": [
        {"properties": {"method": {"const": "bands"}, "bands": {"type": "array", "minItems": 1, "items": _BAND},
                        "else": _NUM},
         "required": ["bands"], "additionalProperties": False},
        {"properties": {"method": {"const": "cases"}, "cases": {"type": "array", "minItems": 1, "items": _CASE},
                        "else": _NUM},
         "required": ["cases"], "additionalProperties": False},
        {"properties": {"method": {"const": "reference"}, "reference": {"type": "number", "exclusiveMinimum": 0}},
         "required": ["reference"], "additionalProperties": False},
        {"properties": {"method": {"const": "percentile"}}, "additionalProperties": False},
    ],
}
_ALTERNATIVE = {"type": "object", "required": ["id", "name", "value", "scoring"], "additionalProperties": False,
                "properties": {"id": _ID, "name": _TEXT, "value": _FORMULA, "scoring": _SCORING,
                               "format": {"enum": ["percent", "number", "money", "count", "bool", "ratio"]}}}
_INDICATOR = {
    "type": "object", "required": ["id", "name", "group", "max_points"], "additionalProperties": False,
    "properties": {
        "id": _ID, "name": _TEXT, "group": _ID, "max_points": {"type": "number", "exclusiveMinimum": 0},
        "value": _FORMULA, "scoring": _SCORING, "best_of": {"type": "array", "minItems": 2, "items": _ALTERNATIVE},
        "format": {"enum": ["percent", "number", "money", "count", "bool", "ratio"]},
        "track": {"type": "boolean"}, "note": {"type": "string"},
    },
    "oneOf": [{"required": ["scoring"]}, {"required": ["best_of"]}],
}
_WEIGHT = {"oneOf": [_NUM, {"type": "object", "additionalProperties": _NUM, "minProperties": 1}]}
_GROUP = {"type": "object", "required": ["id", "name"], "additionalProperties": False,
          "properties": {"id": _ID, "name": _TEXT, "weight": _WEIGHT, "minimum": _NUM,
                         "cap": {"type": "number", "exclusiveMinimum": 0}}}
# a part of the evaluation that needs expert judgement: it adds [min_points, max_points] to the reachable range
_JUDGEMENT = {"type": "object", "required": ["id", "name", "group", "max_points"], "additionalProperties": False,
              "properties": {"id": _ID, "name": _TEXT, "group": _ID, "max_points": {"type": "number", "minimum": 0},
                             "min_points": {"type": "number", "minimum": 0}, "when": _FORMULA,
                             "input": {"type": "string"}, "note": {"type": "string"}}}
# an input column that is not in the feature-table spec, with its type (values are converted when evaluated)
_INPUT = {"oneOf": [{"type": "string"},
                    {"type": "object", "required": ["name", "type"], "additionalProperties": False,
                     "properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                                    "type": {"enum": ["number", "bool", "string"]},
                                    "choices": {"type": "array", "items": {"type": "string"}},
                                    "description": {"type": "string"}}}]}
_LEVER = {"type": "object", "required": ["field", "name"], "additionalProperties": False,
          "properties": {"field": {"type": "string"}, "name": _TEXT, "step": {"type": "number", "exclusiveMinimum": 0},
                         "cost": {"type": "number", "minimum": 0}, "cost_unit": _TEXT,
                         "assumption": {"type": "boolean"}, "note": {"type": "string"},
                         "max_steps": {"type": "integer", "minimum": 1}, "relative": {"type": "boolean"},
                         "also": {"type": "array", "items": {"type": "string"}}}}
_LEVEL = {"type": "object", "required": ["id", "keys", "name"], "additionalProperties": False,
          "properties": {"id": _ID, "name": _TEXT,
                         "keys": {"type": "array", "items": {"enum": ["division", "section", "city", "province"]}}}}

SYSTEM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "innocredit indicator system",
    "type": "object",
    "required": ["id", "version", "name", "source", "indicators", "groups", "qualification"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "version": {"type": "string", "minLength": 1},
        "name": _TEXT,
        "source": {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
                   "properties": {"zh": {"type": "string"}, "en": {"type": "string"}, "url": {"type": "string"}}},
        "description": {"type": "string"},
        "max_score": {"type": "number", "exclusiveMinimum": 0},
        "extends": {"type": "string"},
        "assumptions": {"type": "array", "items": {
            "type": "object", "required": ["what", "assumption", "reasoning"], "additionalProperties": False,
            "properties": {"what": {"type": "string"}, "assumption": {"type": "boolean"},
                           "reasoning": {"type": "string"}}}},
        "scoring_mode": {"enum": ["relative", "absolute", "mixed"]},
        "inputs": {"type": "array", "items": _INPUT},
        "stages": {"type": "object", "required": ["default", "rules"], "additionalProperties": False,
                   "properties": {"default": _ID, "rules": {"type": "array", "items": _RULE}}},
        "conditions": {"type": "array", "items": _RULE},
        "indicators": {"type": "array", "minItems": 1, "items": _INDICATOR},
        "groups": {"type": "array", "minItems": 1, "items": _GROUP},
        "judgement": {"type": "array", "items": _JUDGEMENT},
        "bonuses": {"type": "array", "items": {**_RULE, "required": ["id", "name", "when", "points"]}},
        "bonus_cap": _NUM,
        "deductions": {"type": "array", "items": {**_RULE, "required": ["id", "name", "when", "points"]}},
        "vetoes": {"type": "array", "items": _RULE},
        "direct_routes": {"type": "array", "items": _RULE},
        "qualification": {"type": "object", "required": ["rule"], "additionalProperties": False,
                          "properties": {"rule": _FORMULA, "line": _NUM, "name": _TEXT}},
        "flags": {"type": "array", "items": _RULE},
        "track": {"type": "object", "required": ["levels"], "additionalProperties": False,
                  "properties": {"min_size": {"type": "integer", "minimum": 2},
                                 "levels": {"type": "array", "minItems": 1, "items": _LEVEL}}},
        "levers": {"type": "array", "items": _LEVER},
    },
}
