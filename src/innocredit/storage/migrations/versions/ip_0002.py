"""IP: the per-year registration counter and patent-pool allocations.

Registration numbers were ``max + 1`` over the existing numbers, so simultaneous pledges of different patents
collided on the unique number (issue 14, item 9). They now come from one counter row per year, incremented
atomically. An existing database carries its highest serial of each year into the counter.

Revision ID: ip_0002
"""
import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "ip_0002"
down_revision = "ip_0001"
branch_labels = None
depends_on = None

REGISTRATION_NO = re.compile(r"^Y(\d{4})98(\d{7})$")


def upgrade() -> None:
    counters = op.create_table(
        "ip_registration_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_ip_registration_counters"),
    )
    op.create_table(
        "ip_pool_allocations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool_id", sa.String(64), nullable=False),
        sa.Column("loan_id", sa.String(64), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("released_on", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ip_pool_allocations"),
        sa.UniqueConstraint("loan_id", name="uq_ip_pool_allocations_loan_id"),
        sa.CheckConstraint("amount > 0", name="ck_ip_pool_allocations_amount_positive"),
        sa.ForeignKeyConstraint(["pool_id"], ["ip_pools.id"], name="fk_ip_pool_allocations_pool_id_ip_pools"),
    )
    op.create_index("ix_ip_pool_allocations_pool_id", "ip_pool_allocations", ["pool_id"])
    op.create_index("ix_ip_pledges_loan_id", "ip_pledges", ["loan_id"])

    # carry the highest serial of each year over from the numbers already issued
    last: dict[int, int] = defaultdict(int)
    for (number,) in op.get_bind().execute(sa.text("SELECT registration_no FROM ip_pledges")):
        m = REGISTRATION_NO.match(number or "")
        if m:
            year, serial = int(m.group(1)), int(m.group(2))
            last[year] = max(last[year], serial)
    if last:
        op.bulk_insert(counters, [{"year": y, "last_serial": n} for y, n in sorted(last.items())])


def downgrade() -> None:
    op.drop_index("ix_ip_pledges_loan_id", table_name="ip_pledges")
    op.drop_index("ix_ip_pool_allocations_pool_id", table_name="ip_pool_allocations")
    op.drop_table("ip_pool_allocations")
    op.drop_table("ip_registration_counters")
