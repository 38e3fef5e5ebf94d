"""The feature table built from the latent population: schema, validity, determinism, risk signal."""

import polars as pl
import pytest

from innocredit.ingest.tables import read_feature_table
from innocredit.profile import features
from innocredit.profile.uscc import is_valid_uscc
from innocredit.synthetic import feature_table


@pytest.fixture(scope="module")
def big() -> pl.DataFrame:
    return feature_table(20_000, 7)


def test_columns_and_types_follow_the_spec():
    df = feature_table(500, 1)
    assert df.columns[: len(features.FEATURE_COLUMNS)] == list(features.FEATURE_COLUMNS)
    for name, dtype in features.SCHEMA.items():
        assert df.schema[name] == dtype, name
    assert df.height == 500
    assert df["uscc"].n_unique() == 500
    assert all(is_valid_uscc(u) for u in df["uscc"].to_list())


def test_same_seed_same_table_other_seed_other_table():
    a, b, c = feature_table(300, 5), feature_table(300, 5), feature_table(300, 6)
    assert a.equals(b)
    assert not a.equals(c)


def test_round_trips_through_the_validating_reader(tmp_path):
    df = feature_table(2_000, 3)
    for ext in ("csv", "parquet"):
        path = tmp_path / f"features.{ext}"
        if ext == "csv":
            df.write_csv(path)
        else:
            df.write_parquet(path)
        table = read_feature_table(path)
        assert table.problems == []
        assert table.data.height == 2_000


def test_default_rate_is_calibrated(big):
    borrowers = big.filter(pl.col("default_12m").is_not_null())
    rate = borrowers["default_12m"].mean()
    # the latent model is calibrated to 3-6% of borrowing firms defaulting within 12 months
    assert 0.03 <= rate <= 0.06
    assert 0.3 <= borrowers.height / big.height <= 0.5


def _rate_by_quintile(df: pl.DataFrame, score: pl.Expr) -> list[float]:
    return (df.filter(pl.col("default_12m").is_not_null())
            .with_columns(q=score.rank("ordinal").truediv(pl.len()).mul(5).ceil().clip(1, 5))
            .group_by("q").agg(pl.col("default_12m").mean()).sort("q")["default_12m"].to_list())


def test_innovation_strength_lowers_default(big):
    # observable innovation: R&D intensity, granted inventions, tech-staff share (not the latent index)
    score = ((pl.col("rd_expense") / pl.col("revenue").clip(lower_bound=1e5)).clip(upper_bound=1).rank()
             + pl.col("ip_class1").rank() + (pl.col("tech_staff") / pl.col("employees")).rank())
    rates = _rate_by_quintile(big, score)
    assert rates[4] < rates[0]
    assert rates[4] < 0.75 * rates[0]


def test_financial_strength_lowers_default(big):
    score = (-(pl.col("liabilities") / pl.col("total_assets")).rank() + pl.col("revenue").rank()
             + (pl.col("net_profit") / pl.col("revenue").clip(lower_bound=1e5)).rank())
    rates = _rate_by_quintile(big, score)
    assert rates[4] < rates[0]
    assert rates[4] < 0.5 * rates[0]


def test_negative_records_are_a_small_minority(big):
    neg = big.select(
        (pl.col("serious_dishonesty") | pl.col("abnormal_operations") | (pl.col("open_enforcement_cases") > 0)
         | pl.col("tax_credit_rating").is_in(["C", "D"]) | pl.col("major_incident_recent")
         | pl.col("prohibited_products")).mean()
    ).item()
    assert 0.01 <= neg <= 0.03


def test_ip_counts_are_skewed_and_follow_stage(big):
    ip = big["ip_class1"] + big["ip_class2"]
    assert ip.mean() > 1.5 * ip.median()  # heavy right tail
    assert ip.max() > 20 * max(ip.median(), 1)
