"""The one client for service-to-service calls, on aiohttp.

Why aiohttp: docs/design.md (Measured facts) has httpx's own pool at 51 req/s with a 1.6 s p99 at 32 clients,
aiohttp at ~750 req/s. One `ServiceClient` per peer holds a pooled keep-alive connector for the
life of the app. It sends the service token and the current request id, retries only idempotent
calls (GET/HEAD/PUT/DELETE, or a POST the caller marks idempotent) on connection failures and
502/503/504, and turns failures into typed errors:
- `PeerUnavailable` (503 with Retry-After when not handled): the peer is down, slow or failing;
- `RemoteProblem`: the peer answered with a problem (4xx); the caller decides what it means.
Each call's time counts to the request's Server-Timing where the route keeps one (shared.server_timing).
"""

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

from shared import server_timing, tracing
from shared.auth import ServiceTokens, SigningKey, key_id, load_public_keys
from shared.errors import Problem, ServiceUnavailable
from shared.request_context import current_request_id
from shared.settings import PeerSettings

log = logging.getLogger("shared.http_client")
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRYABLE_STATUS = frozenset({502, 503, 504})


class PeerUnavailable(ServiceUnavailable):
    code = "peer_unavailable"

    def __init__(self, peer: str, reason: str) -> None:
        super().__init__(
            f"依赖服务 {peer} 暂不可用，请稍后重试 ({peer} unavailable: {reason})",
            extra={"peer": peer},
        )
        self.peer = peer
        self.reason = reason


class RemoteProblem(Problem):
    """A 4xx problem a peer returned; rendered as 502 if a caller lets it escape."""

    status, code, title = 502, "peer_rejected", "Bad gateway"

    def __init__(
        self, peer: str, remote_status: int, remote_code: str, remote_detail: str,
        remote_problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            f"依赖服务 {peer} 拒绝了请求 ({peer} answered {remote_status} {remote_code})",
            extra={"peer": peer, "peer_code": remote_code},
        )
        self.peer = peer
        self.remote_status = remote_status
        self.remote_code = remote_code
        self.remote_detail = remote_detail
        self.remote_problem = remote_problem or {}  # the whole problem body, e.g. the line it names


class ServiceClient:
    def __init__(
        self,
        peer: str,
        base_url: str,
        *,
        token: str | Callable[[], str] | None = None,
        timeout_seconds: float = 2.0,
        retries: int = 2,
        pool_size: int = 100,
    ) -> None:
        self.peer = peer
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._retries = retries
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, raise_for_status=False,
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        token = self._token() if callable(self._token) else self._token
        if token:
            headers["authorization"] = f"Bearer {token}"
        request_id = current_request_id()
        if request_id:
            headers["x-request-id"] = request_id
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """The decoded JSON body of a 2xx answer; typed errors otherwise."""
        tracer = tracing.tracer
        timing = server_timing.current()
        started = timing.peer_started() if timing is not None else 0.0
        try:
            if tracer is None:
                return await self._request(method, path, json_body, params, idempotent, None)
            with tracer.start_as_current_span(
                f"{self.peer} {method.upper()}", kind=tracing.SpanKind.CLIENT,
                attributes={"peer.service": self.peer, "http.request.method": method.upper(),
                            "url.path": tracing.mask_in_text(path)},
            ):
                return await self._request(method, path, json_body, params, idempotent, tracing.inject)
        finally:
            if timing is not None:
                timing.peer_done(self.peer, started)

    async def _request(
        self, method: str, path: str, json_body: Any, params: dict[str, str] | None, idempotent: bool | None,
        inject: Callable[[dict[str, str]], None] | None,
    ) -> Any:
        if self._session is None:
            await self.start()
        assert self._session is not None
        method = method.upper()
        may_retry = method in _IDEMPOTENT if idempotent is None else idempotent
        attempts = 1 + (self._retries if may_retry else 0)
        last_reason = "no attempt"
        headers = self._headers()
        if inject is not None:
            inject(headers)
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(0.05 * 2 ** (attempt - 1))
            try:
                async with self._session.request(
                    method, self.base_url + path, json=json_body, params=params, headers=headers,
                ) as response:
                    body = await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_reason = type(exc).__name__
                log.warning("call to %s %s failed: %s", self.peer, path, last_reason)
                continue
            if status in _RETRYABLE_STATUS:
                last_reason = f"HTTP {status}"
                continue
            return self._decode(status, body)
        raise PeerUnavailable(self.peer, last_reason)

    def _decode(self, status: int, body: bytes) -> Any:
        try:
            payload = json.loads(body) if body else None
        except ValueError as exc:
            raise PeerUnavailable(self.peer, f"HTTP {status} with a body that is not JSON") from exc
        if 200 <= status < 300:
            return payload
        if 400 <= status < 500 and isinstance(payload, dict):
            raise RemoteProblem(
                self.peer, status, str(payload.get("code", "unknown")), str(payload.get("detail", "")),
                payload,
            )
        raise PeerUnavailable(self.peer, f"HTTP {status}")

    async def get(self, path: str, *, params: dict[str, str] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json_body: Any, *, idempotent: bool = False) -> Any:
        return await self.request("POST", path, json_body=json_body, idempotent=idempotent)

    async def warm(self, connections: int = 4) -> None:
        """Open `connections` to the peer (and sign the first service token) before this service
        says it is ready, so the first requests after a start do not pay for them. A peer that is
        not up yet is left to the readiness check."""
        results = await asyncio.gather(*(self.ready() for _ in range(connections)), return_exceptions=True)
        failures = {type(result).__name__ for result in results if isinstance(result, Exception)}
        if failures:
            log.warning("%s not ready at start (%s); connections will be opened on first use",
                        self.peer, ", ".join(sorted(failures)))

    async def ready(self) -> None:
        """Readiness check of this peer: its /healthz answers."""
        await self.get("/healthz")


def service_tokens(settings: PeerSettings, *, caller: str) -> ServiceTokens:
    """The caller's service tokens, signed with its own key. A caller holding the issuer's private
    key could mint HIS and ops tokens: refused at start."""
    key = SigningKey.load(settings.service_signing_key.get_secret_value())
    if key.kid in {key_id(k) for k in load_public_keys(settings.jwt_public_keys)}:
        raise ValueError(f"{caller}: the service signing key must be the service's own, not the issuer's")
    return ServiceTokens(key, issuer=settings.jwt_issuer, subject=caller)


def peer_client(peer: str, base_url: str, settings: PeerSettings, tokens: ServiceTokens) -> ServiceClient:
    """The client a service uses for one peer: its service tokens, the peer settings' timeout and
    retries."""
    return ServiceClient(peer, base_url, token=tokens, timeout_seconds=settings.peer_timeout_seconds,
                         retries=settings.peer_retries)
