"""The edge over real HTTP: one service process started through the CLI every deployment uses
(`python -m services.assistance serve`), answered by the HTTP server itself where the app never
sees the request, and its log read as it was written."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import ISSUER, ISSUER_KEY, KEY_SETTINGS, ROOT
from deploy.run_local import stop_all, wait_healthy
from shared.auth import Role, TokenIssuer
from tests.support.ports import free_ports

pytestmark = pytest.mark.e2e
ID_NUMBER = "370602199001011239"
ITEM = {
    "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
    "discharged_on": "2023-03-20", "identities": ["minimum_allowance"],
    "bill": {"total": "50000", "full_self_pay": "3000", "pre_self_pay": "2000", "basic_insurance_paid": "26520"},
}


@dataclass
class Service:
    url: str
    port: int
    metrics_url: str
    log: Path
    token: str


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    port, metrics_port = free_ports(2)
    log = tmp_path_factory.mktemp("edge") / "assistance.log"
    env = {
        **os.environ, **{f"ASSISTANCE_{name.upper()}": value for name, value in KEY_SETTINGS.items()},
        "ASSISTANCE_METRICS_PORT": str(metrics_port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.assistance", "serve", "--port", str(port)],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        token = TokenIssuer(ISSUER_KEY, ISSUER).mint(subject="edge-e2e", role=Role.SERVICE)
        yield Service(url, port, f"http://127.0.0.1:{metrics_port}/metrics", log, token)
    finally:
        stop_all([process])


def raw_exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes no HTTP client would send; read the answer up to the server's close."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking everything
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_raw_utf8_in_the_query_is_a_problem_not_plain_text(service: Service) -> None:
    request = "GET /v1/policies?document_number=莱民〔2023〕9月 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, headers, body = raw_exchange(service.port, request)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    assert "server" not in headers
    problem = json.loads(body)
    assert problem["code"] == "malformed_request" and problem["status"] == 400
    assert "--data-urlencode" in problem["detail"]
    # Percent-encoded, as `curl -G --data-urlencode` sends it, the same query is read.
    encoded = httpx.get(f"{service.url}/v1/policies", params={"on": "2023-06-01", "document_number": "莱民〔2023〕9月"},
                        headers={"Authorization": f"Bearer {service.token}"})
    assert encoded.status_code == 200


@pytest.mark.parametrize("complete", [True, False])
def test_a_request_head_over_16_kib_is_a_431_problem(service: Service, complete: bool) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000) for i in range(17)
    )
    # Complete, the head is refused whole; incomplete, while it still arrives (nothing more is read).
    request = head + b"\r\n" if complete else head + b"X-Last: " + b"b" * 50_000
    status, headers, body = raw_exchange(service.port, request)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "request_header_fields_too_large"
    small = httpx.get(f"{service.url}/healthz", headers={"X-Filler": "a" * 8000})
    assert small.status_code == 200


def test_a_body_over_the_limit_is_a_413_over_http(service: Service) -> None:
    too_big = httpx.post(f"{service.url}/v1/calculations", content=b"{" + b" " * (17 * 1024 * 1024) + b"}",
                         headers={"content-type": "application/json"}, timeout=30)
    assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"


def test_responses_name_no_server_and_say_nosniff(service: Service) -> None:
    for response in (httpx.get(f"{service.url}/healthz"), httpx.get(f"{service.url}/v1/policies")):
        assert "server" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"


def test_metrics_are_served_on_their_own_port_only(service: Service) -> None:
    assert httpx.get(f"{service.url}/metrics", headers={"Authorization": f"Bearer {service.token}"}).status_code == 404
    scraped = httpx.get(service.metrics_url)
    assert scraped.status_code == 200
    assert 'http_requests_total{method="GET",route="/healthz",service="assistance",status="200"}' in scraped.text


def test_no_id_number_reaches_the_log_unmasked(service: Service) -> None:
    response = httpx.get(f"{service.url}/v1/persons/{ID_NUMBER}/eligibility",
                         headers={"X-Request-ID": ID_NUMBER, "Authorization": f"Bearer {service.token}"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "370602********1239"
    assert response.json()["instance"] == "/v1/persons/370602********1239/eligibility"
    assert response.json()["request_id"] == "370602********1239"
    time.sleep(0.2)
    lines = [json.loads(line) for line in service.log.read_text().splitlines() if line.startswith("{")]
    logged = [line for line in lines if line.get("request_id") == "370602********1239"]
    assert logged and logged[0]["path"] == "/v1/persons/370602********1239/eligibility"
    assert ID_NUMBER not in service.log.read_text()


def test_a_batch_of_10000_runs_off_the_event_loop(service: Service) -> None:
    headers = {"Authorization": f"Bearer {service.token}"}
    outcome: dict[str, httpx.Response] = {}

    def send_batch() -> None:
        outcome["batch"] = httpx.post(f"{service.url}/v1/calculations:batch", json={"items": [ITEM] * 10_000},
                                      headers=headers, timeout=300)

    batch = threading.Thread(target=send_batch)
    batch.start()
    answered_while_running = 0
    with httpx.Client(timeout=5) as client:
        while batch.is_alive():
            started = time.monotonic()
            health = client.get(f"{service.url}/healthz")
            took = time.monotonic() - started
            if batch.is_alive():  # still computing when /healthz answered
                assert health.status_code == 200
                assert took < 1, f"/healthz took {took:.2f} s while the batch ran"
                answered_while_running += 1
            time.sleep(0.05)
    batch.join()
    assert outcome["batch"].status_code == 200, outcome["batch"].text[:500]
    body = outcome["batch"].json()
    assert (body["computed"], body["failed"]) == (10_000, 0)
    assert body["items"][9_999]["result"]["assistance"] == "8814.40"  # POLICY.md §8 example 1
    assert answered_while_running >= 3
    too_many = httpx.post(f"{service.url}/v1/calculations:batch", json={"items": [ITEM] * 10_001},
                          headers=headers, timeout=60)
    assert too_many.status_code == 422 and too_many.json()["code"] == "batch_too_large"
