"""INNOCREDIT_LPR is read the same way by the web, the CLI and the services (issue 13: it worked in the web only)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from innocredit.cli import app
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending

A = make_uscc("91330106MA2AAAAA0")
HEADER = ("uscc,as_of,registered_on,revenue,rd_expense,serious_dishonesty,abnormal_operations,"
          "open_enforcement_cases,tax_credit_rating,order_backlog,pd_grade,bank_new_quality_score,"
          "innovation_points,policy_credit_eligible\n")


def _best_rate(tmp_path, env: dict[str, str]) -> float:
    p = tmp_path / "f.csv"
    p.write_text(HEADER + f"{A},2025-06-30,2022-03-01,20000000,3000000,false,false,0,A,4000000,G2,88,82,true\n",
                 encoding="utf-8")
    res = CliRunner().invoke(app, ["match", "--input", str(p), "--uscc", A, "--format", "json"], env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["products"][0]["rate"]


def test_the_lpr_setting_reaches_the_cli_match_and_the_services(tmp_path, monkeypatch):
    base = _best_rate(tmp_path, {"INNOCREDIT_LPR": "0.030"})
    higher = _best_rate(tmp_path, {"INNOCREDIT_LPR": "0.040"})
    assert higher - base == pytest.approx(0.010, abs=1e-9)  # the offer moves with the LPR
    monkeypatch.setenv("INNOCREDIT_LPR", "0.0275")
    assert Decimal(str(lending._policy(None).lpr_1y)) == Decimal("0.0275")  # the services' default policy
