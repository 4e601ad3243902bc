"""accumulators of every rule kind: special drugs, large expense, assistance by pool

Revision ID: 20261123_04
Revises: 20261123_03
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_04'
down_revision = '20261123_03'
branch_labels = None
depends_on = None

NEW = (
    "special_drugs_cost", "special_drugs_paid", "large_expense_base", "large_expense_paid",
    "assistance_paid_inpatient", "assistance_paid_outpatient", "assistance_paid_ordinary",
)


def upgrade() -> None:
    with op.batch_alter_table("person_years") as batch:
        for name in NEW:
            batch.add_column(sa.Column(name, sa.Numeric(14, 2), server_default="0", nullable=False))
            batch.create_check_constraint(f"{name}_not_negative", f"{name} >= 0")


def downgrade() -> None:
    with op.batch_alter_table("person_years") as batch:
        for name in NEW:
            batch.drop_constraint(f"{name}_not_negative", type_="check")
            batch.drop_column(name)
