"""Request ids, JSON logs with ID numbers masked, Prometheus metrics, health and readiness."""

import asyncio
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import internal_error, problem_response, problem_responses
from shared.id_number import mask_in_text
from shared.request_context import current_request_id, reset_request_id, set_request_id

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
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


class RequestContextMiddleware:
    """Pure ASGI (no per-request task): request id in and out, access log, metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        status_sent = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, status_sent
            if message["type"] == "http.response.start":
                status, status_sent = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
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
            self.metrics.requests.labels(self.metrics.service, method, route_path, str(status)).inc()
            self.metrics.latency.labels(self.metrics.service, method, route_path).observe(elapsed)
            if route_path not in ("/healthz", "/metrics"):
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


def health_router(metrics: Metrics, checks: Mapping[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["health 运维探针"])

    @router.get("/healthz", summary="存活探针 (liveness)")
    async def healthz() -> Health:
        return Health(status="ok")

    @router.get(
        "/readyz", summary="就绪探针：数据库与依赖服务 (readiness: database and peers)",
        responses=problem_responses(503),
    )
    async def readyz(request: Request) -> Readiness:
        outcomes = await asyncio.gather(*(check() for check in checks.values()), return_exceptions=True)
        results = {
            name: "ok" if outcome is None else f"failed: {type(outcome).__name__}"
            for name, outcome in zip(checks, outcomes, strict=True)
        }
        if all(v == "ok" for v in results.values()):
            return Readiness(status="ready", checks=results)
        return problem_response(  # type: ignore[return-value]
            request, status=503, code="not_ready", title="Service unavailable",
            detail="依赖不可用 (a dependency is not reachable)", extra={"checks": results},
            headers={"Retry-After": "5"},
        )

    @router.get("/metrics", summary="Prometheus 指标 (metrics)", response_class=Response)
    async def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(app: FastAPI, metrics: Metrics) -> None:
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

