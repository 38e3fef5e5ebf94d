"""Patent pools: portfolio value with diversification, member capacity, default absorption (hand-computed)."""

from decimal import Decimal

import polars as pl
import pytest

from innocredit.ip.config import load_pool_agreement
from innocredit.ip.pools import absorb_default, split_pro_rata, value_pool


def _pool():
    valued = pl.DataFrame({
        "uscc": ["A", "A", "B", "C"],
        "ipc_main": ["G06F 1/00", "G06N 3/08", "H04L 9/00", "A61K 31/00"],
        "value_low": [400_000.0, 300_000.0, 500_000.0, 300_000.0],
        "value_base": [600_000.0, 400_000.0, 600_000.0, 400_000.0],
        "value_high": [700_000.0, 500_000.0, 700_000.0, 500_000.0],
    })
    return value_pool(valued, load_pool_agreement("default"))


def test_pool_value_and_member_capacity():
    p = _pool()
    assert p.value_base == 2_000_000.0
    # firms A 1,000,000 / B 600,000 / C 400,000: HHI = 0.5^2 + 0.3^2 + 0.2^2 = 0.38; IPC classes G06/H04/A61 the same
    assert p.hhi_firms == pytest.approx(0.38) and p.hhi_ipc == pytest.approx(0.38)
    # rate = 30% + 15% * (1 - 0.38) = 39.3% (under the 45% cap)
    assert p.pool_rate == pytest.approx(0.393)
    cap = dict(zip(p.members["uscc"], p.members["capacity"]))
    # share * pool value * rate: 0.5 * 2,000,000 * 0.393 = 393,000; B 235,800; C 157,200
    assert cap == pytest.approx({"A": 393_000.0, "B": 235_800.0, "C": 157_200.0})


def test_default_absorbed_in_agreement_order():
    p = _pool()
    parts = absorb_default(p, "A", Decimal("1500000"), load_pool_agreement("default"))
    got = [(a.step, a.party, a.amount) for a in parts]
    assert got == [
        ("defaulter_patents", "A", Decimal("500000.00")),       # 1,000,000 * 50% recovery
        ("reserve_fund", "reserve_fund", Decimal("500000.00")),  # the whole fund; 500,000 left
        ("members_pro_rata", "B", Decimal("120000.00")),         # capped at 20% of 600,000
        ("members_pro_rata", "C", Decimal("80000.00")),          # capped at 20% of 400,000; 300,000 left
        ("guarantor", "guarantor", Decimal("240000.00")),        # 80% of 300,000
        ("bank", "bank", Decimal("60000.00")),                   # the rest
    ]
    assert sum(a.amount for a in parts) == Decimal("1500000.00")


def test_small_default_stops_early():
    parts = absorb_default(_pool(), "C", Decimal("150000"), load_pool_agreement("default"))
    # C's own patents: 400,000 * 50% = 200,000 >= 150,000
    assert [(a.party, a.amount) for a in parts] == [("C", Decimal("150000.00"))]


def test_pro_rata_split_adds_up_to_the_fen():
    parts = split_pro_rata(Decimal("100.00"), {"x": 1, "y": 1, "z": 1})
    assert parts == {"x": Decimal("33.34"), "y": Decimal("33.33"), "z": Decimal("33.33")}
    assert sum(parts.values()) == Decimal("100.00")


def test_non_member_default_is_refused():
    with pytest.raises(ValueError, match="not a member"):
        absorb_default(_pool(), "Z", Decimal("1"), load_pool_agreement("default"))
