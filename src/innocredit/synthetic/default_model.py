"""The latent default model of the demo data (documented in ``docs/demo-data.md``).

For every loan of a firm::

    logit(p) = INTERCEPT
             + B_LEVERAGE * (liabilities / total_assets - 0.5)
             + B_SMALL    * -ln(max(revenue, 100k) / 10M)
             + B_LOSS     * [net_profit < 0]
             + B_GROWTH   * revenue growth (clipped to [-0.5, 1])
             - C_INNOVATION * innovation_strength
             + B_DISHONESTY * [serious dishonesty] + B_ABNORMAL * [abnormal operations]
             + B_ENFORCEMENT * min(open enforcement cases, 3)
             + B_TAX_C * [tax rating C] + B_TAX_D * [tax rating D]
             + noise ~ N(0, NOISE_SD)                      (one draw per firm: unobserved quality)

    innovation_strength = W_RD * (ln(R&D intensity) - ln(0.05)) / 0.6
                        + W_INVENTIONS * (ln(1 + granted inventions) - 0.7) / 0.8
                        + W_TECH_STAFF * (tech staff share - 0.3) / 0.15

INTERCEPT is calibrated so that about 3% of loans and about 5% of borrowing firms default
within 12 months (see the calibration test and docs).
"""

from __future__ import annotations

import numpy as np

INTERCEPT = -3.85
B_LEVERAGE = 2.2
B_SMALL = 0.30
B_LOSS = 0.75
B_GROWTH = -0.6
C_INNOVATION = 0.8
W_RD, W_INVENTIONS, W_TECH_STAFF = 0.45, 0.35, 0.20
B_DISHONESTY = 1.6
B_ABNORMAL = 1.0
B_ENFORCEMENT = 0.6
B_TAX_C = 0.8
B_TAX_D = 1.4
NOISE_SD = 0.6


def innovation_strength(rd_intensity: np.ndarray, granted_inventions: np.ndarray, tech_share: np.ndarray) -> np.ndarray:
    rd = np.log(np.clip(rd_intensity, 1e-3, 1.0))
    return (W_RD * (rd - np.log(0.05)) / 0.6
            + W_INVENTIONS * (np.log1p(granted_inventions) - 0.7) / 0.8
            + W_TECH_STAFF * (tech_share - 0.3) / 0.15)


def default_logit(
    *,
    leverage: np.ndarray,
    revenue: np.ndarray,
    loss: np.ndarray,
    growth: np.ndarray,
    innovation: np.ndarray,
    dishonesty: np.ndarray,
    abnormal: np.ndarray,
    enforcement_cases: np.ndarray,
    tax_c: np.ndarray,
    tax_d: np.ndarray,
    noise: np.ndarray,
) -> np.ndarray:
    """The linear predictor of the latent model (flags as 0/1 arrays)."""
    return (INTERCEPT
            + B_LEVERAGE * (leverage - 0.5)
            + B_SMALL * -np.log(np.maximum(revenue, 1e5) / 1e7)
            + B_LOSS * loss
            + B_GROWTH * np.clip(growth, -0.5, 1.0)
            - C_INNOVATION * innovation
            + B_DISHONESTY * dishonesty
            + B_ABNORMAL * abnormal
            + B_ENFORCEMENT * np.minimum(enforcement_cases, 3)
            + B_TAX_C * tax_c
            + B_TAX_D * tax_d
            + noise)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
