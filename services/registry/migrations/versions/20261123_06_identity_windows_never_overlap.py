"""the current windows of one person's category never overlap (PostgreSQL): a backstop behind the
person row lock and the checks of every write; checked at commit, since a correction or a merge
writes its new version before it supersedes the old one

Revision ID: 20261123_06
Revises: 20261123_05
"""

import sqlalchemy as sa
from alembic import op

revision = '20261123_06'
down_revision = '20261123_05'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return  # SQLite (the embedded default) has no exclusion constraints; the code still refuses overlaps
    # btree_gist ships with PostgreSQL's contrib (Debian's packages, the cloud services) but not with
    # every embedded build (pgserver, the tests' fallback): without it, no backstop, as on SQLite.
    if bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'btree_gist'")).first() is None:
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')
    op.execute(
        "ALTER TABLE identities ADD CONSTRAINT ex_identities_current_windows EXCLUDE USING gist "
        "(person_id WITH =, category WITH =, daterange(effective_from, effective_until, '[)') WITH &&) "
        "WHERE (superseded_at IS NULL) DEFERRABLE INITIALLY DEFERRED"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE identities DROP CONSTRAINT IF EXISTS ex_identities_current_windows')
