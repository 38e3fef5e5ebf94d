"""Patent records: CNIPA application numbers, statutory terms, bad rows to quarantine."""

import datetime as dt

import polars as pl
import pytest

from innocredit.cli.ip import read_patents
from innocredit.ip.records import (
    application_number_error,
    check_character,
    make_application_number,
    patent_problems,
    statutory_expiry,
    statutory_term_for,
    statutory_term_years,
)
from innocredit.ip.sample import synthetic_patents


def test_check_character_hand_computed():
    # 2 0 2 1 1 0 1 2 3 4 5 6 x weights 2 3 4 5 6 7 8 9 2 3 4 5
    # = 4+0+8+5+6+0+8+18+6+12+20+30 = 117; 117 mod 11 = 7
    assert check_character("202110123456") == "7"
    # last digit 0 instead of 6: 117 - 30 = 87; 87 mod 11 = 10 -> "X"
    assert check_character("202110123450") == "X"
    assert make_application_number(2021, 1, 123456) == "CN202110123456.7"


@pytest.mark.parametrize("number,kind,ok", [
    ("CN202110123456.7", "invention", True),
    ("202110123456.7", "invention", True),
    ("CN202110123450.X", "invention", True),
    ("CN202110123456.8", "invention", False),   # wrong check character
    ("CN202110123456.7", "design", False),      # type 1 is an invention
    ("CN20211012345.7", "invention", False),    # 11 digits
    ("CN202140123456.7", None, False),          # type digit 4 does not exist
])
def test_application_number_error(number, kind, ok):
    assert (application_number_error(number, kind) is None) is ok


def test_statutory_terms_scalar():
    assert statutory_term_for("invention", dt.date(2010, 1, 1)) == 20
    assert statutory_term_for("utility_model", dt.date(2022, 1, 1)) == 10
    # Patent Law art. 42 as amended in 2020: 15 years for designs filed on or after 1 June 2021
    assert statutory_term_for("design", dt.date(2021, 6, 1)) == 15
    assert statutory_term_for("design", dt.date(2021, 5, 31)) == 10


def test_statutory_terms_vectorized():
    df = pl.DataFrame({
        "kind": ["invention", "utility_model", "design", "design", "trademark"],
        "filing_date": [dt.date(2015, 3, 10), dt.date(2020, 2, 29), dt.date(2021, 5, 31), dt.date(2021, 6, 1),
                        dt.date(2020, 1, 1)],
    })
    out = df.select(statutory_term_years().alias("t"), statutory_expiry().alias("e"))
    assert out["t"].to_list() == [20, 10, 10, 15, 10]
    assert out["e"].to_list() == [dt.date(2035, 3, 10), dt.date(2030, 2, 28), dt.date(2031, 5, 31),
                                  dt.date(2036, 6, 1), dt.date(2030, 1, 1)]


def _row(**kw):
    base = {"uscc": "913301000000000009", "as_of": dt.date(2026, 6, 30), "patent_id": "CN202110123456.7",
            "kind": "invention", "status": "granted", "filing_date": dt.date(2021, 3, 1),
            "grant_date": dt.date(2023, 5, 1), "claims": 10, "independent_claims": 2, "family_size": 1,
            "ipc_main": "G06F 16/00", "exclusive_licence": False, "licences": 0}
    base.update(kw)
    return base


def test_patent_problems_rules():
    rows = [
        _row(),
        _row(patent_id="CN202110123456.8"),                                   # check character
        _row(grant_date=dt.date(2020, 1, 1)),                                  # grant before filing
        _row(kind="design", patent_id="CN202130123456.3", claims=0, independent_claims=0),  # type digit 3, year ok
        _row(independent_claims=12),                                           # more independent claims than claims
        _row(status="pending"),                                                # pending with a grant date
        _row(patent_id="CN202010123456.X", filing_date=dt.date(2020, 1, 1)),   # check ok? computed below
        _row(status="expired"),                                                # expired before its term (2041) ended
        _row(ipc_main="software"),
        # granted after the term ended (2024) is a lagging status, not a bad row: valuation treats it as expired
        _row(kind="utility_model", patent_id=make_application_number(2014, 2, 5), filing_date=dt.date(2014, 1, 2),
             grant_date=dt.date(2014, 9, 1)),
    ]
    df = pl.DataFrame(rows)
    probs = patent_problems(df, row_col="__line")
    by_row = {}
    for r in probs.iter_rows(named=True):
        by_row.setdefault(r["__line"], []).append(r["column"])
    assert 0 not in by_row
    assert by_row[1] == ["patent_id"]
    assert by_row[2] == ["grant_date"]
    # the design's check character: 2+0+8+5+18+0+8+18+6+12+20+30 = 127 -> 127 mod 11 = 6, not 3
    assert by_row[3] == ["patent_id"]
    assert by_row[4] == ["independent_claims"]
    assert by_row[5] == ["grant_date"]
    assert (6 in by_row) == (application_number_error("CN202010123456.X") is not None)
    assert by_row[7] == ["status"]
    assert by_row[8] == ["ipc_main"]
    assert 9 not in by_row
    assert "check character" in probs.filter(pl.col("__line") == 1)["reason"][0]
    assert "校验位" in probs.filter(pl.col("__line") == 1)["reason"][0]


def test_feed_with_bad_rows_is_quarantined(tmp_path):
    good = synthetic_patents(6, n_firms=2, seed=3)
    bad = pl.DataFrame([
        _row(patent_id="CN202110123456.8"),          # bad check character
        _row(kind="gadget"),                          # not a kind (schema)
        _row(grant_date=dt.date(2019, 1, 1)),         # grant before filing
        _row(claims=-3),                              # negative (schema)
    ]).with_columns(pl.col("as_of").cast(pl.Date))
    frame = pl.concat([good.select(bad.columns), bad], how="vertical_relaxed")
    path = tmp_path / "ip_office.csv"
    frame.write_csv(path)
    data, problems = read_patents(path)
    assert data.height == 6
    # CSV lines: header is 1, the six good rows 2..7, the bad rows 8..11
    assert [(p.line, p.column) for p in problems] == [(8, "patent_id"), (9, "kind"), (10, "grant_date"), (11, "claims")]
    assert all(p.file == str(path) for p in problems)
    assert set(data["patent_id"].to_list()) == set(good["patent_id"].to_list())


def test_synthetic_patents_are_clean():
    df = synthetic_patents(2000, seed=11)
    assert patent_problems(df).height == 0


def test_newer_as_of_supersedes_older(tmp_path):
    old = _row(as_of=dt.date(2025, 12, 31), status="granted", uscc="913301000000000009")
    new = _row(as_of=dt.date(2026, 6, 30), status="lapsed", uscc="913301000000000009")
    path = tmp_path / "ip_office.csv"
    pl.DataFrame([old, new]).write_csv(path)
    data, problems = read_patents(path)
    assert problems == []
    assert data.select("as_of", "status").rows() == [(dt.date(2026, 6, 30), "lapsed")]
