"""L2-penalized logistic regression by Newton's method (IRLS) on a few dense columns.

Shared by the scorecard (coefficients on WOE columns) and Platt calibration (one column), so neither module
imports the other.
"""

from __future__ import annotations

import functools

import numpy as np
from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


_CHUNK = 131_072  # rows per block when accumulating the Hessian (bounded extra memory)


def _newton(X: np.ndarray, y: np.ndarray, ridge: np.ndarray, beta: np.ndarray, tol: float, max_iter: int
            ) -> np.ndarray:
    """Newton steps on [X, 1] without materializing the design matrix: the linear predictor and the gradient
    are one matrix-vector product each over all rows; the Hessian X'WX is accumulated in row blocks (views of
    ``X``, any memory order) so only one weighted block exists at a time."""
    n, k = X.shape
    z = np.empty(n)
    for _ in range(max_iter):
        np.matmul(X, beta[:k], out=z)
        z += beta[k]
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)  # z is now p = 1 / (1 + exp(-(X b + b0)))
        r = z - y
        grad = ridge * beta
        grad[:k] += r @ X
        grad[k] += r.sum()
        w = z * (1.0 - z)
        H = np.diag(ridge)
        for s in range(0, n, _CHUNK):
            xb = X[s:s + _CHUNK]
            xw = xb * w[s:s + _CHUNK, None]
            H[:k, :k] += xw.T @ xb
            col = xw.sum(axis=0)
            H[:k, k] += col
            H[k, :k] += col
        H[k, k] += w.sum()
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
        beta = beta - step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def fit_logistic(X: np.ndarray, y: np.ndarray, C: float = 1.0, tol: float = 1e-6, max_iter: int = 100,
                 warm_rows: int = 100_000) -> tuple[np.ndarray, float]:
    """L2-penalized logistic regression by Newton's method (IRLS): minimizes
    sum(log loss) + ||w||^2 / (2C), the intercept unpenalized — the objective of scikit-learn's
    ``LogisticRegression(C=C)``, solved in a handful of iterations on the few WOE columns. On large data the
    start comes from a fit on ``warm_rows`` evenly spaced rows (penalty scaled alike), so the full data needs
    only two or three Newton steps. BLAS runs single-threaded here: the products are small (k is the number of
    features) and threaded BLAS on a busy machine spends more time waiting than computing."""
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    y = np.asarray(y, dtype=float)
    ridge = np.full(k + 1, 1.0 / C)
    ridge[k] = 0.0
    beta = np.zeros(k + 1)
    with _blas_controller().limit(limits=1, user_api="blas"):
        if n > 2 * warm_rows:
            sub = np.linspace(0, n - 1, warm_rows).astype(np.int64)
            beta = _newton(X[sub], y[sub], ridge * warm_rows / n, beta, tol, max_iter)
        beta = _newton(X, y, ridge, beta, tol, max_iter)
    return beta[:k], float(beta[k])
