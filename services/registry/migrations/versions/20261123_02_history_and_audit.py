"""history: insurance events, identity versions, audit log

Revision ID: 20261123_02
Revises: 20261123_01
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_02'
down_revision = '20261123_01'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('insurance_events',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('person_id', BigId, nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('insurance_type', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=128), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'suspended', 'ended')", name=op.f('ck_insurance_events_status')),
    sa.CheckConstraint("insurance_type IN ('employee', 'resident')", name=op.f('ck_insurance_events_insurance_type')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_insurance_events_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_events'))
    )
    op.create_index('ix_insurance_events_person', 'insurance_events', ['person_id', 'effective_from'], unique=False)
    # Persons registered before enrolment dates were kept: insured since before any date asked.
    op.execute("INSERT INTO insurance_events (person_id, effective_from, status, insurance_type, reason, recorded_by,"
               " recorded_at) SELECT id, DATE '1900-01-01', 'active', insurance_type, 'migrated', 'migration',"
               " created_at FROM persons" if op.get_bind().dialect.name == 'postgresql' else
               "INSERT INTO insurance_events (person_id, effective_from, status, insurance_type, reason, recorded_by,"
               " recorded_at) SELECT id, '1900-01-01', 'active', insurance_type, 'migrated', 'migration',"
               " created_at FROM persons")
    op.create_index('ix_persons_region_name', 'persons', ['region_code', 'name'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('person_id', BigId, nullable=True),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_key', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('batch_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_audit_log_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_person', 'audit_log', ['person_id', 'id'], unique=False)

    with op.batch_alter_table('identities') as batch:
        batch.add_column(sa.Column('identity_key', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('change', sa.String(length=16), server_default='added', nullable=False))
        batch.add_column(sa.Column('reason', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('batch_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE identities SET identity_key = CAST(id AS VARCHAR(32)), recorded_at = created_at")
    with op.batch_alter_table('identities') as batch:
        batch.alter_column('identity_key', existing_type=sa.String(length=32), nullable=False)
        batch.alter_column('recorded_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.alter_column('change', existing_type=sa.String(length=16), server_default=None)
        batch.drop_column('created_at')
        batch.create_check_constraint(
            'change', "change IN ('added', 'ended', 'corrected', 'imported', 'list_ended')")
        batch.create_index('ix_identities_key', ['identity_key'], unique=False)
        batch.create_index('ix_identities_category_open', ['category', 'superseded_at', 'effective_until'],
                           unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identities') as batch:
        batch.drop_index('ix_identities_category_open')
        batch.drop_index('ix_identities_key')
        batch.drop_constraint('change', type_='check')
        batch.add_column(sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                                   nullable=False))
        for column in ('superseded_at', 'recorded_at', 'batch_id', 'reason', 'change', 'identity_key'):
            batch.drop_column(column)
    op.drop_index('ix_audit_log_person', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index('ix_persons_region_name', table_name='persons')
    op.drop_index('ix_insurance_events_person', table_name='insurance_events')
    op.drop_table('insurance_events')
