"""Synthetic patent and firm frames for tests and benchmarks (vectorized numpy; not the demo-data generator)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from innocredit.ip.records import APP_NO_WEIGHTS
from innocredit.profile.uscc import make_uscc

IPC_POOL = ("G06F", "G06N", "H04L", "H04W", "H01L", "A61K", "A61B", "C07D", "C08L", "B65G", "F16H", "G01N",
            "B23K", "C12N", "H02J", "B60L", "E21B", "G05B", "B29C", "H01M")
INDUSTRIES = ("C3911", "C3823", "C2710", "C2614", "C3511", "I6510", "I6513", "M7320", "C4011", "C3670")
KINDS = ("invention", "utility_model", "design")


def make_usccs(n: int, start: int = 0) -> list[str]:
    return [make_uscc(f"91330100{i + start:09d}") for i in range(n)]


def check_chars(digits: np.ndarray) -> np.ndarray:
    """Check characters for an (n, 12) array of application-number digits."""
    r = (digits * np.array(APP_NO_WEIGHTS)).sum(axis=1) % 11
    return np.where(r == 10, "X", r.astype(str))


def synthetic_patents(n: int, n_firms: int | None = None, seed: int = 7, as_of: dt.date = dt.date(2026, 6, 30),
                      usccs: list[str] | None = None) -> pl.DataFrame:
    """``n`` valid patent rows (the ``ip_office`` feed columns) spread over ``n_firms`` firms."""
    rng = np.random.default_rng(seed)
    n_firms = n_firms or max(1, n // 10)
    usccs = usccs or make_usccs(n_firms)
    firm = rng.integers(0, len(usccs), n)
    kind_i = rng.choice(3, n, p=[0.45, 0.4, 0.15])
    status_i = rng.choice(4, n, p=[0.78, 0.12, 0.08, 0.02])  # granted, pending, lapsed, invalidated
    age_days = rng.integers(60, 365 * 9, n)
    as_of_np = np.datetime64(as_of.isoformat())
    filing = as_of_np - age_days.astype("timedelta64[D]")
    lag = rng.integers(120, 365 * 3, n)
    lag = np.where(kind_i == 0, lag, lag // 4 + 60)
    grant = filing + lag.astype("timedelta64[D]")
    pending = (status_i == 1) | (grant > as_of_np)
    status_i = np.where(pending, 1, status_i)
    years = filing.astype("datetime64[Y]").astype(int) + 1970
    type_digit = np.array([1, 2, 3])[kind_i]
    serial = rng.integers(0, 10_000_000, n)
    digits = np.zeros((n, 12), dtype=np.int64)
    for i in range(4):
        digits[:, i] = (years // 10 ** (3 - i)) % 10
    digits[:, 4] = type_digit
    for i in range(7):
        digits[:, 5 + i] = (serial // 10 ** (6 - i)) % 10
    ids = pl.Series(years.astype(str)).str.zfill(4) + pl.Series(type_digit.astype(str)) \
        + pl.Series(serial.astype(str)).str.zfill(7)
    pid = "CN" + ids + "." + pl.Series(check_chars(digits))
    claims = np.where(kind_i == 2, 0, rng.integers(1, 25, n))
    indep = np.where(kind_i == 2, 0, np.minimum(claims, rng.integers(1, 4, n)))
    licences = rng.poisson(0.3, n)
    df = pl.DataFrame({
        "uscc": pl.Series(usccs).gather(firm),
        "as_of": pl.Series([as_of]).gather(np.zeros(n, dtype=np.int64)),
        "patent_id": pid,
        "kind": pl.Series(KINDS).gather(kind_i),
        "status": pl.Series(["granted", "pending", "lapsed", "invalidated"]).gather(status_i),
        "filing_date": pl.Series(filing).cast(pl.Date),
        "grant_date": pl.Series(grant).cast(pl.Date),
        "claims": claims, "independent_claims": indep,
        "forward_citations": rng.poisson(2.0, n) * (kind_i == 0) + rng.poisson(0.3, n),
        "backward_citations": rng.poisson(5.0, n),
        "family_size": 1 + rng.poisson(0.4, n) * (kind_i == 0),
        "ipc_main": pl.Series(IPC_POOL).gather(rng.integers(0, len(IPC_POOL), n)) + " "
        + pl.Series(rng.integers(1, 99, n).astype(str)) + "/00",
        "main_product": rng.random(n) < 0.5,
        "high_value": rng.random(n) < 0.1,
        "licences": licences,
        "exclusive_licence": (licences > 0) & (rng.random(n) < 0.2),
        "transfers": rng.poisson(0.1, n),
        "litigation_pending": rng.random(n) < 0.03,
        "pledged": rng.random(n) < 0.05,
    })
    df = df.with_columns(pl.when(pl.col("status") == "pending").then(None).otherwise(pl.col("grant_date"))
                         .alias("grant_date"))
    return df


def synthetic_features(usccs: list[str], seed: int = 7, as_of: dt.date = dt.date(2026, 6, 30)) -> pl.DataFrame:
    """Firm rows with the feature-table columns valuation reads."""
    rng = np.random.default_rng(seed + 1)
    n = len(usccs)
    revenue = np.round(rng.lognormal(16.5, 1.0, n), 2)
    return pl.DataFrame({
        "uscc": usccs,
        "as_of": [as_of] * n,
        "industry_code": pl.Series(INDUSTRIES).gather(rng.integers(0, len(INDUSTRIES), n)),
        "revenue": revenue,
        "main_business_revenue": np.round(revenue * rng.uniform(0.6, 1.0, n), 2),
        "high_tech_certified": rng.random(n) < 0.4,
    })
