"""The settlement database on both backends: PostgreSQL (the production path) and SQLite (the
`make run` default)."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from shared.db import Database
from tests.support.stores import STORES, migrated_url

ROOT = Path(__file__).parents[1]


@pytest.fixture(params=STORES)
async def database(
    request: pytest.FixtureRequest, migrated_database: Callable[[str], str], tmp_path: Path,
) -> AsyncIterator[Database]:
    database = Database(migrated_url(request.param, ROOT, migrated_database, tmp_path))
    yield database
    await database.dispose()
