"""开发区 is 370672 and 高新区 370671 (GB/T 2260); databases loaded before had them swapped

Revision ID: 20261123_03
Revises: 20261123_02
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_03'
down_revision = '20261123_02'
branch_labels = None
depends_on = None

SWAP = "CASE {column} WHEN '370671' THEN '370672' WHEN '370672' THEN '370671' END"


def _swap() -> None:
    op.execute(f"UPDATE hospitals SET region_code = {SWAP.format(column='region_code')}"
               " WHERE region_code IN ('370671', '370672')")
    op.execute("UPDATE regions SET name = CASE code WHEN '370671' THEN '高新区' ELSE '开发区' END"
               " WHERE code IN ('370671', '370672')")


def upgrade() -> None:
    name = op.get_bind().execute(sa.text("SELECT name FROM regions WHERE code = '370671'")).scalar()
    if name == '开发区':  # loaded from the old regions.csv
        _swap()


def downgrade() -> None:
    pass  # the old codes were wrong; nothing to go back to
