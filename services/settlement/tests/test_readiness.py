"""Settlement stands up on PostgreSQL and reports its peers honestly."""

from collections.abc import Callable

import pytest

from conftest import JWT_SECRET, asgi_client
from services.settlement.app import create_app
from services.settlement.settings import SettlementSettings

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_not_ready_while_peers_are_down(migrated_database: Callable[[str], str]) -> None:
    settings = SettlementSettings(
        database_url=migrated_database("settlement"), jwt_secret=JWT_SECRET, log_json=False,
        registry_url="http://127.0.0.1:9", catalog_url="http://127.0.0.1:9", assistance_url="http://127.0.0.1:9",
        peer_timeout_seconds=0.5, peer_retries=0,
    )
    app = create_app(settings)
    try:
        async with asgi_client(app) as client:
            health = await client.get("/healthz")
            ready = await client.get("/readyz")
    finally:
        for peer in app.state.peers.all():
            await peer.close()
        await app.state.database.dispose()
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.headers["retry-after"] == "5"
    problem = ready.json()
    assert problem["code"] == "not_ready"
    assert problem["checks"]["database"] == "ok"
    assert {problem["checks"][p] for p in ("registry", "catalog", "assistance")} == {"failed: PeerUnavailable"}
