"""The settlement database on both backends: PostgreSQL (the production path) and SQLite (the
`make run` default)."""

from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.db import Database
from shared.migrations import upgrade

ROOT = Path(__file__).parents[1]


@pytest.fixture(params=["postgresql", "sqlite"])
async def database(
    request: pytest.FixtureRequest, migrated_database: Callable[[str], str], tmp_path: Path,
) -> AsyncIterator[Database]:
    if request.param == "postgresql":
        url = migrated_database("settlement")
    else:
        url = f"sqlite:///{tmp_path / 'settlement.db'}"
        with ThreadPoolExecutor(max_workers=1) as worker:  # alembic runs its own event loop
            worker.submit(upgrade, ROOT, url).result()
    database = Database(url)
    yield database
    await database.dispose()
