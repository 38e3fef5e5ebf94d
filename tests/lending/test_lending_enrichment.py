"""services.matching: the columns matching reads from the other areas (evaluation, risk, IP, pools, guarantee
schemes), the same for the web and the command line; the matching core stays independent."""

import ast
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from innocredit.lending.matching import match
from innocredit.profile.features import conform
from innocredit.services import matching as enrichment

LENDING = Path(match.__code__.co_filename).resolve().parent
MATCHING_CORE = ("matching.py", "eligibility.py", "limits.py", "pricing.py", "schema.py")


def _features():
    return conform(pl.DataFrame({"uscc": ["91330106MA2AAAAA02"], "as_of": [dt.date(2025, 6, 30)],
                                 "revenue": [2e7], "employees": [50], "tech_staff": [20], "rd_expense": [2e6],
                                 "industry_code": ["I6513"], "region_code": ["330106"]}))


def test_core_does_not_import_other_areas():
    for name in MATCHING_CORE:
        path = LENDING / name
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in names if m.startswith(("innocredit.evaluation", "innocredit.risk", "innocredit.ip"))]


def test_no_source_leaves_columns_absent():
    out = enrichment.enrich(_features(), systems={}, schemes=False)
    assert "innovation_points" not in out.columns and "pd_grade" not in out.columns
    assert "ip_pledge_capacity" not in out.columns and "pool_capacity" not in out.columns


def test_enrich_with_evaluation():
    feats = _features()
    out = enrichment.enrich(feats)
    for col in ("tech_sme_score", "tech_sme_qualified", "innovation_points", "bank_new_quality_score"):
        assert col in out.columns
    assert out.height == feats.height
    # given columns are kept as given
    kept = enrichment.enrich(feats.with_columns(pl.lit(99.0).alias("innovation_points")))
    assert kept["innovation_points"][0] == 99.0
    # the result feeds matching: rows never fail as "missing innovation_points" once enriched
    m = match(out)
    assert not m.filter(pl.col("failed_reason_en") == "missing innovation_points").height


def test_enrich_with_ip_pledge_capacity():
    import innocredit.ip.sample as sample
    patents = sample.synthetic_patents(200, n_firms=10)
    feats = sample.synthetic_features(patents["uscc"].unique().sort().to_list())
    out = enrichment.enrich(feats, patents=patents, as_of=dt.date(2026, 6, 30), systems={})
    assert out.height == feats.height
    assert out["ip_pledge_capacity"].null_count() < out.height
    assert (out["ip_pledge_capacity"].drop_nulls() <= out["ip_value_base"].drop_nulls()).all()


def test_enrich_with_risk_grade():
    from innocredit.risk import Scorecard
    from innocredit.risk.features import feature_sets, model_features
    from innocredit.risk.policy import feature_trends
    from innocredit.synthetic import feature_table

    table = feature_table(1500, 11)
    train = model_features(table.filter(pl.col("default_12m").is_not_null()))
    card = Scorecard(features=feature_sets()["technology"], trends=feature_trends()).fit(
        train, train["default_12m"].to_numpy())
    out = enrichment.enrich(table.head(100), risk_model=card, systems={})
    assert out["pd_grade"].null_count() == 0
    assert set(out["pd_grade"].unique().to_list()) <= {f"G{i}" for i in range(1, 11)}
    m = match(out)
    assert not m.filter(pl.col("failed_reason_en") == "missing pd_grade").height


def _ip_case():
    import innocredit.ip.sample as sample
    patents = sample.synthetic_patents(60, n_firms=3)
    firms = patents["uscc"].unique().sort().to_list()
    feats = sample.synthetic_features(firms)
    # a fourth firm with no patent on record
    lone = feats.head(1).with_columns(pl.lit("91330106MA2AAAAA02").alias("uscc"))
    return patents, firms, pl.concat([feats, lone], how="vertical_relaxed")


def test_a_firm_without_patents_is_not_eligible_rather_than_missing():
    patents, firms, feats = _ip_case()
    out = enrichment.enrich(feats, patents=patents, pools=[], as_of=dt.date(2026, 6, 30), systems={})
    lone = out.filter(pl.col("uscc") == "91330106MA2AAAAA02").row(0, named=True)
    assert lone["ip_pledge_capacity"] == 0.0 and lone["pool_capacity"] == 0.0
    assert out.filter(pl.col("uscc").is_in(firms))["ip_pledge_capacity"].min() > 0
    clean = [pl.lit(False).alias("serious_dishonesty"), pl.lit(False).alias("abnormal_operations"),
             pl.lit(0).alias("open_enforcement_cases"), pl.lit("G3").alias("pd_grade"), pl.lit(0).alias("ip_class1")]
    rows = match(out.with_columns(clean))
    mine = {r["product_id"]: r for r in rows.filter(pl.col("uscc") == "91330106MA2AAAAA02").iter_rows(named=True)}
    # no patents: an IP rule fails on capacity 0 (not "missing ip_pledge_capacity"); outside every pool: not a member
    assert mine["ip_pledge_loan"]["failed_rule"] in ("holds_invention_patent", "pledge_capacity_100k")
    assert not mine["ip_pledge_loan"]["failed_reason_en"].startswith("missing")
    assert mine["patent_pool_loan"]["failed_reason_en"] == "has a pledge share in a patent pool"


def test_pool_capacity_from_the_pools_on_record():
    """One pool of one firm's patents: HHI across firms is 1, so the pool rate is the agreement's base rate 0.30
    (rate = min(0.45, 0.30 + 0.15 * (1 - max(1, HHI_ipc))) = 0.30) and the firm's capacity is 0.30 x its pooled
    patents' base value."""
    from innocredit import ip

    patents, firms, feats = _ip_case()
    a = firms[0]
    pooled = patents.filter(pl.col("uscc") == a).head(4)
    pool = {"id": "P1", "agreement_id": "default",
            "patents": [{"patent_id": p, "uscc": a} for p in pooled["patent_id"].to_list()]}
    out = enrichment.enrich(feats, patents=patents, pools=[pool], as_of=dt.date(2026, 6, 30), systems={})
    valued = ip.value_patents(patents, feats, dt.date(2026, 6, 30))
    base = valued.filter(pl.col("patent_id").is_in(pooled["patent_id"].to_list()))["value_base"].sum()
    cap = dict(zip(out["uscc"].to_list(), out["pool_capacity"].to_list()))
    assert base > 0 and abs(cap[a] - 0.30 * base) < 1e-6 * base
    assert all(cap[u] == 0.0 for u in firms[1:])


def test_guarantee_scheme_from_the_schemes_scopes():
    feats = pl.DataFrame({
        "uscc": ["A", "B", "C", "D"], "region_code": ["340100", "330106", "330106", "330106"],
        "tech_sme_qualified": [False, True, False, False], "high_tech_certified": [False, False, False, False],
        "employees": [20, 500, 120, 800]})
    got = feats.select(enrichment.scheme_of(feats).alias("s"))["s"].to_list()
    # Anhui firm -> 4321; tech SME -> 2024 tech plan (size aside); small firm -> national fund; a large
    # non-tech firm is in no scheme's scope
    assert got == ["anhui_4321", "tech_special_2024", "national_fund", None]


def test_demo_model_gives_grades_with_a_warning():
    from innocredit.synthetic import feature_table

    table = feature_table(800, 5)
    res = enrichment.enrich_for_matching(table, demo_model=True, systems={}, schemes=False)
    assert res.table["pd_grade"].null_count() == 0 and res.pd_source == "demo scorecard"
    assert any("demo scorecard" in w and "not validated" in w for w in res.warnings)
    unlabelled = enrichment.enrich_for_matching(table.with_columns(pl.lit(None, dtype=pl.Int8).alias("default_12m")),
                                                demo_model=True, systems={}, schemes=False)
    assert "pd_grade" not in unlabelled.table.columns and unlabelled.warnings


def test_the_web_enriches_through_the_same_service():
    from innocredit.web.data import DataService

    patents, firms, feats = _ip_case()
    feats = feats.with_columns(pl.lit(dt.date(2026, 6, 30)).alias("as_of"))
    svc = DataService(lambda: feats, patents_loader=lambda: patents, pools_loader=lambda: [])
    web = svc.enriched().sort("uscc")
    cli = enrichment.enrich(svc.features(), patents=patents, pools=[]).sort("uscc")
    for col in ("guarantee_scheme", "innovation_points"):
        assert web[col].to_list() == cli[col].to_list(), col
    for col in ("ip_pledge_capacity", "pool_capacity"):  # the same up to the order of summation
        assert web[col].to_list() == pytest.approx(cli[col].to_list(), rel=1e-9), col
