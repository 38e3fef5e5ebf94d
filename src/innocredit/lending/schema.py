"""Lending policies as data: products, guarantee schemes and the lending policy, checked on load.

Each YAML file is validated against a JSON Schema, then against rules a schema cannot express
(known columns, shares adding up to one, scheme constraints). Any problem raises ``PolicyError``
naming the file, the path inside the YAML and what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from innocredit.core.money import as_decimal
from innocredit.core.policy import DATE, PolicyError, display_name, read_policy_file, validate_policy
from innocredit.lending.relending import LIST_COLUMNS, LIST_KINDS, Facility, Quota
from innocredit.profile.features import BY_NAME

HERE = Path(__file__).resolve().parent
PRODUCTS_DIR = HERE / "products"
SCHEMES_DIR = HERE / "schemes"
POLICY_FILE = HERE / "policy.yaml"

KINDS = ("credit", "talent", "innovation", "ip_pledge", "patent_pool", "guaranteed", "innovation_points",
         "order_financing")
ENHANCEMENTS = ("none", "ip_pledge", "pool", "guarantee")
OPS = ("eq", "ne", "ge", "gt", "le", "lt", "in", "not_in", "is_true", "is_false")
GRADES = tuple(f"G{i}" for i in range(1, 11))

# Enrichment columns produced by other areas (evaluation, risk, IP, guarantee desk).
ENRICHMENT_COLUMNS: dict[str, str] = {
    "tech_sme_score": "float", "tech_sme_qualified": "bool", "high_tech_prescreen_passed": "bool",
    "innovation_points": "float", "policy_credit_eligible": "bool", "bank_new_quality_score": "float",
    "pd": "float", "pd_grade": "str", "ip_value_base": "float", "ip_pledge_capacity": "float",
    "pool_capacity": "float", "guarantee_scheme": "str", "first_loan": "bool", "relending_listed": "bool",
}
# Derived columns the matcher computes from the feature table (see eligibility.DERIVED).
DERIVED_COLUMNS: dict[str, str] = {"firm_age_years": "float", "rd_intensity": "float", "debt_ratio": "float"}


_TEXT = {"type": "object", "required": ["zh", "en"], "additionalProperties": False,
         "properties": {"zh": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}}}
_ASSUMPTIONS = {"type": "array", "items": {
    "type": "object", "required": ["field", "reasoning"], "additionalProperties": False,
    "properties": {"field": {"type": "string", "minLength": 1}, "reasoning": {"type": "string", "minLength": 1}}}}
_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_NUM = {"type": "number"}
_POS = {"type": "number", "exclusiveMinimum": 0}
_FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
_COND = {
    "type": "object", "required": ["column", "op"], "additionalProperties": False,
    "properties": {"column": {"type": "string", "minLength": 1}, "op": {"enum": list(OPS)},
                   "value": {"type": ["number", "string", "boolean", "array"]}},
}
_RULE = {
    "type": "object", "required": ["id", "text"], "additionalProperties": False,
    "properties": {"id": _ID, "text": _TEXT, "when": _COND,
                   "any": {"type": "array", "minItems": 2, "items": _COND},
                   "all": {"type": "array", "minItems": 2, "items": _COND}},
    "oneOf": [{"required": ["when"]}, {"required": ["any"]}, {"required": ["all"]}],
}
_TERM = {"type": "object", "additionalProperties": False,
         "properties": {"column": {"type": "string"}, "factor": _POS, "constant": _POS},
         "oneOf": [{"required": ["column", "factor"]}, {"required": ["constant"]}]}
# A cap on the limit: column x factor (cash flow, e.g. revenue x 0.5), or the leverage headroom
# total_assets x max_debt_ratio - liabilities (the loan may not take the debt ratio above the maximum).
_CAP = {"type": "object", "additionalProperties": False,
        "properties": {"id": _ID, "column": {"type": "string"}, "factor": _POS,
                       "max_debt_ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
        "required": ["id"],
        "oneOf": [{"required": ["column", "factor"]}, {"required": ["max_debt_ratio"]}]}
_BAND = {"type": "object", "required": ["min", "factor"], "additionalProperties": False,
         "properties": {"min": _NUM, "factor": {"type": "number", "minimum": 0}}}
_MULT = {"type": "object", "required": ["column"], "additionalProperties": False,
         "properties": {"column": {"type": "string"},
                        "bands": {"type": "array", "minItems": 1, "items": _BAND},
                        "map": {"type": "object", "minProperties": 1,
                                "additionalProperties": {"type": "number", "minimum": 0}},
                        "default": {"type": "number", "minimum": 0}},
         "oneOf": [{"required": ["bands"]}, {"required": ["map"]}]}
PRODUCT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "innocredit loan product",
    "type": "object",
    "required": ["id", "version", "name", "kind", "enhancement", "eligibility", "limit", "term", "pricing"],
    "additionalProperties": False,
    "properties": {
        "id": _ID, "version": {"type": ["integer", "string"]}, "name": _TEXT, "description": _TEXT,
        "kind": {"enum": list(KINDS)}, "enhancement": {"enum": list(ENHANCEMENTS)},
        "source": {"type": "string"},
        "consent": {"type": "array", "items": _ID},
        "eligibility": {"type": "array", "minItems": 1, "items": _RULE},
        "assumptions": _ASSUMPTIONS,
        "allow_no_revenue": {"type": "object", "required": ["reason"], "additionalProperties": False,
                             "properties": {"reason": {"type": "string", "minLength": 1}}},
        "limit": {"type": "object", "required": ["terms", "max"], "additionalProperties": False,
                  "properties": {"combine": {"enum": ["min", "max", "sum"]},
                                 "caps": {"type": "array", "items": _CAP},
                                 "terms": {"type": "array", "minItems": 1, "items": _TERM},
                                 "multipliers": {"type": "array", "items": _MULT},
                                 "min": {"type": "number", "minimum": 0}, "max": _POS,
                                 "round_down_to": _POS, "cap_by_request": {"type": "boolean"}}},
        "term": {"type": "object", "required": ["min_months", "max_months", "default_months"],
                 "additionalProperties": False,
                 "properties": {"min_months": {"type": "integer", "minimum": 1},
                                "max_months": {"type": "integer", "minimum": 1},
                                "default_months": {"type": "integer", "minimum": 1}}},
        "pricing": {"type": "object", "required": ["lgd"], "additionalProperties": False,
                    "properties": {"lgd": _FRACTION, "relending_eligible": {"type": "boolean"},
                                   "extra_spread": _NUM}},
    },
}
_MONEY_CAP = {"type": "number", "exclusiveMinimum": 0}
# The guarantee fee: a rate on the guaranteed amount, paid by the borrower to the guarantor.
_GUARANTEE_FEE = {"type": "object", "required": ["rate", "max_rate"], "additionalProperties": False,
                  "properties": {"rate": _FRACTION, "max_rate": _FRACTION}}
# The re-guarantee fee: a rate on the party's share of the loan, paid by the guarantor; a lower rate for a single
# guarantee at or below small_max yuan.
_RE_FEE = {"type": "object", "required": ["rate"], "additionalProperties": False,
           "properties": {"rate": _FRACTION, "rate_small": _FRACTION, "small_max": _MONEY_CAP}}
_PARTY = {"type": "object", "required": ["id", "role", "name", "share"], "additionalProperties": False,
          "properties": {"id": _ID, "role": {"enum": ["lender", "guarantor", "re_guarantor", "national_fund",
                                                       "government", "pool"]},
                         "name": _TEXT, "share": _FRACTION, "re_guarantee_fee": _RE_FEE}}
SCHEME_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "innocredit risk-sharing scheme",
    "type": "object", "required": ["id", "version", "name", "kind"], "additionalProperties": False,
    "properties": {
        "id": _ID, "version": {"type": ["integer", "string"]}, "name": _TEXT, "source": {"type": "string"},
        "kind": {"enum": ["guarantee", "compensation_pool"]},
        "scope": _TEXT, "assumptions": _ASSUMPTIONS,
        "caps": {"type": "object", "additionalProperties": False,
                 "properties": {"max_single_balance": _MONEY_CAP, "max_single_loan": _MONEY_CAP}},
        "guarantee_fee": _GUARANTEE_FEE,
        "compensation_timeline": {
            "type": "object", "additionalProperties": False,
            "required": ["claim_after_days_overdue", "guarantor_pays_within_days", "reimbursed_within_days"],
            "properties": {k: {"type": "integer", "minimum": 0} for k in (
                "claim_after_days_overdue", "guarantor_pays_within_days", "reimbursed_within_days")}},
        "parties": {"type": "array", "minItems": 2, "items": _PARTY},
        "constraints": {"type": "array", "items": {
            "type": "object", "required": ["party"], "additionalProperties": False,
            "properties": {"party": _ID, "min": _FRACTION, "max": _FRACTION, "equals": _FRACTION}}},
        "compensation": {"type": "object", "required": ["rate", "cap_share_of_exposure"], "additionalProperties": False,
                         "properties": {"rate": _FRACTION, "rate_first_or_unsecured": _FRACTION,
                                        "cap_share_of_exposure": _FRACTION, "pool_id": _ID, "pool_name": _TEXT}},
    },
    "oneOf": [{"properties": {"kind": {"const": "guarantee"}}, "required": ["parties"]},
              {"properties": {"kind": {"const": "compensation_pool"}}, "required": ["compensation"]}],
}
_QUOTA = {"type": "object", "required": ["from", "amount", "source"], "additionalProperties": False,
          "properties": {"from": DATE, "amount": _POS, "source": {"type": "string", "minLength": 1},
                         "assumption": {"type": "boolean"}, "reasoning": {"type": "string", "minLength": 1}}}
_RELENDING = {
    "type": "object", "additionalProperties": False,
    "required": ["source", "share_of_principal", "rate", "term_months", "max_extensions", "quotas", "lists",
                 "pass_through"],
    "properties": {"source": {"type": "string", "minLength": 1}, "share_of_principal": _FRACTION, "rate": _FRACTION,
                   "term_months": {"type": "integer", "minimum": 1},
                   "max_extensions": {"type": "integer", "minimum": 0},
                   "quotas": {"type": "array", "minItems": 1, "items": _QUOTA},
                   "lists": {"type": "object", "additionalProperties": False,
                             "properties": {k: DATE for k in LIST_KINDS}},
                   "pass_through": _FRACTION},
}
POLICY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["pricing", "relending", "limits", "lifecycle"],
    "properties": {
        "version": {"type": ["integer", "string"]},
        "pricing": {"type": "object", "required": ["lpr_1y", "funding_floor", "capital_cost", "operating_cost",
                                                   "grade_pd"],
                    "additionalProperties": False,
                    "properties": {"lpr_1y": _FRACTION, "funding_floor": _FRACTION, "capital_cost": _FRACTION,
                                   "operating_cost": _FRACTION,
                                   "grade_pd": {"type": "object", "required": list(GRADES),
                                                "additionalProperties": False,
                                                "properties": {g: _FRACTION for g in GRADES}}}},
        "relending": _RELENDING,
        "limits": {"type": "object", "required": ["max_single_loan"],
                   "properties": {"max_single_loan": _POS}},
        "lifecycle": {"type": "object", "required": ["sla_working_days", "second_approver_threshold"],
                      "properties": {"sla_working_days": {"type": "integer", "minimum": 1},
                                     "second_approver_threshold": _POS}},
    },
}


# --------------------------------------------------------------------------- value objects


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Rule:
    id: str
    text_zh: str
    text_en: str
    mode: str  # "all" or "any"
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class LimitTerm:
    column: str | None
    factor: float
    constant: float | None = None


@dataclass(frozen=True)
class Multiplier:
    column: str
    bands: tuple[tuple[float, float], ...] = ()  # (min, factor), highest min first
    mapping: tuple[tuple[str, float], ...] = ()
    default: float = 0.0


@dataclass(frozen=True)
class Cap:
    """A cap on the limit: ``column x factor`` (cash flow), or the leverage headroom
    ``total_assets x max_debt_ratio - liabilities`` (never below 0)."""

    id: str
    column: str | None = None
    factor: float = 1.0
    max_debt_ratio: float | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.column,) if self.column else ("total_assets", "liabilities")


@dataclass(frozen=True)
class LimitRule:
    combine: str
    terms: tuple[LimitTerm, ...]
    multipliers: tuple[Multiplier, ...]
    min: float
    max: float
    round_down_to: float
    cap_by_request: bool
    caps: tuple[Cap, ...] = ()


@dataclass(frozen=True)
class Product:
    id: str
    version: str
    name_zh: str
    name_en: str
    kind: str
    enhancement: str
    consent: tuple[str, ...]
    rules: tuple[Rule, ...]
    limit: LimitRule
    min_months: int
    max_months: int
    default_months: int
    lgd: float
    relending_eligible: bool
    extra_spread: float
    file: str
    sha256: str
    assumptions: tuple[tuple[str, str], ...] = ()
    allow_no_revenue: str | None = None  # the product's reason to lend to a firm without revenue

    @property
    def inputs(self) -> frozenset[str]:
        cols = {c.column for r in self.rules for c in r.conditions}
        cols |= {t.column for t in self.limit.terms if t.column}
        cols |= {m.column for m in self.limit.multipliers}
        cols |= {c for cap in self.limit.caps for c in cap.inputs}
        if self.relending_eligible:  # pricing reads the official lists (innocredit.lending.relending)
            cols |= set(LIST_COLUMNS)
        return frozenset(cols | {"pd_grade"})


@dataclass(frozen=True)
class Party:
    id: str
    role: str
    name_zh: str
    name_en: str
    share: Decimal
    re_fee_rate: Decimal = Decimal(0)  # re-guarantee fee on the party's share, paid by the guarantor
    re_fee_rate_small: Decimal | None = None  # ... for a single guarantee at or below re_fee_small_max
    re_fee_small_max: Decimal | None = None


@dataclass(frozen=True)
class Scheme:
    id: str
    version: str
    name_zh: str
    name_en: str
    kind: str
    parties: tuple[Party, ...] = ()
    rate: Decimal = Decimal(0)
    rate_first_or_unsecured: Decimal = Decimal(0)
    cap_share_of_exposure: Decimal = Decimal(1)
    pool_id: str = "compensation_pool"
    pool_name_zh: str = "风险补偿资金池"
    pool_name_en: str = "risk-compensation pool"
    file: str = "<dict>"
    scope_zh: str = ""
    scope_en: str = ""
    max_single_balance: Decimal | None = None  # a firm's in-force guaranteed balance under the scheme
    max_single_loan: Decimal | None = None
    guarantee_fee_rate: Decimal = Decimal(0)  # on the guaranteed amount, paid by the borrower
    guarantee_fee_max_rate: Decimal = Decimal(0)
    assumptions: tuple[tuple[str, str], ...] = ()
    # 代偿 timeline (calendar days): the bank claims after N days overdue, the guarantor pays within M days of the
    # claim, the re-guarantors / fund / government reimburse the guarantor within K days of its payment
    timeline: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Policy:
    lpr_1y: float
    funding_floor: float
    capital_cost: float
    operating_cost: float
    grade_pd: dict[str, float]
    max_single_loan: float
    sla_working_days: int
    second_approver_threshold: Decimal
    relending: Facility
    overrides: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- loading helpers


def _validate(data: Any, schema: dict[str, Any], file: str) -> None:
    validate_policy(data, schema, file)


def _read_yaml(path: Path) -> tuple[Any, str]:
    return read_policy_file(path)


def _known(column: str) -> bool:
    return (column in BY_NAME or column in ENRICHMENT_COLUMNS or column in DERIVED_COLUMNS
            or column.startswith("has_consent_"))


def _kind_of(column: str) -> str:
    if column in ENRICHMENT_COLUMNS:
        return ENRICHMENT_COLUMNS[column]
    if column in DERIVED_COLUMNS:
        return DERIVED_COLUMNS[column]
    if column.startswith("has_consent_"):
        return "bool"
    import polars as pl

    dtype = BY_NAME[column].dtype
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.String:
        return "str"
    if dtype == pl.Date:
        return "date"
    return "float"


def _condition(c: dict[str, Any], file: str, path: str) -> Condition:
    col, op, value = c["column"], c["op"], c.get("value")
    if not _known(col):
        raise PolicyError(file, f"{path}.column", f"unknown column {col!r} (not in the feature table, the "
                                                  "enrichment columns or the derived columns)")
    kind = _kind_of(col)
    if op in ("is_true", "is_false"):
        if "value" in c:
            raise PolicyError(file, f"{path}.value", f"operator {op} takes no value")
        if kind != "bool":
            raise PolicyError(file, f"{path}.op", f"operator {op} needs a boolean column; {col} is {kind}")
        return Condition(col, op)
    if "value" not in c:
        raise PolicyError(file, f"{path}.value", f"operator {op} needs a value")
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise PolicyError(file, f"{path}.value", f"operator {op} needs a non-empty list")
        return Condition(col, op, tuple(value))
    if isinstance(value, list):
        raise PolicyError(file, f"{path}.value", f"operator {op} takes one value, not a list")
    if op in ("ge", "gt", "le", "lt") and (kind != "float" or isinstance(value, bool | str)):
        raise PolicyError(file, f"{path}", f"operator {op} compares numbers; {col} is {kind}, value {value!r}")
    if kind == "bool" and not isinstance(value, bool):
        raise PolicyError(file, f"{path}.value", f"{col} is boolean; value must be true or false")
    return Condition(col, op, value)


def product_from_dict(data: Any, file: str = "<dict>", sha256: str = "") -> Product:
    _validate(data, PRODUCT_SCHEMA, file)
    rules = []
    seen: set[str] = set()
    for i, r in enumerate(data["eligibility"]):
        path = f"$.eligibility[{i}]"
        if r["id"] in seen:
            raise PolicyError(file, f"{path}.id", f"duplicate rule id {r['id']!r}")
        seen.add(r["id"])
        if "when" in r:
            mode, conds = "all", [_condition(r["when"], file, f"{path}.when")]
        else:
            mode = "any" if "any" in r else "all"
            conds = [_condition(c, file, f"{path}.{mode}[{j}]") for j, c in enumerate(r[mode])]
        rules.append(Rule(r["id"], r["text"]["zh"], r["text"]["en"], mode, tuple(conds)))
    lim = data["limit"]
    terms = []
    for i, t in enumerate(lim["terms"]):
        if "column" in t:
            if not _known(t["column"]) or _kind_of(t["column"]) != "float":
                raise PolicyError(file, f"$.limit.terms[{i}].column", f"{t['column']!r} is not a known numeric column")
            terms.append(LimitTerm(t["column"], float(t["factor"])))
        else:
            terms.append(LimitTerm(None, 1.0, float(t["constant"])))
    mults = []
    for i, m in enumerate(lim.get("multipliers", [])):
        if not _known(m["column"]):
            raise PolicyError(file, f"$.limit.multipliers[{i}].column", f"unknown column {m['column']!r}")
        bands = tuple(sorted(((float(b["min"]), float(b["factor"])) for b in m.get("bands", [])), reverse=True))
        mapping = tuple((str(k), float(v)) for k, v in m.get("map", {}).items())
        mults.append(Multiplier(m["column"], bands, mapping, float(m.get("default", 0.0))))
    caps = []
    for i, c in enumerate(lim.get("caps", [])):
        if "column" in c and (not _known(c["column"]) or _kind_of(c["column"]) != "float"):
            raise PolicyError(file, f"$.limit.caps[{i}].column", f"{c['column']!r} is not a known numeric column")
        caps.append(Cap(c["id"], c.get("column"), float(c.get("factor", 1.0)),
                        float(c["max_debt_ratio"]) if "max_debt_ratio" in c else None))
    if data["enhancement"] == "none" and "allow_no_revenue" not in data and not any(
            c.column == "revenue" and ((c.op == "gt" and c.value >= 0) or (c.op == "ge" and c.value > 0))
            for r in rules if r.mode == "all" for c in r.conditions):
        raise PolicyError(file, "$.eligibility", "an unsecured product (enhancement none) needs a rule "
                          "'revenue gt 0', or allow_no_revenue with its reason")
    lo, hi = float(lim.get("min", 0)), float(lim["max"])
    if lo > hi:
        raise PolicyError(file, "$.limit.min", f"minimum {lo} is above maximum {hi}")
    term = data["term"]
    if not term["min_months"] <= term["default_months"] <= term["max_months"]:
        raise PolicyError(file, "$.term", "need min_months <= default_months <= max_months")
    pricing = data["pricing"]
    return Product(
        id=data["id"], version=str(data["version"]), name_zh=data["name"]["zh"], name_en=data["name"]["en"],
        kind=data["kind"], enhancement=data["enhancement"], consent=tuple(data.get("consent", [])),
        rules=tuple(rules),
        limit=LimitRule(lim.get("combine", "min"), tuple(terms), tuple(mults), lo, hi,
                        float(lim.get("round_down_to", 1)), bool(lim.get("cap_by_request", True)), tuple(caps)),
        min_months=term["min_months"], max_months=term["max_months"], default_months=term["default_months"],
        lgd=float(pricing["lgd"]), relending_eligible=bool(pricing.get("relending_eligible", False)),
        extra_spread=float(pricing.get("extra_spread", 0.0)), file=file, sha256=sha256,
        assumptions=tuple((a["field"], a["reasoning"]) for a in data.get("assumptions", [])),
        allow_no_revenue=data["allow_no_revenue"]["reason"] if "allow_no_revenue" in data else None,
    )


def load_product(path: str | Path) -> Product:
    path = Path(path)
    data, sha = _read_yaml(path)
    return product_from_dict(data, display_name(path), sha)


def load_products(directory: str | Path | None = None) -> list[Product]:
    """Every ``*.yaml`` product in ``directory`` (default: the shipped catalogue), sorted by id."""
    directory = Path(directory) if directory else PRODUCTS_DIR
    products = [load_product(p) for p in sorted(directory.glob("*.yaml"))]
    ids = [p.id for p in products]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise PolicyError(display_name(directory), "", f"duplicate product ids: {sorted(dup)}")
    return sorted(products, key=lambda p: p.id)


def scheme_from_dict(data: Any, file: str = "<dict>") -> Scheme:
    _validate(data, SCHEME_SCHEMA, file)
    name = data["name"]
    if data["kind"] == "compensation_pool":
        c = data["compensation"]
        return Scheme(data["id"], str(data["version"]), name["zh"], name["en"], "compensation_pool",
                      rate=Decimal(str(c["rate"])),
                      rate_first_or_unsecured=Decimal(str(c.get("rate_first_or_unsecured", c["rate"]))),
                      cap_share_of_exposure=Decimal(str(c["cap_share_of_exposure"])),
                      pool_id=c.get("pool_id", "compensation_pool"),
                      pool_name_zh=c.get("pool_name", {}).get("zh", "风险补偿资金池"),
                      pool_name_en=c.get("pool_name", {}).get("en", "risk-compensation pool"), file=file)
    parties = tuple(_party(p) for p in data["parties"])
    ids = [p.id for p in parties]
    if len(set(ids)) != len(ids):
        raise PolicyError(file, "$.parties", "duplicate party ids")
    if sum(1 for p in parties if p.role == "lender") != 1:
        raise PolicyError(file, "$.parties", "exactly one party must have role 'lender'")
    total = sum((p.share for p in parties), Decimal(0))
    if total != Decimal(1):
        raise PolicyError(file, "$.parties", f"shares add up to {total}, not 1")
    by_id = {p.id: p for p in parties}
    for i, con in enumerate(data.get("constraints", [])):
        party = by_id.get(con["party"])
        if party is None:
            raise PolicyError(file, f"$.constraints[{i}].party", f"no party {con['party']!r}")
        for key, ok in (("min", lambda s, v: s >= v), ("max", lambda s, v: s <= v), ("equals", lambda s, v: s == v)):
            if key in con and not ok(party.share, Decimal(str(con[key]))):
                raise PolicyError(file, f"$.constraints[{i}]",
                                  f"{party.id} share {party.share} breaks {key} {con[key]} of the scheme")
    fee = data.get("guarantee_fee")
    if fee is not None and Decimal(str(fee["rate"])) > Decimal(str(fee["max_rate"])):
        raise PolicyError(file, "$.guarantee_fee.rate", f"rate {fee['rate']} is above the scheme's maximum {fee['max_rate']}")
    if fee is not None and not any(p.role == "guarantor" for p in parties):
        raise PolicyError(file, "$.guarantee_fee", "a guarantee fee needs a party with role 'guarantor' to receive it")
    for i, p in enumerate(parties):
        if p.re_fee_rate > 0 and p.role not in ("re_guarantor", "national_fund"):
            raise PolicyError(file, f"$.parties[{i}].re_guarantee_fee",
                              "only a re-guarantor or the national fund charges a re-guarantee fee")
    caps = data.get("caps", {})
    scope = data.get("scope", {})
    return Scheme(data["id"], str(data["version"]), name["zh"], name["en"], "guarantee", parties=parties, file=file,
                  scope_zh=scope.get("zh", ""), scope_en=scope.get("en", ""),
                  max_single_balance=_dec_or_none(caps.get("max_single_balance")),
                  max_single_loan=_dec_or_none(caps.get("max_single_loan")),
                  guarantee_fee_rate=Decimal(str(fee["rate"])) if fee else Decimal(0),
                  guarantee_fee_max_rate=Decimal(str(fee["max_rate"])) if fee else Decimal(0),
                  assumptions=tuple((a["field"], a["reasoning"]) for a in data.get("assumptions", [])),
                  timeline=_timeline(data.get("compensation_timeline")))


def _timeline(t: dict[str, int] | None) -> tuple[int, int, int] | None:
    if t is None:
        return None
    return (int(t["claim_after_days_overdue"]), int(t["guarantor_pays_within_days"]),
            int(t["reimbursed_within_days"]))


def _dec_or_none(x: Any) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _party(p: dict[str, Any]) -> Party:
    fee = p.get("re_guarantee_fee", {})
    return Party(p["id"], p["role"], p["name"]["zh"], p["name"]["en"], Decimal(str(p["share"])),
                 Decimal(str(fee.get("rate", 0))), _dec_or_none(fee.get("rate_small")),
                 _dec_or_none(fee.get("small_max")))


def load_schemes(directory: str | Path | None = None) -> dict[str, Scheme]:
    directory = Path(directory) if directory else SCHEMES_DIR
    out: dict[str, Scheme] = {}
    for path in sorted(directory.glob("*.yaml")):
        data, _ = _read_yaml(path)
        scheme = scheme_from_dict(data, display_name(path))
        if scheme.id in out:
            raise PolicyError(display_name(path), "$.id", f"duplicate scheme id {scheme.id!r}")
        out[scheme.id] = scheme
    return out


# Deprecated: the names ``load_policy(env=...)`` still understands, until its callers pass ``lpr=`` and
# ``sla_working_days=`` (the settings module reads ``INNOCREDIT_LPR`` / ``INNOCREDIT_SLA_DAYS``).
LEGACY_ENV_NAMES = {"INNOCREDIT_LPR_1Y": "lpr", "INNOCREDIT_SLA_WORKING_DAYS": "sla_working_days"}


def _lpr_value(lpr: Decimal | float | str, file: str) -> float:
    try:
        return float(as_decimal(lpr))
    except ValueError as exc:
        raise PolicyError(file, "$.pricing.lpr_1y", f"override lpr: not a number: {lpr!r}") from exc


def _days_value(days: int | str, file: str) -> int:
    text = str(days).strip()
    if isinstance(days, bool) or not text.lstrip("-").isdigit():
        raise PolicyError(file, "$.lifecycle.sla_working_days",
                          f"override sla_working_days: not a whole number: {days!r}")
    return int(text)


def _facility(r: dict[str, Any], file: str) -> Facility:
    import datetime as dt

    for i, q in enumerate(r["quotas"]):
        if q.get("assumption") and not q.get("reasoning"):
            raise PolicyError(file, f"$.relending.quotas[{i}].reasoning", "an assumption needs its one line of reasoning")
    def day(text: str, path: str) -> dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise PolicyError(file, path, f"not a calendar date {text!r}: {exc}") from exc

    quotas = tuple(Quota(day(q["from"], f"$.relending.quotas[{i}].from"), Decimal(str(q["amount"])), q["source"])
                   for i, q in enumerate(r["quotas"]))
    lists = tuple((k, day(v, f"$.relending.lists.{k}")) for k, v in r["lists"].items())
    return Facility(Decimal(str(r["share_of_principal"])), Decimal(str(r["rate"])), int(r["term_months"]),
                    int(r["max_extensions"]), quotas, lists, Decimal(str(r["pass_through"])))


def policy_from_dict(data: Any, file: str = "<dict>", *, lpr: Decimal | float | str | None = None,
                     sla_working_days: int | str | None = None) -> Policy:
    """Build the policy from its YAML data; ``lpr`` and ``sla_working_days`` replace the file's values.

    The overrides are validated with the file (an LPR of 3.1 is refused as above the maximum of 1) and
    recorded in ``Policy.overrides`` by their JSON path. Nothing here reads the environment.
    """
    data = {k: dict(v) if isinstance(v, dict) else v for k, v in (data or {}).items()}
    overrides: dict[str, str] = {}
    if lpr is not None:
        data.setdefault("pricing", {})["lpr_1y"] = _lpr_value(lpr, file)
        overrides["$.pricing.lpr_1y"] = str(lpr)
    if sla_working_days is not None:
        data.setdefault("lifecycle", {})["sla_working_days"] = _days_value(sla_working_days, file)
        overrides["$.lifecycle.sla_working_days"] = str(sla_working_days)
    shown = file if not overrides else file + " with overrides " + ", ".join(
        f"{k.rsplit('.', 1)[-1]}={v}" for k, v in overrides.items())
    _validate(data, POLICY_SCHEMA, shown)
    p, lim, lc = data["pricing"], data["limits"], data["lifecycle"]
    return Policy(
        lpr_1y=float(p["lpr_1y"]), funding_floor=float(p["funding_floor"]), capital_cost=float(p["capital_cost"]),
        operating_cost=float(p["operating_cost"]), relending=_facility(data["relending"], shown),
        grade_pd={g: float(p["grade_pd"][g]) for g in GRADES}, max_single_loan=float(lim["max_single_loan"]),
        sla_working_days=int(lc["sla_working_days"]),
        second_approver_threshold=Decimal(str(lc["second_approver_threshold"])), overrides=overrides,
    )


def load_policy(lpr: Decimal | float | str | None = None, sla_working_days: int | str | None = None, *,
                path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Policy:
    """The lending policy (``policy.yaml``, or ``path``), with the one-year LPR and the decision SLA in working
    days replaced when given. The caller (the settings module) decides where overrides come from.

    ``env`` is deprecated: a mapping with ``INNOCREDIT_LPR_1Y`` / ``INNOCREDIT_SLA_WORKING_DAYS`` is read as
    ``lpr`` / ``sla_working_days`` (empty values ignored) for the callers not yet switched. It is never
    ``os.environ`` unless the caller passes it.
    """
    path = Path(path) if path else POLICY_FILE
    name = display_name(path)
    for var, arg in LEGACY_ENV_NAMES.items():
        value = (env or {}).get(var)
        if value:
            if arg == "lpr" and lpr is None:
                _lpr_value(value, f"{name} (environment {var})")
                lpr = value
            elif arg == "sla_working_days" and sla_working_days is None:
                _days_value(value, f"{name} (environment {var})")
                sla_working_days = value
    data, _ = _read_yaml(path)
    return policy_from_dict(data, name, lpr=lpr, sla_working_days=sla_working_days)
