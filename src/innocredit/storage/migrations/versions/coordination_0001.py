"""Coordination: consents, data-access log, application and recommendation lists, pushes, bank answers,
escalations, alerts, and the office's firm and loan registers.

Revision ID: coordination_0001
Revises: base_0001
"""
import sqlalchemy as sa
from alembic import op

revision = "coordination_0001"
down_revision = "base_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('coord_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('loan_id', sa.String(length=64), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('evidence_key', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rules_version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_alerts')),
    sa.UniqueConstraint('rule_id', 'loan_id', 'evidence_key', name=op.f('uq_coord_alerts_rule_id_loan_id_evidence_key'))
    )
    op.create_index(op.f('ix_coord_alerts_bank_id'), 'coord_alerts', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_alerts_uscc'), 'coord_alerts', ['uscc'], unique=False)
    op.create_table('coord_app_lists',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('screened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('screening_version', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_app_lists'))
    )
    op.create_table('coord_consents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('categories', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=True),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_consents'))
    )
    op.create_index(op.f('ix_coord_consents_bank_id'), 'coord_consents', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_consents_uscc'), 'coord_consents', ['uscc'], unique=False)
    op.create_table('coord_data_access_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('categories', sa.String(length=300), nullable=False),
    sa.Column('purpose', sa.String(length=300), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('consent_ids', sa.String(length=300), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_data_access_log'))
    )
    op.create_index(op.f('ix_coord_data_access_log_at'), 'coord_data_access_log', ['at'], unique=False)
    op.create_index(op.f('ix_coord_data_access_log_bank_id'), 'coord_data_access_log', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_data_access_log_uscc'), 'coord_data_access_log', ['uscc'], unique=False)
    op.create_table('coord_firms',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('industry_code', sa.String(length=8), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('revenue', sa.Float(), nullable=True),
    sa.Column('total_assets', sa.Float(), nullable=True),
    sa.Column('registry_status', sa.String(length=16), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('innovation_points', sa.Float(), nullable=True),
    sa.Column('tech_sme', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('uscc', name=op.f('pk_coord_firms'))
    )
    op.create_table('coord_app_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=True),
    sa.Column('requested_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('requested_term_months', sa.Integer(), nullable=True),
    sa.Column('loan_purpose', sa.String(length=32), nullable=True),
    sa.Column('fixed_premises', sa.Boolean(), nullable=True),
    sa.Column('preferred_bank_id', sa.String(length=64), nullable=True),
    sa.Column('preferred_product', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('screen_passed', sa.Boolean(), nullable=True),
    sa.Column('screen_failed', sa.String(length=300), nullable=True),
    sa.Column('screen_unknown', sa.String(length=300), nullable=True),
    sa.Column('innovation_points', sa.Float(), nullable=True),
    sa.Column('tech_sme', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['list_id'], ['coord_app_lists.id'], name=op.f('fk_coord_app_items_list_id_coord_app_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_app_items')),
    sa.UniqueConstraint('list_id', 'uscc', name=op.f('uq_coord_app_items_list_id_uscc'))
    )
    op.create_index(op.f('ix_coord_app_items_list_id'), 'coord_app_items', ['list_id'], unique=False)
    op.create_index(op.f('ix_coord_app_items_uscc'), 'coord_app_items', ['uscc'], unique=False)
    op.create_table('coord_reco_lists',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('application_list_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_list_id'], ['coord_app_lists.id'], name=op.f('fk_coord_reco_lists_application_list_id_coord_app_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_reco_lists'))
    )
    op.create_index(op.f('ix_coord_reco_lists_application_list_id'), 'coord_reco_lists', ['application_list_id'], unique=False)
    op.create_table('coord_reco_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('application_item_id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('innovation_points', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['application_item_id'], ['coord_app_items.id'], name=op.f('fk_coord_reco_items_application_item_id_coord_app_items')),
    sa.ForeignKeyConstraint(['list_id'], ['coord_reco_lists.id'], name=op.f('fk_coord_reco_items_list_id_coord_reco_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_reco_items')),
    sa.UniqueConstraint('list_id', 'uscc', name=op.f('uq_coord_reco_items_list_id_uscc'))
    )
    op.create_index(op.f('ix_coord_reco_items_list_id'), 'coord_reco_items', ['list_id'], unique=False)
    op.create_index(op.f('ix_coord_reco_items_uscc'), 'coord_reco_items', ['uscc'], unique=False)
    op.create_table('coord_pushes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('reco_item_id', sa.Integer(), nullable=False),
    sa.Column('reco_list_id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_code', sa.String(length=8), nullable=True),
    sa.Column('credit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('credit_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('rate', sa.Float(), nullable=True),
    sa.Column('product', sa.String(length=32), nullable=True),
    sa.Column('secured', sa.Boolean(), nullable=True),
    sa.Column('disbursed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disbursed_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reco_item_id'], ['coord_reco_items.id'], name=op.f('fk_coord_pushes_reco_item_id_coord_reco_items')),
    sa.ForeignKeyConstraint(['reco_list_id'], ['coord_reco_lists.id'], name=op.f('fk_coord_pushes_reco_list_id_coord_reco_lists')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_pushes')),
    sa.UniqueConstraint('reco_item_id', 'bank_id', name=op.f('uq_coord_pushes_reco_item_id_bank_id'))
    )
    op.create_index(op.f('ix_coord_pushes_bank_id'), 'coord_pushes', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_pushes_reco_list_id'), 'coord_pushes', ['reco_list_id'], unique=False)
    op.create_index(op.f('ix_coord_pushes_uscc'), 'coord_pushes', ['uscc'], unique=False)
    op.create_table('coord_bank_answers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decline_code', sa.String(length=8), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('rate', sa.Float(), nullable=True),
    sa.Column('product', sa.String(length=32), nullable=True),
    sa.Column('secured', sa.Boolean(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['push_id'], ['coord_pushes.id'], name=op.f('fk_coord_bank_answers_push_id_coord_pushes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_bank_answers'))
    )
    op.create_index(op.f('ix_coord_bank_answers_bank_id'), 'coord_bank_answers', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_bank_answers_push_id'), 'coord_bank_answers', ['push_id'], unique=False)
    op.create_table('coord_escalations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('push_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('overdue_by', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['push_id'], ['coord_pushes.id'], name=op.f('fk_coord_escalations_push_id_coord_pushes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coord_escalations')),
    sa.UniqueConstraint('push_id', 'stage', name=op.f('uq_coord_escalations_push_id_stage'))
    )
    op.create_index(op.f('ix_coord_escalations_bank_id'), 'coord_escalations', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_escalations_push_id'), 'coord_escalations', ['push_id'], unique=False)
    op.create_table('coord_loans',
    sa.Column('loan_id', sa.String(length=64), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('bank_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('rate', sa.Float(), nullable=True),
    sa.Column('secured', sa.Boolean(), nullable=True),
    sa.Column('product', sa.String(length=32), nullable=True),
    sa.Column('disbursed_on', sa.Date(), nullable=False),
    sa.Column('maturity_on', sa.Date(), nullable=True),
    sa.Column('outstanding', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('first_loan', sa.Boolean(), nullable=True),
    sa.Column('relending_eligible', sa.Boolean(), nullable=True),
    sa.Column('missed_instalments', sa.Integer(), nullable=True),
    sa.Column('days_past_due', sa.Integer(), nullable=True),
    sa.Column('push_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['push_id'], ['coord_pushes.id'], name=op.f('fk_coord_loans_push_id_coord_pushes')),
    sa.PrimaryKeyConstraint('loan_id', name=op.f('pk_coord_loans'))
    )
    op.create_index(op.f('ix_coord_loans_bank_id'), 'coord_loans', ['bank_id'], unique=False)
    op.create_index(op.f('ix_coord_loans_uscc'), 'coord_loans', ['uscc'], unique=False)


def downgrade() -> None:
    op.drop_table("coord_loans")
    op.drop_table("coord_escalations")
    op.drop_table("coord_bank_answers")
    op.drop_table("coord_pushes")
    op.drop_table("coord_reco_items")
    op.drop_table("coord_reco_lists")
    op.drop_table("coord_app_items")
    op.drop_table("coord_firms")
    op.drop_table("coord_data_access_log")
    op.drop_table("coord_consents")
    op.drop_table("coord_app_lists")
    op.drop_table("coord_alerts")
