"""The audit chain gets its key and its anchor: each entry's MAC (HMAC-SHA256 with INNOCREDIT_AUDIT_KEY), the
digest of the application or loan row it describes, and the head's keyed anchor of the tail. An application
records the lowest rate its approvers accepted when terms went back to them (``approved_rate``).

Existing entries keep their sha256 hashes and verify as before (their ``mac`` stays empty); the first entry
appended after this revision is keyed, covers them through its ``prev_hash``, and anchors the head.

Revision ID: lending_0003
Revises: lending_0002
"""
import sqlalchemy as sa
from alembic import op

revision = "lending_0003"
down_revision = "lending_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lending_audit_log") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("row_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("lending_audit_head") as batch:
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    with op.batch_alter_table("lending_applications") as batch:
        batch.add_column(sa.Column("approved_rate", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lending_applications") as batch:
        batch.drop_column("approved_rate")
    with op.batch_alter_table("lending_audit_head") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("lending_audit_log") as batch:
        batch.drop_column("row_digest")
        batch.drop_column("mac")
