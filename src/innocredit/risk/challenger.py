"""The challenger: LightGBM with monotone constraints from the same trends as the scorecard binning;
per-applicant reasons from LightGBM's own ``pred_contrib`` (SHAP values of the log-odds)."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin

from innocredit.risk.binning import as_polars, is_categorical
from innocredit.risk.fairness import refuse_protected_in
from innocredit.risk.policy import MasterScale
from innocredit.risk.scaling import Scaling

_CONSTRAINT = {"ascending": 1, "descending": -1}


class GBMChallenger(BaseEstimator, ClassifierMixin):
    """Gradient-boosted trees (LightGBM) on the raw features; categorical columns as LightGBM categories."""

    kind = "gbm"

    def __init__(self, features: list[str] | None = None, trends: dict[str, str] | None = None,
                 n_estimators: int = 300, learning_rate: float = 0.05, num_leaves: int = 15,
                 min_child_samples: int = 50, base_score: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0,
                 master_scale: MasterScale | None = None, n_jobs: int = 2, random_state: int = 42,
                 allow_protected: list[str] | None = None) -> None:
        self.features = features
        self.trends = trends
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.base_score = base_score
        self.base_odds = base_odds
        self.pdo = pdo
        self.master_scale = master_scale
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.allow_protected = allow_protected

    def _matrix(self, df: pl.DataFrame) -> np.ndarray:
        cols = []
        for f in self.features_:
            s = df[f]
            if f in self.categories_:
                codes = {c: i for i, c in enumerate(self.categories_[f])}
                s = s.cast(pl.String).replace_strict(codes, default=None, return_dtype=pl.Float64)
            cols.append(s.cast(pl.Float64).fill_nan(None).to_numpy().astype(float))
        return np.column_stack(cols) if cols else np.empty((df.height, 0))

    def fit(self, X: Any, y: Any) -> GBMChallenger:
        df = as_polars(X)
        self.features_ = list(self.features) if self.features is not None else list(df.columns)
        refuse_protected_in(df, self.features_, allowed=self.allow_protected)
        y = np.asarray(y, dtype=float).reshape(-1)
        if len(np.unique(y)) != 2:
            raise ValueError("the target needs both classes (0 and 1) in the training data")
        self.categories_ = {f: sorted(df[f].cast(pl.String).drop_nulls().unique().to_list())
                            for f in self.features_ if is_categorical(df[f].dtype)}
        trends = self.trends or {}
        constraints = [0 if f in self.categories_ else _CONSTRAINT.get(trends.get(f, "none"), 0)
                       for f in self.features_]
        cat_idx = [i for i, f in enumerate(self.features_) if f in self.categories_]
        params = {"objective": "binary", "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
                  "min_child_samples": self.min_child_samples, "monotone_constraints": constraints,
                  "monotone_constraints_method": "advanced", "num_threads": self.n_jobs, "verbose": -1,
                  "seed": self.random_state, "deterministic": True, "force_row_wise": True}
        data = lgb.Dataset(self._matrix(df), label=y, feature_name=self.features_,
                           categorical_feature=cat_idx or "auto", free_raw_data=True)
        self.booster_ = lgb.train(params, data, num_boost_round=self.n_estimators)
        self.monotone_constraints_ = dict(zip(self.features_, constraints))
        self.scaling_ = Scaling(self.base_score, self.base_odds, self.pdo)
        self.master_scale_ = self.master_scale or MasterScale.default()
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.features_)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(self.booster_.predict(self._matrix(as_polars(X)), raw_score=True))

    def predict_proba(self, X: Any) -> np.ndarray:
        pd_ = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def score_points(self, X: Any) -> np.ndarray:
        return self.scaling_.score_from_logit(self.decision_function(X))

    def contributions(self, X: Any) -> np.ndarray:
        """Per-feature contributions to the log-odds of default (LightGBM ``pred_contrib``), rows x features."""
        out = np.asarray(self.booster_.predict(self._matrix(as_polars(X)), pred_contrib=True))
        return out[:, :-1]

    def explain(self, X: Any) -> dict[str, Any]:
        contrib = np.asarray(self.booster_.predict(self._matrix(as_polars(X)), pred_contrib=True))
        logit = contrib.sum(axis=1)
        pd_ = 1.0 / (1.0 + np.exp(-logit))
        return {"score": self.scaling_.score_from_logit(logit), "pd": pd_, "loss": contrib[:, :-1],
                "features": self.features_}

    def raw_features(self) -> list[str]:
        return list(self.features_)
