"""one current version per identity; when a chronic filing's review decided

Revision ID: 20261123_05
Revises: 20261123_04
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_05'
down_revision = '20261123_04'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('uq_identities_current', 'identities', ['identity_key'], unique=True,
                    postgresql_where=sa.text('superseded_at IS NULL'), sqlite_where=sa.text('superseded_at IS NULL'))
    with op.batch_alter_table('chronic_filings') as batch:
        batch.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('chronic_filings') as batch:
        batch.drop_column('decided_at')
    op.drop_index('uq_identities_current', table_name='identities')
