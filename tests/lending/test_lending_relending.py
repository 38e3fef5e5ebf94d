"""PBoC 科技创新和技术改造再贷款, computed by hand from the announcements:

* 2024-04-07: quota 5,000亿, rate 1.75%, term 1 year, extendable twice by a year, 60% of the loan principal;
* 2025-05-07: quota raised to 8,000亿; January 2026: 1.2万亿 and R&D-intensive private SMEs in scope.
The bank's own funding floor is 2.2% (policy.yaml), so the saving is 0.6 x (2.2% - 1.75%) = 0.27% a year.
"""

import datetime as dt
from decimal import Decimal as D

import polars as pl
import pytest

from innocredit.core.policy import PolicyError, read_policy_file
from innocredit.lending.relending import refinance, relending_eligible
from innocredit.lending.schema import POLICY_FILE, load_policy, policy_from_dict
from innocredit.profile.uscc import make_uscc
from innocredit.services import lending as lending_svc
from innocredit.services import relending as svc
from innocredit.storage.base import UnitOfWork
from innocredit.storage.core import Organisation

POLICY = load_policy(env={})
FAC = POLICY.relending
LISTED = make_uscc("91330106MA2RLND01")
OTHER = make_uscc("91330106MA2RLND02")
DAY = dt.date(2025, 6, 2)


def test_terms_as_announced():
    assert FAC.share_of_principal == D("0.6") and FAC.rate == D("0.0175")
    assert FAC.term_months == 12 and FAC.max_extensions == 2 and FAC.max_months == 36
    assert FAC.saving_rate(0.022) == D("0.00270")
    assert FAC.saving_rate(0.015) == 0  # a bank funding below 1.75% saves nothing


@pytest.mark.parametrize(("on", "quota"), [
    (dt.date(2024, 4, 6), D(0)), (dt.date(2024, 4, 7), D(500_000_000_000)),
    (dt.date(2025, 5, 6), D(500_000_000_000)), (dt.date(2025, 5, 7), D(800_000_000_000)),
    (dt.date(2025, 12, 31), D(800_000_000_000)), (dt.date(2026, 1, 1), D(1_200_000_000_000))])
def test_quota_on_each_side_of_each_announcement(on, quota):
    assert FAC.quota_on(on) == quota


def test_rd_intensive_private_smes_enter_the_scope_in_january_2026():
    assert not FAC.list_in_scope("rd_intensive_private_sme", dt.date(2025, 12, 31))
    assert FAC.list_in_scope("rd_intensive_private_sme", dt.date(2026, 1, 1))
    assert FAC.list_in_scope("high_tech", dt.date(2024, 4, 7))
    assert not FAC.list_in_scope("high_tech", dt.date(2024, 4, 6))


def test_refinance_one_loan_by_hand():
    r = refinance(D(1_000_000), 12, FAC, 0.022)
    # 60% x 1,000,000 = 600,000; interest 600,000 x 1.75% = 10,500; saving 600,000 x 0.45% = 2,700
    assert (r.refinanced, r.months, r.relending_interest, r.cost_saving) == (
        D("600000.00"), 12, D("10500.00"), D("2700.00"))
    long = refinance(D(1_000_000), 48, FAC, 0.022)
    # at most 1 year + 2 extensions = 36 months: 600,000 x 1.75% x 3 = 31,500; 2,700 x 3 = 8,100
    assert (long.months, long.relending_interest, long.cost_saving) == (36, D("31500.00"), D("8100.00"))
    odd = refinance(D("333333.33"), 7, FAC, 0.022)
    # 199,999.998 -> 200,000.00; 200,000 x 1.75% x 7/12 = 2,041.666.. -> 2,041.67; x 0.45% x 7/12 = 525.00
    assert (odd.refinanced, odd.relending_interest, odd.cost_saving) == (D("200000.00"), D("2041.67"), D("525.00"))
    with pytest.raises(ValueError, match="principal"):
        refinance(D(0), 12, FAC, 0.022)


@pytest.mark.parametrize(("listed", "expected"), [
    ({"tech_sme_registered": True}, True), ({"high_tech_certified": True}, True),
    ({"specialized_level": "specialized"}, True), ({"specialized_level": "little_giant"}, True),
    ({"relending_listed": True}, True),
    ({"specialized_level": "innovative"}, False),  # 创新型 is not on the relending lists
    ({"tech_sme_registered": None, "high_tech_certified": False}, False),
    ({"innovation_points": 95.0, "tech_sme_qualified": True, "policy_credit_eligible": True}, False),  # our score
])
def test_one_definition_reads_only_the_official_lists(listed, expected):
    assert relending_eligible(listed) is expected
    assert relending_eligible(listed, product_relending=False) is False


def _policy(**relending):
    data = read_policy_file(POLICY_FILE)[0]
    return policy_from_dict({**data, "relending": {**data["relending"], **relending}}, "p.yaml")


def test_bad_relending_policy_names_the_field():
    with pytest.raises(PolicyError, match=r"relending.*share_of_principal"):
        _policy(share_of_principal=1.5)
    with pytest.raises(PolicyError, match=r"\$\.relending\.quotas\[0\]"):
        _policy(quotas=[{"from": "2024-13-01", "amount": 1, "source": "x"}])
    with pytest.raises(PolicyError, match="reasoning"):
        _policy(quotas=[{"from": "2024-01-01", "amount": 1, "source": "x", "assumption": True}])


def _loan(s, uscc, amount, on=DAY, term=12):
    app = lending_svc.apply(s, bank_id="bank_a", uscc=uscc, product_id="new_quality_credit", amount=amount,
                            term_months=term, actor="officer", on=on, policy=POLICY)
    lending_svc.review(s, "bank_a", app["id"], "reviewer1")
    lending_svc.approve(s, "bank_a", app["id"], "approver1", on=on, policy=POLICY)
    loan = lending_svc.contract(s, "bank_a", app["id"], "officer", rate="0.04", on=on)
    return lending_svc.disburse(s, "bank_a", loan["id"], "officer", on=on)


def test_import_list_refinance_and_ledger(engine):
    lists = pl.DataFrame({"uscc": [LISTED, LISTED], "kind": ["national_tech_sme", "high_tech"],
                          "valid_from": ["2025-01-01", "2024-01-01"], "valid_to": [None, "2024-12-31"]})
    with UnitOfWork(engine) as uow:
        s = uow.session
        s.add(Organisation(id="bank_a", kind="bank", name_zh="A", name_en="A"))
        assert svc.import_list(s, lists, source="lists.csv") == {"rows": 2, "added": 2}
        assert svc.import_list(s, lists, source="lists.csv") == {"rows": 2, "added": 0}  # idempotent
        assert svc.firm_listed(s, LISTED, dt.date(2024, 12, 31))["relending_listed"] is True  # high_tech
        assert svc.firm_listed(s, OTHER, DAY)["relending_listed"] is False
        a = _loan(s, LISTED, 1_000_000)
        assert a["relending_eligible"] is True
        b = _loan(s, OTHER, 2_000_000)
        assert b["relending_eligible"] is False
        c = _loan(s, LISTED, 500_000, term=24)
    with UnitOfWork(engine) as uow:
        done = svc.refinance(uow.session, "bank_a", on=dt.date(2025, 6, 30))
        assert {e["loan_id"] for e in done["added"]} == {a["id"], c["id"]} and done["over_quota"] == []
        again = svc.refinance(uow.session, "bank_a", on=dt.date(2025, 7, 31))
        assert again["added"] == []  # a loan is refinanced once
        led = svc.ledger(uow.session, "bank_a", on=dt.date(2025, 6, 30))
    # a: 600,000, saving 2,700; c: 300,000 for 24 months, saving 300,000 x 0.45% x 2 = 2,700
    assert led["eligible_loans"] == 2
    assert led["principal"] == D("1500000.00") and led["refinanced"] == D("900000.00")
    assert led["cost_saving"] == D("5400.00")
    assert led["relending_interest"] == D("10500.00") + D("10500.00")  # 300,000 x 1.75% x 2 = 10,500
    assert led["quota"] == D(800_000_000_000) and led["quota_used"] == D("900000.00")


def test_quota_exhausted_leaves_the_loan_out(engine):
    tiny = _policy(quotas=[{"from": "2024-04-07", "amount": 700000, "source": "test quota"}])
    with UnitOfWork(engine) as uow:
        s = uow.session
        s.add(Organisation(id="bank_a", kind="bank", name_zh="A", name_en="A"))
        svc.import_list(s, pl.DataFrame({"uscc": [LISTED], "kind": ["specialized"], "valid_from": ["2025-01-01"]}),
                        source="lists.csv")
        first = _loan(s, LISTED, 1_000_000, on=dt.date(2025, 6, 2))   # 600,000 refinanced: within 700,000
        second = _loan(s, LISTED, 200_000, on=dt.date(2025, 6, 3))   # +120,000 = 720,000 > 700,000
        done = svc.refinance(s, "bank_a", on=dt.date(2025, 6, 30), policy=tiny)
    assert [e["loan_id"] for e in done["added"]] == [first["id"]] and done["over_quota"] == [second["id"]]


def test_bad_list_rows_name_row_and_column(engine):
    with UnitOfWork(engine) as uow:
        s = uow.session
        with pytest.raises(svc.RelendingInputError, match="row 3, column kind"):
            svc.import_list(s, pl.DataFrame({"uscc": [LISTED, LISTED], "kind": ["high_tech", "gazelle"],
                                             "valid_from": ["2025-01-01", "2025-01-01"]}), source="l.csv")
        with pytest.raises(svc.RelendingInputError, match="row 2, column valid_from"):
            svc.import_list(s, pl.DataFrame({"uscc": [LISTED], "kind": ["high_tech"], "valid_from": ["1/1/2025"]}),
                            source="l.csv")
        with pytest.raises(svc.RelendingInputError, match="missing column"):
            svc.import_list(s, pl.DataFrame({"uscc": [LISTED]}), source="l.csv")


def test_cli_import_list_and_ledger(tmp_path):
    from typer.testing import CliRunner

    from innocredit.cli import app

    db = f"sqlite:///{tmp_path / 'r.db'}"
    bad = tmp_path / "lists.csv"
    bad.write_text(f"uscc,kind,valid_from\n{LISTED},high_tech,2025-01-01\n{OTHER},gazelle,2025-01-01\n")
    runner = CliRunner()
    r = runner.invoke(app, ["relending", "import-list", str(bad), "--database", db])
    assert r.exit_code == 2 and "lists.csv: row 3, column kind" in r.output
    good = tmp_path / "good.csv"
    good.write_text(f"uscc,kind,valid_from,valid_to\n{LISTED},high_tech,2025-01-01,\n")
    r = runner.invoke(app, ["relending", "import-list", str(good), "--database", db])
    assert r.exit_code == 0 and '"added": 1' in r.output
    r = runner.invoke(app, ["relending", "ledger", "--bank", "bank_a", "--on", "2025-06-30", "--database", db])
    assert r.exit_code == 0 and "eligible loans      0" in r.output and "800000000000" in r.output
    r = runner.invoke(app, ["relending", "ledger", "--bank", "bank_a", "--on", "30/06/2025", "--database", db])
    assert r.exit_code == 2 and "--on: not a date" in r.output
