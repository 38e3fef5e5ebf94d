"""The one loan register: a bank's loan feed lands in it with its origin (once, however often it is ingested), and
the migration carries the office's old register (coord_loans) over, alerts included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import text

from innocredit.services import lending
from innocredit.services.database import make_engine, migrate, unit_of_work
from innocredit.services.feeds import ingest_dir, loans_as_of
from innocredit.storage.migrate import alembic_config
from innocredit.synthetic import write_feeds


def test_a_bank_loan_feed_lands_in_the_register_once(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    write_feeds(tmp_path / "feeds", 200, 3, fmt="parquet")
    ingest_dir(engine, tmp_path / "feeds")
    feed = loans_as_of(engine)
    with unit_of_work(engine) as s:
        register = lending.visible_loans(s, role="coordinator")
    assert feed.height > 0
    assert len(register) == feed.select("bank_id", "loan_id").unique().height
    assert {x["origin"] for x in register} == {"bank_feed"}
    by_key = {(x["bank_id"], x["external_id"]): x for x in register}
    row = feed.row(0, named=True)
    mine = by_key[(row["bank_id"], row["loan_id"])]
    assert mine["uscc"] == row["uscc"] and float(mine["principal"]) == row["amount"]
    # a second ingest of the same files (and a feed file written again) adds nothing
    ingest_dir(engine, tmp_path / "feeds")
    with unit_of_work(engine) as s:
        assert len(lending.visible_loans(s, role="coordinator")) == len(register)
    engine.dispose()


def test_migration_carries_the_office_register_over(db_url: str) -> None:
    engine = make_engine(db_url)
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "coordination_0001")
        command.upgrade(cfg, "lending_0001")
        long_id = "B" * 50  # longer than the register's 36-character ids
        conn.execute(text(
            "INSERT INTO coord_loans (loan_id, uscc, bank_id, amount, rate, secured, product, disbursed_on, "
            "maturity_on, outstanding, status, first_loan, relending_eligible, missed_instalments, days_past_due) "
            "VALUES (:id, '91330106MA2AAAAA0X', 'bank-1', 1000000, 0.04, true, 'credit', '2026-01-10', "
            "'2027-01-10', 800000, 'active', true, false, 0, 0), "
            "(:long, '91330106MA2AAAAA0X', 'bank-2', 500000, 0.05, false, 'innovation', '2025-03-01', "
            "'2026-03-01', 0, 'repaid', false, true, 0, 0)"), {"id": "BG0000001", "long": long_id})
        conn.execute(text(
            "INSERT INTO coord_alerts (rule_id, severity, uscc, loan_id, bank_id, evidence, evidence_key, name_zh, "
            "name_en, raised_at, rules_version) VALUES ('r', 'high', '91330106MA2AAAAA0X', :long, 'bank-2', '{}', "
            "'k', '甲', 'A', '2026-01-01T00:00:00+00:00', '1')"), {"long": long_id})
    migrate(engine)
    with unit_of_work(engine) as s:
        loans = {x["external_id"]: x for x in lending.visible_loans(s, role="coordinator")}
        alert_loan = s.execute(text("SELECT loan_id FROM coord_alerts")).scalar_one()
        tables = s.execute(text("SELECT count(*) FROM lending_audit_head")).scalar_one()
    assert set(loans) == {"BG0000001", long_id}
    a = loans["BG0000001"]
    assert a["id"] == "BG0000001" and a["origin"] == "bank_feed" and float(a["principal"]) == 1_000_000
    assert float(a["outstanding"]) == 800_000 and a["unsecured"] is False and a["term_months"] == 12
    assert a["disbursed_on"] == dt.date(2026, 1, 10) and a["status"] == "active"
    b = loans[long_id]
    assert len(b["id"]) == 36 and alert_loan == b["id"]  # the alert follows its loan to the new id
    assert tables == 1
    engine.dispose()
