"""One loan register: lending_loans holds platform loans and the loans banks report (with their origin);
the office's copies (coord_loans, coord_firms) are carried over and dropped; guarantees and loss allocations
name the organisation behind the party; the audit chain's tail gets a lockable head row.

Revision ID: lending_0002
Revises: lending_0001 (and needs coordination_0001, whose loans it carries over)
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = "lending_0002"
down_revision = "lending_0001"
branch_labels = None
depends_on = "coordination_0001"

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("lending_loans") as batch:
        batch.alter_column("application_id", existing_type=sa.String(length=36), nullable=True)
        batch.add_column(sa.Column("origin", sa.String(length=16), server_default="platform", nullable=False))
        batch.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("maturity_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("relending_eligible", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("missed_instalments", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("push_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("guarantor_org_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("patent_pool_id", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_lending_loans_bank_external", ["bank_id", "external_id"])
        batch.create_index("ix_lending_loans_uscc", ["uscc"], unique=False)
    with op.batch_alter_table("lending_guarantees") as batch:
        batch.add_column(sa.Column("org_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_lending_guarantees_org_id", ["org_id"], unique=False)
    with op.batch_alter_table("lending_loss_allocations") as batch:
        batch.add_column(sa.Column("org_id", sa.String(length=64), nullable=True))
    op.create_table("lending_audit_head",
                    sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column("seq", sa.Integer(), nullable=False),
                    sa.Column("hash", sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_audit_head")))
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT seq, hash FROM lending_audit_log ORDER BY seq DESC LIMIT 1")).first()
    conn.execute(sa.text("INSERT INTO lending_audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": last[0] if last else 0, "hash": last[1] if last else GENESIS})
    _carry_over_coord_loans(conn)
    op.drop_table("coord_loans")
    op.drop_table("coord_firms")


def _carry_over_coord_loans(conn: sa.engine.Connection) -> None:
    """Each row of the office's loan register becomes a reported loan of the register (origin push_answer
    when it came from a push answer, else bank_feed); alerts keep pointing at the same loan."""
    rows = conn.execute(sa.text(
        "SELECT loan_id, uscc, bank_id, amount, rate, secured, product, disbursed_on, maturity_on, outstanding, "
        "status, first_loan, relending_eligible, missed_instalments, days_past_due, push_id FROM coord_loans")).all()
    loans = sa.table("lending_loans", *[sa.column(c) for c in (
        "id", "application_id", "bank_id", "uscc", "product_id", "principal_fen", "rate", "term_months", "method",
        "day_count", "grace_months", "status", "guarantee_scheme", "pool_scheme", "first_loan", "unsecured",
        "contracted_on", "disbursed_on", "outstanding_fen", "days_past_due", "dpd_bucket", "origin", "external_id",
        "maturity_on", "relending_eligible", "missed_instalments", "push_id")])
    out, renamed = [], []
    for r in rows:
        new_id = r.loan_id if len(r.loan_id) <= 36 else str(uuid.uuid5(uuid.NAMESPACE_URL, r.loan_id))
        if new_id != r.loan_id:
            renamed.append({"old": r.loan_id, "new": new_id})
        disbursed = _date(r.disbursed_on)
        maturity = _date(r.maturity_on)
        months = max(1, round((maturity - disbursed).days / 30.4375)) if maturity and disbursed else 12
        dpd = int(r.days_past_due or 0)
        out.append({"id": new_id, "application_id": None, "bank_id": r.bank_id, "uscc": r.uscc,
                    "product_id": r.product or "reported", "principal_fen": int(round(float(r.amount) * 100)),
                    "rate": str(r.rate if r.rate is not None else 0), "term_months": months, "method": "reported",
                    "day_count": "30/360", "grace_months": 0, "status": r.status, "guarantee_scheme": None,
                    "pool_scheme": None, "first_loan": bool(r.first_loan), "unsecured": not bool(r.secured),
                    "contracted_on": disbursed, "disbursed_on": disbursed,
                    "outstanding_fen": int(round(float(r.outstanding if r.outstanding is not None else r.amount) * 100)),
                    "days_past_due": dpd, "dpd_bucket": _bucket(dpd),
                    "origin": "push_answer" if r.push_id is not None else "bank_feed", "external_id": r.loan_id,
                    "maturity_on": maturity, "relending_eligible": r.relending_eligible,
                    "missed_instalments": int(r.missed_instalments or 0), "push_id": r.push_id})
    for i in range(0, len(out), 5000):
        conn.execute(loans.insert(), out[i:i + 5000])
    if renamed:
        conn.execute(sa.text("UPDATE coord_alerts SET loan_id = :new WHERE loan_id = :old"), renamed)


def _bucket(dpd: int) -> str:
    for upper, code in ((0, "current"), (30, "dpd_1_30"), (60, "dpd_31_60"), (90, "dpd_61_90")):
        if dpd <= upper:
            return code
    return "dpd_90_plus"


def _date(v: object) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v  # type: ignore[return-value]
    return dt.date.fromisoformat(str(v)[:10])


def downgrade() -> None:
    op.create_table("coord_firms",
                    sa.Column("uscc", sa.String(length=18), nullable=False),
                    sa.Column("as_of", sa.Date(), nullable=False),
                    sa.Column("region_code", sa.String(length=6), nullable=True),
                    sa.Column("industry_code", sa.String(length=8), nullable=True),
                    sa.Column("employees", sa.Integer(), nullable=True),
                    sa.Column("revenue", sa.Float(), nullable=True),
                    sa.Column("total_assets", sa.Float(), nullable=True),
                    sa.Column("registry_status", sa.String(length=16), nullable=True),
                    sa.Column("registered_on", sa.Date(), nullable=True),
                    sa.Column("innovation_points", sa.Float(), nullable=True),
                    sa.Column("tech_sme", sa.Boolean(), nullable=True),
                    sa.PrimaryKeyConstraint("uscc", name=op.f("pk_coord_firms")))
    op.create_table("coord_loans",
                    sa.Column("loan_id", sa.String(length=64), nullable=False),
                    sa.Column("uscc", sa.String(length=18), nullable=False),
                    sa.Column("bank_id", sa.String(length=64), nullable=False),
                    sa.Column("amount", sa.Numeric(16, 2), nullable=False),
                    sa.Column("rate", sa.Float(), nullable=True),
                    sa.Column("secured", sa.Boolean(), nullable=True),
                    sa.Column("product", sa.String(length=32), nullable=True),
                    sa.Column("disbursed_on", sa.Date(), nullable=False),
                    sa.Column("maturity_on", sa.Date(), nullable=True),
                    sa.Column("outstanding", sa.Numeric(16, 2), nullable=True),
                    sa.Column("status", sa.String(length=16), nullable=False),
                    sa.Column("first_loan", sa.Boolean(), nullable=True),
                    sa.Column("relending_eligible", sa.Boolean(), nullable=True),
                    sa.Column("missed_instalments", sa.Integer(), nullable=True),
                    sa.Column("days_past_due", sa.Integer(), nullable=True),
                    sa.Column("push_id", sa.Integer(), nullable=True),
                    sa.ForeignKeyConstraint(["push_id"], ["coord_pushes.id"],
                                            name=op.f("fk_coord_loans_push_id_coord_pushes")),
                    sa.PrimaryKeyConstraint("loan_id", name=op.f("pk_coord_loans")))
    op.create_index(op.f("ix_coord_loans_bank_id"), "coord_loans", ["bank_id"], unique=False)
    op.create_index(op.f("ix_coord_loans_uscc"), "coord_loans", ["uscc"], unique=False)
    op.execute("INSERT INTO coord_loans (loan_id, uscc, bank_id, amount, rate, secured, product, disbursed_on, "
               "maturity_on, outstanding, status, first_loan, relending_eligible, missed_instalments, days_past_due, "
               "push_id) SELECT external_id, uscc, bank_id, principal_fen / 100.0, CAST(rate AS FLOAT), NOT unsecured, "
               "product_id, disbursed_on, maturity_on, outstanding_fen / 100.0, status, first_loan, relending_eligible, "
               "missed_instalments, days_past_due, push_id FROM lending_loans WHERE origin <> 'platform'")
    op.execute("DELETE FROM lending_loans WHERE origin <> 'platform'")
    op.drop_table("lending_audit_head")
    with op.batch_alter_table("lending_loss_allocations") as batch:
        batch.drop_column("org_id")
    with op.batch_alter_table("lending_guarantees") as batch:
        batch.drop_index("ix_lending_guarantees_org_id")
        batch.drop_column("org_id")
    with op.batch_alter_table("lending_loans") as batch:
        batch.drop_index("ix_lending_loans_uscc")
        batch.drop_constraint("uq_lending_loans_bank_external", type_="unique")
        for col in ("patent_pool_id", "guarantor_org_id", "push_id", "missed_instalments", "relending_eligible",
                    "maturity_on", "external_id", "origin"):
            batch.drop_column(col)
