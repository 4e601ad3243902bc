"""Auth through a real app built by the shared factory (the same dependencies every route uses)."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends

from conftest import JWT_SECRET, asgi_client
from shared.app import build_service_app
from shared.auth import Principal, Role, Scope, TokenCodec, ensure_hospital_access, require
from shared.errors import Unauthorized
from shared.settings import ServiceSettings

router = APIRouter()


@router.get("/v1/hospitals/{code}/admissions")
async def hospital_admissions(
    code: str, principal: Annotated[Principal, Depends(require(Role.HIS, Role.OPS, scope=Scope.SETTLEMENTS_READ))],
) -> dict[str, str]:
    ensure_hospital_access(principal, code)
    return {"hospital": code, "subject": principal.subject}


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    settings = ServiceSettings(jwt_secret=JWT_SECRET)
    app = build_service_app(
        service="auth-test", title="t", description="t", settings=settings, routers=[router],
        readiness={}, configure_logs=False,
    )
    return asgi_client(app)


async def test_missing_token_is_a_401_problem(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/v1/hospitals/060001/admissions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "missing_token"


@pytest.mark.parametrize(
    ("token_of", "code"),
    [
        (lambda c: "not-a-jwt", "invalid_token"),
        (lambda c: TokenCodec("another-secret-of-enough-length-xyz", "assistance-platform").mint(
            subject="x", role=Role.OPS), "invalid_token"),
        (lambda c: TokenCodec(JWT_SECRET, "someone-else").mint(subject="x", role=Role.OPS), "invalid_token"),
        (lambda c: c.mint(subject="x", role=Role.OPS, ttl_seconds=-10), "token_expired"),
    ],
)
async def test_bad_tokens_are_401(client, codec, token_of: Callable[[TokenCodec], str], code: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(
        "/v1/hospitals/060001/admissions", headers={"Authorization": f"Bearer {token_of(codec)}"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == code


async def test_wrong_role_is_403(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/v1/hospitals/060001/admissions", headers=auth(Role.AGENCY))
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"


async def test_missing_scope_is_403(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(
        "/v1/hospitals/060001/admissions", headers=auth(Role.HIS, scopes=[Scope.CATALOG_READ.value])
    )
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


async def test_his_token_sees_only_its_own_hospital(client, auth) -> None:  # type: ignore[no-untyped-def]
    own = await client.get("/v1/hospitals/060001/admissions", headers=auth(Role.HIS, hospital_code="060001"))
    assert own.status_code == 200
    assert own.json() == {"hospital": "060001", "subject": "test-his"}
    other = await client.get("/v1/hospitals/060002/admissions", headers=auth(Role.HIS, hospital_code="060001"))
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    ops = await client.get("/v1/hospitals/060002/admissions", headers=auth(Role.OPS))
    assert ops.status_code == 200


def test_his_and_agency_tokens_must_be_bound(codec: TokenCodec) -> None:
    with pytest.raises(ValueError, match="hospital"):
        codec.mint(subject="his", role=Role.HIS)
    with pytest.raises(ValueError, match="agency"):
        codec.mint(subject="a", role=Role.AGENCY)


def test_cli_mints_a_token_the_services_accept(codec: TokenCodec) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shared.auth", "mint", "--role", "his", "--hospital", "060003",
         "--subject", "his-060003"],
        env={**os.environ, "PLATFORM_JWT_SECRET": JWT_SECRET}, capture_output=True, text=True, check=True,
    )
    principal = codec.decode(result.stdout.strip())
    assert (principal.role, principal.hospital_code, principal.subject) == (Role.HIS, "060003", "his-060003")
    assert principal.has(Scope.SETTLEMENTS_WRITE)


def test_a_verified_token_stops_working_when_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec(JWT_SECRET, "assistance-platform")
    token = codec.mint(subject="his-060001", role=Role.HIS, hospital_code="060001", ttl_seconds=60)
    assert codec.decode(token).hospital_code == "060001"
    assert codec.decode(token).hospital_code == "060001"  # the second time from the verified cache
    later = time.time() + 61
    monkeypatch.setattr("shared.auth.time.time", lambda: later)
    with pytest.raises(Unauthorized) as refused:
        codec.decode(token)
    assert refused.value.code == "token_expired"
