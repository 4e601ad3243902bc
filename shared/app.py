"""What every service app has: problems, auth, request ids, logs, metrics, health, documented
errors, and for a service with a database its engine, readiness check and disposal. A service's
`create_app(settings)` calls `build_service_app` with its own routers."""

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline

from shared import tracing
from shared.auth import Principal, Role, TokenVerifier, authenticate, load_public_keys, require
from shared.db import Database, install_database_problems
from shared.docs import DOCS_ASSETS_URL, SWAGGER_UI_PARAMETERS, install_openapi
from shared.edge import RequestLimitsMiddleware
from shared.errors import install_problem_handlers
from shared.observability import (
    Metrics,
    ReadinessCheck,
    configure_logging,
    health_router,
    install_observability,
    random_request_id,
    serve_metrics,
)
from shared.rate_limit import RateLimiter
from shared.settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]

# Traces and metrics are shared.tracing's and shared.observability's. FastAPI's own would look up
# the OpenTelemetry providers on every request (about 2% of a service's CPU) and, were a global
# provider ever set, trace every request a second time.
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


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
    # Tracing off (no endpoint): nothing below is installed, not even a check per request.
    provider = tracing.start(service, settings.otlp_endpoint) if settings.otlp_endpoint else None
    untrace_statements = (
        tracing.trace_statements(database, provider.get_tracer("shared.db"))
        if provider is not None and database is not None else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_metrics = (
            serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
            if settings.metrics_port is not None else None
        )
        if database is not None:
            await database.warm()
        for hook in on_startup:
            await hook(app)
        settle_memory()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            if database is not None:
                await database.dispose()
            if stop_metrics is not None:
                stop_metrics()
            if untrace_statements is not None:
                untrace_statements()
            if provider is not None:
                tracing.stop(provider)

    app = FastAPIOffline(
        title=title, description=description, version="0.1.0", lifespan=lifespan,
        static_url=DOCS_ASSETS_URL, swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = metrics  # a service's own gauges go on the same registry
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
    if provider is None:
        install_observability(app, metrics)
    else:
        # The request id of a request that came without one is its trace's id: logs lead to the trace.
        install_observability(app, metrics, new_request_id=lambda: tracing.trace_id_hex() or random_request_id())
        app.add_middleware(tracing.TracingMiddleware, tracer=provider.get_tracer("shared.app"))
    metrics_guard = None if settings.metrics_port is not None else [Depends(require(Role.OPS, Role.SERVICE))]
    app.include_router(health_router(metrics, readiness, metrics_guard=metrics_guard))
    caller = Depends(_authenticate_within_limits(_rate_limiters(settings)))
    for router in routers:
        # Authentication (and the caller's rate limit) runs before anything else a route depends on
        # (no existence leaks).
        app.include_router(router, dependencies=[caller])
    install_openapi(app, service, settings)
    return app


def settle_memory() -> None:
    """What the start-up built (the app, its models and schemas, the policies) lives as long as the
    process: moved out of the collector's sight, so the full collections that come every few
    thousand requests walk only what requests left behind, instead of pausing on all of it."""
    gc.collect()
    gc.freeze()


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
