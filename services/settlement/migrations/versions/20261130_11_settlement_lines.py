"""settlement lines: the fee lines of an itemized bill, as the catalog classified them

Revision ID: 20261130_11
Revises: 20261130_07
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_11'
down_revision = '20261130_07'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('settlement_lines',
    sa.Column('settlement_id', sa.String(length=32), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('feedetl_sn', sa.String(length=30), nullable=False),
    sa.Column('original_sn', sa.String(length=30), nullable=True),
    sa.Column('item_code', sa.String(length=50), nullable=False),
    sa.Column('item_name', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=1), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=16, scale=6), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('full_self_pay', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('over_limit_self_pay', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('pre_self_pay', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'],
                            name=op.f('fk_settlement_lines_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('settlement_id', 'line_no', name=op.f('pk_settlement_lines'))
    )


def downgrade() -> None:
    op.drop_table('settlement_lines')
