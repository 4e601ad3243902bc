"""Settlement stands up on PostgreSQL and reports its peers and its database honestly."""

from collections.abc import Callable

import pytest

from conftest import PEER_KEY_SETTINGS, asgi_client
from services.settlement.app import create_app
from services.settlement.settings import SettlementSettings
from shared.auth import Role, TokenIssuer

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_not_ready_while_peers_are_down(migrated_database: Callable[[str], str]) -> None:
    settings = SettlementSettings(
        database_url=migrated_database("settlement"), **PEER_KEY_SETTINGS, log_json=False,
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
    assert {problem["checks"][p] for p in ("registry", "catalog", "assistance")} == {"failed"}


@pytest.mark.parametrize("path", ["/v1/settlements", "/v1/settlements?limit=1"])
async def test_an_unreachable_database_is_a_503_to_retry(path: str, issuer: TokenIssuer) -> None:
    # The settlement's claim goes through the bare asyncpg pool, the list through SQLAlchemy.
    settings = SettlementSettings(
        database_url="postgresql://postgres@127.0.0.1:9/settlement", **PEER_KEY_SETTINGS, log_json=False,
        peer_timeout_seconds=0.5, peer_retries=0,
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {issuer.mint(subject='his', role=Role.HIS, hospital_code='060001')}"}
    body = {"his_serial": "DOWN-1", "hospital_code": "060001", "id_number": "370602199001011239",
            "insurance_type": "resident", "medical_type": "inpatient", "admitted_on": "2023-03-01",
            "discharged_on": "2023-03-20", "bill": {"total": "1000"}}
    try:
        async with asgi_client(app) as client:
            if "?" in path:
                response = await client.get(path, headers=headers)
            else:
                response = await client.post(path, json=body, headers=headers)
    finally:
        await app.state.database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json()["code"] == "database_unavailable"
