"""The README's command-line tour, run as written: the commands are parsed from README.md's "Command line" block
and run in a temporary directory, and each output is checked for its substance (not only its exit status).

Substitutions, each for time or because the command does not end: ``--enterprises 2000`` becomes
``TOUR_ENTERPRISES``; ``<USCC>`` becomes the firm with the most Class I IP; ``--engine spark`` becomes
``--engine polars`` (the Spark engine needs a JVM and is tested in tests/spark); ``innocredit run`` serves until
stopped and is left out (tested in tests/web). Also here: ``innocredit run``'s demo users are printed in full.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from innocredit.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
TOUR_ENTERPRISES = 600
runner = CliRunner()


def tour_commands() -> list[list[str]]:
    """The tour block's commands (comments dropped), as argument lists without the leading ``innocredit``."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"^## Command line\n.*?^```sh\n(.*?)^```", text, re.S | re.M)
    assert block, "README.md has no ```sh block under '## Command line'"
    out = []
    for line in block.group(1).splitlines():
        line = re.split(r"\s#\s", line)[0].strip()
        if line:
            words = shlex.split(line)
            assert words[0] == "innocredit", line
            out.append(words[1:])
    return out


def _verb(args: list[str]) -> str:
    return " ".join(a for a in args[:2] if not a.startswith("-") and "/" not in a and "." not in a)


def _substitute(args: list[str], uscc: str | None) -> list[str]:
    out = []
    for a in args:
        if a == "<USCC>":
            assert uscc, "a command uses <USCC> before the feature table exists"
            a = uscc
        out.append(a)
    text = " ".join(out)
    text = text.replace("--enterprises 2000", f"--enterprises {TOUR_ENTERPRISES}").replace("--engine spark",
                                                                                          "--engine polars")
    return shlex.split(text)


def test_the_tour_block_is_found_and_covers_the_verbs():
    verbs = [_verb(c) for c in tour_commands()]
    for v in ("demo-data", "ingest", "features", "evaluate", "explain", "ip value", "risk compare", "match",
              "metrics", "qualifications expiring", "batch evaluate", "run"):
        assert v in verbs, v


def test_the_readme_tour_runs_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INNOCREDIT_DATABASE_URL", raising=False)
    uscc: str | None = None
    seen: dict[str, list[str]] = {}
    for raw in tour_commands():
        verb = _verb(raw)
        if verb == "run":
            continue
        args = _substitute(raw, uscc)
        res = runner.invoke(app, args)
        assert res.exit_code == 0, f"innocredit {' '.join(args)}\n{res.stdout}\n{res.stderr}"
        out, err = res.stdout, " ".join(res.stderr.split())
        seen.setdefault(verb, []).append(out)
        if verb == "demo-data":
            assert (tmp_path / "demo" / "bank_loans.parquet").exists()
        elif verb == "features":
            feats = pl.read_parquet(tmp_path / "features.parquet")
            assert feats.height == TOUR_ENTERPRISES
            uscc = feats.sort("ip_class1", descending=True, nulls_last=True)["uscc"][0]
        elif verb == "evaluate":
            rows = [json.loads(x) for x in out.splitlines() if x.strip()]  # JSON lines, one per firm
            assert len(rows) == TOUR_ENTERPRISES
            assert 0 < sum(bool(r["qualified"]) for r in rows) < len(rows)
        elif verb == "explain":
            assert uscc in out and "points" in out
        elif verb == "ip value":
            body = json.loads(out)
            firms = body.get("firms", body) if isinstance(body, dict) else body
            assert firms and any((f.get("ip_pledge_capacity") or 0) > 0 for f in firms)
        elif verb == "risk compare":
            # a comparison says whether its difference is significant
            assert re.search(r"\b(not )?significant\b", out), out
        elif verb == "match" and "--uscc" not in args:
            # eligible products for a good share of firms (the README's demo: at least a third)
            m = re.search(r"([\d,]+) of ([\d,]+) enterprises \([\d.]+%\) have at least one eligible product", out)
            assert m, out
            got, total = (int(g.replace(",", "")) for g in m.groups())
            assert total == TOUR_ENTERPRISES and got >= total / 3, (got, total)
            assert "PD grade" in err  # the PD source is named (the demo scorecard, with its warning)
        elif verb == "match":
            assert "True" in out, out  # the patent-richest firm gets at least one product
        elif verb == "metrics":
            groups = json.loads(out)["groups"]
            assert sum(g["loans_count"] for g in groups) > 0  # loans in the metrics window
            firms = sum(g["firms_with_loan"] for g in groups)
            active = sum(g["active_small_firms"] for g in groups)
            assert 0.3 <= firms / active <= 0.5, firms / active  # coverage near the seed's 40%
        elif verb == "qualifications expiring":
            body = json.loads(out)
            assert body["within_days"] == 90 and body["count"] == len(body["items"]) > 0
            assert all(0 <= i["days_left"] <= 90 for i in body["items"])
            assert {i["qualification"] for i in body["items"]} <= {"high_tech", "tech_sme", "innovative_sme",
                                                                  "specialized", "little_giant"}
        elif verb == "batch evaluate":
            assert (tmp_path / "out.parquet").exists()
    assert {"demo-data", "ingest", "features", "match", "metrics", "risk compare"} <= set(seen)
    assert len(seen["match"]) == 2  # the whole table and one firm


def test_run_prints_the_demo_users_in_full_and_names_their_file(tmp_path, capsys):
    from innocredit.cli.run import console, print_demo_users

    users = [("coordinator", "a-long-demo-password-0123456789", "coordinator",
              "Hangzhou Hi-tech Zone science and technology bureau, financing coordination office"),
             ("officer.hz01", "pw", "bank_officer", "bank-hz-01")]
    old = console.width
    console.width = 40  # a narrow terminal
    try:
        path = print_demo_users(users, tmp_path / "demo-users.txt")
    finally:
        console.width = old
    err = capsys.readouterr().err
    for row in users:
        line = next(x for x in err.splitlines() if x.startswith(row[0]))
        assert line.split() [:3] == list(row[:3]) and line.endswith(row[3])
    assert path is not None and "demo users written to" in err and str(path) in err.replace("\n", "")
    assert path.read_text(encoding="utf-8").splitlines()[1].split()[:3] == list(users[0][:3])
