"""The guarantor's decision and 代偿: guarantee requests a bank sends a guarantor organisation for an approved
application (one open request per application: a partial unique index), and the compensation a guarantor owes
and pays on a defaulted guaranteed loan (one per loan).

Revision ID: lending_0004
Revises: lending_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "lending_0004"
down_revision = "lending_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lending_guarantee_requests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("guarantor_org_id", sa.String(64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("guaranteed_fen", sa.BigInteger(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("fee_rate", sa.String(16), nullable=True),
        sa.Column("reason_code", sa.String(8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("loan_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lending_guarantee_requests"),
        sa.ForeignKeyConstraint(["application_id"], ["lending_applications.id"],
                                name="fk_lending_guarantee_requests_application"),
    )
    op.create_index("ix_lending_guarantee_requests_application_id", "lending_guarantee_requests",
                    ["application_id"])
    op.create_index("ix_lending_guarantee_requests_guarantor_org_id", "lending_guarantee_requests",
                    ["guarantor_org_id"])
    # one open request per application: a database rule, not only a check in the use case
    op.create_index("ix_lending_guarantee_requests_open_application", "lending_guarantee_requests",
                    ["application_id"], unique=True, sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))
    op.create_table(
        "lending_compensations",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("loan_id", sa.String(36), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("guarantor_org_id", sa.String(64), nullable=True),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("loss_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_fen", sa.BigInteger(), nullable=False),
        sa.Column("own_share_fen", sa.BigInteger(), nullable=False),
        sa.Column("claim_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=True),
        sa.Column("paid_by", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lending_compensations"),
        sa.ForeignKeyConstraint(["loan_id"], ["lending_loans.id"], name="fk_lending_compensations_loan_id_lending_loans"),
        sa.UniqueConstraint("loan_id", name="uq_lending_compensations_loan_id"),
    )
    op.create_index("ix_lending_compensations_guarantor_org_id", "lending_compensations", ["guarantor_org_id"])


def downgrade() -> None:
    op.drop_index("ix_lending_compensations_guarantor_org_id", "lending_compensations")
    op.drop_table("lending_compensations")
    op.drop_index("ix_lending_guarantee_requests_open_application", "lending_guarantee_requests")
    op.drop_index("ix_lending_guarantee_requests_guarantor_org_id", "lending_guarantee_requests")
    op.drop_index("ix_lending_guarantee_requests_application_id", "lending_guarantee_requests")
    op.drop_table("lending_guarantee_requests")
