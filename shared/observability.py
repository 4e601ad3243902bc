"""Request ids, JSON logs with ID numbers masked, Prometheus metrics, health and readiness."""

import asyncio
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import (
    ServiceUnavailable,
    internal_error,
    problem_response,
    problem_responses,
    shutting_down,
)
from shared.id_number import mask_in_text
from shared.request_context import current_request_id, reset_request_id, set_request_id

REQUEST_ID_HEADER = "x-request-id"
# "*": a request id is masked like any text (an ID number sent as one), and passed on to peers so.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:*-]{1,64}$")
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")
access_log = logging.getLogger("access")
log = logging.getLogger("shared.observability")


class JsonFormatter(logging.Formatter):
    """One JSON object a line; every ID number in the message is masked (first 6, last 4)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": mask_in_text(record.getMessage()),
            "request_id": current_request_id(),
        }
        trace_id = getattr(record, "trace_id", None)  # set by shared.tracing's filter, when tracing is on
        if trace_id:
            entry["trace_id"] = trace_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update({k: mask_in_text(v) if isinstance(v, str) else v for k, v in fields.items()})
        if record.exc_info:
            entry["exc"] = mask_in_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class MaskingFormatter(logging.Formatter):
    """Plain lines for a terminal, ID numbers masked all the same."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return mask_in_text(super().format(record))


def configure_logging(service: str, level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service) if json_lines else MaskingFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would print raw paths (ID numbers); ours masks them.
    logging.getLogger("uvicorn.access").disabled = True


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests_total", "HTTP requests served", ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.service = service
        # Each (method, route, status)'s counter and histogram, looked up once (labels() per request cost
        # about 1.5% of a service's CPU under load); bounded by the routes, methods and statuses served.
        self._request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self._request_series.get((method, route, status))
        if series is None:
            series = self._request_series[(method, route, status)] = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
        series[0].inc()
        series[1].observe(seconds)


def random_request_id() -> str:
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Pure ASGI (no per-request task): request id in and out, access log, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, new_request_id: Callable[[], str] = random_request_id) -> None:
        self.app = app
        self.metrics = metrics
        self.new_request_id = new_request_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        # Masked once, here: the id echoed, quoted in problems, logged and sent on is the same one.
        request_id = mask_in_text(incoming) if _VALID_REQUEST_ID.match(incoming) else self.new_request_id()
        # Every API response may hold personal data: no cache keeps it (docs and probes may be cached).
        added = [(REQUEST_ID_HEADER.encode(), request_id.encode()), _NOSNIFF]
        if scope["path"].startswith("/v1/"):
            added.append(_NO_STORE)
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        status_sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # The server cancels what still runs when its shutdown grace period ends (SIGTERM): a 503
            # to retry rather than uvicorn's bare 500. The task ends here, so the cancellation stops.
            if status_sent:
                raise
            log.warning("%s %s cancelled at shutdown", scope["method"], mask_in_text(scope["path"]))
            await shutting_down()(scope, receive, send_with_id)
        except Exception:
            # Answered here, inside the request's context, so the problem and the log line carry
            # the request id the caller is told to quote.
            log.exception("unhandled error on %s %s", scope["method"], mask_in_text(scope["path"]))
            if status_sent:
                raise
            await internal_error()(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.observe_request(method, route_path, status, elapsed)
            if route_path not in ("/healthz", "/metrics") and access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s", method, scope["path"], status,
                    extra={"fields": {
                        "method": method, "path": mask_in_text(scope["path"]), "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    }},
                )
            reset_request_id(token)


ReadinessCheck = Callable[[], Awaitable[None]]
"""Raises when the dependency it checks is not usable."""


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


def health_router(
    metrics: Metrics, checks: Mapping[str, ReadinessCheck], *, metrics_guard: Sequence[Any] | None,
) -> APIRouter:
    """`metrics_guard`: the dependencies /metrics needs on the service port (a token), or None when
    /metrics is served on a port of its own (`serve_metrics`) and not here."""
    router = APIRouter(tags=["health 运维探针"])

    @router.get("/healthz", summary="存活探针 (liveness)")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz", summary="就绪探针：数据库与依赖服务 (readiness: database and peers)",
        responses=problem_responses(ServiceUnavailable(
            "依赖不可用 (a dependency is not reachable)", code="not_ready",
            extra={"checks": {"database": "ok", "catalog": "failed: PeerUnavailable"}},
        )),
    )
    async def readyz(request: Request) -> Readiness:
        outcomes = await asyncio.gather(*(check() for check in checks.values()), return_exceptions=True)
        results: dict[str, str] = {}
        for name, outcome in zip(checks, outcomes, strict=True):
            results[name] = "ok" if outcome is None else "failed"
            if outcome is not None:
                # The cause is for operators (the log), not for anyone who can reach the probe.
                log.warning("readiness check %s failed: %s: %s", name, type(outcome).__name__, outcome)
        if all(v == "ok" for v in results.values()):
            return Readiness(status="ready", checks=results)
        return problem_response(  # type: ignore[return-value]
            request, status=503, code="not_ready", title="Service unavailable",
            detail="依赖不可用 (a dependency is not reachable)", extra={"checks": results},
            headers={"Retry-After": "5"},
        )

    if metrics_guard is not None:
        @router.get(
            "/metrics", summary="Prometheus 指标，需 ops 或 service 令牌 (metrics; an ops or service token)",
            response_class=Response, dependencies=list(metrics_guard),
        )
        async def metrics_endpoint() -> Response:
            return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


async def keep_refreshing(name: str, refreshes: Sequence[Callable[[], Awaitable[None]]], seconds: float) -> None:
    """Recompute gauges every `seconds` until cancelled, in the background (never on a request). A
    refresh that fails (its database or peer down) leaves its gauges as they were, logged."""
    while True:
        for refresh in refreshes:
            try:
                await refresh()
            except Exception as exc:
                log.warning("%s not refreshed: %s: %s", name, type(exc).__name__, exc)
        await asyncio.sleep(seconds)


def serve_metrics(metrics: Metrics, host: str, port: int) -> Callable[[], None]:
    """/metrics on a port of its own, from a thread of this process (prometheus_client's server, as
    a Prometheus scrape config expects it), for a network only Prometheus reaches. Returns the stop."""
    server, thread = start_http_server(port, addr=host, registry=metrics.registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


def install_observability(
    app: FastAPI, metrics: Metrics, new_request_id: Callable[[], str] = random_request_id,
) -> None:
    app.add_middleware(RequestContextMiddleware, metrics=metrics, new_request_id=new_request_id)

