"""What every service app has: problems, auth, request ids, logs, metrics, health, documented
errors, and for a service with a database its engine, readiness check and disposal. A service's
`create_app(settings)` calls `build_service_app` with its own routers."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from shared.auth import BEARER_SCHEME, TokenVerifier, authenticate, load_public_keys
from shared.db import Database, install_database_problems
from shared.errors import PROBLEM_MEDIA_TYPE, ProblemDetails, install_problem_handlers
from shared.observability import (
    Metrics,
    ReadinessCheck,
    configure_logging,
    health_router,
    install_observability,
)
from shared.settings import ServiceSettings

Hook = Callable[[FastAPI], Awaitable[None]]

_PROBLEM_RESPONSES = {
    "401": "缺少或无效的令牌 (missing or invalid token)",
    "403": "令牌不适用于本服务，或角色、权限不足 (wrong audience, role or scope not allowed)",
    "422": "请求校验失败 (validation failed)",
}
_PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook(app)
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            if database is not None:
                await database.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.database = database
    app.state.token_verifier = TokenVerifier(
        load_public_keys(settings.jwt_public_keys), issuer=settings.jwt_issuer, audience=service,
        service_keys=load_public_keys(settings.jwt_service_public_keys),
    )
    metrics = Metrics(service)
    install_problem_handlers(app)
    if database is not None:
        install_database_problems(app)
    install_observability(app, metrics)
    app.include_router(health_router(metrics, readiness))
    for router in routers:
        # Authentication runs before anything else a route depends on (no existence leaks).
        app.include_router(router, dependencies=[Depends(authenticate)])
    _document_problems(app)
    return app


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
                for status, response in responses.items():
                    if status[0] in "45":
                        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": ref}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
