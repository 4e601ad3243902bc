"""change events: the outbox of enrolment, identity, grant and filing changes, and the relay's cursor

Revision ID: 20261201_40
Revises: 20261201_02
"""

from shared.outbox_migration import create_outbox_tables, drop_outbox_tables

revision = '20261201_40'
down_revision = '20261201_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_tables()


def downgrade() -> None:
    drop_outbox_tables()
