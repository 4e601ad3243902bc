"""recalculation batches: historic settlements recomputed for go-live or a policy change

Revision ID: 20261201_80
Revises: 20261201_60
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_80'
down_revision = '20261201_60'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'recalculation_batches',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('chunks_total', sa.Integer(), nullable=False),
        sa.Column('chunks_done', sa.Integer(), nullable=False),
        sa.Column('rejected_rows', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('calculated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decision_reason', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recalculation_batches')),
    )
    op.create_table(
        'recalculation_items',
        sa.Column('batch_id', sa.String(length=32), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('chunk', sa.Integer(), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('hospital_code', sa.String(length=12), nullable=False),
        sa.Column('admitted_on', sa.Date(), nullable=False),
        sa.Column('discharged_on', sa.Date(), nullable=False),
        sa.Column('medical_type', sa.String(length=24), nullable=False),
        sa.Column('insurance_type', sa.String(length=16), nullable=True),
        sa.Column('bill', sa.JSON(), nullable=False),
        sa.Column('computed', sa.Boolean(), nullable=False),
        sa.Column('policy_id', sa.String(length=32), nullable=True),
        sa.Column('identity_applied', sa.String(length=32), nullable=True),
        sa.Column('assistance', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('re_assistance', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('personal_share', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('problem_code', sa.String(length=48), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['recalculation_batches.id'],
                                name=op.f('fk_recalculation_items_batch_id_recalculation_batches')),
        sa.PrimaryKeyConstraint('batch_id', 'line', name=op.f('pk_recalculation_items')),
    )
    op.create_index('ix_recalculation_items_chunk', 'recalculation_items', ['batch_id', 'chunk', 'line'])


def downgrade() -> None:
    op.drop_index('ix_recalculation_items_chunk', table_name='recalculation_items')
    op.drop_table('recalculation_items')
    op.drop_table('recalculation_batches')
