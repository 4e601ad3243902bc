"""bill split for monitoring: each settlement's full self-pay and over-limit self-pay, and an index
on the discharge date (every hospital over a period)

Settlements recorded before kept only their total; their statement tells the policy-range amount
(total − full self-pay − over-limit − pre-self-pay). Where it equals the total, every part is zero
(none is negative) and the split is known: those are backfilled. The others stay null and
monitoring counts them apart.

Revision ID: 20261130_07
Revises: 20261130_02
"""

import sqlalchemy as sa
from alembic import op

revision = '20261130_07'
down_revision = '20261130_02'
branch_labels = None
depends_on = None

_POLICY_RANGE = {
    'postgresql': "CAST(CAST(statement AS json) ->> 'policy_range' AS numeric)",
    'sqlite': "CAST(json_extract(statement, '$.policy_range') AS NUMERIC)",
}


def upgrade() -> None:
    with op.batch_alter_table('settlements') as batch:
        batch.add_column(sa.Column('bill_full_self_pay', sa.Numeric(precision=14, scale=2), nullable=True))
        batch.add_column(sa.Column('bill_over_limit_self_pay', sa.Numeric(precision=14, scale=2), nullable=True))
    op.execute(
        "UPDATE settlements SET bill_full_self_pay = 0, bill_over_limit_self_pay = 0 "
        f"WHERE statement IS NOT NULL AND {_POLICY_RANGE[op.get_bind().dialect.name]} = total"
    )
    op.create_index('ix_settlements_discharged', 'settlements', ['discharged_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_settlements_discharged', table_name='settlements')
    with op.batch_alter_table('settlements') as batch:
        batch.drop_column('bill_over_limit_self_pay')
        batch.drop_column('bill_full_self_pay')
