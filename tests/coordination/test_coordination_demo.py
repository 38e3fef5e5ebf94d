"""The demo year: deterministic by seed, stored on both databases, and it shows trends."""

import datetime as dt

import polars as pl
import pytest

from innocredit.coordination.flow import Answer
from innocredit.services import coordination as service
from innocredit.services.demo import store_coordination
from innocredit.storage.base import unit_of_work
from innocredit.synthetic import feature_table
from innocredit.synthetic.coordination import generate_coordination


@pytest.fixture(scope="module")
def features():
    return feature_table(400, 11)


def test_deterministic_by_seed(features):
    a = generate_coordination(features, 5)
    b = generate_coordination(features, 5)
    c = generate_coordination(features, 6)
    for key in ("application_items", "pushes", "answers", "loans", "alerts"):
        assert a[key].equals(b[key]), key
    assert not a["pushes"].equals(c["pushes"])


def test_demo_year_is_coherent(features):
    f = generate_coordination(features, 5)
    p = f["pushes"]
    assert p["pushed_at"].cast(pl.Date).min() >= dt.date(2025, 7, 1)
    assert p["pushed_at"].cast(pl.Date).max() <= dt.date(2026, 6, 30)
    # every credit follows its push, every disbursement its credit
    assert (p.filter(pl.col("credit_at").is_not_null())
            .select((pl.col("credit_at") > pl.col("pushed_at")).all()).item())
    assert (p.filter(pl.col("disbursed_at").is_not_null())
            .select((pl.col("disbursed_at") > pl.col("credit_at")).all()).item())
    declined = p.filter(pl.col("status") == "declined")
    assert declined["decline_code"].null_count() == 0 and declined.height > 0
    assert set(f["answers"]["kind"].unique()) == {"accepted", "declined", "credit_granted", "disbursed"}
    assert f["escalations"].height > 0
    assert f["alerts"].height > 0
    # firms pushed in Jan-Mar 2026 got credit more often than those pushed in Jul-Oct 2025 (the built-in trend;
    # the last quarter is left out because many of its answers are still to come on as_of)
    d = pl.col("pushed_at").cast(pl.Date)
    early = p.filter(d < dt.date(2025, 11, 1))["credit_at"].is_not_null().mean()
    later = p.filter(d.is_between(dt.date(2026, 1, 1), dt.date(2026, 3, 31)))["credit_at"].is_not_null().mean()
    rate = [early, later]
    assert rate[1] > rate[0]


def test_store_then_query_as_office_and_bank(engine, features):
    frames = generate_coordination(features, 5)
    with unit_of_work(engine) as s:
        counts = store_coordination(s, frames)
    assert counts["pushes"] == frames["pushes"].height and counts["alerts"] > 0
    with unit_of_work(engine) as s:
        # no department feeds are stored here: the enterprises are given; the loans come from the register
        m = service.metrics(s, as_of=dt.date(2026, 6, 30), enterprises=frames["firms"])
        by_bank = service.metrics(s, as_of=dt.date(2026, 6, 30), by="bank", enterprises=frames["firms"])
        bank = frames["pushes"]["bank_id"][0]
        mine = service.pushes_for_bank(s, bank)
        alerts = service.alerts_for_bank(s, frames["alerts"]["bank_id"][0])
    g = m["groups"][0]
    assert g["recommended_firms"] == frames["pushes"]["uscc"].n_unique()
    in_window = frames["loans"].filter(pl.col("disbursed_on").is_between(dt.date(2025, 7, 1), dt.date(2026, 6, 30)))
    assert g["loans_count"] == in_window.height > 0  # every generated loan is in the one register
    assert 0 < g["coverage_rate"] < 1
    assert {r["group"] for r in by_bank["groups"]} >= set(frames["pushes"]["bank_id"].unique())
    assert mine and {x["bank_id"] for x in mine} == {bank}
    assert alerts and {a["bank_id"] for a in alerts} == {frames["alerts"]["bank_id"][0]}
    # ids continue after the stored rows: a new list, push and answer work on top of the demo
    with unit_of_work(engine) as s:
        pending = service.pushes_for_bank(s, bank, status="pushed") or service.pushes_for_bank(s, bank,
                                                                                            status="accepted")
        lst = service.create_application_list(s, name="after demo", now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        assert lst["id"] == 13
    if pending:
        with unit_of_work(engine) as s:
            kind = "accepted" if pending[0]["status"] == "pushed" else "declined"
            out = service.record_answer(s, bank_id=bank, push_id=pending[0]["push_id"],
                                        answer=Answer(kind, "D01" if kind == "declined" else None),
                                        now=dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
            assert out["status"] == kind
