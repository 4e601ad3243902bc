"""Tracing is wired only where an OTLP endpoint is configured: off, an app has no tracing middleware,
its engine no statement listener and the service client no tracer (the off path costs nothing)."""

from pathlib import Path

from fastapi import FastAPI
from opentelemetry import trace

from conftest import KEY_SETTINGS, asgi_client
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared import tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _catalog(tmp_path: Path, **settings: str) -> FastAPI:
    return create_app(CatalogSettings(**KEY_SETTINGS, database_url=f"sqlite:///{tmp_path}/c.db", **settings))


def _hooks(app: FastAPI) -> tuple[list[str], int, int]:
    """(middleware class names, statement listeners, error listeners) of the app."""
    engine = app.state.database.engine.sync_engine
    return ([m.cls.__name__ for m in app.user_middleware],  # type: ignore[attr-defined]
            len(engine.dispatch.before_cursor_execute) + len(engine.dispatch.after_cursor_execute),
            len(engine.dialect.dispatch.handle_error))


async def test_tracing_off_installs_no_middleware_no_hook_and_no_provider(tmp_path: Path) -> None:
    app = _catalog(tmp_path)
    middleware, statement_listeners, _ = _hooks(app)
    assert "TracingMiddleware" not in middleware
    assert statement_listeners == 0
    assert app.state.database.driver_query_logger is None  # the driver pool's connections log nothing
    assert tracing.tracer is None
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # nothing set for the process
    async with asgi_client(app) as client:
        made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    assert tracing.tracer is None


async def test_tracing_on_installs_them_and_its_shutdown_removes_them(tmp_path: Path) -> None:
    # Nothing listens at the endpoint: the batch exporter's failure to send is logged, never raised.
    app = _catalog(tmp_path, otlp_endpoint="http://127.0.0.1:9")
    middleware, statement_listeners, error_listeners = _hooks(app)
    assert middleware[0] == "TracingMiddleware"  # outermost: the request id is read from its trace
    assert (statement_listeners, error_listeners) == (2, 1)
    assert app.state.database.driver_query_logger is not None
    assert tracing.tracer is not None
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        continued = await client.get("/healthz", headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    # A request that came without an id takes its trace's: the caller's, continued.
    assert continued.headers["x-request-id"] == TRACE_ID
    assert _hooks(app)[1:] == (0, 0)
    assert app.state.database.driver_query_logger is None
    assert tracing.tracer is None
