"""change events: settlement's outbox (settled, cancelled), the feed cursors and the changes received
from registry's feed

Revision ID: 20261201_40
Revises: 20261201_10
"""

import sqlalchemy as sa
from alembic import op

from shared.outbox_migration import create_outbox_tables, drop_outbox_tables

revision = '20261201_40'
down_revision = '20261201_10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_tables()
    op.create_table(
        'received_changes',
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=False),
        sa.Column('type', sa.String(length=48), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=True),
        sa.Column('effective_until', sa.Date(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('source', 'event_id', name=op.f('pk_received_changes')),
    )
    op.create_index('ix_received_changes_person', 'received_changes', ['id_number', 'effective_from'])


def downgrade() -> None:
    op.drop_index('ix_received_changes_person', table_name='received_changes')
    op.drop_table('received_changes')
    drop_outbox_tables()
