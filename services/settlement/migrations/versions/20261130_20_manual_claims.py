"""manual (零星) claims, and the channel a settlement came through

Revision ID: 20261130_20
Revises: 20261130_12
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_20'
down_revision = '20261130_12'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=8), server_default='his', nullable=False))
    op.create_table(
        'manual_claims',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('request', sa.Text(), nullable=False),
        sa.Column('documents', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('accepted_on', sa.Date(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('settlement_id', sa.String(length=32), sa.ForeignKey('settlements.id'), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('approved_by', sa.String(length=64), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('payment_reference', sa.String(length=64), nullable=True),
        sa.Column('paid_by', sa.String(length=64), nullable=True),
    )
    op.create_index('ix_manual_claims_status_due', 'manual_claims', ['status', 'due_on'])
    op.create_index('ix_manual_claims_id_number', 'manual_claims', ['id_number'])


def downgrade() -> None:
    op.drop_table('manual_claims')
    with op.batch_alter_table('settlements') as batch:
        batch.drop_column('channel')
