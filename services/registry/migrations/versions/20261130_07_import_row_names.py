"""the name on each imported row, shown beside the masked ID number

Revision ID: 20261130_07
Revises: 20261123_06
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_07'
down_revision = '20261123_06'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('import_rows') as batch:
        batch.add_column(sa.Column('name', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('import_rows') as batch:
        batch.drop_column('name')
