"""One settlement, one trace: the four services as real processes with tracing on, exporting over
OTLP/HTTP to a receiver this test runs (a real HTTP server decoding the protobuf the services send).
The trace holds settlement's request span at its root, its peer calls, the peers' request spans
under those calls and the database statements under the requests, each span linked to its parent."""

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from deploy.run_local import SERVICES
from tests.e2e.conftest import Platform, _on_postgresql, _running
from tests.e2e.settlement_support import EXAMPLE_1, beneficiary, settle
from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e


class Receiver:
    """The spans received, as (service.name, span), from every export request."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, Span]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["content-length"]))
                if self.headers.get("content-encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                with receiver.lock:
                    for resource_spans in request.resource_spans:
                        service = next(a.value.string_value for a in resource_spans.resource.attributes
                                       if a.key == "service.name")
                        for scope_spans in resource_spans.scope_spans:
                            receiver.spans.extend((service, span) for span in scope_spans.spans)
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        [port] = free_ports(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{port}"

    def of_trace(self, trace_id: str) -> list[tuple[str, Span]]:
        with self.lock:
            return [(s, span) for s, span in self.spans if span.trace_id.hex() == trace_id]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture(scope="module")
def traced_platform(
    migrated_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory, receiver: Receiver,
) -> Iterator[Platform]:
    var_dir: Path = tmp_path_factory.mktemp("e2e-traced")
    ports = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
    env, _databases = _on_postgresql(migrated_database, var_dir, ports)
    for service in SERVICES:
        env[f"{service.upper()}_OTLP_ENDPOINT"] = receiver.url
    env["OTEL_BSP_SCHEDULE_DELAY"] = "100"  # the SDK's batch delay, in ms: spans arrive within the test
    yield from _running(var_dir, env, ports, _databases)


def _attribute(span: Span, key: str) -> str | None:
    return next((a.value.string_value for a in span.attributes if a.key == key), None)


def test_one_settlement_is_one_trace_across_the_four_services(  # type: ignore[no-untyped-def]
    traced_platform: Platform, receiver: Receiver, auth,
) -> None:
    id_number = beneficiary(traced_platform, auth, "minimum_allowance")
    response = settle(traced_platform, auth, id_number, "TRACE-1", EXAMPLE_1)
    assert response.status_code == 201, response.text
    # The HIS sent no request id: the one it is given (and the logs carry) is the trace's id.
    trace_id = response.headers["x-request-id"]
    assert len(trace_id) == 32

    deadline = time.monotonic() + 20
    while True:
        spans = receiver.of_trace(trace_id)
        services = {service for service, span in spans if span.kind == Span.SPAN_KIND_SERVER}
        if services >= {"settlement", "registry", "catalog", "assistance"} or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert services == {"settlement", "registry", "catalog", "assistance"}

    by_id = {span.span_id: (service, span) for service, span in spans}
    [(root_service, root)] = [(s, span) for s, span in spans if not span.parent_span_id]
    assert (root_service, root.name, root.kind) == ("settlement", "POST /v1/settlements", Span.SPAN_KIND_SERVER)
    assert all(span.parent_span_id in by_id for _, span in spans if span is not root), "a span's parent is missing"

    # Each peer's request span is the child of one of settlement's peer-call spans, named for it.
    for peer in ("registry", "catalog", "assistance"):
        served = [span for s, span in spans if s == peer and span.kind == Span.SPAN_KIND_SERVER]
        assert served, peer
        for span in served:
            caller_service, call = by_id[span.parent_span_id]
            assert caller_service in ("settlement", "registry")
            assert call.kind == Span.SPAN_KIND_CLIENT
            assert _attribute(call, "peer.service") == peer
            assert by_id[call.parent_span_id][1].kind == Span.SPAN_KIND_SERVER  # made while serving a request
    assert any(by_id[span.parent_span_id][1] is root for s, span in spans
               if s == "settlement" and span.kind == Span.SPAN_KIND_CLIENT and _attribute(span, "peer.service"))

    # Database statements: settlement's under its request, registry's under its own.
    for service in ("settlement", "registry"):
        statements = [span for s, span in spans if s == service and _attribute(span, "db.system") == "postgresql"]
        assert statements, f"no statement span from {service}"
        for span in statements:
            assert _attribute(span, "db.statement")
            ancestor = by_id[span.parent_span_id]
            while ancestor[1].kind != Span.SPAN_KIND_SERVER:
                ancestor = by_id[ancestor[1].parent_span_id]
            assert ancestor[0] == service
    # The hot path's statements on a bare driver connection are in it too: the claim of the serial
    # and the record of the ledger entries.
    settlement_sql = [_attribute(span, "db.statement") or "" for s, span in spans
                      if s == "settlement" and _attribute(span, "db.system")]
    assert any("INSERT INTO settlements" in sql for sql in settlement_sql)
    assert any("INSERT INTO ledger_entries" in sql for sql in settlement_sql)

    # The logs lead to the trace: each service's access line of it carries its id.
    for service in ("settlement", "registry", "assistance"):
        lines = [json.loads(line) for line in (traced_platform.var_dir / f"{service}.log").read_text().splitlines()
                 if line.startswith("{")]
        assert any(line.get("trace_id") == trace_id and line["logger"] == "access" for line in lines), service
