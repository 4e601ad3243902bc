from collections.abc import AsyncIterator, Callable

import pytest
from httpx import AsyncClient

from conftest import PEER_KEY_SETTINGS, asgi_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings


@pytest.fixture(scope="module")
async def client(migrated_database: Callable[[str], str]) -> AsyncIterator[AsyncClient]:
    """The registry app on a fresh PostgreSQL database (its catalog peer is not running here)."""
    settings = RegistrySettings(database_url=migrated_database("registry"), **PEER_KEY_SETTINGS, log_json=False)
    app = create_app(settings)
    async with asgi_client(app) as c:
        yield c
    await app.state.database.dispose()
