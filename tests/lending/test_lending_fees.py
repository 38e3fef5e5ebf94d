"""Guarantee fees, scheme scope and caps, computed by hand from the texts.

* 财金〔2024〕60号 (支持科技创新专项担保计划): the national fund's re-guarantee fee is at most 0.5% for a single
  guarantee above 5 million yuan and at most 0.3% at or below it; the average guarantee fee goes below 1%;
  a firm's in-force guaranteed balance up to 30 million yuan (from 10 million).
* Anhui 4321: guarantor 40%, provincial re-guarantor 30%, bank 20%, government 10%; single in-force balance
  at most 20 million yuan.
The guarantee fee is paid by the borrower on the guaranteed amount; each re-guarantee fee by the guarantor
on the re-guarantor's own share.
"""

from decimal import Decimal as D

import pytest

from innocredit.core.policy import PolicyError
from innocredit.lending import guarantee_fees, load_schemes
from innocredit.lending.risk_sharing import scope_breaches
from innocredit.lending.schema import scheme_from_dict

SCHEMES = load_schemes()


def _fees(scheme_id, principal, months=12, **kw):
    return {(f.party_id, f.payer, f.kind): f for f in guarantee_fees(SCHEMES[scheme_id], principal, months, **kw)}


def test_guarantee_fee_is_on_the_guaranteed_amount_paid_by_the_borrower():
    f = _fees("tech_special_2024", D(8_000_000))
    g = f[("guarantor", "borrower", "guarantee")]
    # 1% x 8,000,000 = 80,000 — not 1% x the guarantor's 20% share (16,000, the old computation)
    assert g.amount == D("80000.00") and g.base == D("8000000.00") and g.rate == D("0.01")
    # part of the loan guaranteed: 1% x 5,000,000 x 18 / 12 = 75,000
    part = _fees("tech_special_2024", D(8_000_000), 18, guaranteed_amount=D(5_000_000))
    assert part[("guarantor", "borrower", "guarantee")].amount == D("75000.00")


def test_re_guarantee_fee_on_the_funds_share_paid_by_the_guarantor_both_sides_of_5_million():
    # 5,000,000 exactly: the 0.3% rate; fund share 40% -> 2,000,000 x 0.3% = 6,000
    at = _fees("tech_special_2024", D(5_000_000))[("national_fund", "guarantor", "re_guarantee")]
    assert at.rate == D("0.003") and at.base == D("2000000.00") and at.amount == D("6000.00")
    # one fen above: the 0.5% rate; 5,000,000.01 x 40% = 2,000,000.00 (half-up to the fen) x 0.5% = 10,000
    above = _fees("tech_special_2024", D("5000000.01"))[("national_fund", "guarantor", "re_guarantee")]
    assert above.rate == D("0.005") and above.amount == D("10000.00")
    # the provincial re-guarantor of the 2024 plan charges no fee in the text: no row
    assert not any(k[0] == "provincial_reguarantor" for k in _fees("tech_special_2024", D(5_000_000)))


def test_the_bank_and_the_government_pay_and_receive_no_fee():
    fees = guarantee_fees(SCHEMES["anhui_4321"], D(3_000_000), 24)
    assert {f.party_id for f in fees} == {"guarantor", "provincial_reguarantor"}
    assert {f.payer for f in fees} == {"borrower", "guarantor"}
    by = {f.party_id: f.amount for f in fees}
    # 1% x 3,000,000 x 2 = 60,000; 3,000,000 x 30% x 0.3% x 2 = 5,400
    assert by == {"guarantor": D("60000.00"), "provincial_reguarantor": D("5400.00")}


def test_zhejiang_example_has_two_re_guarantee_fees_and_is_marked_an_assumption():
    z = SCHEMES["zhejiang_tech"]
    assert {a[0] for a in z.assumptions} >= {"$.parties", "$.caps.max_single_balance"}
    fees = _fees("zhejiang_tech", D(6_000_000))
    # 0.8% x 6,000,000 = 48,000; each 20% share = 1,200,000 x 0.5% (above 5M) = 6,000
    assert fees[("guarantor", "borrower", "guarantee")].amount == D("48000.00")
    assert fees[("national_fund", "guarantor", "re_guarantee")].amount == D("6000.00")
    assert fees[("provincial_reguarantor", "guarantor", "re_guarantee")].amount == D("6000.00")


def test_scheme_caps_both_sides():
    a = SCHEMES["anhui_4321"]
    assert a.max_single_balance == D(20_000_000)
    assert scope_breaches(a, D(15_000_000), D(5_000_000)) == []          # 20,000,000 exactly: within
    assert scope_breaches(a, D("15000000.01"), D(5_000_000)) == [
        "anhui_4321: in-force balance 20000000.01 above the scheme's cap 20000000"]
    t = SCHEMES["tech_special_2024"]
    assert scope_breaches(t, D(30_000_000)) == []
    assert scope_breaches(t, D("30000000.01")) != []
    assert scope_breaches(SCHEMES["national_fund"], D(10_000_001)) != []
    assert scope_breaches(SCHEMES["national_fund"], D(10_000_000)) == []


BASE = {"id": "s", "version": 1, "name": {"zh": "s", "en": "s"}, "kind": "guarantee", "parties": [
    {"id": "g", "role": "guarantor", "name": {"zh": "g", "en": "g"}, "share": 0.8},
    {"id": "bank", "role": "lender", "name": {"zh": "b", "en": "b"}, "share": 0.2}]}


def test_bad_fee_definitions_name_the_field():
    with pytest.raises(PolicyError, match=r"\$\.guarantee_fee\.rate.*above the scheme's maximum"):
        scheme_from_dict({**BASE, "guarantee_fee": {"rate": 0.012, "max_rate": 0.01}})
    bad_party = {**BASE["parties"][1], "re_guarantee_fee": {"rate": 0.005}}
    with pytest.raises(PolicyError, match=r"\$\.parties\[1\]\.re_guarantee_fee"):
        scheme_from_dict({**BASE, "parties": [BASE["parties"][0], bad_party]})
    with pytest.raises(ValueError, match="guaranteed_amount"):
        guarantee_fees(SCHEMES["anhui_4321"], D(1_000_000), 12, guaranteed_amount=D(1_000_001))


def test_compensation_timeline_after_default_by_hand():
    import datetime as dt

    from innocredit.lending.risk_sharing import compensation_timeline

    steps = compensation_timeline(SCHEMES["anhui_4321"], dt.date(2025, 3, 1), D("1000000.01"))
    rows = [(s.step, s.from_party, s.to_party, s.amount, s.due_on) for s in steps]
    # loss 1,000,000.01 split 40/30/20/10 to the fen: 400,000.00 / 300,000.00 / 200,000.00 / 100,000.00 and the
    # leftover fen to the largest remainder (guarantor 400,000.004 -> .01): bank keeps 200,000.00, claims 800,000.01.
    # Claim 90 days after 1 March = 30 May; guarantor pays 30 days later = 29 June; reimbursed by 29 July.
    assert rows == [
        ("claim", "bank", "guarantor", D("800000.01"), dt.date(2025, 5, 30)),
        ("guarantor_pays", "guarantor", "bank", D("800000.01"), dt.date(2025, 6, 29)),
        ("reimbursement", "provincial_reguarantor", "guarantor", D("300000.00"), dt.date(2025, 7, 29)),
        ("reimbursement", "local_government", "guarantor", D("100000.00"), dt.date(2025, 7, 29)),
    ]
    assert "$.compensation_timeline" in dict(SCHEMES["anhui_4321"].assumptions)
    with pytest.raises(ValueError, match="no compensation timeline"):
        compensation_timeline(SCHEMES["tech_risk_pool"], dt.date(2025, 3, 1), D(1))
