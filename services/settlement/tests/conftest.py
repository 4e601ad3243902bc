"""The settlement database on both backends: PostgreSQL (the production path) and SQLite (the
`make run` default)."""

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import uvicorn

from conftest import PEER_KEY_SETTINGS
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.settlement.settings import SettlementSettings
from shared.db import Database
from tests.support.ports import free_ports
from tests.support.stores import STORES, migrated_url

ROOT = Path(__file__).parents[1]


@pytest.fixture(params=STORES)
async def database(
    request: pytest.FixtureRequest, migrated_database: Callable[[str], str], tmp_path: Path,
) -> AsyncIterator[Database]:
    database = Database(migrated_url(request.param, ROOT, migrated_database, tmp_path))
    yield database
    await database.dispose()


@pytest.fixture
async def registry(migrated_database: Callable[[str], str]) -> AsyncIterator[tuple[str, Database]]:
    """Registry served over HTTP on its own PostgreSQL database: (its URL, its database)."""
    url = migrated_database("registry")
    app = registry_app(RegistrySettings(database_url=url, **PEER_KEY_SETTINGS, log_json=False))
    [port] = free_ports(1)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    database = Database(url)
    yield f"http://127.0.0.1:{port}", database
    server.should_exit = True
    await serving
    await database.dispose()


@pytest.fixture
async def settlement(migrated_database: Callable[[str], str]) -> AsyncIterator[tuple[Database, SettlementSettings]]:
    url = migrated_database("settlement")
    database = Database(url)
    yield database, SettlementSettings(database_url=url, **PEER_KEY_SETTINGS, log_json=False)
    await database.dispose()
