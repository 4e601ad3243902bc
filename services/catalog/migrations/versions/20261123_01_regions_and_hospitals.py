"""regions and hospitals

Revision ID: 20261123_01
Revises:
Create Date: 2026-11-23 11:11:59.597329
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_01'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('regions',
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=6), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    op.create_index(op.f('ix_regions_parent_code'), 'regions', ['parent_code'], unique=False)
    op.create_table('hospitals',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('ownership', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('designated_from', sa.Date(), nullable=True),
    sa.Column('designated_until', sa.Date(), nullable=True),
    sa.Column('designation_source', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_hospitals_region_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_hospitals'))
    )
    op.create_index(op.f('ix_hospitals_name'), 'hospitals', ['name'], unique=False)
    op.create_index(op.f('ix_hospitals_region_code'), 'hospitals', ['region_code'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_hospitals_region_code'), table_name='hospitals')
    op.drop_index(op.f('ix_hospitals_name'), table_name='hospitals')
    op.drop_table('hospitals')
    op.drop_index(op.f('ix_regions_parent_code'), table_name='regions')
    op.drop_table('regions')
