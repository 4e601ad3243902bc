"""Tokens over real HTTP: what each service refuses, the calling services' own keys, a key rotation."""

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from conftest import ISSUER, claims_of, forge, forge_hmac_with_public_key, forge_unsigned
from deploy.run_local import environment, stop_all, wait_healthy
from shared.auth import Role, SigningKey, TokenIssuer
from tests.e2e.conftest import Platform
from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e
ELIGIBILITY = "/v1/persons/370602199001011239/eligibility?on=2023-06-01"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("service", "path", "token_of", "status", "code"),
    [
        ("registry", ELIGIBILITY, lambda: forge(claims_of("his", audience=["catalog", "settlement"])),
         403, "wrong_audience"),
        ("settlement", "/v1/settlements", lambda: forge(claims_of("his", lifetime=24 * 3600 + 1)),
         401, "token_lifetime_too_long"),
        ("registry", ELIGIBILITY, lambda: forge(claims_of("agency", agency="tax_bureau")), 401, "unknown_agency"),
        ("catalog", "/v1/hospitals", lambda: TokenIssuer(SigningKey.generate(), ISSUER).mint(
            subject="x", role=Role.OPS), 401, "invalid_token"),
        ("catalog", "/v1/hospitals", lambda: forge_hmac_with_public_key(claims_of("ops")), 401, "invalid_token"),
        ("assistance", "/v1/policies", lambda: forge_unsigned(claims_of("ops")), 401, "invalid_token"),
    ],
    ids=["wrong-audience", "too-long", "unknown-agency", "untrusted-key", "hs256-with-public-key", "alg-none"],
)
def test_each_service_refuses_bad_tokens(  # type: ignore[no-untyped-def]
    platform: Platform, service: str, path: str, token_of, status: int, code: str,
) -> None:
    response = httpx.get(platform.urls[service] + path, headers=bearer(token_of()))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_settlements_own_key_signs_service_tokens_and_nothing_else(platform: Platform) -> None:
    settlement_key = SigningKey.load(str(platform.keys_dir / "settlement-service.pem"))
    hospitals = platform.urls["catalog"] + "/v1/hospitals?limit=1"
    service = forge(claims_of("service", scopes=["catalog:read"]), settlement_key)
    answered = httpx.get(hospitals, headers=bearer(service))
    assert answered.status_code == 200 and answered.json()["total"] == 231
    ops = forge(claims_of("ops", scopes=["catalog:read"]), settlement_key)
    refused = httpx.get(hospitals, headers=bearer(ops))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"
    # settlement is nobody's peer: it trusts no service key at all
    to_settlement = forge(claims_of("service", scopes=["settlements:read"]), settlement_key)
    assert httpx.get(platform.urls["settlement"] + "/v1/settlements", headers=bearer(to_settlement)).status_code == 401


@contextmanager
def assistance_trusting(public_keys: str) -> Iterator[str]:
    port = free_ports(1)[0]
    env = {**os.environ, "ASSISTANCE_JWT_PUBLIC_KEYS": public_keys, "ASSISTANCE_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "services.assistance", "serve", "--port", str(port)], env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_all([process])


def test_a_key_rotation_as_the_readme_describes(tmp_path: Path) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    old.write(tmp_path / "issuer-2026-01")
    new.write(tmp_path / "issuer-2026-07")
    old_token = TokenIssuer(old, ISSUER).mint(subject="ops-1", role=Role.OPS)
    new_token = TokenIssuer(new, ISSUER).mint(subject="ops-1", role=Role.OPS)
    with assistance_trusting(f"{tmp_path}/issuer-2026-01.pub.pem,{tmp_path}/issuer-2026-07.pub.pem") as url:
        for token in (old_token, new_token):
            assert httpx.get(f"{url}/v1/policies", headers=bearer(token)).status_code == 200
    with assistance_trusting(f"{tmp_path}/issuer-2026-07.pub.pem") as url:
        assert httpx.get(f"{url}/v1/policies", headers=bearer(new_token)).status_code == 200
        refused = httpx.get(f"{url}/v1/policies", headers=bearer(old_token))
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


def test_make_run_gives_each_calling_service_its_own_key_and_each_peer_only_its_callers(tmp_path: Path) -> None:
    ports = {"registry": 1, "catalog": 2, "assistance": 3, "settlement": 4}
    env = environment(tmp_path, ports, "127.0.0.1", issuer_public_keys="issuer.pub.pem")
    keys = tmp_path / "keys"
    assert {k: v for k, v in env.items() if k.endswith("_SERVICE_SIGNING_KEY")} == {
        "REGISTRY_SERVICE_SIGNING_KEY": f"{keys}/registry-service.pem",
        "SETTLEMENT_SERVICE_SIGNING_KEY": f"{keys}/settlement-service.pem",
    }
    assert {stat.S_IMODE(p.stat().st_mode) for p in keys.glob("*-service.pem")} == {0o600}
    assert env["REGISTRY_JWT_SERVICE_PUBLIC_KEYS"] == f"{keys}/settlement-service.pub.pem"
    assert env["CATALOG_JWT_SERVICE_PUBLIC_KEYS"] == ",".join(
        f"{keys}/{caller}-service.pub.pem" for caller in ("registry", "settlement"))
    assert env["ASSISTANCE_JWT_SERVICE_PUBLIC_KEYS"] == f"{keys}/settlement-service.pub.pem"
    assert env["SETTLEMENT_JWT_SERVICE_PUBLIC_KEYS"] == ""
    assert {env[f"{s.upper()}_JWT_PUBLIC_KEYS"] for s in ports} == {"issuer.pub.pem"}
    before = (keys / "settlement-service.pem").read_text()
    environment(tmp_path, ports, "127.0.0.1", issuer_public_keys="issuer.pub.pem")
    assert (keys / "settlement-service.pem").read_text() == before  # a restart keeps the keys
