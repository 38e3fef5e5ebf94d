"""Every coordination metric on a hand-built district with known answers (docs/coordination.md formulas)."""

import datetime as dt

import polars as pl
import pytest

from innocredit.coordination.metrics import compute_metrics

AS_OF = dt.date(2026, 6, 30)  # default period: [2025-07-01, 2026-06-30]


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=dt.UTC)


ENTERPRISES = pl.DataFrame({
    "uscc": ["A", "B", "C", "D", "E"],
    "region_code": ["330106", "330106", "330108", "330108", "330108"],
    "industry_code": ["I6513", "C3562", "C3562", "I6513", "C3911"],
    "employees": [50, 600, 20, None, 100],          # B is not small (> 500); D unknown -> small
    "revenue": [1e7, 5e8, 1e6, None, 3e7],
    "registry_status": ["active", "active", "revoked", "active", "active"],  # C is not active
    "innovation_points": [75.0, 85.0, 50.0, None, 92.0],
})
# active small firms: A, D, E
LOANS = pl.DataFrame({
    "loan_id": ["L1", "L2", "L3", "L4", "L5"],
    "uscc": ["A", "E", "B", "D", "C"],
    "bank_id": ["bank-1", "bank-2", "bank-1", "bank-2", "bank-1"],
    "amount": [1_000_000.0, 2_000_000.0, 3_000_000.0, 500_000.0, 1_000_000.0],
    "rate": [0.04, 0.035, 0.05, 0.045, None],
    "secured": [False, True, True, False, False],
    "disbursed_on": [dt.date(2026, 1, 10), dt.date(2025, 3, 1), dt.date(2026, 3, 1), dt.date(2025, 9, 1),
                     dt.date(2026, 2, 1)],
    "outstanding": [800_000.0, 1_500_000.0, 3_000_000.0, 0.0, 1_000_000.0],
    "status": ["active", "active", "active", "repaid", "active"],
    "first_loan": [True, False, False, True, True],
    "relending_eligible": [True, False, True, False, False],
})
PUSHES = pl.DataFrame({
    "push_id": [1, 2, 3, 4, 5, 6],
    "uscc": ["A", "A", "D", "E", "E", "D"],
    "bank_id": ["bank-1", "bank-2", "bank-2", "bank-1", "bank-1", "bank-1"],
    "pushed_at": [ts("2026-01-05T09:00"), ts("2026-01-05T09:00"), ts("2026-02-01T00:00"), ts("2026-03-01T00:00"),
                  ts("2025-05-01T00:00"), ts("2026-06-20T00:00")],
    "declined_at": [None, ts("2026-01-07T10:00"), None, None, None, None],
    "credit_at": [ts("2026-01-08T09:00"), None, ts("2026-02-11T00:00"), None, ts("2025-05-10T00:00"),
                  ts("2026-07-05T00:00")],
    "credit_amount": [1_000_000.0, None, 500_000.0, None, 9e6, 7e5],
    "disbursed_at": [ts("2026-01-10T09:00"), None, None, None, None, None],
})


def run(by=None):
    df = compute_metrics(ENTERPRISES, LOANS, PUSHES, AS_OF, by=by)
    return {r["group"]: r for r in df.to_dicts()}


def test_district_totals():
    m = run()["all"]
    assert m["active_small_firms"] == 3            # A, D, E
    assert m["firms_with_loan"] == 2               # A (L1), E (L2); D's loan is repaid
    assert m["coverage_rate"] == pytest.approx(2 / 3)
    assert m["pushes"] == 5                        # P5 was pushed before the period
    assert m["recommended_firms"] == 3             # A, D, E
    assert m["recommended_firms_credited"] == 2    # A (P1), D (P3); P6's credit is after as_of
    assert m["recommended_credit_rate"] == pytest.approx(2 / 3)
    assert m["recommended_credit_amount"] == pytest.approx(1_500_000.0)
    assert m["pushes_declined"] == 1
    assert m["recommended_firms_disbursed"] == 1
    assert m["loans_count"] == 4                   # L1, L3, L4, L5 disbursed in the period (L2 before)
    assert m["loans_amount"] == pytest.approx(5_500_000.0)
    assert m["unsecured_share_amount"] == pytest.approx(2_500_000 / 5_500_000)  # L1 + L4 + L5
    assert m["unsecured_share_count"] == pytest.approx(3 / 4)
    assert m["first_loan_share"] == pytest.approx(3 / 4)                         # L1, L4, L5
    # amount-weighted over loans with a rate: (1M*.04 + 3M*.05 + .5M*.045) / 4.5M = 212,500 / 4.5M
    assert m["average_rate"] == pytest.approx(212_500 / 4_500_000)
    assert m["days_push_to_credit_mean"] == pytest.approx(6.5)                   # P1 3 days, P3 10 days
    assert m["days_push_to_credit_median"] == pytest.approx(6.5)
    assert m["days_push_to_disbursement_mean"] == pytest.approx(5.0)             # P1
    assert m["relending_eligible_count"] == 2                                    # L1, L3
    assert m["relending_eligible_amount"] == pytest.approx(4_000_000.0)
    # points of the active small firms: A 75, D unknown, E 92
    assert (m["points_0_60"], m["points_60_70"], m["points_70_80"], m["points_80_90"], m["points_90_100"]) == \
        (0, 0, 1, 0, 1)
    assert m["points_unknown"] == 1
    assert m["points_mean"] == pytest.approx(83.5)


def test_by_region():
    m = run("region")
    assert m["330106"]["active_small_firms"] == 1 and m["330106"]["coverage_rate"] == pytest.approx(1.0)
    assert m["330108"]["active_small_firms"] == 2 and m["330108"]["coverage_rate"] == pytest.approx(0.5)
    assert m["330106"]["loans_count"] == 2         # L1 (A), L3 (B)
    assert m["330108"]["loans_count"] == 2         # L4 (D), L5 (C)
    assert m["330106"]["recommended_firms"] == 1   # A
    assert m["330108"]["recommended_firms_credited"] == 1  # D


def test_by_industry_uses_the_section_letter():
    m = run("industry")
    assert m["I"]["active_small_firms"] == 2 and m["I"]["coverage_rate"] == pytest.approx(0.5)  # A has, D not
    assert m["C"]["active_small_firms"] == 1 and m["C"]["coverage_rate"] == pytest.approx(1.0)  # E


def test_by_bank():
    m = run("bank")
    # the denominator is every active small firm of the district; the numerator that bank's borrowers
    assert m["bank-1"]["active_small_firms"] == 3
    assert m["bank-1"]["firms_with_loan"] == 1 and m["bank-1"]["coverage_rate"] == pytest.approx(1 / 3)  # A
    assert m["bank-2"]["firms_with_loan"] == 1                                                           # E
    assert m["bank-1"]["recommended_firms"] == 3 and m["bank-1"]["recommended_firms_credited"] == 1      # P1, P4, P6
    assert m["bank-2"]["recommended_firms"] == 2 and m["bank-2"]["pushes_declined"] == 1
    assert m["bank-1"]["loans_count"] == 3 and m["bank-1"]["first_loan_share"] == pytest.approx(2 / 3)  # L1 L3 L5
    assert m["bank-1"]["points_70_80"] == 1                                                              # A's 75


def test_period_bounds_change_the_answer():
    df = compute_metrics(ENTERPRISES, LOANS, PUSHES, AS_OF, since=dt.date(2026, 2, 1))
    m = df.row(0, named=True)
    assert m["loans_count"] == 2     # L3 (2026-03-01) and L5 (2026-02-01)
    assert m["pushes"] == 3          # P3, P4, P6


def test_empty_inputs_give_zeros_not_errors():
    df = compute_metrics(ENTERPRISES.head(0), LOANS.head(0), PUSHES.head(0), AS_OF)
    assert df.height in (0, 1)
    if df.height:
        assert df["loans_count"][0] == 0


# NFRA 活跃经营小微主体融资覆盖率 beside our definition. Size standard (工信部联企业〔2011〕300号), medium lower bounds:
# software / information I: 100 staff and 10M revenue; industry C: 300 staff and 20M; wholesale F51: 20 staff and
# 50M; other (M): 100 staff. Small or micro when any measure is below its bound.
SIZE = pl.DataFrame({
    "uscc": ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "92330106MA2IND001", "S9"],
    "industry_code": ["I6513", "I6513", "I6513", "M7320", "M7320", "F5191", "F5191", "F5211", "C3562"],
    "employees": [100, 100, 99, 100, 99, 25, 25, 3, 0],
    "revenue": [10_000_000.0, 9_999_999.0, 50_000_000.0, 1e6, 1e6, 50_000_000.0, 49_999_999.0, 3e8, 0.0],
    "registry_status": ["active"] * 9,
})
# NFRA population: S2 (revenue below 10M), S3 (99 staff), S5 (99 staff), S7 (revenue below 50M), the individual
# business (always, whatever its size); not S1 (both bounds met), S4 (100 staff), S6 (both met), S9 (no revenue
# and no staff: not operating). Ours (<= 500 staff, <= 200M revenue): every firm but the individual business (300M).
SIZE_LOANS = pl.DataFrame({
    "loan_id": ["a", "b", "c", "d"], "uscc": ["S1", "S3", "92330106MA2IND001", "S9"],
    "bank_id": ["bank-1"] * 4, "amount": [1e6] * 4, "disbursed_on": [dt.date(2026, 1, 1)] * 4,
    "outstanding": [1e6] * 4, "status": ["active"] * 4,
})


def test_nfra_coverage_definition_by_hand():
    empty = PUSHES.head(0)
    ours = compute_metrics(SIZE, SIZE_LOANS, empty, AS_OF).row(0, named=True)
    nfra = compute_metrics(SIZE, SIZE_LOANS, empty, AS_OF, coverage="nfra_active_small_micro").row(0, named=True)
    assert (ours["active_small_firms"], ours["firms_with_loan"]) == (8, 3)          # S1, S3, S9
    assert ours["coverage_rate"] == pytest.approx(3 / 8)
    assert (nfra["active_small_firms"], nfra["firms_with_loan"]) == (5, 2)          # S3, the individual business
    assert nfra["coverage_rate"] == pytest.approx(2 / 5)


def test_report_names_the_coverage_definition():
    from innocredit.coordination.metrics import default_metrics_policy, metrics_report

    frame = compute_metrics(SIZE, SIZE_LOANS, PUSHES.head(0), AS_OF, coverage="nfra_active_small_micro")
    rep = metrics_report(frame, AS_OF, None, None, coverage="nfra_active_small_micro")
    assert "活跃经营小微主体融资覆盖率" in rep["definitions"]
    assert rep["coverage_definition"]["id"] == "nfra_active_small_micro"
    assert "工信部联企业〔2011〕300号" in rep["coverage_definition"]["source"]
    assert rep["coverage_definition"]["assumptions"][0]["field"] == "active_requires_operations"
    assert metrics_report(frame, AS_OF, None, None)["coverage_definition"]["id"] == "tech_sme_scale"
    with pytest.raises(ValueError, match="unknown coverage definition 'pboc'"):
        default_metrics_policy().coverage_definition("pboc")
