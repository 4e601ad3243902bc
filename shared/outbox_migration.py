"""The outbox tables as a migration creates them (`change_events`, `feed_cursors`): the same in every
service that keeps a feed (shared.outbox)."""

import sqlalchemy as sa
from alembic import op

from shared.outbox import XID_DEFAULT


def create_outbox_tables() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        'change_events',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True, autoincrement=True),
        sa.Column('id', sa.BigInteger(), nullable=True),
        sa.Column('xid', sa.BigInteger(), nullable=True,
                  server_default=sa.text(XID_DEFAULT) if postgresql else None),
        sa.Column('type', sa.String(length=48), nullable=False),
        sa.Column('id_number', sa.String(length=18), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=True),
        sa.Column('effective_until', sa.Date(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_change_events')),
    )
    op.create_index('uq_change_events_id', 'change_events', ['id'], unique=True)
    op.create_index('ix_change_events_unnumbered', 'change_events', ['xid', 'seq'],
                    postgresql_where=sa.text('id IS NULL'), sqlite_where=sa.text('id IS NULL'))
    op.create_table(
        'feed_cursors',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('position', sa.BigInteger(), nullable=False),
        sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_feed_cursors')),
    )


def drop_outbox_tables() -> None:
    op.drop_table('feed_cursors')
    op.drop_index('ix_change_events_unnumbered', table_name='change_events')
    op.drop_index('uq_change_events_id', table_name='change_events')
    op.drop_table('change_events')
