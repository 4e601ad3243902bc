"""OpenTelemetry traces, on only where an OTLP endpoint is configured (`<SERVICE>_OTLP_ENDPOINT`).

One trace follows a request across the services: each app continues the caller's W3C `traceparent`
in a request span, the one service client (shared.http_client) opens a span per peer call and sends
its `traceparent` on, and each database statement is a span under whatever is current.

Off (the default) nothing is installed: no tracer provider, no middleware, no engine listener; the
service client's one check is `tracer is None`. So tracing off costs nothing per request.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.db import Database
from shared.id_number import mask_in_text

PROPAGATOR = TraceContextTextMapPropagator()
tracer: Tracer | None = None
"""This process's tracer while tracing is on (set by `start`), else None: what the client checks."""


def start(service: str, endpoint: str) -> TracerProvider:
    """Tracing on for this process: spans batched to the OTLP/HTTP receiver at `endpoint` (its base
    URL; /v1/traces is added). Returns the provider, to shut down (it flushes) when the app stops."""
    global tracer
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    tracer = provider.get_tracer("shared.tracing")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_with_trace_id)
    return provider


def stop(provider: TracerProvider) -> None:
    global tracer
    provider.shutdown()
    tracer = None
    for handler in logging.getLogger().handlers:
        handler.removeFilter(_with_trace_id)


def _with_trace_id(record: logging.LogRecord) -> bool:
    """Each log line written while tracing is on names its trace (whatever request id it carries)."""
    record.trace_id = trace_id_hex()
    return True


def trace_id_hex() -> str | None:
    """The current trace's id (32 hex digits), the request id of a request that came without one."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


def context_from_headers(headers: list[tuple[bytes, bytes]]) -> Context | None:
    carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in headers if k in (b"traceparent", b"tracestate")}
    return PROPAGATOR.extract(carrier) if carrier else None


def inject(headers: dict[str, str]) -> None:
    """The current span's `traceparent` into an outgoing call's headers."""
    PROPAGATOR.inject(headers)


class TracingMiddleware:
    """The request span (outermost, so the request id and the access log see its trace): continues
    the caller's `traceparent`, named by the route once routing has chosen one."""

    def __init__(self, app: ASGIApp, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        with self.tracer.start_as_current_span(
            method, context=context_from_headers(scope["headers"]), kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": mask_in_text(scope["path"])},
        ) as span:

            async def send_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, send_status)
            finally:
                route = getattr(scope.get("route"), "path", None)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)


def trace_statements(database: Database, tracer: Tracer) -> Callable[[], None]:
    """A span for each statement the database runs (its SQL text, never its parameters), through
    SQLAlchemy or on a bare driver connection (the settlement hot path). Returns the removal."""
    sync_engine = database.engine.sync_engine
    system = sync_engine.dialect.name

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        span = tracer.start_span(
            _operation(statement), kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.statement": statement, "db.executemany": executemany},
        )
        conn.info.setdefault("tracing.spans", []).append(span)

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        _end(conn, None)

    def failed(exception_context: Any) -> None:
        if exception_context.connection is not None:
            _end(exception_context.connection, exception_context.original_exception)

    def driver_statement(query: Any) -> None:
        # asyncpg tells of a statement once done (scheduled in the caller's context): a span dated back.
        end = time.time_ns()
        span = tracer.start_span(
            _operation(query.query), kind=SpanKind.CLIENT, start_time=end - int(query.elapsed * 1e9),
            attributes={"db.system": system, "db.statement": query.query},
        )
        if query.exception is not None:
            span.set_status(Status(StatusCode.ERROR, type(query.exception).__name__))
        span.end(end_time=end)

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    event.listen(sync_engine, "handle_error", failed)
    database.driver_query_logger = driver_statement

    def remove() -> None:
        event.remove(sync_engine, "before_cursor_execute", before)
        event.remove(sync_engine, "after_cursor_execute", after)
        event.remove(sync_engine, "handle_error", failed)
        database.driver_query_logger = None

    return remove


def _operation(statement: str) -> str:
    """The span's name: the statement's first word (SELECT, INSERT, WITH, ...)."""
    return statement.split(None, 1)[0].upper() if statement.strip() else "SQL"


def _end(conn: Any, error: BaseException | None) -> None:
    spans: list[Span] = conn.info.get("tracing.spans") or []
    if not spans:
        return
    span = spans.pop()
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()
