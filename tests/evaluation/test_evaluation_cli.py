"""The CLI: evaluate (json/csv/parquet/jsonl), systems list/show/validate, explain; bad input -> exit 2."""

import json
from pathlib import Path

import polars as pl
import yaml
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.evaluation import SYSTEMS_DIR

runner = CliRunner()


def flat(text: str) -> str:
    """Without whitespace: rich wraps long error lines at the console width."""
    return "".join(text.split())

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "tech_sme_cases.csv"  # inside the repository


def test_evaluate_json_on_stdout():
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(EXAMPLES), "--format", "json"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(recs) == 8
    first = recs[0]
    for key in ("uscc", "system", "system_version", "score", "qualified", "route", "indicators", "failed_conditions",
                "missing"):
        assert key in first
    assert first["score"] == 74.0 and first["indicators"] == {"tech_staff": 16.0, "rd_input": 40.0,
                                                               "tech_results": 18.0}
    assert [r["qualified"] for r in recs] == [True, True, True, False, True, False, False, True]


def test_evaluate_files_all_formats(tmp_path, cases):
    parquet_in = tmp_path / "in.parquet"
    cases.write_parquet(parquet_in)
    for ext in ("csv", "jsonl", "parquet"):
        out = tmp_path / f"out.{ext}"
        res = runner.invoke(app, ["evaluate", "--system", "innovation-points", "--input", str(parquet_in),
                                  "--output", str(out)])
        assert res.exit_code == 0, res.output
        df = pl.read_parquet(out) if ext == "parquet" else (pl.read_csv(out) if ext == "csv" else pl.read_ndjson(out))
        assert df.height == 8 and "policy_credit_eligible" in df.columns and "track_pct_total" in df.columns


def test_bad_row_is_refused_with_line_and_column(tmp_path):
    text = EXAMPLES.read_text(encoding="utf-8").splitlines()
    bad = text[3].split(",")
    bad[0] = "91330106100000032X"  # wrong check character
    text[3] = ",".join(bad)
    p = tmp_path / "bad.csv"
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(p), "--format", "json"])
    assert res.exit_code == 2
    assert flat(f"{p}:4: column 'uscc'") in flat(res.stderr)
    assert flat("nothing was evaluated") in flat(res.stderr) and res.stdout == ""


def test_bad_parquet_value_is_refused(tmp_path, cases):
    p = tmp_path / "bad.parquet"
    cases.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(-5).otherwise(pl.col("employees"))
                       .alias("employees")).write_parquet(p)
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(p)])
    assert res.exit_code == 2 and flat(f"{p}:3: column 'employees': must not be negative") in flat(res.stderr)


def test_unreadable_file_and_unknown_system(tmp_path):
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(tmp_path / "none.csv")])
    assert res.exit_code == 2 and flat("no such file") in flat(res.stderr)
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet at all")
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(junk)])
    assert res.exit_code == 2 and flat("cannot read as parquet") in flat(res.stderr)
    res = runner.invoke(app, ["evaluate", "--system", "nope", "--input", str(EXAMPLES)])
    assert res.exit_code == 2 and flat("unknown system 'nope'") in flat(res.stderr)


def test_systems_list_show_validate(tmp_path):
    res = runner.invoke(app, ["systems", "list", "--format", "json"])
    assert res.exit_code == 0
    assert {s["id"] for s in json.loads(res.stdout)} >= {"tech-sme", "high-tech", "innovation-points"}
    res = runner.invoke(app, ["systems", "show", "tech-sme"])
    assert res.exit_code == 0 and "tech_staff / employees: ≥0.30 → 20" in res.stdout
    good = tmp_path / "ok.yaml"
    good.write_text((SYSTEMS_DIR / "tech-sme.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    res = runner.invoke(app, ["systems", "validate", str(good)])
    assert res.exit_code == 0 and "valid system tech-sme" in res.stdout
    d = yaml.safe_load(good.read_text(encoding="utf-8"))
    d["indicators"][1]["best_of"][0]["scoring"]["bands"][0]["min"] = "six percent"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    res = runner.invoke(app, ["systems", "validate", str(bad)])
    assert res.exit_code == 2
    assert flat(f"{bad}: $.indicators[1].best_of[0].scoring.bands[0]: band bound 'six percent' is not a number") in \
        flat(res.stderr)


def test_explain_cli_en_and_zh():
    args = ["explain", "--system", "tech-sme", "--input", str(EXAMPLES), "--uscc", "913301061000000677"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "technology staff / employees: 9% → 0/20 (< 10%)" in res.stdout
    assert "2 more tech staff (new hires) → +4 points → qualifies" in res.stdout
    res = runner.invoke(app, [*args, "--lang", "zh"])
    assert "增加2名科技人员（新招） → +4 分 → 达标" in res.stdout
    res = runner.invoke(app, [*args, "--format", "json"])
    e = json.loads(res.stdout)
    assert e["paths"][0]["qualifies"] and e["paths"][0]["change"] == 2.0
    res = runner.invoke(app, ["explain", "--system", "tech-sme", "--input", str(EXAMPLES), "--uscc", "x"])
    assert res.exit_code == 2


def test_one_reader_typed_parquet_user_typed_parquet_and_csv_agree(tmp_path, cases):
    from innocredit.ingest.tables import read_feature_table

    p = tmp_path / "typed.parquet"
    cases.write_parquet(p)
    csv = tmp_path / "cases.csv"
    cases.write_csv(csv)
    typed, text = read_feature_table(p), read_feature_table(csv)
    assert typed.problems == [] and text.problems == []
    assert typed.data.equals(text.data)
    # a user's Parquet: dates as text, region codes as integers, counts as floats
    u = tmp_path / "user.parquet"
    cases.with_columns(pl.col("as_of").cast(pl.String), pl.col("region_code").cast(pl.Int64),
                       pl.col("employees").cast(pl.Float64)).write_parquet(u)
    user = read_feature_table(u)
    assert user.problems == [] and user.data.equals(typed.data)
    # a duplicated (uscc, as_of) and a bad industry code are refused with their rows
    bad = pl.concat([cases, cases.head(1)]).with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit("I99")).otherwise(pl.col("industry_code"))
        .alias("industry_code"))
    q = tmp_path / "bad.parquet"
    bad.write_parquet(q)
    t = read_feature_table(q)
    assert [(x.line, x.column) for x in t.problems] == [(2, "industry_code"), (9, "uscc")]
    assert "division 99 is not in section I" in t.problems[0].reason
    assert "duplicated key" in t.problems[1].reason
    assert t.data.height == 7
    # a float where a whole number is expected, a bad region integer: named with row and column, typed
    r = tmp_path / "odd.parquet"
    cases.with_columns(pl.col("employees").cast(pl.Float64), pl.col("region_code").cast(pl.Int64)).with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(12.5).otherwise(pl.col("employees")).alias("employees"),
        pl.when(pl.int_range(pl.len()) == 4).then(3301).otherwise(pl.col("region_code")).alias("region_code"),
    ).write_parquet(r)
    t = read_feature_table(r)
    assert [(x.line, x.column, x.value, x.reason) for x in t.problems] == [
        (3, "employees", "12.5", "not a whole number"),
        (5, "region_code", "3301", "region code '3301' is not 6 digits")]
    assert t.data.height == 6

def test_evaluate_store_and_jsonl_input(tmp_path, cases):
    from innocredit.storage.base import make_engine, unit_of_work
    from innocredit.storage.evaluation import EvaluationRun, why

    src = tmp_path / "in.jsonl"
    cases.write_ndjson(src)
    db = f"sqlite:///{tmp_path / 'e.db'}"
    res = runner.invoke(app, ["evaluate", "--system", "tech-sme", "--input", str(src), "--output",
                              str(tmp_path / "o.csv"), "--store", "--database", db, "--user", "officer.wang"])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(tmp_path / "o.csv")
    assert out["failed_conditions"].to_list()[3] == "max_employees"
    eng = make_engine(db)
    with unit_of_work(eng) as s:
        run = s.query(EvaluationRun).one()
        assert (run.created_by, run.n_enterprises, run.input_ref) == ("officer.wang", 8, str(src))
        assert why(s, run.id, "913301061000000677")["points"]["pt_tech_staff"] == 0.0
    eng.dispose()


def test_explain_cli_high_tech_shows_the_reachable_range():
    args = ["explain", "--system", "high-tech", "--input", str(EXAMPLES), "--uscc", "91330106100000016Y"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "computable part: 21–34" in res.stdout
    assert "expert judgement: R&D organisation and management (expert review, 0-20): 0–20" in res.stdout
    assert "reachable total: 21–70 (rule: score > 70) — not qualified" in res.stdout
    e = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert (e["reachable"]["total_low"], e["reachable"]["total_high"]) == (21.0, 70.0)


def test_explain_cli_cheapest_combination(tmp_path, cases):
    src = tmp_path / "firm.csv"
    cases.head(1).with_columns(pl.lit(0).alias("ip_class1_main_product"), pl.lit(0).alias("ip_class2_main_product"),
                               pl.lit(1_199_999.0).alias("rd_expense")).write_csv(src)
    res = runner.invoke(app, ["explain", "--system", "innovative-sme", "--input", str(src), "--uscc",
                              cases["uscc"][0]])
    assert res.exit_code == 0, res.output
    assert ("cheapest combination: more R&D expense +1% (+¥12,000) + 1 more Class II IP on the main product → 80 "
            "points, qualifies; cost 62,000 CNY") in res.stdout


def test_a_bad_declared_input_is_a_usage_error_naming_column_and_row(tmp_path, cases):
    src = tmp_path / "in.csv"
    cases.with_columns(pl.Series("key_field", ["none"] * 7 + ["robotics"])).write_csv(src)
    res = runner.invoke(app, ["evaluate", "--system", "high-tech", "--input", str(src), "--format", "json"])
    assert res.exit_code == 2
    assert flat("column 'key_field', row 8: value 'robotics' is not one of") in flat(res.stderr)
    assert "Traceback" not in res.output


def test_systems_show_ranges_expert_parts_and_assumptions():
    res = runner.invoke(app, ["systems", "show", "high-tech"])
    assert res.exit_code == 0, res.output
    assert "[ip_class1 >= 1] → 7-8, [ip_class2 >= 5] → 5-6" in res.stdout
    assert "rd_management (0-20, expert judgement)" in res.stdout
    res = runner.invoke(app, ["systems", "show", "innovation-points"])
    assert "assumption: stage group weights 60/25/15, 50/35/15, 40/45/15 —" in res.stdout


def test_explain_cli_firm_at_58_points_prints_a_combination_reaching_70():
    cohort = Path(__file__).resolve().parents[1] / "data" / "evaluation" / "points_cohort_hangzhou_software.csv"
    res = runner.invoke(app, ["explain", "--system", "innovation-points", "--input", str(cohort), "--uscc",
                              "913301132734513684"])
    assert res.exit_code == 0, res.output
    assert "score: 57.30 / 70 — not qualified" in res.stdout
    line = next(x for x in res.stdout.splitlines() if x.startswith("cheapest combination: "))
    assert "points, qualifies; cost " in line and line.endswith(" CNY")


def test_evaluate_summary_counts_possible(tmp_path):
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["evaluate", "--system", "specialized-sme", "--input", str(EXAMPLES), "--output",
                              str(out)])
    assert res.exit_code == 0, res.output
    states = pl.read_csv(out)["state"].to_list()
    assert f"{states.count('qualified')}qualified,{states.count('possible')}possible" in flat(res.stderr)
