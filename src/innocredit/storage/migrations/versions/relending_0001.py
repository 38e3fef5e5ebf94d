"""Relending: the official lists imported for the PBoC tech-innovation relending and each bank's ledger.

Revision ID: relending_0001
Revises: lending_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "relending_0001"
down_revision = "lending_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relending_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_relending_lists"),
        sa.UniqueConstraint("uscc", "kind", "valid_from", name="uq_relending_lists_uscc"),
    )
    op.create_index("ix_relending_lists_uscc", "relending_lists", ["uscc"])
    op.create_table(
        "relending_ledger",
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("refinanced_fen", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(16), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.Column("saving_fen", sa.BigInteger(), nullable=False),
        sa.Column("refinanced_on", sa.Date(), nullable=False),
        sa.Column("matures_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("loan_id", name="pk_relending_ledger"),
    )
    op.create_index("ix_relending_ledger_bank_id", "relending_ledger", ["bank_id"])


def downgrade() -> None:
    op.drop_index("ix_relending_ledger_bank_id", "relending_ledger")
    op.drop_table("relending_ledger")
    op.drop_index("ix_relending_lists_uscc", "relending_lists")
    op.drop_table("relending_lists")
