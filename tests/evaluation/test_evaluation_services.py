"""The evaluation use cases (services/evaluation.py) on SQLite and PostgreSQL."""

import pytest

from innocredit.evaluation import load_system
from innocredit.services.database import unit_of_work
from innocredit.services.evaluation import evaluate_and_record, history, record_run, why


def test_evaluate_record_and_explain_later(engine, cases):
    system = load_system("high-tech")
    with unit_of_work(engine) as s:
        run_id, results = evaluate_and_record(s, system, cases, "officer.li", input_ref="tech_sme_cases.csv")
    assert results.height == 8
    with unit_of_work(engine) as s:
        w = why(s, run_id, "91330106100000016Y")
        # the 高新 reachable range is stored with the result: 21 to 70, not qualified
        assert w["system_version"] == system.version and w["created_by"] == "officer.li"
        assert (w["points"]["total_low"], w["points"]["total_high"], w["points"]["state"]) == (21.0, 70.0,
                                                                                                 "not_qualified")
        assert why(s, run_id, "nobody") is None
        h = history(s, "91330106100000016Y")
        assert [(x["run_id"], x["system"], x["state"], x["qualified"]) for x in h] == [
            (run_id, "high-tech", "not_qualified", False)]


def test_a_run_names_who_ran_it(engine, cases):
    system = load_system("tech-sme")
    with unit_of_work(engine) as s, pytest.raises(ValueError, match="created_by is required"):
        record_run(s, system, cases.head(0), "")
