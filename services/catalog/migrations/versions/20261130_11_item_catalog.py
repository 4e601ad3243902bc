"""the item catalog (医保目录): dated versions of each entry, its imports and their per-row results

Revision ID: 20261130_11
Revises: 20261123_03
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_11'
down_revision = '20261123_03'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('items',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('category', sa.String(length=1), nullable=False),
    sa.Column('pre_self_pay_ratio', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('price_limit', sa.Numeric(precision=16, scale=6), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('drug', 'treatment', 'consumable')", name=op.f('ck_items_kind')),
    sa.CheckConstraint("category IN ('A', 'B', 'C')", name=op.f('ck_items_category')),
    sa.CheckConstraint('pre_self_pay_ratio >= 0 AND pre_self_pay_ratio <= 1', name=op.f('ck_items_ratio')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_items_valid_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('code', 'valid_from', name='uq_items_code_valid_from')
    )
    op.create_table('item_import_batches',
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('ended', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_item_import_batches'))
    )
    op.create_table('item_import_rows',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('message', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_import_rows'))
    )
    op.create_index('ix_item_import_rows_batch', 'item_import_rows', ['batch_id', 'row_no'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_item_import_rows_batch', table_name='item_import_rows')
    op.drop_table('item_import_rows')
    op.drop_table('item_import_batches')
    op.drop_table('items')
