"""Points scaling: score = offset + factor * ln(odds good:bad), factor = PDO / ln 2,
offset = base_score - factor * ln(base_odds). Defaults: 600 points at 50:1, 20 points to double the odds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Scaling:
    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if self.pdo <= 0 or self.base_odds <= 0:
            raise ValueError("pdo and base_odds must be positive")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def score_from_logit(self, logit_bad: np.ndarray) -> np.ndarray:
        """Score of a log-odds of default (bad:good)."""
        return self.offset - self.factor * np.asarray(logit_bad, dtype=float)

    def logit_from_score(self, score: np.ndarray) -> np.ndarray:
        return (self.offset - np.asarray(score, dtype=float)) / self.factor
