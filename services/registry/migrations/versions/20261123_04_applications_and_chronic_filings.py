"""applications and chronic filings

Revision ID: 20261123_04
Revises: 20261123_03
Create Date: 2026-11-23 13:14:51.321229
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_04'
down_revision = '20261123_03'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chronic_filings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('disease_code', sa.String(length=8), nullable=False),
    sa.Column('disease_name', sa.String(length=64), nullable=False),
    sa.Column('disease_class', sa.String(length=1), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision_reason', sa.String(length=128), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('in_force', 'pending', 'rejected')", name=op.f('ck_chronic_filings_status')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_chronic_filings_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chronic_filings'))
    )
    op.create_index('ix_chronic_filings_person', 'chronic_filings', ['person_id', 'disease_code'], unique=False)
    op.create_table('illness_poverty_applications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('document_number', sa.String(length=64), nullable=True),
    sa.Column('decision_reason', sa.String(length=128), nullable=True),
    sa.Column('identity_key', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('submitted', 'approved', 'rejected')", name=op.f('ck_illness_poverty_applications_status')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_illness_poverty_applications_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_illness_poverty_applications')),
    sa.UniqueConstraint('person_id', 'year', name='uq_illness_poverty_applications_year')
    )


def downgrade() -> None:
    op.drop_table('illness_poverty_applications')
    op.drop_index('ix_chronic_filings_person', table_name='chronic_filings')
    op.drop_table('chronic_filings')
