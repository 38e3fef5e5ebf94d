"""The example bank system, and refusal of malformed system files (file, YAML path, reason)."""

import copy

import pytest
import yaml

from innocredit.core.policy import PolicyError
from innocredit.evaluation import SYSTEMS_DIR, SystemError_, evaluate, list_systems, load_system, system_from_dict


def test_shipped_systems():
    assert [s.id for s in list_systems()] == ["bank-new-quality", "high-tech", "innovation-points",
                                              "innovation-points-absolute", "innovative-sme",
                                              "specialized-sme", "tech-sme"]
    points = load_system("innovation-points")
    assert len(points.indicators) == 18 and [g.id for g in points.groups] == ["tech", "growth", "aux"]


def test_bank_new_quality_by_hand(firm):
    r = evaluate(load_system("bank-new-quality"), firm()).row(0, named=True)
    # talent: 8/120 = 6.7% -> 2; 1 programme member -> 5; R&D staff 24/120 = 20% -> 3
    # qualifications: none -> 0; patents: 1 invention -> 6, 0 high-value -> 0, self-developed -> 5
    # subsidies 0.6m/2m*10 = 3; exports 5m/40m = 12.5% -> 4; orders 8m/5m = 1.6 -> 3;  total 31
    assert r["score"] == 31.0 and not r["qualified"]
    assert (r["grp_talent"], r["grp_patents"], r["grp_support"], r["grp_market"]) == (10.0, 11.0, 3.0, 7.0)
    r = evaluate(load_system("bank-new-quality"), firm(high_tech_certified=True, specialized_level="specialized",
                                                       ip_class1=10, ip_class1_high_value=3)).row(0, named=True)
    # + 18 (high-tech and specialised) + 9 (10 inventions: 15 instead of 6) + 10 (3 high-value) = 68
    assert r["score"] == 68.0 and r["qualified"]
    r = evaluate(load_system("bank-new-quality"), firm(open_enforcement_cases=1)).row(0, named=True)
    assert r["failed_conditions"] == ["enforcement_cases"]


def _tech_sme():
    return yaml.safe_load((SYSTEMS_DIR / "tech-sme.yaml").read_text(encoding="utf-8"))


def _broken(mutate):
    d = _tech_sme()
    mutate(d)
    return d


@pytest.mark.parametrize(("mutate", "path", "words"), [
    (lambda d: d.pop("version"), "$", "'version' is a required property"),
    (lambda d: d["indicators"][0]["scoring"]["bands"][0].update(points="many"), "$.indicators[0].scoring.bands[0].points",
     "is not of type 'number'"),
    (lambda d: d["indicators"][0]["scoring"]["bands"].reverse(), "$.indicators[0].scoring.bands[1]",
     "highest lower bound down"),
    (lambda d: d["indicators"][0].update(value="tech_staff / headcount"), "$.indicators[0].value", "unknown field(s): headcount"),
    (lambda d: d["indicators"][0].update(value="__import__('os')"), "$.indicators[0].value", "only the functions"),
    (lambda d: d["indicators"][0].update(value="employees.real"), "$.indicators[0].value", "Attribute is not allowed"),
    (lambda d: d["indicators"][0].update(group="people"), "$.indicators[0].group", "not declared"),
    (lambda d: d["conditions"][0].update(when="employees <="), "$.conditions[0].when", "does not parse"),
    (lambda d: d["indicators"][0]["scoring"].update(method="magic"), "$.indicators[0].scoring",
     "scoring method 'magic' is not one of bands, cases, reference, percentile"),
    (lambda d: d["indicators"][0]["scoring"]["bands"][0].update(points=25), "$.indicators[0]",
     "more than max_points"),
    (lambda d: d["qualification"].update(rule="score >= 60 and pt_nothing > 0"), "$.qualification.rule",
     "unknown field(s): pt_nothing"),
    (lambda d: d.update(colour="blue"), "$", "('colour' was unexpected)"),
])
def test_malformed_system_refused(mutate, path, words):
    with pytest.raises(SystemError_) as err:
        system_from_dict(_broken(mutate), "bad.yaml")
    msg = str(err.value)
    assert msg.startswith(f"bad.yaml: {path}: "), msg
    assert isinstance(err.value, PolicyError)  # the shared policy loader's error
    assert words in msg


def test_bad_yaml_file_names_line(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("id: x\nname: [unclosed\n", encoding="utf-8")
    with pytest.raises(SystemError_) as err:
        load_system(p)
    assert str(p) in str(err.value) and "line" in str(err.value) and "not valid YAML" in str(err.value)


def test_unknown_system_id():
    with pytest.raises(SystemError_, match="unknown system 'nope'; known: bank-new-quality"):
        load_system("nope")


def test_a_bank_adds_a_system_by_dropping_a_file(tmp_path, firm):
    d = copy.deepcopy(_tech_sme())
    d["id"], d["version"] = "my-bank", "1"
    d["qualification"]["rule"] = "score >= 80"
    p = tmp_path / "my-bank.yaml"
    p.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    s = load_system(p)
    r = evaluate(s, firm()).row(0, named=True)
    assert (r["system"], r["score"], r["qualified"]) == ("my-bank", 74.0, False)
    assert [x.id for x in list_systems(tmp_path)] == ["my-bank"]
