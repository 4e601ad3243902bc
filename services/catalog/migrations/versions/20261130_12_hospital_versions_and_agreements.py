"""hospitals managed: versions, agreements with suspensions, applications, the change sequence;
the 231 hospitals of the 2018 notice get their first agreement from 2018-05-22

Revision ID: 20261130_12
Revises: 20261130_11
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '20261130_12'
down_revision = '20261130_11'
branch_labels = None
depends_on = None

LEVELS = "level IN ('level_1', 'level_2', 'level_3')"
GRADES = "grade IN ('A', 'B', 'C')"
KINDS = "kind IN ('general', 'tcm', 'integrated', 'specialized', 'maternal_child', 'primary_care', 'other')"
OWNERSHIPS = "ownership IN ('公立', '民营')"
NOTICE = ("烟台市民政局 烟台市社会保险服务中心《关于开展居民医疗救（补）助“一站式”联网即时结算业务的通知》"
          "（2018-05-18）第一批定点医疗机构")
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
RECORDED_BY = "migration 20261130_12"


def _checks(table: str) -> list[sa.CheckConstraint]:
    return [sa.CheckConstraint(LEVELS, name=op.f(f'ck_{table}_level')),
            sa.CheckConstraint(GRADES, name=op.f(f'ck_{table}_grade')),
            sa.CheckConstraint(KINDS, name=op.f(f'ck_{table}_kind')),
            sa.CheckConstraint(OWNERSHIPS, name=op.f(f'ck_{table}_ownership'))]


def upgrade() -> None:
    op.create_table('hospital_versions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('ownership', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=True),
    sa.Column('grade', sa.String(length=1), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=256), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    *_checks('hospital_versions'),
    sa.ForeignKeyConstraint(['hospital_code'], ['hospitals.code'], name=op.f('fk_hospital_versions_hospital_code_hospitals')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_hospital_versions_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital_versions'))
    )
    op.create_index(op.f('ix_hospital_versions_hospital_code'), 'hospital_versions', ['hospital_code'], unique=False)
    op.create_table('hospital_agreements',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('termination_reason', sa.String(length=256), nullable=True),
    sa.Column('source', sa.String(length=256), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_hospital_agreements_period')),
    sa.ForeignKeyConstraint(['hospital_code'], ['hospitals.code'], name=op.f('fk_hospital_agreements_hospital_code_hospitals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital_agreements')),
    sa.UniqueConstraint('number', name=op.f('uq_hospital_agreements_number'))
    )
    op.create_index('ix_hospital_agreements_hospital', 'hospital_agreements', ['hospital_code', 'starts_on'], unique=False)
    op.create_table('agreement_suspensions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('agreement_id', BigId, nullable=False),
    sa.Column('suspended_from', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('lift_reason', sa.String(length=256), nullable=True),
    sa.Column('lifted_by', sa.String(length=64), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('lifted_on IS NULL OR lifted_on >= suspended_from', name=op.f('ck_agreement_suspensions_period')),
    sa.ForeignKeyConstraint(['agreement_id'], ['hospital_agreements.id'], name=op.f('fk_agreement_suspensions_agreement_id_hospital_agreements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_suspensions'))
    )
    op.create_index(op.f('ix_agreement_suspensions_agreement_id'), 'agreement_suspensions', ['agreement_id'], unique=False)
    op.create_table('agreement_applications',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=True),
    sa.Column('evaluation', sa.String(length=256), nullable=True),
    sa.Column('notice_from', sa.Date(), nullable=True),
    sa.Column('notice_until', sa.Date(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('agreement_id', BigId, nullable=True),
    sa.Column('refused_on', sa.Date(), nullable=True),
    sa.Column('refusal_reason', sa.String(length=256), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('applied', 'evaluated', 'in_notice', 'signed', 'refused')", name=op.f('ck_agreement_applications_status')),
    sa.ForeignKeyConstraint(['agreement_id'], ['hospital_agreements.id'], name=op.f('fk_agreement_applications_agreement_id_hospital_agreements')),
    sa.ForeignKeyConstraint(['hospital_code'], ['hospitals.code'], name=op.f('fk_agreement_applications_hospital_code_hospitals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_applications'))
    )
    op.create_index(op.f('ix_agreement_applications_hospital_code'), 'agreement_applications', ['hospital_code'], unique=False)
    op.create_table('hospital_changes',
    sa.Column('seq', BigId, autoincrement=True, nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_hospital_changes'))
    )

    # What the 2018 notice recorded becomes each hospital's first version (from as far back as
    # the records go) and its designation the first agreement; the notice gives no agreement
    # numbers, so the number names the notice and the hospital.
    connection = op.get_bind()
    now = datetime.now(UTC)
    hospitals = connection.execute(sa.text(
        "SELECT code, name, region_code, ownership, designated_from, designated_until FROM hospitals ORDER BY code"
    )).mappings().all()
    versions = sa.table(
        'hospital_versions', sa.column('hospital_code'), sa.column('valid_from', sa.Date), sa.column('name'),
        sa.column('region_code'), sa.column('ownership'), sa.column('reason'), sa.column('recorded_by'),
        sa.column('recorded_at', sa.DateTime(timezone=True)),
    )
    agreements = sa.table(
        'hospital_agreements', sa.column('number'), sa.column('hospital_code'), sa.column('services', sa.JSON),
        sa.column('starts_on', sa.Date), sa.column('ends_on', sa.Date), sa.column('source'),
        sa.column('recorded_by'), sa.column('recorded_at', sa.DateTime(timezone=True)),
    )
    op.bulk_insert(versions, [{
        'hospital_code': h['code'], 'valid_from': None, 'name': h['name'], 'region_code': h['region_code'],
        'ownership': h['ownership'], 'reason': '2018年第一批定点名单 (the 2018 notice)', 'recorded_by': RECORDED_BY,
        'recorded_at': now,
    } for h in hospitals])
    op.bulk_insert(agreements, [{
        'number': f"2018-一站式-{h['code']}", 'hospital_code': h['code'], 'services': ['one_stop_assistance'],
        'starts_on': _date(h['designated_from']), 'ends_on': _date(h['designated_until']), 'source': NOTICE,
        'recorded_by': RECORDED_BY, 'recorded_at': now,
    } for h in hospitals if h['designated_from'] is not None])

    with op.batch_alter_table('hospitals') as batch:
        batch.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
        batch.add_column(sa.Column('kind', sa.String(length=16), nullable=True))
        batch.drop_column('designated_from')
        batch.drop_column('designated_until')
        batch.drop_column('designation_source')
        for check in _checks('hospitals'):
            batch.create_check_constraint(check.name, check.sqltext)


def _date(value: object) -> object:
    """SQLite hands dates back as text."""
    return datetime.strptime(value, "%Y-%m-%d").date() if isinstance(value, str) else value


def downgrade() -> None:
    with op.batch_alter_table('hospitals') as batch:
        for check in ('level', 'grade', 'kind', 'ownership'):
            batch.drop_constraint(op.f(f'ck_hospitals_{check}'), type_='check')
        batch.add_column(sa.Column('designation_source', sa.String(length=128), nullable=True))
        batch.add_column(sa.Column('designated_until', sa.Date(), nullable=True))
        batch.add_column(sa.Column('designated_from', sa.Date(), nullable=True))
        batch.drop_column('kind')
        batch.drop_column('grade')
    op.execute("UPDATE hospitals SET designated_from = (SELECT min(starts_on) FROM hospital_agreements a"
               " WHERE a.hospital_code = hospitals.code)")
    op.drop_table('hospital_changes')
    op.drop_index(op.f('ix_agreement_applications_hospital_code'), table_name='agreement_applications')
    op.drop_table('agreement_applications')
    op.drop_index(op.f('ix_agreement_suspensions_agreement_id'), table_name='agreement_suspensions')
    op.drop_table('agreement_suspensions')
    op.drop_index('ix_hospital_agreements_hospital', table_name='hospital_agreements')
    op.drop_table('hospital_agreements')
    op.drop_index(op.f('ix_hospital_versions_hospital_code'), table_name='hospital_versions')
    op.drop_table('hospital_versions')
