"""Department feeds: ingest batches, quarantined problems and one table per feed (with lineage).

Revision ID: feeds_0001
Revises: base_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "feeds_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(32), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_loaded", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_batches"),
    )
    op.create_index("ix_ingest_batches_file_sha256", "ingest_batches", ["file_sha256"])
    op.create_table(
        "ingest_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_ingest_problems_batch_id_ingest_batches", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_problems"),
    )
    op.create_index("ix_ingest_problems_batch_id", "ingest_problems", ["batch_id"])
    op.create_table(
        "feed_registry",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("registered_on", sa.Date(), nullable=True),
        sa.Column("industry_code", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("registered_capital", sa.Float(), nullable=True),
        sa.Column("abnormal_operations", sa.Boolean(), nullable=True),
        sa.Column("prohibited_products", sa.Boolean(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_registry_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "as_of", name="pk_feed_registry"),
    )
    op.create_index("ix_feed_registry_as_of", "feed_registry", ["as_of"])
    op.create_index("ix_feed_registry_batch_id", "feed_registry", ["batch_id"])
    op.create_table(
        "feed_tax",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("main_business_revenue", sa.Float(), nullable=True),
        sa.Column("high_tech_revenue", sa.Float(), nullable=True),
        sa.Column("total_costs", sa.Float(), nullable=True),
        sa.Column("net_profit", sa.Float(), nullable=True),
        sa.Column("total_assets", sa.Float(), nullable=True),
        sa.Column("liabilities", sa.Float(), nullable=True),
        sa.Column("net_assets", sa.Float(), nullable=True),
        sa.Column("taxes_paid", sa.Float(), nullable=True),
        sa.Column("rd_expense", sa.Float(), nullable=True),
        sa.Column("rd_expense_domestic", sa.Float(), nullable=True),
        sa.Column("rd_super_deduction", sa.Float(), nullable=True),
        sa.Column("exports", sa.Float(), nullable=True),
        sa.Column("tax_credit_rating", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_tax_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "fiscal_year", "as_of", name="pk_feed_tax"),
    )
    op.create_index("ix_feed_tax_as_of", "feed_tax", ["as_of"])
    op.create_index("ix_feed_tax_batch_id", "feed_tax", ["batch_id"])
    op.create_table(
        "feed_social_insurance",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("employees", sa.BigInteger(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_social_insurance_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "as_of", name="pk_feed_social_insurance"),
    )
    op.create_index("ix_feed_social_insurance_as_of", "feed_social_insurance", ["as_of"])
    op.create_index("ix_feed_social_insurance_batch_id", "feed_social_insurance", ["batch_id"])
    op.create_table(
        "feed_science_tech",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("tech_staff", sa.BigInteger(), nullable=True),
        sa.Column("rd_staff", sa.BigInteger(), nullable=True),
        sa.Column("masters_phd_staff", sa.BigInteger(), nullable=True),
        sa.Column("talent_programme_members", sa.BigInteger(), nullable=True),
        sa.Column("high_tech_certified", sa.Boolean(), nullable=True),
        sa.Column("high_tech_cert_expires", sa.Date(), nullable=True),
        sa.Column("tech_sme_registered", sa.Boolean(), nullable=True),
        sa.Column("specialized_level", sa.Text(), nullable=True),
        sa.Column("provincial_rd_institution", sa.Boolean(), nullable=True),
        sa.Column("national_award_5y", sa.Boolean(), nullable=True),
        sa.Column("provincial_award_3y", sa.Boolean(), nullable=True),
        sa.Column("led_standard_5y", sa.Boolean(), nullable=True),
        sa.Column("strategic_emerging", sa.Boolean(), nullable=True),
        sa.Column("years_in_niche", sa.Float(), nullable=True),
        sa.Column("tech_contract_turnover", sa.Float(), nullable=True),
        sa.Column("results_commercialized_3y", sa.BigInteger(), nullable=True),
        sa.Column("government_subsidies_3y", sa.Float(), nullable=True),
        sa.Column("equity_financing_3y", sa.Float(), nullable=True),
        sa.Column("ip_self_developed", sa.Boolean(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_science_tech_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "as_of", name="pk_feed_science_tech"),
    )
    op.create_index("ix_feed_science_tech_as_of", "feed_science_tech", ["as_of"])
    op.create_index("ix_feed_science_tech_batch_id", "feed_science_tech", ["batch_id"])
    op.create_table(
        "feed_ip_office",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("patent_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("filing_date", sa.Date(), nullable=True),
        sa.Column("grant_date", sa.Date(), nullable=True),
        sa.Column("claims", sa.BigInteger(), nullable=True),
        sa.Column("independent_claims", sa.BigInteger(), nullable=True),
        sa.Column("forward_citations", sa.BigInteger(), nullable=True),
        sa.Column("backward_citations", sa.BigInteger(), nullable=True),
        sa.Column("family_size", sa.BigInteger(), nullable=True),
        sa.Column("ipc_main", sa.Text(), nullable=True),
        sa.Column("main_product", sa.Boolean(), nullable=True),
        sa.Column("high_value", sa.Boolean(), nullable=True),
        sa.Column("licences", sa.BigInteger(), nullable=True),
        sa.Column("exclusive_licence", sa.Boolean(), nullable=True),
        sa.Column("transfers", sa.BigInteger(), nullable=True),
        sa.Column("litigation_pending", sa.Boolean(), nullable=True),
        sa.Column("pledged", sa.Boolean(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_ip_office_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "patent_id", "as_of", name="pk_feed_ip_office"),
    )
    op.create_index("ix_feed_ip_office_as_of", "feed_ip_office", ["as_of"])
    op.create_index("ix_feed_ip_office_batch_id", "feed_ip_office", ["batch_id"])
    op.create_table(
        "feed_courts",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("serious_dishonesty", sa.Boolean(), nullable=True),
        sa.Column("open_enforcement_cases", sa.BigInteger(), nullable=True),
        sa.Column("major_incident_recent", sa.Boolean(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_courts_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "as_of", name="pk_feed_courts"),
    )
    op.create_index("ix_feed_courts_as_of", "feed_courts", ["as_of"])
    op.create_index("ix_feed_courts_batch_id", "feed_courts", ["batch_id"])
    op.create_table(
        "feed_bank_loans",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.Text(), nullable=False),
        sa.Column("bank_id", sa.Text(), nullable=True),
        sa.Column("product_kind", sa.Text(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("maturity_on", sa.Date(), nullable=True),
        sa.Column("secured", sa.Boolean(), nullable=True),
        sa.Column("outstanding", sa.Float(), nullable=True),
        sa.Column("days_past_due", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("default_12m", sa.BigInteger(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_bank_loans_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "loan_id", "as_of", name="pk_feed_bank_loans"),
    )
    op.create_index("ix_feed_bank_loans_as_of", "feed_bank_loans", ["as_of"])
    op.create_index("ix_feed_bank_loans_batch_id", "feed_bank_loans", ["batch_id"])
    op.create_table(
        "feed_applications",
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("requested_amount", sa.Float(), nullable=True),
        sa.Column("requested_term_months", sa.BigInteger(), nullable=True),
        sa.Column("loan_purpose", sa.Text(), nullable=True),
        sa.Column("order_backlog", sa.Float(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batches.id"], name="fk_feed_applications_batch_id_ingest_batches"),
        sa.PrimaryKeyConstraint("uscc", "as_of", name="pk_feed_applications"),
    )
    op.create_index("ix_feed_applications_as_of", "feed_applications", ["as_of"])
    op.create_index("ix_feed_applications_batch_id", "feed_applications", ["batch_id"])


def downgrade() -> None:
    op.drop_table("feed_applications")
    op.drop_table("feed_bank_loans")
    op.drop_table("feed_courts")
    op.drop_table("feed_ip_office")
    op.drop_table("feed_science_tech")
    op.drop_table("feed_social_insurance")
    op.drop_table("feed_tax")
    op.drop_table("feed_registry")
    op.drop_table("ingest_problems")
    op.drop_table("ingest_batches")

