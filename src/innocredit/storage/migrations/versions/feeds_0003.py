"""The certificates feed (S&T department / MIIT): one row per qualification certificate or official-list entry,
with its issue and expiry dates (docs/data-feeds.md "Certificates").

Revision ID: feeds_0003
Revises: feeds_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "feeds_0003"
down_revision = "feeds_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_certificates",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("qualification", sa.Text(), nullable=False),
        sa.Column("certificate_no", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_certificates_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "qualification", "certificate_no", "as_of", name="pk_feed_certificates"),
    )
    op.create_index("ix_feed_certificates_as_of", "feed_certificates", ["as_of"])
    op.create_index("ix_feed_certificates_batch_id", "feed_certificates", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_certificates_batch_id", table_name="feed_certificates")
    op.drop_index("ix_feed_certificates_as_of", table_name="feed_certificates")
    op.drop_table("feed_certificates")
