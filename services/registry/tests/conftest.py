from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from httpx import AsyncClient

from conftest import PEER_KEY_SETTINGS, asgi_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from tests.support.stores import STORES, migrated_url

SERVICE_DIR = Path(__file__).parents[1]


async def _client(database_url: str) -> AsyncIterator[AsyncClient]:
    settings = RegistrySettings(database_url=database_url, **PEER_KEY_SETTINGS, log_json=False)
    app = create_app(settings)
    async with asgi_client(app) as c:
        yield c
    await app.state.database.dispose()


@pytest.fixture(scope="module")
async def client(migrated_database: Callable[[str], str]) -> AsyncIterator[AsyncClient]:
    """The registry app on a fresh PostgreSQL database (its catalog peer is not running here)."""
    async for c in _client(migrated_database("registry")):
        yield c


@pytest.fixture(scope="module", params=STORES)
async def client_on_each_store(
    request: pytest.FixtureRequest, migrated_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[AsyncClient]:
    """The registry app on PostgreSQL (production) and on SQLite (the `make run` default)."""
    url = migrated_url(request.param, SERVICE_DIR, migrated_database, tmp_path_factory.mktemp("registry"))
    async for c in _client(url):
        yield c
