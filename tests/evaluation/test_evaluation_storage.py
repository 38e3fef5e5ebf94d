"""Stored runs (SQLite and PostgreSQL): who, when, which system version, which data, and why a firm qualified."""

import datetime as dt

from innocredit.evaluation import evaluate, load_system
from innocredit.storage.base import unit_of_work
from innocredit.storage.evaluation import get_run, latest_results, run_results, save_run, why


def test_store_and_explain_later(engine, cases):
    system = load_system("tech-sme")
    results = evaluate(system, cases)
    with unit_of_work(engine) as s:
        run_id = save_run(s, system, results, "officer.li", "tech_sme_cases.csv")
    with unit_of_work(engine) as s:
        run = get_run(s, run_id)
        assert (run.system_id, run.system_version, run.created_by) == ("tech-sme", "2017-115", "officer.li")
        assert run.data_as_of == dt.date(2025, 12, 31)
        assert (run.n_enterprises, run.n_qualified) == (8, 5)
        assert run.system_sha256 == system.sha256 and run.system_definition["id"] == "tech-sme"
        rows = run_results(s, run_id)
        assert len(rows) == 8
        w = why(s, run_id, "91330106100000059C")
        # qualified by the direct route with 0 points; the stored points say so
        assert (w["qualified"], w["route"], w["score"]) == (True, "direct", 0.0)
        assert w["points"]["direct_routes"] == ["high_tech_certificate"]
        assert w["points"]["pt_tech_staff"] == 0.0
        w = why(s, run_id, "91330106100000040F")
        assert w["failed_conditions"] == ["max_employees"] and w["qualified"] is False
        assert why(s, run_id, "nobody") is None


def test_results_across_runs(engine, cases):
    with unit_of_work(engine) as s:
        a = save_run(s, load_system("tech-sme"), evaluate(load_system("tech-sme"), cases), "a")
        b = save_run(s, load_system("innovation-points"), evaluate(load_system("innovation-points"), cases), "b")
    with unit_of_work(engine) as s:
        both = latest_results(s, "91330106100000016Y")
        assert {r.id for r, _ in both} == {a, b}
        only = latest_results(s, "91330106100000016Y", "innovation-points")
        assert [r.id for r, _ in only] == [b]
        assert "track_pct_total" in only[0][1].points and "policy_credit_eligible" in only[0][1].points
