"""Base tables: enterprises and organisations. Every area's first migration revises this one.

Revision ID: base_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "base_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name="pk_enterprises"),
    )
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("region_code", sa.String(6)),
        sa.Column("uscc", sa.String(18)),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
    )


def downgrade() -> None:
    op.drop_table("organisations")
    op.drop_table("enterprises")
