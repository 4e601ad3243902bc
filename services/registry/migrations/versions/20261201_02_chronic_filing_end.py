"""chronic filings end: the last day of benefits, when and why (revoked, expired, moved)

Revision ID: 20261201_02
Revises: 20261130_41
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_02'
down_revision = '20261130_41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chronic_filings') as batch:
        batch.add_column(sa.Column('last_day', sa.Date(), nullable=True))
        batch.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('ended_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('end_reason', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('end_note', sa.String(length=128), nullable=True))
        batch.create_check_constraint(
            op.f('ck_chronic_filings_end_reason'), "end_reason IS NULL OR end_reason IN ('revoked', 'expired', 'moved')")
    op.create_index('ix_chronic_filings_pending', 'chronic_filings', ['status', 'filed_on'])


def downgrade() -> None:
    op.drop_index('ix_chronic_filings_pending', table_name='chronic_filings')
    with op.batch_alter_table('chronic_filings') as batch:
        batch.drop_constraint(op.f('ck_chronic_filings_end_reason'), type_='check')
        for column in ('end_note', 'end_reason', 'ended_by', 'ended_at', 'last_day'):
            batch.drop_column(column)
