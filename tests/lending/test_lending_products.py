"""Each shipped product on hand-made enterprises: eligible, and not (with the failing rule named).

Expected numbers use the shipped policy (policy.yaml): LPR 3.0%, capital 0.8%, operating 0.5%,
funding floor 2.2%, PD G2 = 0.4%, G9 = 13%. Relending (firm on an official list, here tech_sme_registered):
60% refinanced at 1.75% saves 0.6 x (2.2% - 1.75%) = 0.27% a year, passed on in full; floor 2.2% - 0.27% = 1.93%.
"""

import datetime as dt

import polars as pl
import pytest

from innocredit.lending.matching import match, match_one
from innocredit.lending.pricing import price
from innocredit.lending.schema import (
    PolicyError,
    load_policy,
    load_products,
    load_schemes,
    policy_from_dict,
    product_from_dict,
    scheme_from_dict,
)

PRODUCTS = load_products()
POLICY = load_policy()

GOOD = {
    "uscc": "91330106MA2AAAAA0X", "serious_dishonesty": False, "abnormal_operations": False,
    "open_enforcement_cases": 0, "tax_credit_rating": "A", "bank_new_quality_score": 88.0, "pd_grade": "G2",
    "revenue": 20_000_000.0, "masters_phd_staff": 5, "talent_programme_members": 1,
    "as_of": dt.date(2025, 6, 30), "registered_on": dt.date(2022, 3, 1), "rd_expense": 3_000_000.0,
    "innovation_points": 82.0, "policy_credit_eligible": True, "ip_class1": 4, "ip_pledge_capacity": 2_500_000.0,
    "pool_capacity": 1_200_000.0, "guarantee_scheme": "anhui_4321", "tech_sme_qualified": True,
    "high_tech_certified": False, "order_backlog": 4_000_000.0, "tech_sme_registered": True,
    "total_assets": 30_000_000.0, "liabilities": 6_000_000.0,  # leverage headroom 30M x 0.7 - 6M = 15M
}


def _one(**changes):
    row = {**GOOD, **changes}
    return pl.DataFrame([row], schema_overrides={"pd_grade": pl.String, "guarantee_scheme": pl.String})


def _result(df, product_id, products=PRODUCTS, **kw):
    out = match(df, products, POLICY, **kw).filter(pl.col("product_id") == product_id)
    assert out.height == 1
    return out.row(0, named=True)


def test_catalogue_ships_the_eight_products():
    ids = {p.id for p in PRODUCTS}
    assert ids == {"new_quality_credit", "talent_loan", "innovation_loan", "ip_pledge_loan", "patent_pool_loan",
                   "guaranteed_tech_loan", "innovation_points_credit", "order_financing"}
    assert {p.enhancement for p in PRODUCTS} == {"none", "ip_pledge", "pool", "guarantee"}


# expected for GOOD: limit, term, rate
EXPECTED = {
    # revenue 20M x 0.3 = 6M x 1.2 (score 88 >= 85) x 1.1 (G2) = 7.92M; rate .03+.004*.6+.013 = 4.54% - .27% = 4.27%
    "new_quality_credit": (7_920_000.0, 12, 0.0427),
    # max(1 talent x 2M, 5 masters x 300k) = 2M x 1.1 (G2) = 2.2M
    "talent_loan": (2_200_000.0, 24, 0.0427),
    # R&D 3M x 1.5 = 4.5M x 1.0 (82 points < 85)
    "innovation_loan": (4_500_000.0, 24, 0.0427),
    # pledge capacity 2.5M; LGD .45: .03+.0018+.013 = 4.48% - .27% = 4.21%
    "ip_pledge_loan": (2_500_000.0, 12, 0.0421),
    # LGD .4: .03+.0016+.013 = 4.46% - .27% = 4.19%
    "patent_pool_loan": (1_200_000.0, 12, 0.0419),
    # revenue 20M x 0.5 = 10M, product max 10M; LGD .15: .03+.0006+.013 = 4.36% - .27% = 4.09%
    "guaranteed_tech_loan": (10_000_000.0, 12, 0.0409),
    # 1M x 3 (82 points: 80+ tier)
    "innovation_points_credit": (3_000_000.0, 12, 0.0427),
    # backlog 4M x 0.7 = 2.8M; not relending-eligible: .03 + .004*.55 + .008 + .005 = 4.52%
    "order_financing": (2_800_000.0, 6, 0.0452),
}


@pytest.mark.parametrize("product_id", sorted(EXPECTED))
def test_good_enterprise_is_eligible_with_limit_term_rate(product_id):
    r = _result(_one(), product_id)
    assert r["eligible"] is True and r["failed_rule"] is None
    limit, term, rate = EXPECTED[product_id]
    assert r["limit"] == limit
    assert r["term_months"] == term
    assert r["rate"] == pytest.approx(rate, abs=1e-9)


def test_ranking_eligible_first_then_rate_then_limit():
    ranked = match_one(_one(), GOOD["uscc"], PRODUCTS, POLICY)
    # 4.09%, 4.19%, 4.21%, then four at 4.27% (ties broken by the larger limit), order financing 4.52%
    assert [r["product_id"] for r in ranked] == [
        "guaranteed_tech_loan", "patent_pool_loan", "ip_pledge_loan", "new_quality_credit", "innovation_loan",
        "innovation_points_credit", "talent_loan", "order_financing"]
    assert [r["rank"] for r in ranked] == list(range(1, 9))
    assert ranked[0]["product_name_zh"] == "科技担保贷"


FAILS = [
    ("new_quality_credit", {"bank_new_quality_score": 55.0}, "new_quality_score_60", "bank new-quality"),
    ("new_quality_credit", {"tax_credit_rating": "C"}, "tax_rating_ok", "tax credit rating"),
    ("talent_loan", {"masters_phd_staff": 2, "talent_programme_members": 0}, "talent_team", "at least 3 staff"),
    ("talent_loan", {"masters_phd_staff": 2, "talent_programme_members": None}, "talent_team",
     "missing talent_programme_members"),
    ("innovation_loan", {"innovation_points": 65.0}, "innovation_points_70", "innovation points at least 70"),
    # founded 2010 (15 years) and R&D intensity 1M / 20M = 5% < 15%: not R&D stage
    ("innovation_loan", {"registered_on": dt.date(2010, 1, 1), "rd_expense": 1_000_000.0}, "rd_stage", "R&D stage"),
    ("ip_pledge_loan", {"ip_class1": 0, "ip_pledge_capacity": 0.0}, "pledge_capacity_100k", "pledge capacity"),
    ("ip_pledge_loan", {"ip_pledge_capacity": 50_000.0}, "pledge_capacity_100k", "pledge capacity"),
    ("patent_pool_loan", {"pool_capacity": 0.0}, "pool_capacity_positive", "patent pool"),
    ("patent_pool_loan", {"pool_capacity": None}, "pool_capacity_positive", "missing pool_capacity"),
    ("guaranteed_tech_loan", {"guarantee_scheme": None}, "guarantee_scheme_accepted", "missing guarantee_scheme"),
    ("guaranteed_tech_loan", {"guarantee_scheme": "unknown_scheme"}, "guarantee_scheme_accepted", "accepted"),
    ("guaranteed_tech_loan", {"tech_sme_qualified": False}, "tech_firm", "tech-based SME"),
    ("innovation_points_credit", {"policy_credit_eligible": False}, "policy_credit_list", "policy credit"),
    ("innovation_points_credit", {"innovation_points": None}, "innovation_points_70", "missing innovation_points"),
    ("order_financing", {"order_backlog": 0.0}, "has_order_backlog", "order backlog"),
    # backlog 60,000 x 0.7 = 42,000 -> rounded down to 40,000 < the 50,000 minimum
    ("order_financing", {"order_backlog": 60_000.0}, "limit_below_minimum", "minimum"),
    ("new_quality_credit", {"serious_dishonesty": True}, "no_serious_dishonesty", "dishonest"),
    ("talent_loan", {"abnormal_operations": True}, "no_abnormal_operations", "abnormal operations"),
    ("ip_pledge_loan", {"open_enforcement_cases": 2}, "no_open_enforcement", "enforcement"),
    ("new_quality_credit", {"pd_grade": "G9"}, "pd_grade_acceptable", "G6 or better"),
    ("order_financing", {"pd_grade": None}, "pd_grade_acceptable", "missing pd_grade"),
    # limit inputs: revenue unknown (not zero)
    ("guaranteed_tech_loan", {"revenue": None}, "limit_inputs", "missing revenue"),
]


@pytest.mark.parametrize(("product_id", "changes", "rule", "reason"), FAILS)
def test_ineligible_names_the_failing_rule(product_id, changes, rule, reason):
    r = _result(_one(**changes), product_id)
    assert r["eligible"] is False
    assert r["failed_rule"] == rule
    assert reason in r["failed_reason_en"]
    assert r["failed_reason_zh"]
    assert r["limit"] is None and r["rate"] is None and r["term_months"] is None


def test_absent_column_is_missing_not_zero():
    df = _one().drop("order_backlog")
    r = _result(df, "order_financing")
    assert r["failed_rule"] == "has_order_backlog"
    assert r["failed_reason_en"] == "missing order_backlog"
    assert r["failed_reason_zh"] == "缺少 order_backlog"


def test_requested_amount_and_term_cap_the_offer():
    df = _one(requested_amount=1_000_000.0, requested_term_months=48)
    r = _result(df, "new_quality_credit")
    assert r["limit"] == 1_000_000.0  # request below the 7.92M limit
    assert r["term_months"] == 36  # clipped to the product maximum


def test_policy_cap_and_lpr_override():
    data = _policy_dict()
    pol = policy_from_dict({**data, "limits": {**data["limits"], "max_single_loan": 5_000_000}}, "p.yaml",
                           lpr="0.031")
    assert pol.overrides == {"$.pricing.lpr_1y": "0.031"}
    assert pol.lpr_1y == 0.031
    out = match(_one(), PRODUCTS, pol).filter(pl.col("product_id") == "guaranteed_tech_loan").row(0, named=True)
    assert out["limit"] == 5_000_000.0  # policy cap below the 10M product max
    # 3.1% LPR: .031 + .0006 + .013 = 4.46% - .27% = 4.19% (no cap: the grades keep their spreads)
    assert out["rate"] == pytest.approx(0.0419)


def test_no_relending_support_prices_by_grade_with_floor():
    # on no official list: our own score (policy list, tech-SME evaluation) does not qualify for relending
    df = _one(policy_credit_eligible=True, tech_sme_qualified=True, tech_sme_registered=False,
              high_tech_certified=False, specialized_level="innovative")
    r = _result(df, "new_quality_credit")
    assert r["rate"] == pytest.approx(0.0454)  # 3% + 0.4% x 0.6 + 0.8% + 0.5%
    nq = next(p for p in PRODUCTS if p.id == "new_quality_credit")
    assert str(price(nq, "G2", POLICY, relending=False)) == "0.0454"
    assert str(price(nq, "G2", POLICY, relending=True)) == "0.0427"
    low = policy_from_dict({**_policy_dict(), "pricing": {**_policy_dict()["pricing"], "lpr_1y": 0.0}})
    # 0 + .0024 + .013 = 1.54% - .27% = 1.27% -> floor: blended funding 2.2% - .27% = 1.93%
    assert str(price(nq, "G2", low, relending=True)) == "0.0193"
    assert str(price(nq, "G2", low, relending=False)) == "0.0220"


@pytest.mark.parametrize("listed", [{"high_tech_certified": True}, {"specialized_level": "specialized"},
                                    {"specialized_level": "little_giant"}, {"relending_listed": True},
                                    {"tech_sme_registered": True}])
def test_each_official_list_qualifies_for_relending(listed):
    base = {"tech_sme_registered": False, "high_tech_certified": False, "specialized_level": "none",
            "relending_listed": False}
    r = _result(_one(**{**base, **listed}), "new_quality_credit")
    assert r["rate"] == pytest.approx(0.0427)


def test_relending_keeps_the_grades_apart():
    # the old flat cap (LPR + 0.5%) priced G1..G8 alike at 3.50%; now each grade keeps its spread
    rates = [float(price(next(p for p in PRODUCTS if p.id == "guaranteed_tech_loan"), g, POLICY, relending=True))
             for g in ("G1", "G2", "G5", "G8")]
    # LGD .15: .043 + PD x .15 - .0027 -> G1 .0403 + .0003 = 4.06%, G2 4.09%, G5 .0403+.00375 = 4.405 -> 4.41%,
    # G8 .0403 + .015 = 5.53%
    assert rates == [0.0406, 0.0409, 0.0441, 0.0553]


def _policy_dict():
    from innocredit.core.policy import read_policy_file
    from innocredit.lending.schema import POLICY_FILE
    return read_policy_file(POLICY_FILE)[0]


def test_consent_gate():
    df = _one(has_consent_tax=False, has_consent_social_insurance=True)
    r = _result(df, "new_quality_credit")
    assert r["failed_rule"] == "consent_tax"
    r2 = _result(_one(), "new_quality_credit", consent="require")
    assert r2["failed_rule"] == "consent_tax" and r2["failed_reason_en"] == "missing has_consent_tax"


def test_vectorized_table_matches_row_by_row():
    rows = [_one(**c) for _, c, _, _ in FAILS] + [_one()]
    df = pl.concat([r.with_columns(pl.lit(f"U{i:04d}").alias("uscc")) for i, r in enumerate(rows)],
                   how="diagonal_relaxed")
    whole = match(df, PRODUCTS, POLICY)
    assert whole.height == len(rows) * len(PRODUCTS)
    for i in (0, 5, len(rows) - 1):
        single = match(df.filter(pl.col("uscc") == f"U{i:04d}"), PRODUCTS, POLICY)
        assert whole.filter(pl.col("uscc") == f"U{i:04d}").equals(single)


def test_match_without_uscc_is_refused():
    with pytest.raises(ValueError, match="uscc"):
        match(pl.DataFrame({"revenue": [1.0]}), PRODUCTS, POLICY)


BASE_PRODUCT = {
    "id": "x", "version": 1, "name": {"zh": "x", "en": "x"}, "kind": "credit", "enhancement": "none",
    "eligibility": [{"id": "r", "text": {"zh": "r", "en": "r"}, "when": {"column": "revenue", "op": "ge", "value": 1}}],
    "limit": {"terms": [{"column": "revenue", "factor": 0.1}], "max": 100},
    "term": {"min_months": 1, "max_months": 12, "default_months": 6}, "pricing": {"lgd": 0.5},
}


@pytest.mark.parametrize(("patch", "path", "text"), [
    ({"eligibility": [{"id": "r", "text": {"zh": "r", "en": "r"},
                       "when": {"column": "revenu", "op": "ge", "value": 1}}]}, "$.eligibility[0].when.column",
     "unknown column 'revenu'"),
    ({"eligibility": [{"id": "r", "text": {"zh": "r", "en": "r"},
                       "when": {"column": "pd_grade", "op": "ge", "value": 1}}]}, "$.eligibility[0].when",
     "compares numbers"),
    ({"eligibility": [{"id": "r", "text": {"zh": "r", "en": "r"},
                       "when": {"column": "pd_grade", "op": "in", "value": "G1"}}]}, "$.eligibility[0].when.value",
     "non-empty list"),
    ({"kind": "mortgage"}, "$.kind", "is not one of"),
    ({"term": {"min_months": 12, "max_months": 6, "default_months": 6}}, "$.term", "min_months"),
    ({"pricing": {"lgd": 1.5}}, "$.pricing.lgd", "greater than the maximum"),
])
def test_product_validation_errors_name_file_and_path(patch, path, text):
    with pytest.raises(PolicyError) as err:
        product_from_dict({**BASE_PRODUCT, **patch}, file="bad.yaml")
    assert err.value.file == "bad.yaml"
    assert err.value.path == path
    assert text in err.value.reason
    assert str(err.value).startswith(f"bad.yaml: {path}: ")


def test_shipped_file_error_names_the_file_relative_to_the_package(tmp_path):
    import shutil

    from innocredit.lending.schema import PRODUCTS_DIR, load_product

    bad = tmp_path / "ip_pledge_loan.yaml"
    shutil.copy(PRODUCTS_DIR / "ip_pledge_loan.yaml", bad)
    bad.write_text(bad.read_text(encoding="utf-8").replace("max_months: 36", "max_months: -36", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_product(bad)
    assert err.value.file == str(bad) and err.value.path == "$.term.max_months"
    assert load_product(PRODUCTS_DIR / "ip_pledge_loan.yaml").file == "lending/products/ip_pledge_loan.yaml"


def test_scheme_validation_errors():
    good = {"id": "s", "version": 1, "name": {"zh": "s", "en": "s"}, "kind": "guarantee", "parties": [
        {"id": "g", "role": "guarantor", "name": {"zh": "g", "en": "g"}, "share": 0.9},
        {"id": "bank", "role": "lender", "name": {"zh": "b", "en": "b"}, "share": 0.1}]}
    assert str(scheme_from_dict(good).parties[1].share) == "0.1"
    with pytest.raises(PolicyError, match="add up to 0.95"):
        scheme_from_dict({**good, "parties": [{**good["parties"][0], "share": 0.85}, good["parties"][1]]})
    with pytest.raises(PolicyError, match="bank share 0.1 breaks min 0.2"):
        scheme_from_dict({**good, "constraints": [{"party": "bank", "min": 0.2}]})
    assert set(load_schemes()) == {"anhui_4321", "national_fund", "tech_special_2024", "tech_risk_pool", "zhejiang_tech"}


def test_explicit_overrides_replace_the_file_values_and_are_checked():
    from decimal import Decimal

    pol = load_policy(lpr=Decimal("0.031"), sla_working_days=4)
    assert (pol.lpr_1y, pol.sla_working_days) == (0.031, 4)
    assert pol.overrides == {"$.pricing.lpr_1y": "0.031", "$.lifecycle.sla_working_days": "4"}
    assert load_policy().overrides == {} and load_policy().sla_working_days == 3  # the file's value
    with pytest.raises(PolicyError) as err:
        load_policy(lpr="3.1")
    assert str(err.value) == ("lending/policy.yaml with overrides lpr_1y=3.1: $.pricing.lpr_1y: "
                              "3.1 is greater than the maximum of 1")
    with pytest.raises(PolicyError, match=r"\$.lifecycle.sla_working_days: override sla_working_days: not a whole"):
        load_policy(sla_working_days="three")
    with pytest.raises(PolicyError, match=r"\$.pricing.lpr_1y: override lpr: not a number: 'abc'"):
        load_policy(lpr="abc")


def test_the_environment_is_not_read(monkeypatch):
    monkeypatch.setenv("INNOCREDIT_LPR_1Y", "0.05")
    monkeypatch.setenv("INNOCREDIT_LPR", "0.05")
    assert load_policy().lpr_1y == 0.030


def test_deprecated_env_mapping_still_works_for_unswitched_callers():
    pol = load_policy(env={"INNOCREDIT_LPR_1Y": "0.031", "INNOCREDIT_SLA_WORKING_DAYS": ""})
    assert pol.lpr_1y == 0.031 and pol.sla_working_days == 3
    with pytest.raises(PolicyError, match="environment INNOCREDIT_SLA_WORKING_DAYS"):
        load_policy(env={"INNOCREDIT_SLA_WORKING_DAYS": "three"})


def test_partitions_give_the_same_rows_as_one_pass():
    # a batch engine calls match() per partition: rows are independent, order is (input row, rank)
    rows = [_one(**c).with_columns(pl.lit(f"P{i:03d}").alias("uscc")) for i, (_, c, _, _) in enumerate(FAILS)]
    df = pl.concat(rows, how="diagonal_relaxed")
    whole = match(df, PRODUCTS, POLICY)
    split = pl.concat([match(df.head(7), PRODUCTS, POLICY), match(df.tail(df.height - 7), PRODUCTS, POLICY)])
    assert whole.equals(split)
    assert whole["uscc"].head(8).to_list() == ["P000"] * 8 and whole["rank"].head(8).to_list() == list(range(1, 9))


def test_matched_rate_rounds_half_up_like_price():
    # LPR 3% + PD(G2) 0.4% x LGD 1.25% + capital 0.8% + operating 0.5% = 4.305%: exactly half a basis point.
    # Half-up gives 4.31% (half-even, polars' default, gave 4.30%); the table and price() must agree.
    product = product_from_dict({**BASE_PRODUCT, "pricing": {"lgd": 0.0125}}, file="half.yaml")
    assert str(price(product, "G2", POLICY)) == "0.0431"
    row = match(_one(), [product], POLICY).row(0, named=True)
    assert row["rate"] == 0.0431


def test_unsecured_talent_loan_needs_revenue_and_respects_cash_flow_and_leverage():
    none = _result(_one(revenue=0.0), "talent_loan")
    assert none["eligible"] is False and none["failed_rule"] == "has_revenue"
    # cash flow: revenue 3,000,000 x 0.5 = 1,500,000 < 2.2M -> 1.5M (the grade factor applies before the cap)
    r = _result(_one(revenue=3_000_000.0), "talent_loan")
    assert r["eligible"] is True and r["limit"] == 1_500_000.0
    # leverage: 30M x 0.7 - 19.9M = 1,100,000 -> 1.1M; at 21M liabilities the headroom is 0 -> below the minimum
    assert _result(_one(liabilities=19_900_000.0), "talent_loan")["limit"] == 1_100_000.0
    full = _result(_one(liabilities=21_000_000.0), "talent_loan")
    assert full["eligible"] is False
    unknown = _result(_one(total_assets=None), "talent_loan")
    assert unknown["eligible"] is False and "total_assets" in unknown["failed_reason_en"]


def test_innovation_loan_may_lend_without_revenue_as_the_product_says():
    p = next(x for x in PRODUCTS if x.id == "innovation_loan")
    assert p.allow_no_revenue and "R&D-stage" in p.allow_no_revenue
    r = _result(_one(revenue=0.0, rd_expense=1_000_000.0), "innovation_loan")
    assert r["eligible"] is True and r["limit"] == 1_500_000.0  # R&D 1M x 1.5, points 82 -> x 1.0


def test_unsecured_product_without_a_revenue_rule_is_refused():
    with pytest.raises(PolicyError, match=r"\$\.eligibility.*revenue gt 0"):
        product_from_dict({**BASE_PRODUCT, "eligibility": [{"id": "r", "text": {"zh": "r", "en": "r"}, "when": {
            "column": "employees", "op": "ge", "value": 1}}]}, file="nr.yaml")
    ok = product_from_dict({**BASE_PRODUCT, "allow_no_revenue": {"reason": "the product says so"}, "eligibility": [
        {"id": "r", "text": {"zh": "r", "en": "r"}, "when": {"column": "employees", "op": "ge", "value": 1}}]})
    assert ok.allow_no_revenue == "the product says so"


def test_unsupported_numbers_are_marked_as_assumptions():
    by = {p.id: dict(p.assumptions) for p in PRODUCTS}
    assert "$.limit.terms[0].factor" in by["talent_loan"] and "$.limit.terms[1].factor" in by["talent_loan"]
    assert "$.limit.multipliers[0].bands" in by["innovation_points_credit"]
    assert "$.limit.terms[0].factor" in by["patent_pool_loan"]
    assert all(reason for a in by.values() for reason in a.values())


def test_ip_pledge_loan_takes_any_pledgeable_right():
    # a firm with no invention patent (ip_class1 0) but utility models / trademarks worth 300k of capacity
    r = _result(_one(ip_class1=0, ip_pledge_capacity=300_000.0), "ip_pledge_loan")
    assert r["eligible"] is True and r["limit"] == 300_000.0
