"""Fixtures for the evaluation tests: the example cases and a builder of single-enterprise rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from innocredit.ingest.tables import read_feature_table
from innocredit.profile.features import BY_NAME
from innocredit.profile.uscc import make_uscc

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "tech_sme_cases.csv"  # inside the repository


@pytest.fixture(scope="session")
def cases() -> pl.DataFrame:
    table = read_feature_table(EXAMPLES)
    assert table.problems == []
    return table.data


@pytest.fixture
def firm(cases: pl.DataFrame) -> Callable[..., pl.DataFrame]:
    """``firm(employees=100, tech_staff=30)``: example 1 (a typical software firm) with some fields changed."""
    base = cases.head(1)

    def build(**changes: Any) -> pl.DataFrame:
        exprs = [pl.lit(v, dtype=BY_NAME[k].dtype if k in BY_NAME else None).alias(k) for k, v in changes.items()]
        return base.with_columns(exprs) if exprs else base

    return build


@pytest.fixture
def firms(cases: pl.DataFrame) -> Callable[[list[dict[str, Any]]], pl.DataFrame]:
    """Several firms from example 1, each with its own changes and a valid distinct USCC."""
    base = cases.head(1)

    def build(changes: list[dict[str, Any]]) -> pl.DataFrame:
        rows = []
        for i, ch in enumerate(changes):
            ch = {"uscc": make_uscc(f"91330106{i:09d}"), **ch}
            rows.append(base.with_columns(pl.lit(v, dtype=BY_NAME[k].dtype).alias(k) for k, v in ch.items()))
        return pl.concat(rows)

    return build
