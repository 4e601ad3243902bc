"""range recalculations: the settlements already in the platform discharged in a date range, replayed
under the policies now (the persons of a batch and the settlements replayed)

Revision ID: 20261202_20
Revises: 20261202_11
"""

import sqlalchemy as sa
from alembic import op

revision = '20261202_20'
down_revision = '20261202_11'
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(14, 2)
FUNDS = ('basic_insurance', 'critical_illness', 'special_drugs', 'large_expense', 'assistance', 're_assistance',
         'personal_share')


def upgrade() -> None:
    op.add_column('recalculation_batches', sa.Column('from_date', sa.Date(), nullable=True))
    op.add_column('recalculation_batches', sa.Column('to_date', sa.Date(), nullable=True))
    op.add_column('recalculation_batches', sa.Column('region_code', sa.String(length=6), nullable=True))
    op.add_column('recalculation_batches', sa.Column('hospital_code', sa.String(length=12), nullable=True))
    op.create_table(
        'recalculation_persons',
        sa.Column('batch_id', sa.String(length=32), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('chunk', sa.Integer(), nullable=False),
        sa.Column('settlements', sa.Integer(), nullable=False),
        sa.Column('settlement_ids', sa.JSON(), nullable=False),
        sa.Column('windows', sa.JSON(), nullable=False),
        sa.Column('computed', sa.Boolean(), nullable=False),
        sa.Column('problem_code', sa.String(length=48), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['batch_id'], ['recalculation_batches.id'],
                                name=op.f('fk_recalculation_persons_batch_id_recalculation_batches')),
        sa.PrimaryKeyConstraint('batch_id', 'id_number', name=op.f('pk_recalculation_persons')),
    )
    op.create_index('ix_recalculation_persons_chunk', 'recalculation_persons', ['batch_id', 'chunk'])
    op.create_table(
        'recalculation_settlements',
        sa.Column('batch_id', sa.String(length=32), nullable=False),
        sa.Column('settlement_id', sa.String(length=32), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('discharged_on', sa.Date(), nullable=False),
        sa.Column('hospital_code', sa.String(length=12), nullable=False),
        sa.Column('in_range', sa.Boolean(), nullable=False),
        sa.Column('changed', sa.Boolean(), nullable=False),
        sa.Column('identity_before', sa.String(length=32), nullable=True),
        sa.Column('identity_after', sa.String(length=32), nullable=True),
        *(sa.Column(f'{fund}_{when}', _MONEY, nullable=False) for fund in FUNDS for when in ('before', 'after')),
        sa.ForeignKeyConstraint(['batch_id'], ['recalculation_batches.id'],
                                name=op.f('fk_recalculation_settlements_batch_id_recalculation_batches')),
        sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'],
                                name=op.f('fk_recalculation_settlements_settlement_id_settlements')),
        sa.PrimaryKeyConstraint('batch_id', 'settlement_id', name=op.f('pk_recalculation_settlements')),
    )


def downgrade() -> None:
    op.drop_table('recalculation_settlements')
    op.drop_index('ix_recalculation_persons_chunk', table_name='recalculation_persons')
    op.drop_table('recalculation_persons')
    op.drop_column('recalculation_batches', 'hospital_code')
    op.drop_column('recalculation_batches', 'region_code')
    op.drop_column('recalculation_batches', 'to_date')
    op.drop_column('recalculation_batches', 'from_date')
