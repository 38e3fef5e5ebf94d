"""IP pledge registry and patent pools.

Revision ID: ip_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "ip_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ip_pledges",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("registration_no", sa.String(20), nullable=False),
        sa.Column("patent_id", sa.String(32), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("pledgee", sa.String(64), nullable=False),
        sa.Column("loan_id", sa.String(64)),
        sa.Column("secured_amount", sa.Numeric(18, 2)),
        sa.Column("value_at_registration", sa.Numeric(18, 2)),
        sa.Column("transfers_at_registration", sa.Integer()),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_pledges"),
        sa.UniqueConstraint("registration_no", name="uq_ip_pledges_registration_no"),
        sa.CheckConstraint("status IN ('active', 'released', 'enforced')", name="ck_ip_pledges_status"),
    )
    op.create_index("ix_ip_pledges_active_patent", "ip_pledges", ["patent_id"], unique=True,
                    sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
    op.create_index("ix_ip_pledges_uscc", "ip_pledges", ["uscc"])
    op.create_table(
        "ip_pledge_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pledge_id", sa.Integer()),
        sa.Column("patent_id", sa.String(32), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("detail_zh", sa.String(400)),
        sa.Column("detail_en", sa.String(400)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_pledge_events"),
        sa.ForeignKeyConstraint(["pledge_id"], ["ip_pledges.id"], name="fk_ip_pledge_events_pledge_id_ip_pledges"),
    )
    op.create_index("ix_ip_pledge_events_patent_id", "ip_pledge_events", ["patent_id"])
    op.create_table(
        "ip_pools",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_pools"),
    )
    op.create_table(
        "ip_pool_patents",
        sa.Column("pool_id", sa.String(64), nullable=False),
        sa.Column("patent_id", sa.String(32), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "patent_id", name="pk_ip_pool_patents"),
        sa.UniqueConstraint("patent_id", name="uq_ip_pool_patents_patent_id"),
        sa.ForeignKeyConstraint(["pool_id"], ["ip_pools.id"], name="fk_ip_pool_patents_pool_id_ip_pools"),
    )


def downgrade() -> None:
    op.drop_table("ip_pool_patents")
    op.drop_table("ip_pools")
    op.drop_index("ix_ip_pledge_events_patent_id", table_name="ip_pledge_events")
    op.drop_table("ip_pledge_events")
    op.drop_index("ix_ip_pledges_uscc", table_name="ip_pledges")
    op.drop_index("ix_ip_pledges_active_patent", table_name="ip_pledges")
    op.drop_table("ip_pledges")
