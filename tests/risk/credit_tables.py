"""The real credit tables shipped under ``tests/data/credit/`` and the synthetic categorical stress table.

Each loader returns (name, features without the target and without protected attributes, 0/1 target with
1 = bad). The same loaders feed the tests and ``benchmarks/bench_risk.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parent.parent / "data" / "credit"

# each table: file, target column, value meaning bad (None: already 0/1), protected columns left out of the features
REAL_TABLES: dict[str, dict[str, object]] = {
    "german": {"file": "german.csv", "target": "creditability", "bad": "bad",
               "protected": ["personal_status_and_sex", "age_in_years"]},
    "credit_data": {"file": "credit_data.csv", "target": "Status", "bad": "bad", "protected": ["Marital", "Age"]},
    "loans": {"file": "loans.csv", "target": "bad", "bad": None, "protected": []},
}


def read_table(name: str) -> pl.DataFrame:
    spec = REAL_TABLES[name]
    return pl.read_csv(DATA / str(spec["file"]), null_values=["NA", ""], infer_schema_length=20000)


def real_table(name: str) -> tuple[pl.DataFrame, np.ndarray]:
    spec = REAL_TABLES[name]
    df = read_table(name)
    target = str(spec["target"])
    if spec["bad"] is None:
        y = df[target].cast(pl.Int8).to_numpy()
    else:
        y = (df[target].cast(pl.String) == spec["bad"]).cast(pl.Int8).to_numpy()
    drop = [target, *(str(c) for c in spec["protected"])]  # type: ignore[attr-defined]
    return df.drop(drop), y


def stress_table(n: int = 8000, seed: int = 5) -> tuple[pl.DataFrame, np.ndarray]:
    """Categoricals of 50 and 200 levels with Zipf-like level frequencies (many levels of a handful of records),
    a weak 12-level one, three numeric features; about 12% bad. Level effects are drawn once per seed."""
    rng = np.random.default_rng(seed)
    z = np.zeros(n)
    cols: dict[str, object] = {}
    for name, levels, scale in (("cat50", 50, 0.6), ("cat200", 200, 0.8), ("cat12", 12, 0.15)):
        p = 1.0 / np.arange(1, levels + 1) ** 1.1
        p /= p.sum()
        lv = rng.choice(levels, size=n, p=p)
        effect = rng.normal(scale=scale, size=levels)
        z += effect[lv]
        cols[name] = np.array([f"{name}_{i:03d}" for i in range(levels)], dtype=object)[lv]
    for j, w in enumerate((0.8, -0.5, 0.3)):
        x = rng.normal(size=n)
        z += w * x
        x[rng.random(n) < 0.03] = np.nan
        cols[f"num{j}"] = x
    lo, hi = -10.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if (1 / (1 + np.exp(-(z + mid)))).mean() < 0.12:
            lo = mid
        else:
            hi = mid
    y = (rng.random(n) < 1 / (1 + np.exp(-(z + mid)))).astype(np.int8)
    return pl.DataFrame(cols), y
