"""Evaluation runs and per-enterprise results.

Revision ID: evaluation_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "evaluation_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_runs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("system_id", sa.String(64), nullable=False),
        sa.Column("system_version", sa.String(32), nullable=False),
        sa.Column("system_sha256", sa.String(64), nullable=False),
        sa.Column("system_definition", sa.JSON(), nullable=False),
        sa.Column("data_as_of", sa.Date()),
        sa.Column("input_ref", sa.String(500)),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("n_enterprises", sa.Integer(), nullable=False),
        sa.Column("n_qualified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_runs"),
    )
    op.create_table(
        "evaluation_results",
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date()),
        sa.Column("score", sa.Float()),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("route", sa.String(16)),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("failed_conditions", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["evaluation_runs.id"], name="fk_evaluation_results_run_id_evaluation_runs",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "uscc", name="pk_evaluation_results"),
    )
    op.create_index("ix_evaluation_results_uscc", "evaluation_results", ["uscc"])


def downgrade() -> None:
    op.drop_index("ix_evaluation_results_uscc", table_name="evaluation_results")
    op.drop_table("evaluation_results")
    op.drop_table("evaluation_runs")
