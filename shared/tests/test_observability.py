import json
import logging

from fastapi import APIRouter
from pydantic import BaseModel

from conftest import KEY_SETTINGS, asgi_client
from shared.app import build_service_app
from shared.auth import Role
from shared.id_number import IdNumberStr
from shared.observability import JsonFormatter
from shared.settings import ServiceSettings

router = APIRouter()


class Body(BaseModel):
    id_number: IdNumberStr


@router.post("/v1/echo")
async def echo(body: Body) -> Body:
    return body


@router.get("/v1/boom")
async def boom() -> None:
    raise RuntimeError("secret internals 370602199001011239")


def _app():  # type: ignore[no-untyped-def]
    return build_service_app(
        service="catalog", title="t", description="t", settings=ServiceSettings(**KEY_SETTINGS),
        routers=[router], readiness={}, configure_logs=False,
    )


def test_json_log_lines_mask_id_numbers() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "person %s", ("370602199001011239",), None)
    record.fields = {"path": "/v1/persons/370602199001011239"}
    line = json.loads(JsonFormatter("registry").format(record))
    assert line["msg"] == "person 370602********1239"
    assert line["path"] == "/v1/persons/370602********1239"
    assert line["service"] == "registry"


async def test_request_id_is_echoed_or_made() -> None:
    async with asgi_client(_app()) as client:
        given = await client.get("/healthz", headers={"X-Request-ID": "abc-1"})
        made = await client.get("/healthz")
        bad = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert given.headers["x-request-id"] == "abc-1"
    assert len(made.headers["x-request-id"]) == 32
    assert bad.headers["x-request-id"] != "bad id with spaces"


async def test_validation_errors_are_problems_without_the_input(auth) -> None:  # type: ignore[no-untyped-def]
    headers = auth(Role.OPS)
    async with asgi_client(_app()) as client:
        response = await client.post("/v1/echo", json={"id_number": "370602199001011238"}, headers=headers)
        malformed = await client.post(
            "/v1/echo", content=b"{not json", headers={**headers, "content-type": "application/json"}
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert problem["errors"] == [{
        "loc": ["body", "id_number"], "msg": "身份证号码校验位错误 (check digit does not match)",
        "type": "id_number_bad_check_digit",
    }]
    assert "370602199001011238" not in response.text
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"


async def test_unknown_route_and_crash_are_problems(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        missing = await client.get("/v1/nothing-here")
        unauthenticated = await client.get("/v1/boom")
        crash = await client.get("/v1/boom", headers=auth(Role.OPS))
        metrics = await client.get("/metrics", headers=auth(Role.OPS))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert unauthenticated.status_code == 401
    assert crash.status_code == 500 and crash.json()["code"] == "internal_error"
    assert "internals" not in crash.text
    assert 'route="/v1/nothing-here"' not in metrics.text  # unmatched paths share one label
    assert 'http_requests_total{method="GET",route="/v1/boom",service="catalog",status="500"} 1.0' in metrics.text


async def test_a_crash_still_carries_the_request_id(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        crash = await client.get("/v1/boom", headers={**auth(Role.OPS), "X-Request-ID": "crash-1"})
    assert crash.status_code == 500
    assert crash.headers["x-request-id"] == "crash-1"
    assert crash.json()["request_id"] == "crash-1"
