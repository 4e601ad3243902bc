"""out-of-region care filings (异地就医备案)

Revision ID: 20261130_41
Revises: 20261130_07
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_41'
down_revision = '20261130_07'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('out_of_region_filings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('destination_region_code', sa.String(length=6), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('documents_received', sa.JSON(), nullable=False),
    sa.Column('personal_commitment', sa.Boolean(), nullable=False),
    sa.Column('in_force_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=128), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_out_of_region_filings_person_id_persons'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_out_of_region_filings'))
    )
    op.create_index('ix_out_of_region_filings_person', 'out_of_region_filings', ['person_id', 'valid_from'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_out_of_region_filings_person', table_name='out_of_region_filings')
    op.drop_table('out_of_region_filings')
