"""grant versions: the compare-and-set row of an illness-poverty grant, whose cap spans years

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
    op.create_table('grant_versions',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('window_from', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id_number', 'window_from', name=op.f('pk_grant_versions'))
    )


def downgrade() -> None:
    op.drop_table('grant_versions')
