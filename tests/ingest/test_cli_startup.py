"""Start-up of the command line: a file-to-file verb imports neither the database nor the web stack, and the
console script finds the module of a verb without importing the others."""

from __future__ import annotations

import subprocess
import sys

from innocredit.cli import app, verb_modules

HEAVY = ("sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "innocredit.storage", "innocredit.web",
         "innocredit.services", "lightgbm", "sklearn", "pyspark")


def _modules_after(argv: list[str]) -> set[str]:
    code = ("import sys\n"
            f"sys.argv = {['innocredit', *argv]!r}\n"
            "from innocredit.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return set(res.stderr.split())


def test_evaluate_help_imports_no_database_or_web():
    loaded = _modules_after(["evaluate", "--help"])
    assert "innocredit.cli.evaluation" in loaded
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert "innocredit.cli.risk" not in loaded and "innocredit.cli.run" not in loaded


def test_evaluate_a_file_imports_no_database_or_web(tmp_path, examples_dir):
    out = tmp_path / "r.csv"
    loaded = _modules_after(["evaluate", "--system", "tech-sme", "--input", str(examples_dir / "tech_sme_cases.csv"),
                             "--output", str(out)])
    assert out.exists() and out.read_text(encoding="utf-8").startswith("uscc,")
    assert not [m for m in loaded if m.startswith(HEAVY)]


def test_the_verb_map_names_the_module_that_registers_each_verb():
    mapped = verb_modules()
    assert mapped["evaluate"] == "evaluation" and mapped["ingest"] == "data" and mapped["systems"] == "evaluation"
    full = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    assert set(mapped) <= full  # a verb missing from the map is still served (main falls back to every module)


def test_progress_shows_only_above_100000_rows_on_a_terminal(monkeypatch):
    import io

    from rich.console import Console

    from innocredit.cli import _common

    buf = io.StringIO()
    monkeypatch.setattr(_common, "err_console", Console(file=buf, force_terminal=True, width=100))
    steps = _common.Steps(200_000, ["read and check", "evaluate", "write"], "evaluate tech-sme")
    assert steps.enabled
    steps.next("read and check")
    steps.close()
    assert "evaluate tech-sme (200,000 rows)" in buf.getvalue()
    assert not _common.Steps(100_000, ["a"], "x").enabled  # at the threshold: no bar
    monkeypatch.setattr(_common, "err_console", Console(file=io.StringIO(), force_terminal=False))
    assert not _common.Steps(5_000_000, ["a"], "x").enabled  # not a terminal: no bar


def test_table_rows_reads_parquet_metadata(tmp_path):
    import polars as pl

    from innocredit.cli._common import table_rows

    pl.DataFrame({"a": range(1234)}).write_parquet(tmp_path / "t.parquet")
    assert table_rows(tmp_path / "t.parquet") == 1234
    assert table_rows(tmp_path / "t.csv") is None


def test_table_rows_counts_csv_and_jsonl_lines(tmp_path):
    from innocredit.cli._common import table_rows

    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    (tmp_path / "t.jsonl").write_text('{"a": 1}\n{"a": 2}\n{"a": 3}\n', encoding="utf-8")
    assert table_rows(tmp_path / "t.csv") == 2 and table_rows(tmp_path / "t.jsonl") == 3
    assert table_rows(tmp_path / "missing.csv") is None


def test_batch_and_ip_value_show_progress_on_a_terminal(monkeypatch, tmp_path):
    """Long batch jobs and patent valuations show a progress bar on stderr (threshold lowered for the test)."""
    import io

    import polars as pl
    from rich.console import Console
    from typer.testing import CliRunner

    from innocredit.cli import _common
    from innocredit.synthetic import feature_table, generate_feeds

    buf = io.StringIO()
    monkeypatch.setattr(_common, "err_console", Console(file=buf, force_terminal=True, width=120))
    monkeypatch.setattr(_common, "PROGRESS_ROWS", 10)
    feats = tmp_path / "f.parquet"
    feature_table(50, 3).write_parquet(feats)
    patents = tmp_path / "ip_office.parquet"
    generate_feeds(50, 3)["ip_office"].write_parquet(patents)
    runner = CliRunner()
    r = runner.invoke(app, ["batch", "evaluate", "--system", "tech-sme", "--input", str(feats),
                            "--output", str(tmp_path / "o.parquet")])
    assert r.exit_code == 0, r.output
    assert "batch evaluate" in buf.getvalue()
    r = runner.invoke(app, ["ip", "value", "--patents", str(patents), "--features", str(feats), "--format", "json"])
    assert r.exit_code == 0, r.output
    assert "ip value" in buf.getvalue() and pl.read_parquet(feats).height == 50
