"""list imports

Revision ID: 20261123_03
Revises: 20261123_02
Create Date: 2026-11-23 13:02:19.352387
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_03'
down_revision = '20261123_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_batches',
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('region_code', sa.String(length=6), nullable=True),
    sa.Column('list_date', sa.Date(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('ended', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('incremental', 'full')", name=op.f('ck_import_batches_mode')),
    sa.PrimaryKeyConstraint('agency', 'batch_id', name=op.f('pk_import_batches'))
    )
    op.create_table('import_rows',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=True),
    sa.Column('id_number', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('message', sa.String(length=128), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("outcome IN ('accepted', 'rejected')", name=op.f('ck_import_rows_outcome')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_import_rows_person_id_persons'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows'))
    )
    op.create_index('ix_import_rows_batch', 'import_rows', ['agency', 'batch_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_import_rows_batch', table_name='import_rows')
    op.drop_table('import_rows')
    op.drop_table('import_batches')
