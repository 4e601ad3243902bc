"""manual claims: the channel that entered them (window / township) and the township office

Revision ID: 20261201_01
Revises: 20261130_20
"""

import sqlalchemy as sa
from alembic import op

revision = '20261201_01'
down_revision = '20261130_20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('manual_claims') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=16), server_default='window', nullable=False))
        batch.add_column(sa.Column('office', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('manual_claims') as batch:
        batch.drop_column('office')
        batch.drop_column('channel')
