"""Pledge rates, haircuts and firm capacity from the bank's YAML policy (numbers hand-computed)."""

import copy

import polars as pl
import pytest

from innocredit.ip import PolicyError, firm_capacity, load_pledge_policy, pledge_rates
from innocredit.ip.config import load_pool_agreement


def _valued(rows):
    base = {"uscc": "A", "kind": "invention", "status": "granted", "quality": 60.0, "value_low": 80_000.0,
            "value_base": 100_000.0, "value_high": 120_000.0, "remaining_life_years": 12.0,
            "litigation_pending": False, "exclusive_licence": False, "pledged": False, "main_product": True}
    return pl.DataFrame([{**base, **r} for r in rows])


def test_haircuts_default_policy():
    pol = load_pledge_policy("default")
    rows = [
        {},                                                    # 25% + (50% - 25%) * 60/100 = 40%
        {"litigation_pending": True},                          # 40% * (1 - 50%) = 20%
        {"remaining_life_years": 4.0},                         # 40% * (1 - 30%) = 28%
        {"remaining_life_years": 4.0, "litigation_pending": True},  # 40% * 0.7 * 0.5 = 14%
        {"exclusive_licence": True},                           # 40% * (1 - 20%) = 32%
        {"kind": "design"},                                    # (10% + 10% * 0.6) * (1 - 20%) = 16% * 0.8 = 12.8%
        {"kind": "utility_model", "quality": 0.0},             # 15%
        {"kind": "trademark", "quality": 100.0},               # up to 50%
        {"status": "pending"},                                 # not pledgeable: 0
        {"pledged": True},                                     # already pledged: 0
        {"kind": "ic_layout"},                                 # no rate in the policy: 0
        {"remaining_life_years": 0.5},                         # under the 1-year minimum: 0
    ]
    out = pledge_rates(_valued(rows), pol)
    assert out["pledge_rate"].to_list() == pytest.approx(
        [0.40, 0.20, 0.28, 0.14, 0.32, 0.128, 0.15, 0.50, 0.0, 0.0, 0.0, 0.0])
    assert out["haircuts"].to_list()[:6] == ["", "litigation", "short_life", "short_life;litigation",
                                             "exclusive_licence", "design_patent"]
    assert out["pledgeable"].to_list() == [True] * 8 + [False] * 4


def test_firm_capacity_sum_cap_and_concentration():
    pol = copy.deepcopy(load_pledge_policy("default"))
    pol["max_loan"] = 50_000
    rows = [{"uscc": "A"}, {"uscc": "A", "value_base": 300_000.0, "litigation_pending": True},
            {"uscc": "B", "value_base": 10_000.0}]
    out = firm_capacity(_valued(rows), pol).sort("uscc")
    a, b = out.row(0, named=True), out.row(1, named=True)
    # A: 100,000 * 40% + 300,000 * 20% = 40,000 + 60,000 = 100,000 -> capped at 50,000
    assert a["ip_value_base"] == 400_000.0
    assert a["ip_pledge_capacity"] == 50_000.0 and a["capped"]
    assert a["top_patent_share"] == pytest.approx(0.75)      # 300,000 / 400,000
    assert a["n_pledgeable"] == 2 and a["n_patents"] == 2
    # B: 10,000 * 40% = 4,000
    assert b["ip_pledge_capacity"] == pytest.approx(4_000.0) and not b["capped"]
    assert b["pledge_policy"] == "default@2026.1"


def test_conservative_policy_refuses_litigated_patents():
    out = pledge_rates(_valued([{"litigation_pending": True}]), load_pledge_policy("conservative"))
    assert out["pledge_rate"][0] == 0.0  # cut 100%


def test_policy_errors_are_clear(tmp_path):
    with pytest.raises(PolicyError, match="unknown pledge policy 'nobank'"):
        load_pledge_policy("nobank")
    bad = tmp_path / "bank.yaml"
    bad.write_text("id: x\nversion: '1'\nbank_id: x\nname: {zh: 甲, en: A}\nmax_loan: 1\n"
                   "rates: {invention: {min: 0.6, max: 0.5}}\n"
                   "haircuts: [{id: h, when: remaining_life_under, cut: 0.1, name: {zh: 甲, en: a}}]\n")
    with pytest.raises(PolicyError) as exc:
        load_pledge_policy(bad)
    # core.policy names the file and the JSON path of the bad value
    assert str(bad) in str(exc.value) and "$.haircuts[0]" in str(exc.value) and "'years' is a required" in str(exc.value)
    bad.write_text(bad.read_text().replace("cut: 0.1,", "years: 5, cut: 0.1,"))
    with pytest.raises(PolicyError, match=r"\$\.rates\.invention: min 0.6 is above max 0.5"):
        load_pledge_policy(bad)
    assert load_pool_agreement("default")["id"] == "default"


def test_utility_models_designs_and_trademarks_pledge_at_their_own_rates():
    # a firm with no invention patent: a utility model, a design and a trademark, quality 50, value 200,000 each
    pol = load_pledge_policy("default")
    rows = [{"kind": k, "quality": 50.0, "value_base": 200_000.0} for k in ("utility_model", "design", "trademark")]
    out = pledge_rates(_valued(rows), pol)
    # utility model 15% + 15% x 0.5 = 22.5%; design (10% + 5%) x (1 - 20% design haircut) = 12%; trademark 35%
    assert out["pledge_rate"].to_list() == pytest.approx([0.225, 0.12, 0.35])
    firm = firm_capacity(_valued(rows), pol).row(0, named=True)
    # 200,000 x (22.5% + 12% + 35%) = 139,000: above the product's 100,000 minimum without any invention patent
    assert firm["ip_pledge_capacity"] == pytest.approx(139_000.0) and firm["n_pledgeable"] == 3
    # the conservative policy has no design rate: the design is not pledgeable there
    cons = pledge_rates(_valued(rows), load_pledge_policy("conservative"))
    assert cons["pledgeable"].to_list() == [True, False, True]


def test_pledge_and_pool_numbers_are_marked_as_assumptions():
    for name in ("default", "conservative"):
        pol = load_pledge_policy(name)
        assert "$.rates" in {a["field"] for a in pol["assumptions"]} and pol["source"]
    pool = load_pool_agreement("default")
    assert {a["field"] for a in pool["assumptions"]} >= {"$.base_rate", "$.absorption"}
