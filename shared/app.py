"""What every service app has: problems, auth, request ids, logs, metrics, health, documented
errors, and for a service with a database its engine, readiness check and disposal. A service's
`create_app(settings)` calls `build_service_app` with its own routers."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.utils import get_openapi

from shared.auth import BEARER_SCHEME, Principal, Role, TokenVerifier, authenticate, load_public_keys, require
from shared.db import Database, install_database_problems
from shared.edge import RequestLimitsMiddleware
from shared.errors import PROBLEM_MEDIA_TYPE, ProblemDetails, install_problem_handlers
from shared.observability import (
    Metrics,
    ReadinessCheck,
    configure_logging,
    health_router,
    install_observability,
    serve_metrics,
)
from shared.rate_limit import RateLimiter
from shared.settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]

_PROBLEM_RESPONSES = {
    "401": "缺少或无效的令牌 (missing or invalid token)",
    "403": "令牌不适用于本服务，或角色、权限不足 (wrong audience, role or scope not allowed)",
    "422": "请求校验失败 (validation failed)",
    "429": "令牌请求过于频繁，见 Retry-After (rate limited; see Retry-After)",
}
_PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})  # /metrics: a token, or a port of its own


def build_service_app(
    *,
    service: str,
    title: str,
    description: str,
    settings: ServiceSettings,
    routers: Iterable[APIRouter],
    readiness: Mapping[str, ReadinessCheck],
    database: Database | None = None,
    on_startup: Iterable[Hook] = (),
    on_shutdown: Iterable[Hook] = (),
    configure_logs: bool = True,
) -> FastAPI:
    if configure_logs:
        configure_logging(service, settings.log_level, settings.log_json)
    if database is not None:
        readiness = {"database": database.ping, **readiness}

    metrics = Metrics(service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_metrics = (
            serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
            if settings.metrics_port is not None else None
        )
        for hook in on_startup:
            await hook(app)
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            if database is not None:
                await database.dispose()
            if stop_metrics is not None:
                stop_metrics()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.token_verifier = TokenVerifier(
        load_public_keys(settings.jwt_public_keys), issuer=settings.jwt_issuer, audience=service,
        service_keys=load_public_keys(settings.jwt_service_public_keys),
    )
    install_problem_handlers(app)
    if database is not None:
        install_database_problems(app)
    # Inside the request context (so a 413 carries the request id and is logged), before the app.
    app.add_middleware(
        RequestLimitsMiddleware,
        max_json_body_bytes=settings.max_json_body_bytes, max_csv_body_bytes=settings.max_csv_body_bytes,
    )
    install_observability(app, metrics)
    metrics_guard = None if settings.metrics_port is not None else [Depends(require(Role.OPS, Role.SERVICE))]
    app.include_router(health_router(metrics, readiness, metrics_guard=metrics_guard))
    caller = Depends(_authenticate_within_limits(_rate_limiters(settings)))
    for router in routers:
        # Authentication (and the caller's rate limit) runs before anything else a route depends on
        # (no existence leaks).
        app.include_router(router, dependencies=[caller])
    _document_problems(app)
    return app


def _rate_limiters(settings: ServiceSettings) -> dict[Role, RateLimiter]:
    """The roles whose tokens are limited (a rate or burst of 0 leaves a role unlimited)."""
    limiters = {}
    for role in Role:
        rate = getattr(settings, f"rate_limit_{role.value}_per_second")
        burst = getattr(settings, f"rate_limit_{role.value}_burst")
        if rate > 0 and burst > 0:
            limiters[role] = RateLimiter(rate, burst)
    return limiters


def _authenticate_within_limits(limiters: dict[Role, RateLimiter]) -> Callable[[Request], Awaitable[Principal]]:
    """One dependency, since each costs CPU on every request: the token (its check is cached), then
    its subject's bucket for its role."""

    async def caller(request: Request) -> Principal:
        principal = await authenticate(request)
        limiter = limiters.get(principal.role)
        if limiter is not None:
            limiter.check(principal.subject, detail="请求过于频繁，请稍后再试 (too many requests for this token; "
                          "retry after the time in Retry-After)")
        return principal

    return caller


def _document_problems(app: FastAPI) -> None:
    """Every operation documents its bearer token and its problem responses with the ProblemDetails
    schema (FastAPI would document 422 as its own HTTPValidationError, which we never send)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {"bearer": BEARER_SCHEME}
        components = schema["components"].setdefault("schemas", {})
        components["ProblemDetails"] = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        ref = {"$ref": "#/components/schemas/ProblemDetails"}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if path in _PUBLIC_PATHS:
                    responses.pop("422", None)
                else:
                    operation["security"] = [{"bearer": []}]
                    for status, text in _PROBLEM_RESPONSES.items():
                        responses[status] = {"description": text}
                    if "requestBody" in operation:
                        responses["400"] = {"description": "请求体无法解析 (the body cannot be parsed)"}
                        responses["413"] = {"description": "请求体过大 (the body is over its limit)"}
                for status, response in responses.items():
                    if status[0] in "45":
                        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
