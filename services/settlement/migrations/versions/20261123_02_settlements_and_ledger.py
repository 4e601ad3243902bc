"""settlements and ledger

Revision ID: 20261123_02
Revises: 20261123_01
Create Date: 2026-11-23 11:29:48.219323
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_02'
down_revision = '20261123_01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_years',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('admissions', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('basic_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('critical_illness_burden', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('critical_illness_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('assistance_base', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('assistance_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('re_assistance_base', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('re_assistance_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.CheckConstraint('admissions >= 0', name=op.f('ck_person_years_admissions_not_negative')),
    sa.CheckConstraint('assistance_base >= 0', name=op.f('ck_person_years_assistance_base_not_negative')),
    sa.CheckConstraint('assistance_paid >= 0', name=op.f('ck_person_years_assistance_paid_not_negative')),
    sa.CheckConstraint('basic_paid >= 0', name=op.f('ck_person_years_basic_paid_not_negative')),
    sa.CheckConstraint('critical_illness_burden >= 0', name=op.f('ck_person_years_critical_illness_burden_not_negative')),
    sa.CheckConstraint('critical_illness_paid >= 0', name=op.f('ck_person_years_critical_illness_paid_not_negative')),
    sa.CheckConstraint('re_assistance_base >= 0', name=op.f('ck_person_years_re_assistance_base_not_negative')),
    sa.CheckConstraint('re_assistance_paid >= 0', name=op.f('ck_person_years_re_assistance_paid_not_negative')),
    sa.PrimaryKeyConstraint('id_number', 'year', name=op.f('pk_person_years'))
    )
    op.create_table('settlements',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('his_serial', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('medical_type', sa.String(length=24), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.Column('discharged_on', sa.Date(), nullable=False),
    sa.Column('identity_applied', sa.String(length=32), nullable=True),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('basic_insurance', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('critical_illness', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('assistance', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('re_assistance', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('personal_share', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('needs_recalculation', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('hospital_code', 'his_serial', name='uq_settlements_hospital_serial')
    )
    op.create_index('ix_settlements_hospital_discharged', 'settlements', ['hospital_code', 'discharged_on'], unique=False)
    op.create_index('ix_settlements_person_year', 'settlements', ['id_number', 'year'], unique=False)
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('entry_no', sa.Integer(), nullable=False),
    sa.Column('settlement_id', sa.String(length=32), nullable=False),
    sa.Column('accumulator', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('cap', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_ledger_entries_balance_not_negative')),
    sa.CheckConstraint('cap IS NULL OR balance_after <= cap', name=op.f('ck_ledger_entries_balance_within_cap')),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_ledger_entries_settlement_id_settlements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('id_number', 'year', 'entry_no', 'accumulator', name='uq_ledger_entries_sequence')
    )
    op.create_index(op.f('ix_ledger_entries_settlement_id'), 'ledger_entries', ['settlement_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ledger_entries_settlement_id'), table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_index('ix_settlements_person_year', table_name='settlements')
    op.drop_index('ix_settlements_hospital_discharged', table_name='settlements')
    op.drop_table('settlements')
    op.drop_table('person_years')
