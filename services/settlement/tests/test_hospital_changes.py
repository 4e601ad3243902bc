"""Settlement's follower of the catalog's change sequence, against the real catalog served over HTTP
(uvicorn, PostgreSQL): a change evicts the hospital from the cache; nothing else is forgotten."""

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date

import pytest
import uvicorn

from conftest import KEY_SETTINGS
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from services.settlement.lookups import HospitalCache, follow_hospital_changes
from shared.auth import Role, TokenIssuer
from shared.http_client import ServiceClient
from tests.support.ports import free_ports

pytestmark = pytest.mark.asyncio(loop_scope="session")
DAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
async def catalog_url(migrated_database: Callable[[str], str]) -> AsyncIterator[str]:
    [port] = free_ports(1)
    app = create_app(CatalogSettings(database_url=migrated_database("catalog"), **KEY_SETTINGS, log_json=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


async def test_a_change_evicts_that_hospital_within_a_poll(catalog_url: str, issuer: TokenIssuer) -> None:
    ops = ServiceClient("catalog", catalog_url, token=issuer.mint(subject="test-ops", role=Role.OPS))
    follower = ServiceClient("catalog", catalog_url, token=issuer.mint(subject="settlement", role=Role.SERVICE))
    cache = HospitalCache()
    cache.put(("060001", DAY), {"code": "060001"}, cache.evictions)  # cached before the follower starts
    following = asyncio.create_task(follow_hospital_changes(follower, cache, interval_seconds=0.05))
    try:
        async def until(condition: Callable[[], bool]) -> None:
            async with asyncio.timeout(5):
                while not condition():
                    await asyncio.sleep(0.02)

        await until(lambda: cache.get(("060001", DAY)) is None)  # the first answer forgets what came before it
        for code in ("060001", "060002"):
            cache.put((code, DAY), {"code": code}, cache.evictions)
        await ops.request("PATCH", "/v1/hospitals/060001", json_body={
            "level": "level_3", "reason": "等级评审 (level review)"})
        await until(lambda: cache.get(("060001", DAY)) is None)
        assert cache.get(("060002", DAY)) == {"code": "060002"}
    finally:
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        await ops.close()
        await follower.close()
