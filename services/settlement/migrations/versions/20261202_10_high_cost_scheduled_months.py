"""high-cost alerts run by the worker once each month has ended: one row per month, its claim

Revision ID: 20261202_10
Revises: 20261201_50
"""

import sqlalchemy as sa
from alembic import op

revision = '20261202_10'
down_revision = '20261201_50'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'high_cost_scheduled_months',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('run_id', _ID, nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['high_cost_runs.id'],
                                name=op.f('fk_high_cost_scheduled_months_run_id_high_cost_runs')),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_high_cost_scheduled_months')),
    )


def downgrade() -> None:
    op.drop_table('high_cost_scheduled_months')
