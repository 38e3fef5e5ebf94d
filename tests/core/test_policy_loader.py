"""core.policy: one YAML + JSON Schema loader; every error names the file and the JSON path.

The second half checks each loader switched to it (lending, IP, coordination): a broken file gives an
error naming the file and the path of the problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from innocredit.core.policy import (
    PolicyError,
    display_name,
    json_path,
    load_policy_file,
    parse_policy_text,
    read_policy_file,
)

SCHEMA = {
    "type": "object", "required": ["id", "limits"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "limits": {"type": "object", "properties": {"max_amount": {"type": "number", "minimum": 0}}},
        "banks": {"type": "array", "items": {"type": "object", "required": ["id"],
                                             "properties": {"id": {"type": "string"}}}},
        "on": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    },
}


def _write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_file_loads_and_dates_stay_text(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: a\nlimits: {max_amount: 10}\non: 2026-02-16\n")
    assert load_policy_file(p, SCHEMA) == {"id": "a", "limits": {"max_amount": 10}, "on": "2026-02-16"}
    data, sha = read_policy_file(p)
    assert data["id"] == "a" and len(sha) == 64


def test_schema_error_names_file_and_json_path(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: a\nlimits:\n  max_amount: -1\n")
    with pytest.raises(PolicyError) as e:
        load_policy_file(p, SCHEMA)
    assert str(e.value) == f"{p}: $.limits.max_amount: -1 is less than the minimum of 0"
    assert (e.value.file, e.value.path) == (str(p), "$.limits.max_amount")


def test_array_items_and_missing_keys(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: a\nlimits: {}\nbanks:\n  - {id: x}\n  - {name: y}\n")
    with pytest.raises(PolicyError, match=r"p\.yaml: \$\.banks\[1\]: 'id' is a required property$"):
        load_policy_file(p, SCHEMA)
    with pytest.raises(PolicyError, match=r": \$: 'limits' is a required property"):
        parse_policy_text("id: a\n", SCHEMA, "inline.yaml")


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: 1\nlimits: {max_amount: -1}\nextra: 2\n")
    with pytest.raises(PolicyError) as e:
        load_policy_file(p, SCHEMA)
    assert len(e.value.problems) == 3
    assert e.value.path == "$.limits.max_amount"  # the deepest problem comes first
    assert str(e.value) == (f"{p}: $.limits.max_amount: -1 is less than the minimum of 0; also "
                            "$: Additional properties are not allowed ('extra' was unexpected); "
                            "$.id: 1 is not of type 'string'")


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: a\nlimits: [1\n")
    with pytest.raises(PolicyError, match=r"p\.yaml: not valid YAML at line 3, column 1"):
        load_policy_file(p, SCHEMA)


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "id: a\nlimits: {}\nid: b\n")
    with pytest.raises(PolicyError, match=r"line 3, column 1: the key 'id' is given twice"):
        load_policy_file(p, SCHEMA)


def test_missing_file_and_non_mapping(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"absent\.yaml: no such file"):
        load_policy_file(tmp_path / "absent.yaml", SCHEMA)
    with pytest.raises(PolicyError, match=r"\$: expected a mapping"):
        parse_policy_text("- 1\n- 2\n", {"type": "array"}, "list.yaml")


def test_names_inside_the_package_are_relative() -> None:
    import innocredit.lending

    shipped = Path(innocredit.lending.__file__).parent / "policy.yaml"
    assert display_name(shipped) == "lending/policy.yaml"
    assert json_path(["a", 0, "b c", "d"]) == "$.a[0]['b c'].d"
    assert json_path([]) == "$"


def test_only_true_and_false_are_booleans() -> None:
    data = parse_policy_text("a: on\nb: no\nc: true\nd: False\ne: y\n", {"type": "object"}, "b.yaml")
    assert data == {"a": "on", "b": "no", "c": True, "d": False, "e": "y"}


# --------------------------------------------------------------------------- each switched loader

PKG = Path(__file__).resolve().parents[2] / "src" / "innocredit"


def _lending_policy(p: Path) -> object:
    from innocredit.lending.schema import load_policy

    return load_policy(path=p)


def _lending_product(p: Path) -> object:
    from innocredit.lending.schema import load_product

    return load_product(p)


def _lending_schemes(p: Path) -> object:
    from innocredit.lending.schema import load_schemes

    return load_schemes(p.parent)


def _ip(name: str):  # type: ignore[no-untyped-def]
    import innocredit.ip.config as cfg

    return getattr(cfg, name)


def _ip_tables(p: Path) -> object:
    return _ip("load_tables")(quality=p)


def _coord(module: str, fn: str):  # type: ignore[no-untyped-def]
    import importlib

    return getattr(importlib.import_module(f"innocredit.coordination.{module}"), fn)


# (shipped file, text replaced, replacement, loader, JSON path named, words of the reason)
CASES = [
    ("lending/policy.yaml", "sla_working_days: 3", "sla_working_days: 0", _lending_policy,
     "$.lifecycle.sla_working_days", "less than the minimum of 1"),
    ("lending/products/ip_pledge_loan.yaml", "max_months: 36", "max_months: -36", _lending_product,
     "$.term.max_months", "less than the minimum of 1"),
    ("lending/schemes/anhui_4321.yaml", "share: 0.10}", "share: 0.05}", _lending_schemes,
     "$.parties", "shares add up to 0.95, not 1"),
    ("ip/tables/quality_weights.yaml", "min_cohort_size:", "min_cohort_size: 0 #", _ip_tables,
     "$.min_cohort_size", "less than the minimum of 1"),
    ("ip/policies/pledge/default.yaml", "invention: {min: 0.25, max: 0.50}", "invention: {min: 0.6, max: 0.5}",
     lambda p: _ip("load_pledge_policy")(p), "$.rates.invention", "min 0.6 is above max 0.5"),
    ("ip/policies/pledge/default.yaml", "max_loan: 10000000", "max_loan: -1",
     lambda p: _ip("load_pledge_policy")(p), "$.max_loan", "less than or equal to the minimum of 0"),
    ("ip/policies/pools/default.yaml", "max_rate: 0.45", "max_rate: 0.2",
     lambda p: _ip("load_pool_agreement")(p), "$.base_rate", "0.3 is above max_rate 0.2"),
    ("coordination/policies/banks.yaml", "max_banks_per_firm: 2", "max_banks_per_firm: 0",
     lambda p: _coord("routing", "load_bank_policy")(p), "$.max_banks_per_firm", "less than the minimum of 1"),
    ("coordination/policies/flow.yaml", "answer_working_days: 5", "answer_working_days: five",
     lambda p: _coord("flow", "load_flow_policy")(p), "$.deadlines.answer_working_days", "is not of type 'integer'"),
    ("coordination/policies/screening.yaml", "id: fixed_premises", "id: compliant_operation",
     lambda p: _coord("screening", "load_screening_policy")(p), "$.criteria", "criterion ids are not unique"),
    ("coordination/policies/alerts.yaml", "severity: high", "severity: huge",
     lambda p: _coord("alerts", "load_alert_rules")(p), "$.rules[0].severity", "is not one of"),
    ("coordination/policies/consent.yaml", "max_days: 1095", "max_days: many",
     lambda p: _coord("consent", "load_consent_policy")(p), "$.max_days", "is not of type"),
    ("coordination/policies/metrics.yaml", "max_employees: 500", "max_employees: [500]",
     lambda p: _coord("metrics", "load_metrics_policy")(p), "$.small_firm.max_employees", "is not of type"),
]


@pytest.mark.parametrize(("shipped", "old", "new", "load", "path", "words"), CASES,
                         ids=[f"{c[0]}:{c[4]}" for c in CASES])
def test_each_switched_loader_names_file_and_path(tmp_path: Path, shipped: str, old: str, new: str, load,  # type: ignore[no-untyped-def]
                                                  path: str, words: str) -> None:
    text = (PKG / shipped).read_text(encoding="utf-8")
    assert old in text, f"{shipped} no longer contains {old!r}: update this test"
    load(PKG / shipped)  # the shipped file itself is valid
    bad = tmp_path / Path(shipped).name
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as e:
        load(bad)
    assert e.value.file == str(bad)
    assert e.value.path == path
    assert str(e.value).startswith(f"{bad}: {path}: ")
    assert words in e.value.reason


def test_every_loader_raises_the_same_error_type() -> None:
    import innocredit.coordination.policy as coord
    import innocredit.ip.config as ip
    import innocredit.lending.schema as lending

    assert coord.PolicyError is ip.PolicyError is lending.PolicyError is PolicyError
    assert issubclass(PolicyError, ValueError)
