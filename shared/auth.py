"""Bearer tokens: signed JWTs (HS256) naming a subject, a role, scopes and, for a HIS, its hospital.

Roles: `his` (a hospital's information system, bound to one hospital code), `agency` (civil
affairs / rural revitalization, bound to its agency), `ops` (operations staff), `service`
(service-to-service). Routes say what they need with `Depends(require(...))`; the check lives here.

Mint a token:  python -m shared.auth mint --role his --hospital 060001 --subject his-060001
"""

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import jwt
from fastapi import Request

from shared.errors import Forbidden, NotFound, Unauthorized
from shared.id_number import mask

ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 30 * 24 * 3600


class Role(StrEnum):
    HIS = "his"
    AGENCY = "agency"
    OPS = "ops"
    SERVICE = "service"


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


class TokenCodec:
    VERIFIED_CACHE_SIZE = 4096

    def __init__(self, secret: str, issuer: str) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must have at least 32 characters (RFC 7518 §3.2)")
        self._secret = secret
        self._issuer = issuer
        # A HIS or a peer sends the same token on every request; verifying its signature each time
        # was a sixth of a small service's CPU. Only good tokens are kept, with their expiry.
        self._verified: dict[str, tuple[float, Principal]] = {}

    def mint(
        self,
        *,
        subject: str,
        role: Role,
        scopes: Iterable[str] | None = None,
        hospital_code: str | None = None,
        agency: str | None = None,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
    ) -> str:
        if role is Role.HIS and not hospital_code:
            raise ValueError("a his token must be bound to a hospital code")
        if role is Role.AGENCY and not agency:
            raise ValueError("an agency token must name its agency")
        if not 0 < len(subject) <= 64:
            raise ValueError("the subject must have 1 to 64 characters")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "sub": subject,
            "role": role.value,
            "scopes": sorted(scopes if scopes is not None else DEFAULT_SCOPES[role]),
            "iat": now,
            "exp": now + ttl_seconds,
        }
        if hospital_code:
            claims["hospital"] = hospital_code
        if agency:
            claims["agency"] = agency
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

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
            claims = jwt.decode(
                token, self._secret, algorithms=[ALGORITHM], issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("令牌已过期 (token expired)", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("令牌无效 (invalid token)", code="invalid_token") from exc
        try:
            role = Role(claims.get("role"))
        except ValueError as exc:
            raise Unauthorized("令牌角色无效 (unknown role)", code="invalid_token") from exc
        if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 64:
            raise Unauthorized("令牌主体无效 (sub must be 1-64 characters)", code="invalid_token")
        scopes = claims.get("scopes", [])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise Unauthorized("令牌权限范围无效 (bad scopes claim)", code="invalid_token")
        hospital = claims.get("hospital")
        if role is Role.HIS and not isinstance(hospital, str):
            raise Unauthorized("医院令牌未绑定医院 (his token without hospital)", code="invalid_token")
        principal = Principal(
            subject=str(claims["sub"]), role=role, scopes=frozenset(scopes),
            hospital_code=hospital, agency=claims.get("agency"),
        )
        return principal, float(claims["exp"])


class ServiceTokens:
    """Short-lived service tokens, minted again before they expire (a long-running caller never
    holds a token that stops working)."""

    def __init__(self, codec: TokenCodec, subject: str, ttl_seconds: int = 3600) -> None:
        self._codec, self._subject, self._ttl = codec, subject, ttl_seconds
        self._token, self._renew_at = "", 0.0

    def __call__(self) -> str:
        now = time.monotonic()
        if now >= self._renew_at:
            self._token = self._codec.mint(subject=self._subject, role=Role.SERVICE, ttl_seconds=self._ttl)
            self._renew_at = now + self._ttl / 2
        return self._token


BEARER_SCHEME = {"type": "http", "scheme": "bearer", "description": "平台签发的JWT令牌 (JWT bearer token)"}
"""Documented in each app's OpenAPI (shared.app): `authenticate` reads the header itself, since every
dependency FastAPI solves costs CPU on every request."""


async def authenticate(request: Request) -> Principal:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("缺少访问令牌 (missing bearer token)", code="missing_token")
    codec: TokenCodec = request.app.state.token_codec
    principal = codec.decode(token.strip())
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
    parser = argparse.ArgumentParser(prog="python -m shared.auth", description="Mint a bearer token.")
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", required=True, choices=[r.value for r in Role])
    mint.add_argument("--subject", required=True)
    mint.add_argument("--hospital", help="hospital code (required for his)")
    mint.add_argument("--agency", help="civil_affairs or rural_revitalization (required for agency)")
    mint.add_argument("--scope", action="append", help="repeat to set scopes; default: the role's")
    mint.add_argument("--ttl-days", type=int, default=30)
    mint.add_argument(
        "--secret-env", default="PLATFORM_JWT_SECRET",
        help="environment variable holding the signing secret (default PLATFORM_JWT_SECRET)",
    )
    mint.add_argument("--issuer", default="assistance-platform")
    args = parser.parse_args(argv)
    secret = os.environ.get(args.secret_env)
    if not secret:
        parser.error(f"set {args.secret_env} to the services' JWT secret")
    codec = TokenCodec(secret, args.issuer)
    try:
        token = codec.mint(
            subject=args.subject, role=Role(args.role), scopes=args.scope,
            hospital_code=args.hospital, agency=args.agency, ttl_seconds=args.ttl_days * 86400,
        )
    except ValueError as exc:
        parser.error(str(exc))
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
