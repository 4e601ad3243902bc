"""persons and identities

Revision ID: 20261123_01
Revises:
Create Date: 2026-11-23 11:10:55.993160
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_01'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('persons',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('gender', sa.String(length=6), nullable=False),
    sa.Column('birth_on', sa.Date(), nullable=False),
    sa.Column('insurance_type', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("gender IN ('male', 'female')", name=op.f('ck_persons_gender')),
    sa.CheckConstraint("insurance_type IN ('employee', 'resident')", name=op.f('ck_persons_insurance_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('id_number', name=op.f('uq_persons_id_number'))
    )
    op.create_index(op.f('ix_persons_region_code'), 'persons', ['region_code'], unique=False)
    op.create_table('identities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('source_agency', sa.String(length=32), nullable=False),
    sa.Column('document_number', sa.String(length=64), nullable=False),
    sa.Column('approved_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('effective_until IS NULL OR effective_until >= effective_from', name=op.f('ck_identities_window_order')),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= approved_on', name=op.f('ck_identities_end_after_approval')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_identities_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identities'))
    )
    op.create_index('ix_identities_person_window', 'identities', ['person_id', 'effective_from'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_identities_person_window', table_name='identities')
    op.drop_table('identities')
    op.drop_index(op.f('ix_persons_region_code'), table_name='persons')
    op.drop_table('persons')
