"""high-cost monitoring: the monthly runs and the persons they flagged, once per year per threshold

Revision ID: 20261201_60
Revises: 20261201_40
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_60'
down_revision = '20261201_40'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'high_cost_runs',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ran_by', sa.String(length=64), nullable=False),
        sa.Column('income_year', sa.Integer(), nullable=False),
        sa.Column('income', sa.Numeric(14, 2), nullable=False),
        sa.Column('income_verified', sa.Boolean(), nullable=False),
        sa.Column('flagged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_high_cost_runs')),
    )
    op.create_table(
        'high_cost_alerts',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.String(length=16), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('burden', sa.Numeric(14, 2), nullable=False),
        sa.Column('line', sa.Numeric(14, 2), nullable=False),
        sa.Column('income', sa.Numeric(14, 2), nullable=False),
        sa.Column('income_verified', sa.Boolean(), nullable=False),
        sa.Column('settlements', sa.Integer(), nullable=False),
        sa.Column('run_id', _ID, nullable=False),
        sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['run_id'], ['high_cost_runs.id'],
                                name=op.f('fk_high_cost_alerts_run_id_high_cost_runs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_high_cost_alerts')),
        sa.UniqueConstraint('id_number', 'year', 'threshold', name='uq_high_cost_alerts_person_year_threshold'),
    )
    op.create_index('ix_high_cost_alerts_year_month', 'high_cost_alerts', ['year', 'month'])


def downgrade() -> None:
    op.drop_table('high_cost_alerts')
    op.drop_table('high_cost_runs')
