"""Lending: applications, offers, loans, schedules, repayments, guarantees, loss allocations, audit log.

Revision ID: lending_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "lending_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "lending_applications",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("product_version", sa.String(16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("submitted_on", sa.Date()),
        sa.Column("sla_due_on", sa.Date()),
        sa.Column("decided_on", sa.Date()),
        sa.Column("sla_breached", sa.Boolean()),
        sa.Column("reviewer", sa.String(64)),
        sa.Column("approver1", sa.String(64)),
        sa.Column("approver2", sa.String(64)),
        sa.Column("decision_note", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_lending_applications"),
    )
    op.create_index("ix_lending_applications_bank_id", "lending_applications", ["bank_id"])
    op.create_table(
        "lending_offers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("rate", sa.String(16), nullable=False),
        sa.Column("pd_grade", sa.String(4)),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lending_offers"),
        _fk("lending_offers", "application_id", "lending_applications"),
    )
    op.create_index("ix_lending_offers_application_id", "lending_offers", ["application_id"])
    op.create_table(
        "lending_loans",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(16), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(24), nullable=False),
        sa.Column("day_count", sa.String(8), nullable=False),
        sa.Column("grace_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("guarantee_scheme", sa.String(64)),
        sa.Column("pool_scheme", sa.String(64)),
        sa.Column("first_loan", sa.Boolean(), nullable=False),
        sa.Column("unsecured", sa.Boolean(), nullable=False),
        sa.Column("contracted_on", sa.Date(), nullable=False),
        sa.Column("disbursed_on", sa.Date()),
        sa.Column("outstanding_fen", sa.BigInteger(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        sa.Column("dpd_bucket", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lending_loans"),
        _fk("lending_loans", "application_id", "lending_applications"),
        sa.UniqueConstraint("application_id", name="uq_lending_loans_application_id"),
    )
    op.create_index("ix_lending_loans_bank_id", "lending_loans", ["bank_id"])
    op.create_table(
        "lending_schedules",
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("opening_fen", sa.BigInteger(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.Column("payment_fen", sa.BigInteger(), nullable=False),
        sa.Column("closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_interest_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", "number", name="pk_lending_schedules"),
        _fk("lending_schedules", "loan_id", "lending_loans"),
    )
    op.create_table(
        "lending_repayments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lending_repayments"),
        _fk("lending_repayments", "loan_id", "lending_loans"),
    )
    op.create_index("ix_lending_repayments_loan_id", "lending_repayments", ["loan_id"])
    op.create_table(
        "lending_guarantees",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("share", sa.String(16), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lending_guarantees"),
        _fk("lending_guarantees", "loan_id", "lending_loans"),
    )
    op.create_index("ix_lending_guarantees_loan_id", "lending_guarantees", ["loan_id"])
    op.create_table(
        "lending_loss_allocations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lending_loss_allocations"),
        _fk("lending_loss_allocations", "loan_id", "lending_loans"),
    )
    op.create_index("ix_lending_loss_allocations_loan_id", "lending_loss_allocations", ["loan_id"])
    op.create_table(
        "lending_audit_log",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_lending_audit_log"),
        sa.UniqueConstraint("hash", name="uq_lending_audit_log_hash"),
    )
    op.create_index("ix_lending_audit_log_bank_id", "lending_audit_log", ["bank_id"])


def downgrade() -> None:
    for table in ("lending_audit_log", "lending_loss_allocations", "lending_guarantees", "lending_repayments",
                  "lending_schedules", "lending_loans", "lending_offers", "lending_applications"):
        op.drop_table(table)
