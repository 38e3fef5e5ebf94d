"""Upload jobs in the database (every server worker sees a job's progress, not only the one that took it).

Revision ID: feeds_0002
Revises: feeds_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "feeds_0002"
down_revision = "feeds_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("ingest_jobs",
                    sa.Column("id", sa.String(length=32), nullable=False),
                    sa.Column("feed", sa.String(length=32), nullable=False),
                    sa.Column("file", sa.Text(), nullable=False),
                    sa.Column("stage", sa.String(length=16), nullable=False),
                    sa.Column("progress", sa.Float(), nullable=False),
                    sa.Column("error", sa.Text(), nullable=True),
                    sa.Column("report", sa.Text(), nullable=True),
                    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_jobs")))


def downgrade() -> None:
    op.drop_table("ingest_jobs")
