"""enrich(): columns from the other areas when they are importable; the matching core stays independent."""

import ast
import datetime as dt
from pathlib import Path

import polars as pl

from innocredit.lending.matching import match
from innocredit.profile.features import conform
from innocredit.services import matching as enrichment

LENDING = Path(enrichment.__file__).resolve().parent


def _features():
    return conform(pl.DataFrame({"uscc": ["91330106MA2AAAAA02"], "as_of": [dt.date(2025, 6, 30)],
                                 "revenue": [2e7], "employees": [50], "tech_staff": [20], "rd_expense": [2e6],
                                 "industry_code": ["I6513"], "region_code": ["330106"]}))


def test_core_does_not_import_other_areas():
    for path in LENDING.glob("*.py"):
        if path.name == "enrichment.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        assert not [m for m in names if m.startswith(("innocredit.evaluation", "innocredit.risk", "innocredit.ip"))]


def test_missing_area_leaves_columns_absent():
    assert enrichment._area("no_such_area") is None
    out = enrichment.enrich(_features(), systems={})
    assert "innovation_points" not in out.columns and "pd_grade" not in out.columns


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
