"""Fixtures every test layer shares: PostgreSQL databases, tokens, an app client."""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from shared.auth import Role, TokenCodec
from shared.migrations import upgrade
from tests.support.postgres import create_database, drop_database, postgres_admin_url

JWT_SECRET = "test-secret-for-the-test-suite-only"
ISSUER = "assistance-platform"
ROOT = Path(__file__).parent


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres_admin_url() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(pg_admin_url: str) -> Iterator[Callable[[str], str]]:
    """A factory: a fresh PostgreSQL database for a service, migrated to head (dropped at the end)."""
    created: list[str] = []

    def create_and_migrate(service: str) -> str:
        url = create_database(pg_admin_url, service)
        created.append(url)
        if (ROOT / "services" / service / "migrations").is_dir():
            upgrade(ROOT / "services" / service, url)
        return url

    def make(service: str) -> str:
        # Alembic and the admin statements run their own event loop: keep them off the tests' loop.
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(create_and_migrate, service).result()

    yield make
    for url in created:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="session")
def codec() -> TokenCodec:
    return TokenCodec(JWT_SECRET, ISSUER)


@pytest.fixture(scope="session")
def auth(codec: TokenCodec) -> Callable[..., dict[str, str]]:
    """auth(Role.OPS) → the Authorization header of a token with the role's default scopes."""

    def headers(role: Role, **claims: object) -> dict[str, str]:
        defaults: dict[str, object] = {
            Role.HIS: {"hospital_code": "060001"}, Role.AGENCY: {"agency": "civil_affairs"},
        }.get(role, {})
        token = codec.mint(subject=f"test-{role.value}", role=role, **{**defaults, **claims})  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers


def asgi_client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver")
