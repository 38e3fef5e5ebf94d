"""The model registry on SQLite and PostgreSQL."""

import pytest

from innocredit.storage.base import unit_of_work
from innocredit.storage.risk import RegistryError, RiskModelRepository


def _register(s, mid, version, bank, kind="scorecard"):
    return RiskModelRepository(s).register(mid, version, kind, "default_12m", f"/m/{mid}/v{version}/model.joblib",
                                           {"kind": kind, "features": [{"name": "leverage"}]}, bank)


def test_register_list_and_bank_visibility(engine):
    with unit_of_work(engine) as s:
        _register(s, "sc", 1, "bank-a")
        _register(s, "sc", 2, "bank-a")
        _register(s, "gbm-b", 1, "bank-b", kind="gbm")
    with unit_of_work(engine) as s:
        repo = RiskModelRepository(s)
        assert [(r["id"], r["version"]) for r in repo.list_models("bank-a")] == [("sc", 1), ("sc", 2)]
        assert [r["id"] for r in repo.list_models("bank-b")] == ["gbm-b"]
        assert len(repo.list_models()) == 3
        assert repo.get("sc")["version"] == 2  # latest
        assert repo.get("sc", 1)["card"]["features"][0]["name"] == "leverage"
        assert repo.get("sc", 1)["status"] == "candidate"
        with pytest.raises(RegistryError):
            repo.get("sc", 1, bank_id="bank-b")  # a bank sees only its own models


def test_champion_needs_out_of_time_validation(engine):
    with unit_of_work(engine) as s:
        _register(s, "sc", 1, "bank-a")
        _register(s, "sc", 2, "bank-a")
        repo = RiskModelRepository(s)
        repo.record_validation("sc", 1, oot=False, metrics={"auc": 0.8})
    with unit_of_work(engine) as s, pytest.raises(RegistryError, match="out-of-time"):
        RiskModelRepository(s).promote("sc", 1)
    with unit_of_work(engine) as s:
        repo = RiskModelRepository(s)
        repo.record_validation("sc", 1, oot=True, metrics={"auc": 0.79}, data_label="2027.parquet")
        assert repo.promote("sc", 1)["status"] == "champion"
        repo.record_validation("sc", 2, oot=True, metrics={"auc": 0.81})
        repo.promote("sc", 2)
    with unit_of_work(engine) as s:
        repo = RiskModelRepository(s)
        assert repo.get("sc", 1)["status"] == "retired"  # the previous champion is retired
        assert repo.get("sc", 2)["status"] == "champion"
        assert [v["oot"] for v in repo.validations("sc", 1)] == [False, True]
        with pytest.raises(RegistryError):
            repo.record_validation("nope", 1, oot=True, metrics={})


def test_services_promotion_needs_a_second_persons_override_below_four_fifths(engine):
    """On SQLite and PostgreSQL: the registry and the audit log record who overrode and why."""
    from innocredit.services import risk as risk_service
    from innocredit.storage.lending import audit_rows

    card = {"kind": "scorecard", "features": [{"name": "leverage"}],
            "fairness": {"attributes": {"applicant_sex": {"adverse_impact_ratio": 0.7},
                                        "region": {"adverse_impact_ratio": 0.95}}}}
    with unit_of_work(engine) as s:
        risk_service.register_model(s, "fair", 1, "scorecard", "default_12m", "/m/fair/v1/model.joblib", card, "bank-a")
        risk_service.register_model(s, "ok", 1, "gbm", "default_12m", "/m/ok/v1/model.joblib",
                                    {"kind": "gbm", "fairness": None}, "bank-a")
        risk_service.record_validation(s, "fair", 1, oot=True, metrics={"auc": 0.8})
        risk_service.record_validation(s, "ok", 1, oot=True, metrics={"auc": 0.8})
    with unit_of_work(engine) as s, pytest.raises(RegistryError, match=r"adverse impact ratio of 0\.700"):
        risk_service.promote(s, "fair", 1, actor="ann")
    with unit_of_work(engine) as s, pytest.raises(RegistryError, match="second person"):
        risk_service.promote(s, "fair", 1, actor="ann", override_by="ann", override_reason="mine")
    with unit_of_work(engine) as s:
        assert risk_service.get_model(s, "fair", 1)["status"] == "candidate"  # refusals changed nothing
        assert risk_service.promote(s, "ok", 1, actor="ann")["status"] == "champion"  # no fairness section: no rule
        row = risk_service.promote(s, "fair", 1, actor="ann", override_by="bob", override_reason="collateral region")
    assert row["status"] == "champion"
    with unit_of_work(engine) as s:
        o = risk_service.get_model(s, "fair", 1)["card"]["governance"]["fairness_override"]
        assert (o["by"], o["requested_by"], o["reason"], o["adverse_impact_ratio"]) == ("bob", "ann",
                                                                                        "collateral region", 0.7)
        entries = [e for e in audit_rows(s, bank_id="bank-a") if e.subject_type == "risk_model"]
        assert [(e.action, e.actor, e.subject_id, e.to_state) for e in entries] == [
            ("fairness_override", "bob", "fair@1", "champion")]
        # the bank's champion for scoring: the latest champion row; its artefact is missing here, so no model
        model, key, champion = risk_service.champion_model(s, "bank-a")
        assert model is None and key == "" and champion is not None and champion["status"] == "champion"
        assert risk_service.champion_model(s, "bank-z") == (None, "", None)
