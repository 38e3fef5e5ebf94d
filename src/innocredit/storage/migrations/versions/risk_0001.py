"""Risk model registry: risk_models and risk_validation_runs.

Revision ID: risk_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "risk_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_models",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bank_id", sa.String(64), nullable=True),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("artefact_path", sa.String(500), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", "version", name="pk_risk_models"),
        sa.CheckConstraint("status IN ('candidate', 'champion', 'retired')", name="ck_risk_models_status"),
        sa.CheckConstraint("kind IN ('scorecard', 'gbm')", name="ck_risk_models_kind"),
    )
    op.create_index("ix_risk_models_bank_id", "risk_models", ["bank_id"])
    op.create_table(
        "risk_validation_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("oot", sa.Boolean(), nullable=False),
        sa.Column("data_label", sa.String(500), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_validation_runs"),
        sa.ForeignKeyConstraint(["model_id", "model_version"], ["risk_models.id", "risk_models.version"],
                                name="fk_risk_validation_runs_model_id_risk_models", ondelete="CASCADE"),
    )
    op.create_index("ix_risk_validation_runs_model_id", "risk_validation_runs", ["model_id"])


def downgrade() -> None:
    op.drop_index("ix_risk_validation_runs_model_id", table_name="risk_validation_runs")
    op.drop_table("risk_validation_runs")
    op.drop_index("ix_risk_models_bank_id", table_name="risk_models")
    op.drop_table("risk_models")
