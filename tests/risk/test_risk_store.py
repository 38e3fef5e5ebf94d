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
