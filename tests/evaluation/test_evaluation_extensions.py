"""Local extensions of a system (``extends``) and the two scorings of the innovation points."""

from pathlib import Path

import polars as pl
import pytest
import yaml

from innocredit.evaluation import SYSTEMS_DIR, SystemError_, evaluate, load_system

LOCAL = SYSTEMS_DIR / "examples" / "innovation-points-local-1000.yaml"


def test_absolute_and_relative_share_everything_but_the_scoring():
    rel, ab = load_system("innovation-points"), load_system("innovation-points-absolute")
    assert (rel.scoring_mode, ab.scoring_mode) == ("relative", "absolute")
    assert [i.id for i in rel.indicators] == [i.id for i in ab.indicators]
    assert [g.weight for g in rel.groups] == [g.weight for g in ab.groups]
    methods = {i.alternatives[0].scoring.method for i in ab.indicators}
    assert methods == {"reference", "cases"}
    assert {i.alternatives[0].scoring.method for i in rel.indicators} == {"percentile", "cases"}
    assert ab.raw["extends"] == "innovation-points" and [f.id for f in ab.flags] == []


def test_local_1000_point_example(firm):
    local = load_system(LOCAL)
    assert (local.id, local.max_score, local.qualification_line) == ("innovation-points-local-1000", 1000, 700)
    assert local.indicators[-1].id == "local_key_chain" and len(local.indicators) == 19
    # alone in its track: every percentile 0.5. tech 38/76*500 = 250; growth 23/46*350 = 175;
    # aux (0 + 7 + 2.5 + local 0)/30*150 = 47.5; bonus strategic emerging 20 -> 492.5
    r = evaluate(local, firm()).row(0, named=True)
    assert r["score"] == pytest.approx(492.5) and r["bonus"] == 20.0
    # the local indicator (5 of the auxiliary 30): (9.5 + 5)/30*150 = 72.5 -> 517.5
    r = evaluate(local, firm().with_columns(pl.lit("true").alias("local_key_chain"))).row(0, named=True)
    assert r["score"] == pytest.approx(517.5)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "local.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_extension_errors_name_file_and_path(tmp_path):
    p = _write(tmp_path, "extends: no-such-system\nid: x\n")
    with pytest.raises(SystemError_, match=r"local.yaml: \$.extends: base system 'no-such-system' not found"):
        load_system(p)
    p = _write(tmp_path, "extends: innovation-points\nid: x\nbonuses:\n  - {id: not_there, remove: true}\n")
    with pytest.raises(SystemError_, match=r"\$.bonuses\[0\]: cannot remove 'not_there'"):
        load_system(p)
    p = _write(tmp_path, "extends: innovation-points\nid: x\nbonuses:\n  - {points: 3}\n")
    with pytest.raises(SystemError_, match=r"\$.bonuses\[0\]: an item of an extended list needs an 'id'"):
        load_system(p)
    # the merged document is validated like any system: a bad weight is reported at its path
    p = _write(tmp_path, "extends: innovation-points\nid: x\ngroups:\n  - {id: tech, weight: {startup: 60}}\n")
    with pytest.raises(SystemError_, match=r"\$.groups\[0\].weight: no weight for stage\(s\): growth, mature"):
        load_system(p)


def test_points_range_and_judgement_checks(tmp_path):
    base = load_system("high-tech").raw


    bad = {**base, "judgement": [{**base["judgement"][0], "group": "nope"}]}
    p = _write(tmp_path, yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(SystemError_, match=r"\$.judgement\[0\].group: group 'nope' is not declared"):
        load_system(p)
    ind = [dict(i) for i in base["indicators"]]
    ind[2] = {**ind[2], "scoring": {"method": "bands", "bands": [{"min": 5, "points": [30, 25]}], "else": 0}}
    p = _write(tmp_path, yaml.safe_dump({**base, "indicators": ind}, allow_unicode=True))
    with pytest.raises(SystemError_, match=r"\$.indicators\[2\].scoring.bands\[0\].points: points range \[30, 25\] runs "
                                           r"from high to low"):
        load_system(p)
