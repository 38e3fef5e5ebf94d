"""Platform tables: users, tokens, login attempts, access events.

Revision ID: platform_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "platform_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], name="fk_platform_users_org_id_organisations"),
        sa.PrimaryKeyConstraint("id", name="pk_platform_users"),
        sa.UniqueConstraint("username", name="uq_platform_users_username"),
    )
    op.create_index("ix_platform_users_org_id", "platform_users", ["org_id"])
    op.create_table(
        "platform_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["platform_users.id"], name="fk_platform_tokens_user_id_platform_users",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_platform_tokens"),
    )
    op.create_index("ix_platform_tokens_user_id", "platform_tokens", ["user_id"])
    op.create_table(
        "platform_login_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_platform_login_attempts"),
    )
    op.create_index("ix_platform_login_attempts_username_at", "platform_login_attempts", ["username", "at"])
    op.create_table(
        "platform_access_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("org_id", sa.String(64)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200)),
        sa.Column("detail", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_platform_access_events"),
    )
    op.create_index("ix_platform_access_events_at", "platform_access_events", ["at"])


def downgrade() -> None:
    op.drop_table("platform_access_events")
    op.drop_table("platform_login_attempts")
    op.drop_table("platform_tokens")
    op.drop_table("platform_users")
