"""Bearer tokens: JWTs signed ES256 naming a subject, a role, scopes, the services they may call
and, for a HIS, its hospital; for an agency, its agency.

Roles: `his` (a hospital's information system, bound to one hospital code), `agency` (civil
affairs / rural revitalization, bound to its agency), `ops` (operations staff), `service`
(service-to-service). Routes say what they need with `Depends(require(...))`; the check lives here.

Only the issuer holds the private key that signs user tokens (the mint CLI below, or a deployment's
identity provider); a service holds public keys only. A service that calls peers (registry,
settlement) signs its service tokens with its own key pair, which the peers trust for role
`service` only. Every token names the key that signed it (`kid`: its RFC 7638 thumbprint), so two
trusted keys can overlap during a rotation.

Why ES256: verification is what the services pay for, and OpenSSL's P-256 verifies in about two
thirds of Ed25519's time on this machine (45 µs against 65 µs); every identity provider signs it.

Make a key pair:  python -m shared.auth keygen --out var/keys/issuer
Mint a token:     python -m shared.auth mint --private-key var/keys/issuer.pem --role his \\
                      --hospital 060001 --subject his-060001
"""

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Request

from shared.categories import Agency
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.id_number import mask

ALGORITHM = "ES256"
HOUR = 3600


class Role(StrEnum):
    HIS = "his"
    AGENCY = "agency"
    OPS = "ops"
    SERVICE = "service"


class Service(StrEnum):
    """The audiences a token may name: the four services."""

    REGISTRY = "registry"
    CATALOG = "catalog"
    ASSISTANCE = "assistance"
    SETTLEMENT = "settlement"


class Scope(StrEnum):
    PERSONS_READ = "persons:read"
    PERSONS_WRITE = "persons:write"
    PII_READ = "pii:read"  # unmasked ID numbers in responses
    CATALOG_READ = "catalog:read"
    SETTLEMENTS_WRITE = "settlements:write"
    SETTLEMENTS_READ = "settlements:read"
    CALCULATE = "calculations:run"


DEFAULT_SCOPES: dict[Role, tuple[Scope, ...]] = {
    Role.HIS: (Scope.CATALOG_READ, Scope.SETTLEMENTS_WRITE, Scope.SETTLEMENTS_READ),
    Role.AGENCY: (Scope.PERSONS_READ, Scope.PERSONS_WRITE, Scope.CATALOG_READ),
    Role.OPS: tuple(Scope),
    Role.SERVICE: (
        Scope.PERSONS_READ, Scope.PII_READ, Scope.CATALOG_READ, Scope.CALCULATE,
    ),
}

DEFAULT_AUDIENCES: dict[Role, tuple[Service, ...]] = {
    Role.HIS: (Service.CATALOG, Service.SETTLEMENT),
    Role.AGENCY: (Service.REGISTRY, Service.CATALOG, Service.SETTLEMENT),  # settlement: manual claims
    Role.OPS: tuple(Service),
    Role.SERVICE: (Service.REGISTRY, Service.CATALOG, Service.ASSISTANCE),
}

# A stolen token works until it expires: a working day for people and systems, half one for ops
# (broadest scopes), an hour for services (their tokens are minted again, unattended, at half-life).
MAX_LIFETIME_SECONDS: dict[Role, int] = {
    Role.HIS: 24 * HOUR,
    Role.AGENCY: 24 * HOUR,
    Role.OPS: 12 * HOUR,
    Role.SERVICE: 1 * HOUR,
}

KNOWN_AGENCIES = frozenset(a.value for a in Agency)
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 7638 thumbprint of the key's JWK: the same for whoever computes it."""
    numbers = public_key.public_numbers()

    def coordinate(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode()

    jwk = {"crv": "P-256", "kty": "EC", "x": coordinate(numbers.x), "y": coordinate(numbers.y)}
    digest = hashlib.sha256(json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _pem_text(spec: str) -> list[str]:
    """PEM blocks given as the PEM text itself or as comma-separated paths of PEM files."""
    if "-----BEGIN" in spec:
        text = spec
    else:
        text = "\n".join(Path(p.strip()).read_text() for p in spec.split(",") if p.strip())
    return [m.group(0) for m in _PEM_BLOCK.finditer(text)]


def _p256(key: object, what: str) -> None:
    curve = getattr(key, "curve", None)
    if not isinstance(curve, ec.SECP256R1):
        raise ValueError(f"{what} must be an EC P-256 key (ES256)")


def load_public_keys(spec: str) -> list[ec.EllipticCurvePublicKey]:
    keys = []
    for block in _pem_text(spec):
        key = serialization.load_pem_public_key(block.encode())
        _p256(key, "a trusted public key")
        assert isinstance(key, ec.EllipticCurvePublicKey)
        keys.append(key)
    return keys


@dataclass(frozen=True, slots=True)
class SigningKey:
    private_key: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def generate(cls) -> "SigningKey":
        private_key = ec.generate_private_key(ec.SECP256R1())
        return cls(private_key, key_id(private_key.public_key()))

    @classmethod
    def load(cls, spec: str) -> "SigningKey":
        """From the PEM text of an unencrypted private key, or the path of its file."""
        blocks = _pem_text(spec)
        if len(blocks) != 1:
            raise ValueError("a signing key is exactly one PEM private key")
        private_key = serialization.load_pem_private_key(blocks[0].encode(), password=None)
        _p256(private_key, "a signing key")
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        return cls(private_key, key_id(private_key.public_key()))

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private_key.public_key()

    def private_pem(self) -> str:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
        ).decode()

    def public_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
        ).decode()

    def write(self, stem: Path) -> None:
        """`<stem>.pem` (the private key, readable by its owner only) and `<stem>.pub.pem`."""
        stem.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(f"{stem}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(self.private_pem())
        Path(f"{stem}.pub.pem").write_text(self.public_pem())


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str
    role: Role
    scopes: frozenset[str] = field(default_factory=frozenset)
    hospital_code: str | None = None
    agency: str | None = None

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes

    def visible_id_number(self, id_number: str) -> str:
        """The full number for a token holding pii:read, else masked (first 6 and last 4)."""
        return id_number if self.has(Scope.PII_READ) else mask(id_number)

    def sees_hospital(self, hospital_code: str) -> bool:
        """A HIS token sees only its own hospital; other roles see all."""
        return self.role is not Role.HIS or self.hospital_code == hospital_code


class TokenIssuer:
    """Signs tokens with one private key: the issuer's (users) or a calling service's own."""

    def __init__(self, key: SigningKey, issuer: str) -> None:
        self._key = key
        self._issuer = issuer

    def mint(
        self,
        *,
        subject: str,
        role: Role,
        scopes: Iterable[str] | None = None,
        hospital_code: str | None = None,
        agency: str | None = None,
        audience: Iterable[str] | None = None,
        ttl_seconds: int | None = None,
    ) -> str:
        if role is Role.HIS and not hospital_code:
            raise ValueError("a his token must be bound to a hospital code")
        if role is Role.AGENCY and agency not in KNOWN_AGENCIES:
            raise ValueError(f"an agency token must name a known agency: {', '.join(Agency)}")
        if not 0 < len(subject) <= 64:
            raise ValueError("the subject must have 1 to 64 characters")
        lifetime = MAX_LIFETIME_SECONDS[role] if ttl_seconds is None else ttl_seconds
        if not 0 < lifetime <= MAX_LIFETIME_SECONDS[role]:
            raise ValueError(
                f"a {role.value} token lives at most {MAX_LIFETIME_SECONDS[role] // 60} minutes"
            )
        services = sorted(set(audience if audience is not None else DEFAULT_AUDIENCES[role]))
        unknown = set(services) - set(Service)
        if not services or unknown:
            raise ValueError(f"the audience must name services among {', '.join(Service)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": subject,
            "aud": services,
            "role": role.value,
            "scopes": sorted(scopes if scopes is not None else DEFAULT_SCOPES[role]),
            "iat": now,
            "exp": now + lifetime,
        }
        if hospital_code:
            claims["hospital"] = hospital_code
        if agency:
            claims["agency"] = agency
        return jwt.encode(claims, self._key.private_key, algorithm=ALGORITHM, headers={"kid": self._key.kid})


class TokenVerifier:
    """Checks the tokens a service receives, with public keys only.

    `issuer_keys` verify tokens of every role; `service_keys` (the peers that call this service)
    only tokens of role service, so a calling service cannot make itself a HIS or ops."""

    VERIFIED_CACHE_SIZE = 4096

    def __init__(
        self,
        issuer_keys: Iterable[ec.EllipticCurvePublicKey],
        *,
        issuer: str,
        audience: str,
        service_keys: Iterable[ec.EllipticCurvePublicKey] = (),
    ) -> None:
        self._keys: dict[str, tuple[ec.EllipticCurvePublicKey, frozenset[Role]]] = {
            key_id(k): (k, frozenset({Role.SERVICE})) for k in service_keys
        }
        self._keys.update({key_id(k): (k, frozenset(Role)) for k in issuer_keys})
        if not self._keys:
            raise ValueError("no public key to verify tokens with")
        self._issuer = issuer
        self._audience = audience
        # A HIS or a peer sends the same token on every request; verifying its signature each time
        # was a sixth of a small service's CPU. Only good tokens are kept, with their expiry.
        self._verified: dict[str, tuple[float, Principal]] = {}

    def decode(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            if time.time() >= cached[0]:
                del self._verified[token]
                raise Unauthorized("令牌已过期 (token expired)", code="token_expired")
            return cached[1]
        principal, expires_at = self._verify(token)
        if len(self._verified) >= self.VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (expires_at, principal)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthorized("令牌无效 (invalid token)", code="invalid_token") from exc
        trusted = self._keys.get(kid) if isinstance(kid, str) else None
        if trusted is None:
            raise Unauthorized("令牌签名密钥不受信任 (token signed by an untrusted key)", code="invalid_token")
        key, roles_of_key = trusted
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("令牌已过期 (token expired)", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("令牌无效 (invalid token)", code="invalid_token") from exc
        try:
            role = Role(claims.get("role"))
        except ValueError as exc:
            raise Unauthorized("令牌角色无效 (unknown role)", code="invalid_token") from exc
        if role not in roles_of_key:
            raise Unauthorized("该密钥只能签发服务令牌 (this key signs service tokens only)", code="invalid_token")
        if int(claims["exp"]) - int(claims["iat"]) > MAX_LIFETIME_SECONDS[role]:
            raise Unauthorized(
                f"令牌有效期过长 (a {role.value} token lives at most {MAX_LIFETIME_SECONDS[role] // 60} minutes)",
                code="token_lifetime_too_long",
            )
        if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 64:
            raise Unauthorized("令牌主体无效 (sub must be 1-64 characters)", code="invalid_token")
        scopes = claims.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise Unauthorized("令牌权限范围无效 (bad scopes claim)", code="invalid_token")
        hospital = claims.get("hospital")
        if role is Role.HIS and not isinstance(hospital, str):
            raise Unauthorized("医院令牌未绑定医院 (his token without hospital)", code="invalid_token")
        agency = claims.get("agency")
        if role is Role.AGENCY and (not isinstance(agency, str) or agency not in KNOWN_AGENCIES):
            raise Unauthorized("令牌所属部门未知 (unknown agency)", code="unknown_agency")
        audience = claims["aud"]
        if self._audience not in (audience if isinstance(audience, list) else [audience]):
            raise Forbidden(
                f"令牌不可用于 {self._audience} 服务 (token audience does not include {self._audience})",
                code="wrong_audience",
            )
        principal = Principal(
            subject=claims["sub"], role=role, scopes=frozenset(scopes), hospital_code=hospital, agency=agency,
        )
        return principal, float(claims["exp"])


class ServiceTokens:
    """Short-lived service tokens signed with the caller's own key, minted again at half-life (a
    long-running caller never holds a token that stops working)."""

    def __init__(self, key: SigningKey, *, issuer: str, subject: str, ttl_seconds: int = HOUR) -> None:
        self._issuer = TokenIssuer(key, issuer)
        self._subject, self._ttl = subject, ttl_seconds
        self._token, self._renew_at = "", 0.0

    def __call__(self) -> str:
        now = time.monotonic()
        if now >= self._renew_at:
            self._token = self._issuer.mint(subject=self._subject, role=Role.SERVICE, ttl_seconds=self._ttl)
            self._renew_at = now + self._ttl / 2
        return self._token


BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "平台签发的JWT令牌 (JWT bearer token)"}
"""Documented in each app's OpenAPI (shared.app): `authenticate` reads the header itself, since every
dependency FastAPI solves costs CPU on every request."""


async def authenticate(request: Request) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("缺少访问令牌 (missing bearer token)", code="missing_token")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.decode(token.strip())
    request.state.principal = principal
    return principal


def require(*roles: Role, scope: Scope | None = None) -> Callable[..., Any]:
    """A dependency admitting only these roles (all when none given) holding `scope`. The caller is
    the one every router authenticates first (shared.app)."""

    async def dependency(request: Request) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            principal = await authenticate(request)
        if roles and principal.role not in roles:
            raise Forbidden(
                f"角色 {principal.role.value} 无权访问 (role not allowed here)", code="role_not_allowed"
            )
        if scope is not None and not principal.has(scope):
            raise Forbidden(f"缺少权限 {scope.value} (missing scope)", code="scope_missing")
        return principal

    return dependency


def ensure_hospital_access(principal: Principal, hospital_code: str, *, code: str = "not_found") -> None:
    """A HIS sees only its own hospital: another hospital's records do not exist for it (404)."""
    if not principal.sees_hospital(hospital_code):
        raise NotFound("未找到该记录 (not found)", code=code)


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.auth", description="Signing keys and tokens.")
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write a new P-256 key pair: <out>.pem (0600) and <out>.pub.pem")
    keygen.add_argument("--out", type=Path, required=True, help="path without extension, e.g. var/keys/issuer")
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", required=True, choices=[r.value for r in Role])
    mint.add_argument("--subject", required=True)
    mint.add_argument("--hospital", help="hospital code (required for his)")
    mint.add_argument("--agency", choices=[a.value for a in Agency], help="required for agency")
    mint.add_argument("--scope", action="append", help="repeat to set scopes; default: the role's")
    mint.add_argument("--audience", action="append", choices=[s.value for s in Service],
                      help="repeat to name the services the token may call; default: the role's")
    mint.add_argument("--ttl-minutes", type=int,
                      help="default and maximum: his, agency 1440; ops 720; service 60")
    mint.add_argument("--private-key", default=os.environ.get("PLATFORM_JWT_PRIVATE_KEY"),
                      help="the issuer's private key, a PEM file (default $PLATFORM_JWT_PRIVATE_KEY)")
    mint.add_argument("--issuer", default="assistance-platform")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        if Path(f"{args.out}.pem").exists():
            parser.error(f"{args.out}.pem exists: choose another name (a rotation adds a key)")
        key = SigningKey.generate()
        key.write(args.out)
        print(f"{args.out}.pem {args.out}.pub.pem kid={key.kid}")
        return 0
    if not args.private_key:
        parser.error("give --private-key or set PLATFORM_JWT_PRIVATE_KEY to the issuer's private key file")
    try:
        token = TokenIssuer(SigningKey.load(args.private_key), args.issuer).mint(
            subject=args.subject, role=Role(args.role), scopes=args.scope, hospital_code=args.hospital,
            agency=args.agency, audience=args.audience,
            ttl_seconds=None if args.ttl_minutes is None else args.ttl_minutes * 60,
        )
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
