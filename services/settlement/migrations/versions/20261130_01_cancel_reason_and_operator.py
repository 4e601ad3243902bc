"""cancel reason and operator: why a settlement was cancelled, by which account and which person

Revision ID: 20261130_01
Revises: 20261123_05
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_01'
down_revision = '20261123_05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('cancelled_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('cancelled_by_operator', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.drop_column('cancelled_by_operator')
        batch.drop_column('cancelled_by')
        batch.drop_column('cancel_reason')
