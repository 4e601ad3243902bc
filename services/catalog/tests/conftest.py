from collections.abc import AsyncIterator, Callable

import pytest
from httpx import AsyncClient

from conftest import KEY_SETTINGS, asgi_client
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings


@pytest.fixture(scope="module")
def catalog_database(migrated_database: Callable[[str], str]) -> str:
    """A fresh PostgreSQL database for the module, migrated (the 2018 hospitals loaded)."""
    return migrated_database("catalog")


@pytest.fixture(scope="module")
async def client(catalog_database: str) -> AsyncIterator[AsyncClient]:
    """The catalog app on that database."""
    app = create_app(CatalogSettings(database_url=catalog_database, **KEY_SETTINGS, log_json=False))
    async with asgi_client(app) as c:
        yield c
    await app.state.database.dispose()
