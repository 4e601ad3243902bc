"""Fixtures every test layer shares: PostgreSQL databases, tokens, an app client."""

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import pytest

from shared.auth import ALGORITHM, Role, SigningKey, TokenIssuer
from shared.migrations import upgrade
from tests.support.postgres import create_database, drop_database, postgres_admin_url

ISSUER = "assistance-platform"
ROOT = Path(__file__).parent

# Many platforms share one PostgreSQL (max_connections 100) during a run: services in tests (and the
# processes they start, which inherit this environment) open two connections each before they are
# ready, not their whole pool as a deployment does.
for _service in ("REGISTRY", "CATALOG", "SETTLEMENT"):
    os.environ.setdefault(f"{_service}_DB_POOL_WARM", "2")

# Test-only key pairs, new for each test session (no private key lives in the repository): the
# token issuer's, and the one a calling service (registry, settlement) signs its service tokens with.
ISSUER_KEY = SigningKey.generate()
SERVICE_KEY = SigningKey.generate()
KEY_SETTINGS: dict[str, str] = {
    "jwt_public_keys": ISSUER_KEY.public_pem(), "jwt_service_public_keys": SERVICE_KEY.public_pem(),
}
"""What every service's settings need to trust the test keys: `RegistrySettings(**PEER_KEY_SETTINGS, ...)`."""
PEER_KEY_SETTINGS: dict[str, str] = {**KEY_SETTINGS, "service_signing_key": SERVICE_KEY.private_pem()}


def forge(claims: dict[str, object], key: SigningKey = ISSUER_KEY) -> str:
    """A token with exactly these claims, signed by `key` (what the issuer would refuse to mint)."""
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


def forge_unsigned(claims: dict[str, object], kid: str = ISSUER_KEY.kid) -> str:
    """`alg: none`: no signature at all."""
    return jwt.encode(claims, None, algorithm="none", headers={"kid": kid})


def forge_hmac_with_public_key(claims: dict[str, object], key: SigningKey = ISSUER_KEY) -> str:
    """The algorithm-confusion attack: HS256 keyed with the (public) PEM of a trusted key. Built by
    hand, since pyjwt refuses to use a PEM key as an HMAC secret."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = ".".join(
        b64(json.dumps(part).encode()) for part in ({"alg": "HS256", "typ": "JWT", "kid": key.kid}, claims)
    )
    signature = hmac.new(key.public_pem().encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def claims_of(
    role: str, *, lifetime: int = 600, audience: list[str] | None = None, **extra: object,
) -> dict[str, object]:
    """The claims of a token the issuer would mint now (his bound to 060001, agency to civil affairs)."""
    now = int(time.time())
    bound: dict[str, object] = {"his": {"hospital": "060001"}, "agency": {"agency": "civil_affairs"}}.get(role, {})
    return {"iss": ISSUER, "sub": f"forged-{role}", "role": role, "scopes": [],
            "aud": audience if audience is not None else ["registry", "catalog", "assistance", "settlement"],
            "iat": now, "exp": now + lifetime, **bound, **extra}


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
def issuer() -> TokenIssuer:
    return TokenIssuer(ISSUER_KEY, ISSUER)


@pytest.fixture(scope="session")
def auth(issuer: TokenIssuer) -> Callable[..., dict[str, str]]:
    """auth(Role.OPS) → the Authorization header of a token with the role's default scopes and
    audiences."""

    def headers(role: Role, **claims: object) -> dict[str, str]:
        defaults: dict[str, object] = {
            Role.HIS: {"hospital_code": "060001"}, Role.AGENCY: {"agency": "civil_affairs"},
        }.get(role, {})
        token = issuer.mint(subject=f"test-{role.value}", role=role, **{**defaults, **claims})  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers


def asgi_client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://testserver")
