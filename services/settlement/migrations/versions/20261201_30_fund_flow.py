"""the fund flow: pre-fundings, and the district account each settlement draws on

Revision ID: 20261201_30
Revises: 20261201_20
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_30'
down_revision = '20261201_20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Settlements recorded before keep NULL: which district's agency settled them is not known here
    # (docs/rules.md, the fund flow).
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('fund_region_code', sa.String(length=6), nullable=True))
    op.create_index('ix_settlements_fund_settled', 'settlements', ['fund_region_code', 'settled_at'])
    op.create_table(
        'pre_fundings',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('region_code', sa.String(length=6), nullable=False),
        sa.Column('amount', sa.Numeric(14, 2), nullable=False),
        sa.Column('funded_on', sa.Date(), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.CheckConstraint('amount > 0', name=op.f('ck_pre_fundings_amount_positive')),
        sa.UniqueConstraint('reference', name=op.f('uq_pre_fundings_reference')),
    )
    op.create_index('ix_pre_fundings_region_funded', 'pre_fundings', ['region_code', 'funded_on'])


def downgrade() -> None:
    op.drop_table('pre_fundings')
    op.drop_index('ix_settlements_fund_settled', table_name='settlements')
    with op.batch_alter_table('settlements') as batch:
        batch.drop_column('fund_region_code')
