"""admissions carry the referral and why a deposit applies (004 §四(十))

Revision ID: 20261130_12
Revises: 20261130_11
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_12'
down_revision = '20261130_11'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('admissions') as batch:
        batch.add_column(sa.Column('referring_institution', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('referred_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('deposit_reasons', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('admissions') as batch:
        batch.drop_column('deposit_reasons')
        batch.drop_column('referred_on')
        batch.drop_column('referring_institution')
