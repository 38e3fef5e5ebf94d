import csv

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from innocredit.ingest.tables import read_feature_table, write_table
from innocredit.profile.features import FEATURE_COLUMNS
from innocredit.profile.uscc import ALPHABET, InvalidUSCC, make_uscc, uscc_error, uscc_valid_expr, validate_uscc


def test_known_codes_from_examples(examples_dir):
    with (examples_dir / "tech_sme_cases.csv").open() as fh:
        codes = [r["uscc"] for r in csv.DictReader(fh)]
    assert codes and all(uscc_error(c) is None for c in codes)


def test_hand_computed_check_character():
    # 9 1 3 3 0 1 0 6 1 0 0 0 0 0 0 1 6 with weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # sum = 9+3+27+81+0+26+0+102+20+0+0+0+0+0+0+30+168 = 466; 466 mod 31 = 1; 31-1 = 30 -> 'Y'
    assert make_uscc("91330106100000016") == "91330106100000016Y"


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91330106100000016X", "check character 'X', expected 'Y'"),
        ("9133010610000001", "has 16 characters"),
        ("91330106100000O16Y", "outside the GB 32100 alphabet: O"),
    ],
)
def test_invalid_codes_are_named(code, fragment):
    with pytest.raises(InvalidUSCC) as exc:
        validate_uscc(code)
    assert code in str(exc.value) and fragment in str(exc.value)


@given(st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_vectorized_check_agrees_with_scalar(prefix):
    good = make_uscc(prefix)
    wrong = good[:17] + ALPHABET[(ALPHABET.index(good[17]) + 1) % 31]
    out = pl.DataFrame({"uscc": [good, wrong]}).select(uscc_valid_expr())["uscc"].to_list()
    assert out == [True, False]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_examples_round_trip_without_loss(examples_dir, tmp_path, suffix):
    original = read_feature_table(examples_dir / "tech_sme_cases.csv")
    assert original.problems == [] and original.data.height == 8
    path = tmp_path / f"cases{suffix}"
    write_table(original.data, path)
    again = read_feature_table(path)
    assert again.problems == []
    for col in FEATURE_COLUMNS:
        assert again.data[col].to_list() == original.data[col].to_list(), col
    # spec columns keep their types; the expected-result columns survive as extras
    assert again.data.schema["as_of"] == pl.Date and again.data.schema["employees"] == pl.Int64
    assert again.data["expected_tech_sme_score"].to_list() == original.data["expected_tech_sme_score"].to_list()


def test_bad_rows_are_reported_and_good_rows_kept(examples_dir, tmp_path):
    lines = (examples_dir / "tech_sme_cases.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    col = header.index
    rows[0][col("uscc")] = "91330106100000016X"  # bad check character -> line 2
    rows[1][col("employees")] = "-5"  # negative headcount -> line 3
    rows[2][col("registered_on")] = "2019/05/20"  # wrong date format -> line 4
    rows[3][col("revenue")] = "forty million"  # non-numeric -> line 5
    rows[4][col("industry_code")] = "Z9999"  # unknown industry -> line 6
    rows[6] = list(rows[5])  # duplicated key -> line 8
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n")
    table = read_feature_table(path)
    got = {(p.line, p.column) for p in table.problems}
    assert got == {(2, "uscc"), (3, "employees"), (4, "registered_on"), (5, "revenue"), (6, "industry_code"),
                   (8, "uscc")}
    assert all(p.file == str(path) for p in table.problems)
    assert table.data.height == 2  # lines 7 and 9 are good
    reasons = {p.column: p.reason for p in table.problems}
    assert "negative" in reasons["employees"] and "YYYY-MM-DD" in reasons["registered_on"]
    assert "Z9999" in reasons["industry_code"]


def test_empty_means_unknown_not_zero(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("uscc,employees,revenue\n91330106100000016Y,,\n")
    table = read_feature_table(path)
    assert table.data["employees"].to_list() == [None] and table.data["revenue"].to_list() == [None]


def test_vectorized_industry_check_agrees_with_the_scalar_rule():
    import random

    import polars as pl

    from innocredit.profile.industry import industry_code_error, industry_code_valid_expr

    codes = ["I6513", "C39", "C3976", "C13", "C43", "C12", "C44", "A01", "A05", "A06", "T97", "T98", "K70", "K71",
             "U10", "i6513", "I65133", "I6", "I651", " I65", "", "C3A", "Z9999"]
    rng = random.Random(7)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    codes += [rng.choice(letters) + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 5)))
              for _ in range(2000)]
    got = pl.DataFrame({"industry_code": codes + [None]}).select(industry_code_valid_expr())["industry_code"]
    assert got.to_list()[:-1] == [industry_code_error(c) is None for c in codes]
    assert got[-1] is None  # a missing code is for the required-field check, not this one
    assert got.to_list()[:7] == [True, True, True, True, True, False, False]
