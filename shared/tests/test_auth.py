"""Auth through a real app built by the shared factory (the same dependencies every route uses)."""

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from fastapi import APIRouter, Depends

from conftest import (
    ISSUER,
    ISSUER_KEY,
    KEY_SETTINGS,
    PEER_KEY_SETTINGS,
    SERVICE_KEY,
    asgi_client,
    claims_of,
    forge,
    forge_hmac_with_public_key,
    forge_unsigned,
)
from shared.app import build_service_app
from shared.auth import (
    Principal,
    Role,
    Scope,
    SigningKey,
    TokenIssuer,
    TokenVerifier,
    ensure_hospital_access,
    key_id,
    load_public_keys,
    require,
)
from shared.errors import Forbidden, Unauthorized
from shared.http_client import service_tokens
from shared.settings import PeerSettings, ServiceSettings

router = APIRouter()
ADMISSIONS = "/v1/hospitals/060001/admissions"


@router.get("/v1/hospitals/{code}/admissions")
async def hospital_admissions(
    code: str, principal: Annotated[Principal, Depends(require(Role.HIS, Role.OPS, scope=Scope.SETTLEMENTS_READ))],
) -> dict[str, str]:
    ensure_hospital_access(principal, code)
    return {"hospital": code, "subject": principal.subject}


def settlement_app(**settings: str):  # type: ignore[no-untyped-def]
    """A real app, audience `settlement` (the service whose routes these look like)."""
    app = build_service_app(
        service="settlement", title="t", description="t", settings=ServiceSettings(**{**KEY_SETTINGS, **settings}),
        routers=[router], readiness={}, configure_logs=False,
    )
    return asgi_client(app)


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    return settlement_app()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_missing_token_is_a_401_problem(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["code"] == "missing_token"


@pytest.mark.parametrize(
    ("token_of", "code"),
    [
        (lambda i: "not-a-jwt", "invalid_token"),
        (lambda i: TokenIssuer(SigningKey.generate(), ISSUER).mint(subject="x", role=Role.OPS), "invalid_token"),
        (lambda i: TokenIssuer(ISSUER_KEY, "someone-else").mint(subject="x", role=Role.OPS), "invalid_token"),
        (lambda i: forge(claims_of("ops", iat=int(time.time()) - 120, exp=int(time.time()) - 60)), "token_expired"),
        (lambda i: forge({k: v for k, v in claims_of("ops").items() if k != "aud"}), "invalid_token"),
    ],
    ids=["not-a-jwt", "untrusted-key", "other-issuer", "expired", "no-audience"],
)
async def test_bad_tokens_are_401(client, issuer, token_of: Callable[[TokenIssuer], str], code: str) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=bearer(token_of(issuer)))
    assert response.status_code == 401
    assert response.json()["code"] == code


async def test_a_forged_key_claiming_a_trusted_kid_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    impostor = SigningKey(SigningKey.generate().private_key, ISSUER_KEY.kid)
    response = await client.get(ADMISSIONS, headers=bearer(forge(claims_of("ops"), impostor)))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_hs256_keyed_with_the_public_key_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=bearer(forge_hmac_with_public_key(claims_of("ops"))))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_an_unsigned_token_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=bearer(forge_unsigned(claims_of("ops"))))
    assert response.status_code == 401 and response.json()["code"] == "invalid_token"


async def test_a_token_for_other_services_is_403_wrong_audience(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=auth(Role.HIS, audience=["catalog"]))
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_audience"
    agency = await client.get(ADMISSIONS, headers=auth(Role.AGENCY, audience=["registry", "catalog"]))
    assert agency.status_code == 403 and agency.json()["code"] == "wrong_audience"
    named = await client.get(ADMISSIONS, headers=auth(Role.HIS, audience=["catalog", "settlement"]))
    assert named.status_code == 200


@pytest.mark.parametrize(
    ("role", "most_seconds"), [("his", 86400), ("agency", 86400), ("ops", 43200), ("service", 3600)],
)
def test_a_token_living_longer_than_its_role_allows_is_refused(role: str, most_seconds: int) -> None:
    verifier = TokenVerifier([ISSUER_KEY.public_key], issuer=ISSUER, audience="registry")
    assert verifier.decode(forge(claims_of(role, lifetime=most_seconds))).role == role
    with pytest.raises(Unauthorized) as refused:
        verifier.decode(forge(claims_of(role, lifetime=most_seconds + 1)))
    assert refused.value.code == "token_lifetime_too_long"
    with pytest.raises(ValueError, match="at most"):
        TokenIssuer(ISSUER_KEY, ISSUER).mint(
            subject="x", role=Role(role), hospital_code="060001", agency="civil_affairs", ttl_seconds=most_seconds + 1,
        )


async def test_a_too_long_token_is_a_401_problem(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=bearer(forge(claims_of("his", lifetime=30 * 86400))))
    assert response.status_code == 401 and response.json()["code"] == "token_lifetime_too_long"


async def test_an_agency_token_must_name_a_known_agency(issuer: TokenIssuer) -> None:
    with pytest.raises(ValueError, match="known agency"):
        issuer.mint(subject="a", role=Role.AGENCY, agency="tax_bureau")
    verifier = TokenVerifier([ISSUER_KEY.public_key], issuer=ISSUER, audience="registry")
    for agency in ("tax_bureau", ["civil_affairs"], None):
        with pytest.raises(Unauthorized) as refused:
            verifier.decode(forge(claims_of("agency", agency=agency)))
        assert refused.value.code == "unknown_agency"
    assert verifier.decode(forge(claims_of("agency", agency="rural_revitalization"))).agency == "rural_revitalization"


def test_a_service_key_signs_service_tokens_only() -> None:
    verifier = TokenVerifier([ISSUER_KEY.public_key], issuer=ISSUER, audience="catalog",
                             service_keys=[SERVICE_KEY.public_key])
    assert verifier.decode(forge(claims_of("service"), SERVICE_KEY)).role is Role.SERVICE
    for role in ("ops", "his", "agency"):
        with pytest.raises(Unauthorized) as refused:
            verifier.decode(forge(claims_of(role), SERVICE_KEY))
        assert refused.value.code == "invalid_token"


def test_a_calling_service_may_not_hold_the_issuers_key() -> None:
    own = PeerSettings(**PEER_KEY_SETTINGS)
    token = service_tokens(own, caller="settlement")()
    principal = TokenVerifier([ISSUER_KEY.public_key], issuer=ISSUER, audience="registry",
                              service_keys=[SERVICE_KEY.public_key]).decode(token)
    assert (principal.role, principal.subject) == (Role.SERVICE, "settlement")
    with pytest.raises(ValueError, match="not the issuer's"):
        service_tokens(PeerSettings(**{**PEER_KEY_SETTINGS, "service_signing_key": ISSUER_KEY.private_pem()}),
                       caller="settlement")


async def test_rotation_trusts_two_keys_then_refuses_the_removed_one(tmp_path: Path) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    old.write(tmp_path / "old")
    new.write(tmp_path / "new")
    old_token = TokenIssuer(old, ISSUER).mint(subject="ops-1", role=Role.OPS)
    new_token = TokenIssuer(new, ISSUER).mint(subject="ops-1", role=Role.OPS)
    for both in (old.public_pem() + new.public_pem(), f"{tmp_path}/old.pub.pem, {tmp_path}/new.pub.pem"):
        async with settlement_app(jwt_public_keys=both) as during:
            for token in (old_token, new_token):
                assert (await during.get(ADMISSIONS, headers=bearer(token))).status_code == 200
    async with settlement_app(jwt_public_keys=f"{tmp_path}/new.pub.pem") as after:
        assert (await after.get(ADMISSIONS, headers=bearer(new_token))).status_code == 200
        refused = await after.get(ADMISSIONS, headers=bearer(old_token))
        assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


def test_only_p256_keys_are_trusted() -> None:
    other = ed25519.Ed25519PrivateKey.generate()
    private_pem = other.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public_pem = other.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(ValueError, match="P-256"):
        SigningKey.load(private_pem)
    with pytest.raises(ValueError, match="P-256"):
        load_public_keys(public_pem)
    with pytest.raises(ValueError, match="no public key"):
        TokenVerifier(load_public_keys(""), issuer=ISSUER, audience="registry")


async def test_wrong_role_is_403(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=auth(Role.AGENCY, audience=["settlement"]))
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_allowed"


async def test_missing_scope_is_403(client, auth) -> None:  # type: ignore[no-untyped-def]
    response = await client.get(ADMISSIONS, headers=auth(Role.HIS, scopes=[Scope.CATALOG_READ.value]))
    assert response.status_code == 403
    assert response.json()["code"] == "scope_missing"


async def test_his_token_sees_only_its_own_hospital(client, auth) -> None:  # type: ignore[no-untyped-def]
    own = await client.get(ADMISSIONS, headers=auth(Role.HIS, hospital_code="060001"))
    assert own.status_code == 200
    assert own.json() == {"hospital": "060001", "subject": "test-his"}
    other = await client.get("/v1/hospitals/060002/admissions", headers=auth(Role.HIS, hospital_code="060001"))
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    ops = await client.get("/v1/hospitals/060002/admissions", headers=auth(Role.OPS))
    assert ops.status_code == 200


def test_his_and_agency_tokens_must_be_bound(issuer: TokenIssuer) -> None:
    with pytest.raises(ValueError, match="hospital"):
        issuer.mint(subject="his", role=Role.HIS)
    with pytest.raises(ValueError, match="agency"):
        issuer.mint(subject="a", role=Role.AGENCY)
    with pytest.raises(ValueError, match="audience"):
        issuer.mint(subject="o", role=Role.OPS, audience=["billing"])


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shared.auth", *args], capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "PLATFORM_JWT_PRIVATE_KEY"})


def test_cli_makes_a_key_pair_and_mints_tokens_the_services_accept(tmp_path: Path) -> None:
    made = _cli("keygen", "--out", str(tmp_path / "issuer"))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "issuer.pem").stat().st_mode) == 0o600
    public_keys = load_public_keys(str(tmp_path / "issuer.pub.pem"))
    assert f"kid={key_id(public_keys[0])}" in made.stdout
    assert _cli("keygen", "--out", str(tmp_path / "issuer")).returncode == 2  # never overwrites a key
    verifier = TokenVerifier(public_keys, issuer=ISSUER, audience="settlement")

    minted = _cli("mint", "--private-key", str(tmp_path / "issuer.pem"), "--role", "his", "--hospital", "060003",
                  "--subject", "his-060003")
    assert minted.returncode == 0, minted.stderr
    principal = verifier.decode(minted.stdout.strip())
    assert (principal.role, principal.hospital_code, principal.subject) == (Role.HIS, "060003", "his-060003")
    assert principal.has(Scope.SETTLEMENTS_WRITE)
    to_catalog = _cli("mint", "--private-key", str(tmp_path / "issuer.pem"), "--role", "his", "--hospital", "060003",
                      "--subject", "his-060003", "--audience", "catalog")
    with pytest.raises(Forbidden):
        verifier.decode(to_catalog.stdout.strip())

    too_long = _cli("mint", "--private-key", str(tmp_path / "issuer.pem"), "--role", "ops", "--subject", "o",
                    "--ttl-minutes", "721")
    assert too_long.returncode == 2 and "at most 720 minutes" in too_long.stderr
    unknown = _cli("mint", "--private-key", str(tmp_path / "issuer.pem"), "--role", "agency", "--subject", "a",
                   "--agency", "tax_bureau")
    assert unknown.returncode == 2 and "civil_affairs" in unknown.stderr
    no_key = _cli("mint", "--role", "ops", "--subject", "o")
    assert no_key.returncode == 2 and "PLATFORM_JWT_PRIVATE_KEY" in no_key.stderr


def test_a_verified_token_stops_working_when_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier([ISSUER_KEY.public_key], issuer=ISSUER, audience="settlement")
    token = TokenIssuer(ISSUER_KEY, ISSUER).mint(subject="his-060001", role=Role.HIS, hospital_code="060001",
                                                 ttl_seconds=60)
    assert verifier.decode(token).hospital_code == "060001"
    assert verifier.decode(token).hospital_code == "060001"  # the second time from the verified cache
    later = time.time() + 61
    monkeypatch.setattr("shared.auth.time.time", lambda: later)
    with pytest.raises(Unauthorized) as refused:
        verifier.decode(token)
    assert refused.value.code == "token_expired"
