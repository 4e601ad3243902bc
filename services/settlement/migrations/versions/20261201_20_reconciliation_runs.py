"""reconciliation runs, and a hospital's settlements by settlement time

Revision ID: 20261201_20
Revises: 20261201_01
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_20'
down_revision = '20261201_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_settlements_hospital_settled', 'settlements', ['hospital_code', 'settled_at'])
    op.create_table(
        'reconciliation_runs',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('hospital_code', sa.String(length=12), nullable=False),
        sa.Column('from_date', sa.Date(), nullable=False),
        sa.Column('to_date', sa.Date(), nullable=False),
        sa.Column('matched', sa.Boolean(), nullable=False),
        sa.Column('run_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('run_by', sa.String(length=64), nullable=False),
        sa.Column('run_by_role', sa.String(length=16), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('differences', sa.Text(), nullable=True),
    )
    op.create_index('ix_reconciliation_runs_range', 'reconciliation_runs',
                    ['hospital_code', 'from_date', 'to_date', 'run_at'])


def downgrade() -> None:
    op.drop_table('reconciliation_runs')
    op.drop_index('ix_settlements_hospital_settled', table_name='settlements')
