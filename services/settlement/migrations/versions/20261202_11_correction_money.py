"""corrections reach the money: each replayed settlement's assistance and re-assistance differences as
columns (the fund's clearing sums them by approval month), and the agency's record of paying or
recovering a proposal's money

Revision ID: 20261202_11
Revises: 20261202_10
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = '20261202_11'
down_revision = '20261202_10'
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.add_column('correction_items', sa.Column('assistance_difference', _MONEY, server_default='0', nullable=False))
    op.add_column('correction_items', sa.Column('re_assistance_difference', _MONEY, server_default='0',
                                                nullable=False))
    # The items written before: their differences from the figures they keep (JSON, both dialects).
    items = sa.table('correction_items', sa.column('proposal_id', sa.String), sa.column('position', sa.Integer),
                     sa.column('funds_before', sa.JSON), sa.column('funds_after', sa.JSON),
                     sa.column('assistance_difference', _MONEY), sa.column('re_assistance_difference', _MONEY))
    connection = op.get_bind()
    for proposal_id, position, before, after in connection.execute(sa.select(
            items.c.proposal_id, items.c.position, items.c.funds_before, items.c.funds_after)).all():
        connection.execute(items.update().where(items.c.proposal_id == proposal_id, items.c.position == position)
                           .values(assistance_difference=Decimal(after['assistance']) - Decimal(before['assistance']),
                                   re_assistance_difference=Decimal(after['re_assistance'])
                                   - Decimal(before['re_assistance'])))
    op.create_index('ix_correction_proposals_decided', 'correction_proposals', ['status', 'decided_at'])
    op.create_table(
        'correction_payments',
        sa.Column('proposal_id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('amount', _MONEY, nullable=False),
        sa.Column('done_on', sa.Date(), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('recorded_by_agency', sa.String(length=32), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_correction_payments_amount_positive')),
        sa.ForeignKeyConstraint(['proposal_id'], ['correction_proposals.id'],
                                name=op.f('fk_correction_payments_proposal_id_correction_proposals')),
        sa.PrimaryKeyConstraint('proposal_id', name=op.f('pk_correction_payments')),
    )


def downgrade() -> None:
    op.drop_table('correction_payments')
    op.drop_index('ix_correction_proposals_decided', table_name='correction_proposals')
    with op.batch_alter_table('correction_items') as batch:
        batch.drop_column('re_assistance_difference')
        batch.drop_column('assistance_difference')
