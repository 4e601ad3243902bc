"""admissions

Revision ID: 20261123_03
Revises: 20261123_02
Create Date: 2026-11-23 11:35:34.317201
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_03'
down_revision = '20261123_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admissions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('admission_number', sa.String(length=64), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('identities', sa.String(length=256), nullable=False),
    sa.Column('treat_first_pay_later', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admissions')),
    sa.UniqueConstraint('hospital_code', 'admission_number', name='uq_admissions_number')
    )
    op.create_index(op.f('ix_admissions_id_number'), 'admissions', ['id_number'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_admissions_id_number'), table_name='admissions')
    op.drop_table('admissions')
