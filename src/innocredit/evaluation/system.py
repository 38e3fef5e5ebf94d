"""Indicator systems as data: load a YAML file, validate it against the schema, parse its formulas.

A validation failure is a :class:`SystemError_` naming the file, the path inside the YAML
(``indicators/2/scoring/bands/0/min``) and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from innocredit.core.policy import PolicyError, display_name, json_path, read_policy_file, validate_policy
from innocredit.evaluation.formula import Formula, FormulaError, fraction, parse
from innocredit.evaluation.schema import SYSTEM_SCHEMA
from innocredit.profile.features import FEATURE_COLUMNS

SYSTEMS_DIR = Path(__file__).resolve().parent / "systems"
DERIVED_NAMES = ("age_years", "stage", "as_of")


class SystemError_(PolicyError):  # noqa: N801 - trailing underscore keeps the builtin name free
    """An indicator-system file that cannot be used: file, JSON path inside it (``$.indicators[2].value``), reason.
    A :class:`innocredit.core.policy.PolicyError`, like every other policy file's error."""

    def __init__(self, file: str, path: str, reason: str, problems: Any = ()) -> None:
        super().__init__(file, _as_json_path(path), reason, problems)


def _as_json_path(path: str) -> str:
    """``indicators/2/value`` -> ``$.indicators[2].value``; a JSON path or an empty path is kept."""
    if not path or path.startswith("$"):
        return path
    parts: list[str | int] = [int(x) if x.isdigit() else x for x in path.split("/") if x]
    return json_path(parts)


@dataclass(frozen=True)
class Band:
    lower: float | str  # as written in the file; compared exactly as a decimal fraction
    exclusive: bool
    points: float  # the highest points of the band (the only points when the policy gives no range)
    label: dict[str, str] | None = None
    low: float | None = None  # the lowest points when the policy gives a range ("7-8分")

    @property
    def fraction(self) -> Fraction:
        return fraction(self.lower)


@dataclass(frozen=True)
class Case:
    when: Formula
    points: float
    label: dict[str, str] | None = None
    low: float | None = None


@dataclass(frozen=True)
class Scoring:
    method: str  # bands | cases | reference | percentile
    bands: tuple[Band, ...] = ()
    cases: tuple[Case, ...] = ()
    otherwise: float = 0.0
    reference: float | None = None

    @property
    def has_range(self) -> bool:
        return any(b.low is not None for b in self.bands) or any(c.low is not None for c in self.cases)


@dataclass(frozen=True)
class Alternative:
    id: str
    name: dict[str, str]
    value: Formula | None
    scoring: Scoring
    format: str = "number"


@dataclass(frozen=True)
class Indicator:
    id: str
    name: dict[str, str]
    group: str
    max_points: float
    alternatives: tuple[Alternative, ...]  # one for a plain indicator, several for "best_of"
    format: str = "number"
    track: bool = False

    @property
    def best_of(self) -> bool:
        return len(self.alternatives) > 1

    @property
    def inputs(self) -> frozenset[str]:
        names: set[str] = set()
        for alt in self.alternatives:
            if alt.value is not None:
                names |= alt.value.names
            for c in alt.scoring.cases:
                names |= c.when.names
        return frozenset(names)


@dataclass(frozen=True)
class Rule:
    id: str
    name: dict[str, str]
    when: Formula
    points: float = 0.0


@dataclass(frozen=True)
class Group:
    id: str
    name: dict[str, str]
    weight: float | dict[str, float] | None = None
    minimum: float | None = None
    cap: float | None = None


@dataclass(frozen=True)
class Judgement:
    """A part of the evaluation that needs expert judgement (e.g. 高新技术企业 研发组织管理水平, 0-20):
    it adds ``[min_points, max_points]`` to the reachable range when ``when`` holds (unknown: 0 to max)."""

    id: str
    name: dict[str, str]
    group: str
    max_points: float
    min_points: float = 0.0
    when: Formula | None = None
    note: str = ""
    input: str | None = None  # a numeric input column holding the expert's points, when they are known


@dataclass(frozen=True)
class Lever:
    field: str
    name: dict[str, str]
    step: float = 1.0
    max_steps: int = 200
    relative: bool = False
    also: tuple[str, ...] = ()
    cost: float | None = None  # per step, or per unit of the field for a relative lever (default 1 a unit)
    cost_unit: dict[str, str] | None = None


@dataclass(frozen=True)
class TrackLevel:
    id: str
    name: dict[str, str]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class System:
    """A loaded, validated indicator system."""

    id: str
    version: str
    name: dict[str, str]
    source: dict[str, str]
    indicators: tuple[Indicator, ...]
    groups: tuple[Group, ...]
    qualification: Formula
    qualification_line: float | None = None
    max_score: float = 100.0
    conditions: tuple[Rule, ...] = ()
    vetoes: tuple[Rule, ...] = ()
    direct_routes: tuple[Rule, ...] = ()
    bonuses: tuple[Rule, ...] = ()
    deductions: tuple[Rule, ...] = ()
    bonus_cap: float | None = None
    flags: tuple[Rule, ...] = ()
    stages: tuple[Rule, ...] = ()
    default_stage: str | None = None
    track_levels: tuple[TrackLevel, ...] = ()
    track_min_size: int = 30
    levers: tuple[Lever, ...] = ()
    inputs: tuple[str, ...] = ()
    input_types: dict[str, str] = field(default_factory=dict)
    input_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    judgement: tuple[Judgement, ...] = ()
    scoring_mode: str = "mixed"
    description: str = ""
    file: str = ""
    sha256: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def indicator(self, ind_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == ind_id:
                return ind
        raise KeyError(ind_id)

    @property
    def tracked(self) -> tuple[Indicator, ...]:
        """Indicators placed in the track (percentile within peers)."""
        if not self.track_levels:
            return ()
        return tuple(i for i in self.indicators if i.track or any(a.scoring.method == "percentile"
                                                                  for a in i.alternatives))

    @property
    def has_ranges(self) -> bool:
        """Points given as ranges or parts needing expert judgement: the result carries the lowest and highest
        reachable totals and a state (qualified / possible / not_qualified)."""
        return bool(self.judgement) or any(a.scoring.has_range for i in self.indicators for a in i.alternatives)

    @property
    def uses_stages(self) -> bool:
        return bool(self.stages) or any(isinstance(g.weight, dict) for g in self.groups)

    @property
    def feature_inputs(self) -> frozenset[str]:
        """Feature-table columns the system reads (for the missing-field report)."""
        names: set[str] = set()
        for ind in self.indicators:
            names |= ind.inputs
        for r in (*self.conditions, *self.vetoes, *self.direct_routes, *self.bonuses, *self.deductions, *self.stages):
            names |= r.when.names
        for j in self.judgement:
            if j.when is not None:
                names |= j.when.names
        known = set(FEATURE_COLUMNS) | set(self.inputs)
        return frozenset(n for n in names if n in known and n != "as_of")


# --------------------------------------------------------------------------- loading

def list_systems(directory: Path | None = None) -> list[System]:
    """Every shipped system (``systems/*.yaml``), sorted by id."""
    d = directory or SYSTEMS_DIR
    return sorted((load_system(p) for p in d.glob("*.yaml")), key=lambda s: s.id)


def load_system(id_or_path: str | Path) -> System:
    """Load a system by id (a shipped file ``systems/<id>.yaml``) or by path to a YAML file."""
    p = Path(id_or_path)
    if not (p.suffix in (".yaml", ".yml") or p.exists()):
        p = SYSTEMS_DIR / f"{id_or_path}.yaml"
        if not p.exists():
            known = ", ".join(sorted(x.stem for x in SYSTEMS_DIR.glob("*.yaml")))
            raise SystemError_(str(id_or_path), "", f"unknown system {str(id_or_path)!r}; known: {known}")
    name = display_name(p)
    try:
        data, sha = read_policy_file(p, name=name)
    except PolicyError as exc:
        raise SystemError_(exc.file, exc.path, exc.reason) from exc
    if isinstance(data, dict) and "extends" in data:
        data = _extend(data, p, name)
        sha = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return system_from_dict(data, name, sha)


# keys whose value an extension replaces whole instead of merging into
_REPLACE = frozenset({"scoring", "best_of", "weight", "when", "value", "rule", "keys", "cases", "bands"})


def _extend(data: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    """A local extension: ``extends: <system id or file>`` and the keys to change. Dicts merge key by key, lists
    of objects with an ``id`` merge item by item (a new id is appended, ``remove: true`` deletes one), anything
    else replaces the base's value."""
    ref = str(data["extends"])
    base_path = path.parent / ref if ref.endswith((".yaml", ".yml")) else SYSTEMS_DIR / f"{ref}.yaml"
    if not base_path.exists():
        raise SystemError_(name, "extends", f"base system {ref!r} not found")
    base = load_system(base_path).raw
    merged = _merge(base, {k: v for k, v in data.items() if k != "extends"}, name, "")
    merged["extends"] = ref
    return merged


def _merge(base: Any, over: Any, file: str, where: str) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = v if (k in _REPLACE or k not in base) else _merge(base[k], v, file, f"{where}/{k}".lstrip("/"))
        return out
    if (isinstance(base, list) and isinstance(over, list) and all(isinstance(x, dict) and "id" in x for x in base)
            and all(isinstance(x, dict) for x in over)):
        out_list = [dict(x) for x in base]
        for i, item in enumerate(over):
            if "id" not in item:
                raise SystemError_(file, f"{where}/{i}", "an item of an extended list needs an 'id'")
            pos = next((j for j, x in enumerate(out_list) if x["id"] == item["id"]), None)
            if item.get("remove"):
                if pos is None:
                    raise SystemError_(file, f"{where}/{i}", f"cannot remove {item['id']!r}: not in the base system")
                out_list.pop(pos)
            elif pos is None:
                out_list.append(item)
            else:
                out_list[pos] = _merge(out_list[pos], item, file, f"{where}/{i}")
        return out_list
    return over


def _scoring_at(data: Any, path: str) -> dict[str, Any] | None:
    """The scoring mapping when ``path`` points at an indicator's ``scoring`` or its ``method``."""
    m = re.fullmatch(r"\$((?:\.\w+|\[\d+\])*)\.scoring(?:\.method)?", path)
    if not m:
        return None
    node: Any = data
    for key in re.findall(r"\.(\w+)|\[(\d+)\]", m.group(1)):
        try:
            node = node[key[0]] if key[0] else node[int(key[1])]
        except (KeyError, IndexError, TypeError):
            return None
    scoring = node.get("scoring") if isinstance(node, dict) else None
    if isinstance(scoring, dict) and scoring.get("method") not in ("bands", "cases", "reference", "percentile"):
        return scoring
    return None


def system_from_dict(data: Any, file: str = "<dict>", sha256: str | None = None) -> System:
    """Validate a parsed YAML document (the shared policy loader's JSON Schema check, then the semantic checks)
    and build the :class:`System`."""
    try:
        validate_policy(data, SYSTEM_SCHEMA, file)
    except PolicyError as exc:
        path, reason = exc.path, exc.reason
        scoring = _scoring_at(data, path)
        if scoring is not None:  # a oneOf over the methods: say which methods exist
            path = path.removesuffix(".method")
            reason = (f"scoring method {scoring.get('method')!r} is not one of bands, cases, reference, percentile "
                      "or its keys do not fit the method")
        raise SystemError_(exc.file, path, reason, exc.problems[1:]) from exc
    if sha256 is None:
        sha256 = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    return _Builder(data, file, sha256).build()


class _Builder:
    def __init__(self, data: dict[str, Any], file: str, sha256: str) -> None:
        self.d, self.file, self.sha = data, file, sha256
        self.inputs = [i if isinstance(i, str) else i["name"] for i in data.get("inputs", [])]
        self.known = set(FEATURE_COLUMNS) | set(self.inputs) | set(DERIVED_NAMES)

    def fail(self, path: str, reason: str) -> SystemError_:
        return SystemError_(self.file, path, reason)

    def formula(self, text: Any, path: str, extra: set[str] | frozenset[str] = frozenset()) -> Formula:
        try:
            f = parse(text)
        except FormulaError as exc:
            raise self.fail(path, str(exc)) from exc
        unknown = sorted(f.names - self.known - set(extra))
        if unknown:
            raise self.fail(path, f"formula {f.text!r} names unknown field(s): {', '.join(unknown)}")
        return f

    def scoring(self, s: dict[str, Any], path: str) -> Scoring:
        method = s["method"]
        if method == "bands":
            bands = []
            prev = None
            for i, b in enumerate(s["bands"]):
                lower = b["min"] if "min" in b else b["above"]
                try:
                    lower_f = float(fraction(lower))
                except Exception as exc:
                    raise self.fail(f"{path}/bands/{i}", f"band bound {lower!r} is not a number") from exc
                if prev is not None and lower_f > prev:
                    raise self.fail(f"{path}/bands/{i}", "bands must be listed from the highest lower bound down")
                prev = lower_f
                lo, hi = self.points(b["points"], f"{path}/bands/{i}/points")
                bands.append(Band(lower, "above" in b, hi, b.get("label"), lo))
            return Scoring("bands", bands=tuple(bands), otherwise=float(s.get("else", 0)))
        if method == "cases":
            cases = tuple(Case(self.formula(c["when"], f"{path}/cases/{i}/when"),
                               self.points(c["points"], f"{path}/cases/{i}/points")[1], c.get("label"),
                               self.points(c["points"], f"{path}/cases/{i}/points")[0])
                          for i, c in enumerate(s["cases"]))
            return Scoring("cases", cases=cases, otherwise=float(s.get("else", 0)))
        if method == "reference":
            return Scoring("reference", reference=float(s["reference"]))
        return Scoring("percentile")

    def points(self, value: Any, path: str) -> tuple[float | None, float]:
        """(lowest, highest) of a band's points: ``8`` -> (None, 8); ``[7, 8]`` -> (7, 8)."""
        if isinstance(value, list):
            lo, hi = float(value[0]), float(value[1])
            if lo > hi:
                raise self.fail(path, f"points range [{value[0]}, {value[1]}] runs from high to low")
            return lo, hi
        return None, float(value)

    def alternative(self, a: dict[str, Any], path: str, default_id: str, default_name: dict[str, str]) -> Alternative:
        scoring = self.scoring(a["scoring"], f"{path}/scoring")
        value = self.formula(a["value"], f"{path}/value") if "value" in a else None
        if value is None and scoring.method != "cases":
            raise self.fail(f"{path}", f"scoring method {scoring.method!r} needs a 'value' formula")
        return Alternative(a.get("id", default_id), a.get("name", default_name), value, scoring,
                           a.get("format", "number"))

    def rules(self, key: str, extra: set[str] | frozenset[str] = frozenset()) -> tuple[Rule, ...]:
        out = []
        seen: set[str] = set()
        for i, r in enumerate(self.d.get(key, []) if key != "stages" else self.d.get("stages", {}).get("rules", [])):
            path = f"{key}/{i}" if key != "stages" else f"stages/rules/{i}"
            if r["id"] in seen:
                raise self.fail(f"{path}/id", f"duplicate id {r['id']!r}")
            seen.add(r["id"])
            out.append(Rule(r["id"], r["name"], self.formula(r["when"], f"{path}/when", extra), float(r.get("points", 0))))
        return tuple(out)

    def build(self) -> System:
        d = self.d
        groups = tuple(Group(g["id"], g["name"], g.get("weight"), g.get("minimum"), g.get("cap")) for g in d["groups"])
        group_ids = [g.id for g in groups]
        if len(set(group_ids)) != len(group_ids):
            raise self.fail("groups", "duplicate group id")
        stage_ids = {r["id"] for r in d.get("stages", {}).get("rules", [])} | (
            {d["stages"]["default"]} if "stages" in d else set())
        for gi, g in enumerate(groups):
            if isinstance(g.weight, dict):
                if not stage_ids:
                    raise self.fail(f"groups/{gi}/weight", "stage-dependent weights need a 'stages' section")
                missing = stage_ids - set(g.weight)
                if missing:
                    raise self.fail(f"groups/{gi}/weight", f"no weight for stage(s): {', '.join(sorted(missing))}")
        indicators = []
        seen: set[str] = set()
        for i, ind in enumerate(d["indicators"]):
            path = f"indicators/{i}"
            if ind["id"] in seen:
                raise self.fail(f"{path}/id", f"duplicate indicator id {ind['id']!r}")
            seen.add(ind["id"])
            if ind["group"] not in group_ids:
                raise self.fail(f"{path}/group", f"group {ind['group']!r} is not declared in 'groups'")
            if "best_of" in ind:
                alts = tuple(self.alternative(a, f"{path}/best_of/{j}", a["id"], a["name"])
                             for j, a in enumerate(ind["best_of"]))
            else:
                alts = (self.alternative(ind, path, ind["id"], ind["name"]),)
            for j, alt in enumerate(alts):
                top = max([b.points for b in alt.scoring.bands] + [c.points for c in alt.scoring.cases] + [0])
                if top > ind["max_points"]:
                    raise self.fail(f"{path}" + (f"/best_of/{j}" if len(alts) > 1 else ""),
                                    f"a band gives {top} points, more than max_points {ind['max_points']}")
            indicators.append(Indicator(ind["id"], ind["name"], ind["group"], float(ind["max_points"]), alts,
                                        ind.get("format", alts[0].format), bool(ind.get("track", False))))
        judgement = []
        for i, j in enumerate(d.get("judgement", [])):
            if j["group"] not in group_ids:
                raise self.fail(f"judgement/{i}/group", f"group {j['group']!r} is not declared in 'groups'")
            if j["id"] in seen:
                raise self.fail(f"judgement/{i}/id", f"duplicate id {j['id']!r}")
            seen.add(j["id"])
            if float(j.get("min_points", 0)) > float(j["max_points"]):
                raise self.fail(f"judgement/{i}/min_points", "min_points is above max_points")
            if "input" in j and j["input"] not in self.inputs:
                raise self.fail(f"judgement/{i}/input", f"input {j['input']!r} is not declared in 'inputs'")
            judgement.append(Judgement(j["id"], j["name"], j["group"], float(j["max_points"]),
                                       float(j.get("min_points", 0)),
                                       self.formula(j["when"], f"judgement/{i}/when") if "when" in j else None,
                                       j.get("note", ""), j.get("input")))
        ind_ids = [x.id for x in indicators]
        computed = {"score", "bonus", "deduction", "total_points", "score_low", "total_low", "total_high",
                    "eligible", *(f"pt_{x}" for x in ind_ids),
                    *(f"grp_{g}" for g in group_ids), *(f"val_{x}" for x in ind_ids)}
        qual = d["qualification"]
        track = d.get("track")
        if any(a.scoring.method == "percentile" for x in indicators for a in x.alternatives) and not track:
            raise self.fail("track", "percentile scoring needs a 'track' section (cohort levels)")
        levers = tuple(Lever(lv["field"], lv["name"], float(lv.get("step", 1)), int(lv.get("max_steps", 200)),
                             bool(lv.get("relative", False)), tuple(lv.get("also", ())),
                             float(lv["cost"]) if "cost" in lv else None, lv.get("cost_unit"))
                       for lv in d.get("levers", []))
        for i, lv in enumerate(levers):
            for f in (lv.field, *lv.also):
                if f not in self.known:
                    raise self.fail(f"levers/{i}/field", f"unknown field {f!r}")
        return System(
            id=d["id"], version=str(d["version"]), name=d["name"], source=d["source"],
            indicators=tuple(indicators), groups=groups,
            qualification=self.formula(qual["rule"], "qualification/rule", computed),
            qualification_line=qual.get("line"), max_score=float(d.get("max_score", 100)),
            conditions=self.rules("conditions"), vetoes=self.rules("vetoes"),
            direct_routes=self.rules("direct_routes"), bonuses=self.rules("bonuses"),
            deductions=self.rules("deductions"), bonus_cap=d.get("bonus_cap"),
            flags=self.rules("flags", computed | {"qualified", "possible"}), stages=self.rules("stages"),
            default_stage=d.get("stages", {}).get("default"),
            track_levels=tuple(TrackLevel(lv["id"], lv["name"], tuple(lv["keys"])) for lv in (track or {}).get("levels", [])),
            track_min_size=int((track or {}).get("min_size", 30)), levers=levers,
            inputs=tuple(self.inputs),
            input_types={i["name"]: i["type"] for i in d.get("inputs", []) if isinstance(i, dict)},
            input_choices={i["name"]: tuple(i["choices"]) for i in d.get("inputs", [])
                           if isinstance(i, dict) and "choices" in i},
            judgement=tuple(judgement), scoring_mode=d.get("scoring_mode", "mixed"),
            description=d.get("description", ""),
            file=self.file, sha256=self.sha, raw=d,
        )
