"""The database itself refuses two current windows of one category that overlap (PostgreSQL), the
backstop behind the code's own checks; superseded versions and other categories may overlap."""

from collections.abc import Callable

import asyncpg
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")

INSERT = """
INSERT INTO identities (person_id, category, source_agency, document_number, approved_on, effective_from,
                        effective_until, created_by, identity_key, change, recorded_at, superseded_at)
VALUES ($1, $2, 'civil_affairs', 'X', '2022-06-01', $3::text::date, $4::text::date, 'test', md5(random()::text),
        'added', now(), $5::text::timestamptz)
"""


async def test_current_windows_of_a_category_never_overlap(migrated_database: Callable[[str], str]) -> None:
    connection = await asyncpg.connect(migrated_database("registry"))
    try:
        if not await connection.fetchval(
            "SELECT count(*) FROM pg_constraint WHERE conname = 'ex_identities_current_windows'"):
            pytest.skip("this PostgreSQL build has no btree_gist: the migration leaves the backstop out")
        person = await connection.fetchval(
            "INSERT INTO persons (id_number, name, gender, birth_on, insurance_type, region_code) "
            "VALUES ('370602199001011239', '约束', 'male', '1990-01-01', 'resident', '370602') RETURNING id")
        await connection.execute(INSERT, person, "minimum_allowance", "2022-07-01", "2023-01-01", None)
        # Touching windows, another category, a superseded version: all allowed.
        await connection.execute(INSERT, person, "minimum_allowance", "2023-01-01", None, None)
        await connection.execute(INSERT, person, "allowance_margin", "2022-08-01", None, None)
        await connection.execute(INSERT, person, "minimum_allowance", "2022-09-01", None, "2023-02-01T00:00:00Z")
        with pytest.raises(asyncpg.ExclusionViolationError):
            await connection.execute(INSERT, person, "minimum_allowance", "2022-12-01", "2023-02-01", None)
        # Deferred to the commit: a correction writes the new version before it supersedes the old.
        async with connection.transaction():
            await connection.execute(INSERT, person, "allowance_margin", "2022-10-01", None, None)
            await connection.execute(
                "UPDATE identities SET superseded_at = now() WHERE person_id = $1 AND category = 'allowance_margin' "
                "AND effective_from = '2022-08-01'", person)
        assert await connection.fetchval(
            "SELECT count(*) FROM identities WHERE person_id = $1 AND superseded_at IS NULL", person) == 3
    finally:
        await connection.close()
