"""person lookups: the audit of the look-ups of persons made for hospitals

Revision ID: 20261130_02
Revises: 20261130_01
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_02'
down_revision = '20261130_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_lookups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_lookups'))
    )
    op.create_index('ix_person_lookups_at_hospital', 'person_lookups', ['at', 'hospital_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_person_lookups_at_hospital', table_name='person_lookups')
    op.drop_table('person_lookups')
