"""Qualification lifecycles, computed by hand from the texts (profile/qualifications.yaml):

* 高新技术企业: valid three years from the day of issue (国科发火〔2016〕32号 第九条);
* 专精特新 tiers and 创新型中小企业: three years (工信部企业〔2022〕63号);
* 科技型中小企业 入库: yearly, read as valid to 31 December of its year (assumption);
* a period in years ends on the corresponding day, or the month's last day when there is none; the day of issue
  is not counted (民法典 第二百零一条、第二百零二条): issued 2023-11-15 -> last valid day 2026-11-15.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from innocredit.core.policy import PolicyError
from innocredit.ingest.feeds import FEEDS
from innocredit.profile.building import build_features
from innocredit.profile.qualifications import (
    certificate_validity,
    default_qualification_policy,
    expiring,
    load_qualification_policy,
    qualification_columns,
    valid_on,
)
from innocredit.profile.uscc import make_uscc

A, B, C = (make_uscc(f"91330106MA2QUAL0{i}") for i in (1, 2, 3))  # valid check characters
D = dt.date


def _certs(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"uscc": pl.String, "qualification": pl.String, "certificate_no": pl.String,
                                      "issued_on": pl.Date, "expires_on": pl.Date, "status": pl.String}, orient="row")


@pytest.mark.parametrize(("qualification", "issued", "last_day"), [
    ("high_tech", D(2023, 11, 15), D(2026, 11, 15)),       # three years, the corresponding day
    ("high_tech", D(2024, 2, 29), D(2027, 2, 28)),         # no 29 February in 2027: the month's last day
    ("specialized", D(2024, 1, 10), D(2027, 1, 10)),
    ("little_giant", D(2023, 7, 31), D(2026, 7, 31)),
    ("innovative_sme", D(2025, 8, 31), D(2028, 8, 31)),
    ("tech_sme", D(2026, 3, 1), D(2026, 12, 31)),          # the registration year's end
    ("tech_sme", D(2025, 12, 31), D(2025, 12, 31)),
])
def test_the_last_valid_day_follows_the_text(qualification: str, issued: dt.date, last_day: dt.date) -> None:
    certs = _certs([(A, qualification, "N1", issued, None, None)])
    assert certificate_validity(certs)["valid_until"].to_list() == [last_day]
    assert valid_on(certs, last_day).height == 1
    assert valid_on(certs, last_day + dt.timedelta(days=1)).height == 0
    assert valid_on(certs, issued).height == 1
    assert valid_on(certs, issued - dt.timedelta(days=1)).height == 0  # not before it is issued


def test_a_printed_expiry_wins_and_a_revoked_certificate_is_never_valid() -> None:
    certs = _certs([(A, "high_tech", "GR1", D(2023, 11, 15), D(2025, 6, 30), None),
                    (B, "high_tech", "GR2", D(2024, 1, 1), None, "revoked")])
    v = certificate_validity(certs)
    assert v["valid_until"].to_list() == [D(2025, 6, 30), D(2027, 1, 1)]
    assert valid_on(certs, D(2025, 6, 30))["uscc"].to_list() == [A]
    assert valid_on(certs, D(2025, 7, 1)).height == 0


def test_features_valid_on_the_date() -> None:
    certs = _certs([(A, "high_tech", "GR1", D(2023, 11, 15), None, None),
                    (A, "tech_sme", "TS1", D(2026, 3, 1), None, None),
                    (B, "specialized", "ZJ1", D(2024, 1, 10), None, None),
                    (B, "little_giant", "XJR1", D(2025, 7, 1), None, "revoked"),
                    (C, "innovative_sme", "CX1", D(2024, 5, 1), None, None),
                    (C, "specialized", "ZJ2", D(2025, 5, 1), None, None)])
    on = qualification_columns(certs, D(2026, 11, 15)).sort("uscc").to_dicts()
    assert [(r["uscc"], r["high_tech_certified"], r["tech_sme_registered"], r["specialized_level"]) for r in on] == \
        sorted([(A, True, True, "none"), (B, False, False, "specialized"), (C, False, False, "specialized")])
    a = next(r for r in on if r["uscc"] == A)
    assert a["high_tech_cert_expires"] == D(2026, 11, 15) and a["tech_sme_reg_expires"] == D(2026, 12, 31)
    c = next(r for r in on if r["uscc"] == C)
    assert c["specialized_cert_expires"] == D(2028, 5, 1)  # the highest valid tier's certificate
    after = {r["uscc"]: r for r in qualification_columns(certs, D(2026, 11, 16)).to_dicts()}
    assert after[A]["high_tech_certified"] is False and after[A]["high_tech_cert_expires"] is None
    assert after[A]["tech_sme_registered"] is True
    assert qualification_columns(certs, D(2027, 1, 1)).filter(pl.col("uscc") == A)["tech_sme_registered"].item() \
        is False


def test_the_certificates_feed_decides_once_present() -> None:
    """The S&T record says both firms are 高新 with no expiry printed; the certificates feed knows only A's, which
    lapses after 2026-11-15: from then on neither is 高新, and B never was once the feed is present."""
    given = {"uscc": [A, B], "as_of": [D(2026, 6, 30)] * 2, "high_tech_certified": [True, True],
             "high_tech_cert_expires": [None, None], "tech_sme_registered": [False, True],
             "specialized_level": ["none", "little_giant"]}
    st = pl.DataFrame({f.name: pl.Series(f.name, given.get(f.name, [None, None]), dtype=f.dtype)
                       for f in FEEDS["science_tech"].fields})
    certs = _certs([(A, "high_tech", "GR1", D(2023, 11, 15), None, None)]).with_columns(
        pl.lit(D(2026, 6, 30)).alias("as_of"))
    without = build_features({"science_tech": st}, D(2026, 11, 16)).sort("uscc")
    assert without["high_tech_certified"].to_list() == [True, True]  # flags with no expiry: as the S&T record says
    for day, expected in ((D(2026, 11, 15), [True, False]), (D(2026, 11, 16), [False, False])):
        got = build_features({"science_tech": st, "certificates": certs}, day).sort("uscc")
        assert got["high_tech_certified"].to_list() == expected
        assert got["tech_sme_registered"].to_list() == [False, False]
        assert got["specialized_level"].to_list() == ["none", "none"]
    # a certificates feed whose rows all come after the date is not present yet: the S&T record decides
    st_early = st.with_columns(pl.lit(D(2026, 1, 31)).alias("as_of"))
    early = build_features({"science_tech": st_early, "certificates": certs}, D(2026, 6, 29)).sort("uscc")
    assert early["high_tech_certified"].to_list() == [True, True]
    assert early["specialized_level"].to_list() == ["none", "little_giant"]


def test_the_early_warning_fires_ninety_days_before_and_not_after_a_renewal() -> None:
    policy = default_qualification_policy()
    assert policy.warning_days == 90
    certs = _certs([(A, "high_tech", "GR1", D(2023, 11, 15), None, None),
                    (B, "specialized", "ZJ1", D(2023, 11, 15), None, None),
                    (B, "specialized", "ZJ9", D(2026, 10, 1), None, None),   # renewed before the old one lapses
                    (C, "tech_sme", "TS1", D(2026, 3, 1), None, None)])
    # 2026-11-15 - 2026-08-17 = 90 days: A's 高新 is in; C's registration (2026-12-31) is 136 days away
    got = expiring(certs, D(2026, 8, 17))
    assert got.select("uscc", "certificate_no", "days_left").rows() == [(A, "GR1", 90)]
    assert expiring(certs, D(2026, 8, 16)).height == 0   # 91 days: not yet
    assert expiring(certs, D(2026, 11, 15)).select("uscc", "days_left").rows()[0] == (A, 0)  # the last valid day
    assert expiring(certs, D(2026, 11, 16)).filter(pl.col("uscc") == A).height == 0  # lapsed: no longer valid
    # 2026-10-02: A's 高新 has 44 days left, C's registration 90 (to 2026-12-31); B renewed, so never listed
    assert expiring(certs, D(2026, 10, 2), within_days=90).select("uscc", "days_left").rows() == [(A, 44), (C, 90)]
    with pytest.raises(ValueError, match="within_days"):
        expiring(certs, D(2026, 8, 17), within_days=-1)


def test_a_broken_policy_names_file_and_path(tmp_path: Path) -> None:
    text = Path(__file__).parents[2].joinpath("src/innocredit/profile/qualifications.yaml").read_text("utf-8")
    bad = tmp_path / "q.yaml"
    bad.write_text(text.replace("validity: {years: 3}\n    sets: {feature: high_tech_certified",
                                "validity: {years: 0}\n    sets: {feature: high_tech_certified"), "utf-8")
    with pytest.raises(PolicyError, match=r"q.yaml: \$\.qualifications\.high_tech\.validity"):
        load_qualification_policy(bad)
    every = default_qualification_policy().qualifications
    assert all(q.source for q in every.values())
    assert every["tech_sme"].assumption is True and every["high_tech"].assumption is False


def test_a_certificates_file_with_bad_rows_keeps_the_good_ones(engine, tmp_path: Path) -> None:
    """SQLite and PostgreSQL: each bad row is named by file, line and column; the good rows are stored and read
    back valid on the date."""
    from innocredit.services.feeds import features_as_of, ingest_dir

    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "certificates.csv").write_text(
        "uscc,as_of,qualification,certificate_no,issued_on,expires_on,status,issuer\n"
        f"{A},2026-06-30,high_tech,GR202333000001,2023-11-15,,valid,科技厅\n"          # line 2: good
        f"{B},2026-06-30,golden_firm,X1,2024-01-01,,,\n"                                # line 3: unknown qualification
        f"{B},2026-06-30,specialized,ZJ1,2024-13-01,,,\n"                               # line 4: not a date
        f"{C},2026-06-30,little_giant,XJR1,2025-07-01,2025-06-30,,\n"                   # line 5: expiry before issue
        f"{C},2026-06-30,tech_sme,TS1,2026-03-01,,revoked,\n",                          # line 6: good (revoked)
        encoding="utf-8")
    report = ingest_dir(engine, feeds)
    found = {(p.line, p.column): p.reason for p in report.problems}
    assert set(found) == {(3, "qualification"), (4, "issued_on"), (5, "expires_on")}, found
    assert "golden_firm" not in found[(3, "qualification")] and "high_tech" in found[(3, "qualification")]
    assert found[(5, "expires_on")] == "must not be before issued_on"
    assert all(Path(p.file).name == "certificates.csv" for p in report.problems)
    assert report.total("rows_loaded") == 2
    got = features_as_of(engine, D(2026, 11, 15)).sort("uscc")
    assert got.filter(pl.col("uscc") == A)["high_tech_certified"].item() is True
    assert got.filter(pl.col("uscc") == C)["tech_sme_registered"].item() is False  # revoked
    assert features_as_of(engine, D(2026, 11, 16)).filter(pl.col("uscc") == A)["high_tech_certified"].item() is False
