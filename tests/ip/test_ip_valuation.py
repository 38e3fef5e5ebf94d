"""Quality (cohort normalisation) and relief-from-royalty valuation on hand-computed cases."""

import copy
import datetime as dt

import polars as pl
import pytest

from innocredit.ip import load_tables, relief_from_royalty, value_patents
from innocredit.ip.config import QUALITY_SCHEMA, PolicyError, Tables, load_yaml
from innocredit.ip.quality import CohortStats, cohort_stats, score_quality
from innocredit.ip.sample import make_usccs, synthetic_features, synthetic_patents

AS_OF = dt.date(2026, 6, 30)
U = make_usccs(3)


def test_relief_from_royalty_hand_computed():
    # A = 10,000,000 * 5% * (1 - 25%) = 375,000 a year; r = 10%; no decay; 3 years:
    # 375,000/1.1 + 375,000/1.21 + 375,000/1.331 = 340,909.0909 + 309,917.3554 + 281,743.0503 = 932,569.4966
    assert relief_from_royalty(10_000_000, 0.05, 0.25, 3, 0.10, 0.0) == pytest.approx(932_569.4966, abs=0.01)
    # with 10% decay: 340,909.0909 + 337,500/1.21 + 303,750/1.331 = 340,909.0909 + 278,925.6198 + 228,211.8708
    assert relief_from_royalty(10_000_000, 0.05, 0.25, 3, 0.10, 0.10) == pytest.approx(848_046.5815, abs=0.01)


def _tables() -> Tables:
    t = load_tables()
    v = copy.deepcopy(t.valuation)
    v["discount_rate"] = [0.12, 0.08, 0.06]
    v["risk_premium"]["invention"] = 0.02          # base r = 0.08 + 0.02 = 0.10
    v["decay"] = [0.2, 0.1, 0.0]
    v["economic_life_cap_years"]["invention"] = 3  # N = min(remaining ~14.7 y, 3) = 3
    r = copy.deepcopy(t.royalty)
    r["default"] = {"low": 0.05, "high": 0.05}     # base royalty 5% whatever the quality
    r["divisions"], r["sections"] = {}, {}
    return Tables(t.quality, v, r)


def _patent(**kw):
    base = {"uscc": U[0], "as_of": AS_OF, "patent_id": "CN202110123456.7", "kind": "invention", "status": "granted",
            "filing_date": dt.date(2021, 3, 1), "grant_date": dt.date(2023, 5, 1), "claims": 10,
            "independent_claims": 2, "forward_citations": 3, "backward_citations": 5, "family_size": 1,
            "ipc_main": "G06F 16/00", "main_product": True, "licences": 0, "exclusive_licence": False,
            "transfers": 0, "litigation_pending": False, "pledged": False}
    base.update(kw)
    return base


def test_value_patents_income_approach_hand_computed():
    patents = pl.DataFrame([_patent()])
    features = pl.DataFrame({"uscc": [U[0]], "as_of": [AS_OF], "industry_code": ["C3911"],
                             "revenue": [12_000_000.0], "main_business_revenue": [10_000_000.0],
                             "high_tech_certified": [False]})
    out = value_patents(patents, features, AS_OF, _tables())
    r = out.row(0, named=True)
    assert r["method"] == "income"
    assert r["attributed_revenue"] == 10_000_000.0   # the only main-product patent takes all main-business revenue
    assert r["economic_life_years"] == 3.0
    assert r["discount_rate_base"] == pytest.approx(0.10)
    assert r["value_base"] == pytest.approx(848_046.5815, abs=0.01)  # the hand computation above
    assert r["value_low"] < r["value_base"] < r["value_high"]
    # high-tech enterprises pay 15% income tax: value scales by (1 - 15%) / (1 - 25%)
    ht = value_patents(patents, features.with_columns(pl.lit(True).alias("high_tech_certified")), AS_OF, _tables())
    assert ht["value_base"][0] == pytest.approx(848_046.5815 * 0.85 / 0.75, abs=0.01)


def test_revenue_is_shared_by_quality_and_cost_floor_without_revenue():
    patents = pl.DataFrame([
        _patent(),
        _patent(patent_id="CN202110123450.X", forward_citations=0, claims=2, independent_claims=1),
        _patent(patent_id="CN202110000001.1", main_product=False),
    ])
    features = pl.DataFrame({"uscc": [U[0]], "main_business_revenue": [10_000_000.0], "industry_code": ["C3911"]})
    out = value_patents(patents, features, AS_OF, _tables()).sort("patent_id")
    earning = out.filter(pl.col("main_product"))
    assert earning["attributed_revenue"].sum() == pytest.approx(10_000_000.0)
    q = dict(zip(earning["patent_id"], earning["quality"]))
    rev = dict(zip(earning["patent_id"], earning["attributed_revenue"]))
    assert rev["CN202110123456.7"] / rev["CN202110123450.X"] == pytest.approx(q["CN202110123456.7"] / q["CN202110123450.X"])
    # no revenue: cost approach = 80,000 * remaining life / 20 years (base scenario multiplier 1.0)
    nr = out.filter(~pl.col("main_product")).row(0, named=True)
    assert nr["method"] == "cost"
    assert nr["value_base"] == pytest.approx(80_000 * nr["remaining_life_years"] / 20)


def test_pending_and_lapsed():
    patents = pl.DataFrame([_patent(status="pending", grant_date=None), _patent(patent_id="CN202110123450.X",
                                                                                 status="lapsed")])
    out = value_patents(patents, None, AS_OF, _tables()).sort("status")
    lapsed, pending = out.row(0, named=True), out.row(1, named=True)
    assert lapsed["value_base"] == 0.0 and lapsed["method"] == "nil"
    # no revenue -> cost approach x grant probability 0.55 for a pending invention
    assert pending["value_base"] == pytest.approx(80_000 * pending["remaining_life_years"] / 20 * 0.55)


def test_granted_after_term_counts_as_expired():
    from innocredit.ip import firm_capacity, load_pledge_policy

    old = _patent(kind="utility_model", patent_id="CN201420000005.X", filing_date=dt.date(2014, 1, 2),
                  grant_date=dt.date(2014, 9, 1))
    out = value_patents(pl.DataFrame([old]), None, AS_OF, _tables())
    r = out.row(0, named=True)
    assert (r["status_effective"], r["remaining_life_years"], r["value_base"]) == ("expired", 0.0, 0.0)
    assert firm_capacity(out, load_pledge_policy("default"))["n_pledgeable"][0] == 0


def test_cohort_normalisation_and_stars():
    t = load_tables()
    q = copy.deepcopy(t.quality)
    q["min_cohort_size"] = 1
    patents = pl.DataFrame([_patent(forward_citations=2), _patent(patent_id="CN202110123450.X", forward_citations=4),
                            _patent(patent_id="CN202110000001.1", ipc_main="H04L 9/00", forward_citations=1)])
    out = score_quality(patents, cohort_stats(patents), AS_OF, q).sort("patent_id")
    # G06 cohort max = 4: 2/4 = 0.5 and 4/4 = 1; H04 cohort alone: 1/1 = 1
    assert dict(zip(out["patent_id"], out["ind_forward_citations"])) == {
        "CN202110123456.7": 0.5, "CN202110123450.X": 1.0, "CN202110000001.1": 1.0}
    assert out["quality"].is_between(0, 100).all()
    stars = out.select(pl.col("quality"), pl.col("stars"))
    for quality, s in stars.iter_rows():
        assert s == (5 if quality >= 80 else 4 if quality >= 60 else 3 if quality >= 40 else 2 if quality >= 20 else 1)


def test_small_cohorts_fall_back_to_section():
    patents = pl.DataFrame([_patent(forward_citations=2), _patent(patent_id="CN202110123450.X",
                                                                  ipc_main="G01N 33/00", forward_citations=8)])
    out = score_quality(patents, cohort_stats(patents), AS_OF, load_tables().quality).sort("patent_id")
    # cohorts of 1 < 20: both use the G section cohort (max 8)
    assert out["cohort_level"].to_list() == ["section", "section"]
    assert sorted(out["ind_forward_citations"].to_list()) == [0.25, 1.0]


def test_cohort_stats_combine_across_partitions():
    df = synthetic_patents(3000, seed=5)
    whole = cohort_stats(df)
    parts = CohortStats.combine([cohort_stats(df.slice(0, 1000)), cohort_stats(df.slice(1000))])
    w = load_tables().quality
    a = score_quality(df, whole, AS_OF, w)
    b = score_quality(df, parts, AS_OF, w)
    assert a["quality"].to_list() == pytest.approx(b["quality"].to_list())


def test_generality_and_originality_when_classes_known():
    patents = pl.DataFrame([_patent()]).with_columns(
        pl.lit("G06F;G06F;H04L;A61B").alias("forward_citation_ipcs"), pl.lit("G06F").alias("backward_citation_ipcs"))
    out = score_quality(patents, cohort_stats(patents), AS_OF, load_tables().quality)
    # generality = 1 - (0.5^2 + 0.25^2 + 0.25^2) = 0.625; originality = 1 - 1^2 = 0
    assert out["ind_generality"][0] == pytest.approx(0.625)
    assert out["ind_originality"][0] == pytest.approx(0.0)


def test_value_patents_at_scale_is_consistent():
    usccs = make_usccs(50)
    df = synthetic_patents(5000, usccs=usccs, seed=2)
    out = value_patents(df, synthetic_features(usccs), AS_OF)
    assert out.height == 5000
    assert (out["value_low"] <= out["value_base"] + 1e-6).all() and (out["value_base"] <= out["value_high"] + 1e-6).all()
    assert out.filter(pl.col("status").is_in(["lapsed", "invalidated"]))["value_base"].max() == 0.0


def test_bad_weights_file_names_the_path(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("id: x\nversion: '1'\nmin_cohort_size: 0\n")
    with pytest.raises(PolicyError) as exc:
        load_yaml(bad, QUALITY_SCHEMA, "quality-weights table")
    assert str(bad) in str(exc.value) and "min_cohort_size" in str(exc.value)


def test_partitions_by_firm_with_global_stats_match_one_run():
    usccs = make_usccs(20)
    df = synthetic_patents(2000, usccs=usccs, seed=8)
    feats = synthetic_features(usccs)
    whole = value_patents(df, feats, AS_OF).sort("patent_id")
    stats = cohort_stats(df)
    half = pl.col("uscc").is_in(usccs[:10])
    parts = pl.concat([value_patents(df.filter(half), feats, AS_OF, stats=stats),
                       value_patents(df.filter(~half), feats, AS_OF, stats=stats)]).sort("patent_id")
    assert parts["value_base"].to_list() == pytest.approx(whole["value_base"].to_list())
