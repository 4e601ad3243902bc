"""baseline: the settlement schema starts here (admissions, settlements and the ledger follow)

Revision ID: 20261123_01
Revises:
Create Date: 2026-11-23
"""

revision = "20261123_01"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
