"""The one-statement eligibility read caches the tables' row types per connection: after a migration
changes one, the next answers must still come (PostgreSQL)."""

from collections.abc import Callable

import asyncpg
import pytest

from conftest import PEER_KEY_SETTINGS, asgi_client
from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.auth import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")
ID_NUMBER = "370602199001011239"


async def test_eligibility_answers_after_a_column_is_added(migrated_database: Callable[[str], str], auth) -> None:  # type: ignore[no-untyped-def]
    url = migrated_database("registry")
    app = create_app(RegistrySettings(database_url=url, **PEER_KEY_SETTINGS, log_json=False))
    ops = auth(Role.OPS)
    try:
        async with asgi_client(app) as client:
            assert (await client.post("/v1/persons", headers=ops, json={
                "id_number": ID_NUMBER, "name": "迁移", "insurance_type": "resident", "region_code": "370602",
            })).status_code == 201
            assert (await client.post(f"/v1/persons/{ID_NUMBER}/identities", headers=ops, json={
                "category": "minimum_allowance", "document_number": "X", "approved_on": "2022-06-01",
            })).status_code == 201
            path = f"/v1/persons/{ID_NUMBER}/eligibility?on=2023-03-20"
            assert (await client.get(path, headers=ops)).status_code == 200
            connection = await asyncpg.connect(url)
            try:
                await connection.execute("ALTER TABLE identities ADD COLUMN note text")
            finally:
                await connection.close()
            after = await client.get(path, headers=ops)
    finally:
        await app.state.database.dispose()
    assert after.status_code == 200, after.text
    assert [i["category"] for i in after.json()["identities"]] == ["minimum_allowance"]
