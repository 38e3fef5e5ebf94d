"""Validation metrics, PSI/CSI, calibration by grade, the HTML/SVG report."""

import math

import numpy as np
import polars as pl
import pytest

from innocredit.risk import Scorecard
from innocredit.risk.compare import approval_rate_at
from innocredit.risk.features import feature_sets
from innocredit.risk.report import report_html
from innocredit.risk.validation import (
    calibration_by_grade,
    ks_statistic,
    psi,
    psi_level,
    reference_profile,
    stability,
    validate,
)


def test_psi_formula_hand_computed():
    # e = (.25, .25, .5), a = (.5, .25, .25):
    # PSI = (.5-.25) ln(.5/.25) + 0 + (.25-.5) ln(.25/.5) = .25 ln2 + .25 ln2 = 0.5 ln 2 = 0.346574
    assert psi(np.array([25, 25, 50]), np.array([50, 25, 25])) == pytest.approx(0.5 * math.log(2))
    assert psi(np.array([1, 1]), np.array([1, 1])) == 0.0
    assert math.isfinite(psi(np.array([10, 0]), np.array([5, 5])))  # empty bin floored, not infinite
    assert [psi_level(v) for v in (0.05, 0.10, 0.2, 0.25)] == ["stable", "watch", "watch", "alert"]


def test_ks_and_calibration_by_grade():
    y = np.array([0, 0, 1, 1])
    assert ks_statistic(y, np.array([0.1, 0.2, 0.3, 0.4])) == pytest.approx(1.0)
    assert ks_statistic(y, np.array([0.1, 0.3, 0.2, 0.4])) == pytest.approx(0.5)
    grades = np.array(["G1", "G1", "G2", "G2"])
    rows = calibration_by_grade(y, np.array([0.1, 0.1, 0.5, 0.5]), grades, ["G1", "G2", "G3"])
    assert rows[0]["observed"] == 0.0 and rows[1]["observed"] == 1.0 and rows[2]["n"] == 0
    # binomial test: 0 of 2 at p=.1 -> P(X<=0)=0.81 ... two-sided p = 1.0
    assert rows[0]["p_value"] == pytest.approx(1.0)
    # 2 of 2 at p=.5 -> two-sided p = 2 * 0.25 = 0.5
    assert rows[1]["p_value"] == pytest.approx(0.5)


def test_approval_rate_at_portfolio_default_rate():
    # sorted by PD: defaults at positions 3 and 8 of 10; cumulative default rate after k approvals:
    # k=1..2: 0, k=3: 1/3, ... never back under 3% -> approve 2 of 10
    y = np.array([0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
    r = approval_rate_at(y, np.arange(10) / 10, 0.03)
    assert r["approval_rate"] == pytest.approx(0.2)
    assert approval_rate_at(y, np.arange(10) / 10, 0.2)["approval_rate"] == pytest.approx(1.0)  # 2/10


def test_validation_report_and_monitoring_small_samples(demo):
    y = demo["default_12m"].to_numpy()
    sc = Scorecard(features=feature_sets()["technology"]).fit(demo, y)
    rep = validate(sc, demo, "default_12m", dev=demo)
    perf = rep["performance"]
    assert 0.5 < perf["auc"] <= 1 and perf["gini"] == pytest.approx(2 * perf["auc"] - 1)
    assert len(rep["calibration"]) == 10
    assert rep["stability"]["score_psi"] == pytest.approx(0.0, abs=1e-9)
    assert {"industry_section", "stage", "region"} <= set(rep["segments"])
    html = report_html(rep)
    assert html.count("<svg") == 3 and "ROC" in html and "http" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    # monitoring on a handful of rows works (optbinning's crashes on small samples)
    prof = reference_profile(sc, demo)
    for n in (1, 7, 300):
        st = stability(sc, prof, demo.head(n))
        assert math.isfinite(st["score_psi"]) and set(st["csi"]) == set(sc.selected_features_)
    shifted = demo.with_columns(pl.col("leverage") * 3)
    st = stability(sc, prof, shifted)
    if "leverage" in st["csi"]:
        assert st["csi"]["leverage"]["level"] == "alert"
