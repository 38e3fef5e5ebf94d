"""PD calibration of a score: Platt scaling (logistic on the score) or isotonic regression."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression

from innocredit.risk.logistic import fit_logistic

CALIBRATIONS = ("platt", "isotonic")
SAMPLE = 300_000  # evenly spaced rows used to fit the calibration on large data


class Calibrator:
    """Map a raw log-odds (of default) to a calibrated PD."""

    def __init__(self, method: str = "platt") -> None:
        if method not in CALIBRATIONS:
            raise ValueError(f"calibration {method!r} is not one of {CALIBRATIONS}")
        self.method = method

    def fit(self, logit: np.ndarray, y: np.ndarray) -> Calibrator:
        logit = np.asarray(logit, dtype=float).reshape(-1)
        y = np.asarray(y, dtype=float).reshape(-1)
        if logit.size > SAMPLE:  # two parameters (or a step function) need no more than a large sample
            rows = np.linspace(0, logit.size - 1, SAMPLE).astype(np.int64)
            logit, y = logit[rows], y[rows]
        if self.method == "platt":
            coef, self.b_ = fit_logistic(logit.reshape(-1, 1), np.asarray(y, dtype=float), C=1e6)
            self.a_ = float(coef[0])
        else:
            self.iso_ = IsotonicRegression(y_min=1e-6, y_max=1 - 1e-6, out_of_bounds="clip").fit(logit, y)
        return self

    def predict(self, logit: np.ndarray) -> np.ndarray:
        logit = np.asarray(logit, dtype=float).reshape(-1)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a_ * logit + self.b_)))
        return np.asarray(self.iso_.predict(logit))
