"""The service client against a real HTTP server on a free port (aiohttp's own server)."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from shared.http_client import PeerUnavailable, RemoteProblem, ServiceClient
from shared.request_context import reset_request_id, set_request_id


class Peer:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.seen_headers: list[dict[str, str]] = []

    def count(self, name: str) -> int:
        self.calls[name] = self.calls.get(name, 0) + 1
        return self.calls[name]

    async def flaky(self, request: web.Request) -> web.Response:
        self.seen_headers.append(dict(request.headers))
        if self.count("flaky") < 3:
            return web.Response(status=503)
        return web.json_response({"ok": True})

    async def always_503(self, request: web.Request) -> web.Response:
        self.count(f"503-{request.method}")
        return web.Response(status=503)

    async def slow(self, request: web.Request) -> web.Response:
        self.count("slow")
        await asyncio.sleep(1)
        return web.json_response({})

    async def problem(self, request: web.Request) -> web.Response:
        body = {"type": "/problems/person_not_found", "status": 404, "code": "person_not_found",
                "title": "Not found", "detail": "未找到"}
        return web.Response(status=404, text=json.dumps(body), content_type="application/problem+json")


@pytest.fixture
async def peer() -> AsyncIterator[tuple[Peer, str]]:
    state = Peer()
    app = web.Application()
    app.router.add_get("/flaky", state.flaky)
    app.router.add_route("*", "/503", state.always_503)
    app.router.add_get("/slow", state.slow)
    app.router.add_get("/problem", state.problem)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield state, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_get_is_retried_and_carries_token_and_request_id(peer: tuple[Peer, str]) -> None:
    state, url = peer
    client = ServiceClient("registry", url, token="tok", retries=2)
    token = set_request_id("req-123")
    try:
        assert await client.get("/flaky") == {"ok": True}
    finally:
        reset_request_id(token)
        await client.close()
    assert state.calls["flaky"] == 3
    assert all(h["Authorization"] == "Bearer tok" and h["X-Request-ID"] == "req-123" for h in state.seen_headers)


async def test_post_is_not_retried_unless_marked_idempotent(peer: tuple[Peer, str]) -> None:
    state, url = peer
    client = ServiceClient("assistance", url, retries=2)
    try:
        with pytest.raises(PeerUnavailable) as caught:
            await client.post("/503", {"a": 1})
        assert caught.value.status == 503 and caught.value.headers["Retry-After"]
        assert state.calls["503-POST"] == 1
        with pytest.raises(PeerUnavailable):
            await client.post("/503", {"a": 1}, idempotent=True)
        assert state.calls["503-POST"] == 4
    finally:
        await client.close()


async def test_timeout_and_refused_connection_are_peer_unavailable(peer: tuple[Peer, str]) -> None:
    _, url = peer
    slow = ServiceClient("catalog", url, timeout_seconds=0.2, retries=0)
    refused = ServiceClient("catalog", "http://127.0.0.1:9", retries=1)
    try:
        with pytest.raises(PeerUnavailable, match="TimeoutError"):
            await slow.get("/slow")
        with pytest.raises(PeerUnavailable, match="catalog"):
            await refused.get("/healthz")
    finally:
        await slow.close()
        await refused.close()


async def test_remote_problem_is_typed(peer: tuple[Peer, str]) -> None:
    _, url = peer
    client = ServiceClient("registry", url)
    try:
        with pytest.raises(RemoteProblem) as caught:
            await client.get("/problem")
    finally:
        await client.close()
    assert (caught.value.remote_status, caught.value.remote_code) == (404, "person_not_found")
