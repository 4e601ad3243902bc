"""corrections: each settlement's calculation input (to replay it), correction proposals with their
settlements (their history is in state_changes), and when a received change was handled

Revision ID: 20261201_50
Revises: 20261201_80
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_50'
down_revision = '20261201_80'
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column('settlements', sa.Column('calculation_input', sa.JSON(), nullable=True))
    op.add_column('received_changes', sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('received_changes', sa.Column('outcome', sa.String(length=200), nullable=True))
    op.create_index('ix_received_changes_unhandled', 'received_changes', ['received_at'],
                    postgresql_where=sa.text('handled_at IS NULL'), sqlite_where=sa.text('handled_at IS NULL'))
    op.create_table(
        'correction_proposals',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('years', sa.JSON(), nullable=False),
        sa.Column('agencies', sa.JSON(), nullable=False),
        sa.Column('ledger_versions', sa.JSON(), nullable=False),
        sa.Column('paid_to_person', _MONEY, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('superseded_by', sa.String(length=32), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_by_agency', sa.String(length=32), nullable=True),
        sa.Column('decision_reason', sa.String(length=500), nullable=True),
        sa.Column('payment', sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_proposals')),
    )
    op.create_index('ix_correction_proposals_person', 'correction_proposals', ['id_number', 'status'])
    op.create_index('uq_correction_proposals_pending', 'correction_proposals', ['id_number'], unique=True,
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_table(
        'correction_items',
        sa.Column('proposal_id', sa.String(length=32), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('settlement_id', sa.String(length=32), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('discharged_on', sa.Date(), nullable=False),
        sa.Column('identity_before', sa.String(length=32), nullable=True),
        sa.Column('identity_after', sa.String(length=32), nullable=True),
        sa.Column('funds_before', sa.JSON(), nullable=False),
        sa.Column('funds_after', sa.JSON(), nullable=False),
        sa.Column('accumulator_deltas', sa.JSON(), nullable=False),
        sa.Column('trace', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['correction_proposals.id'],
                                name=op.f('fk_correction_items_proposal_id_correction_proposals')),
        sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'],
                                name=op.f('fk_correction_items_settlement_id_settlements')),
        sa.PrimaryKeyConstraint('proposal_id', 'position', name=op.f('pk_correction_items')),
    )
    op.create_index('ix_correction_items_settlement', 'correction_items', ['settlement_id'])

def downgrade() -> None:
    op.drop_index('ix_correction_items_settlement', table_name='correction_items')
    op.drop_table('correction_items')
    op.drop_index('uq_correction_proposals_pending', table_name='correction_proposals')
    op.drop_index('ix_correction_proposals_person', table_name='correction_proposals')
    op.drop_table('correction_proposals')
    op.drop_index('ix_received_changes_unhandled', table_name='received_changes')
    op.drop_column('received_changes', 'outcome')
    op.drop_column('received_changes', 'handled_at')
    op.drop_column('settlements', 'calculation_input')
