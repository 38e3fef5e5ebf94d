"""Platform: login throttling counters; organisations can be disabled.

Revision ID: platform_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "platform_0002"
down_revision = "platform_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_login_counters",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name="pk_platform_login_counters"),
    )
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("active")
    op.drop_table("platform_login_counters")
