"""The hardened edge every service shares (shared.app): request limits before parsing and before
authentication, malformed JSON, bilingual validation messages, security headers, /metrics and
/readyz for anonymous callers, and rate limits per token."""

import logging
import re
from collections.abc import AsyncIterator
from datetime import date
from enum import StrEnum
from typing import Any

import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from conftest import KEY_SETTINGS, asgi_client
from shared.app import build_service_app
from shared.auth import Role
from shared.contracts.calculation import Bill
from shared.errors import field_errors
from shared.money import NonNegativeMoney
from shared.settings import ServiceSettings

router = APIRouter()
BILINGUAL = re.compile(r"^[^()]*[\u4e00-\u9fff][^()]*.* \(.*[A-Za-z].*\)$")


class Colour(StrEnum):
    RED = "red"


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on: date
    count: int = Field(ge=1, le=10)
    code: str = Field(min_length=2, max_length=4, pattern=r"^[A-Z]+$")
    colour: Colour
    flag: bool = False
    amount: NonNegativeMoney = Field(default=0)
    tags: list[str] = Field(default=[], max_length=2)


@router.post("/v1/items")
async def items(body: Item) -> dict[str, str]:
    return {"on": body.on.isoformat()}


@router.post("/v1/lists.csv")
async def csv_list(request: Request) -> dict[str, int]:
    return {"bytes": len(await request.body())}


def _app(checks: dict[str, Any] | None = None, **settings: Any):  # type: ignore[no-untyped-def]
    return build_service_app(
        service="catalog", title="t", description="t",
        settings=ServiceSettings(**KEY_SETTINGS, **settings),
        routers=[router], readiness=checks or {}, configure_logs=False,
    )


def _item(**fields: Any) -> dict[str, Any]:
    return {"on": "2023-03-20", "count": 1, "code": "AB", "colour": "red", **fields}


async def test_a_body_over_the_json_limit_is_a_413_before_authentication() -> None:
    async with asgi_client(_app(max_json_body_bytes=1024)) as client:
        big = await client.post("/v1/items", json=_item(code="A" * 2000))
        small = await client.post("/v1/items", json=_item())
    assert big.status_code == 413, big.text
    assert big.headers["content-type"] == "application/problem+json"
    assert big.json()["code"] == "payload_too_large"
    assert small.status_code == 401  # under the limit, authentication comes next


async def test_a_csv_body_has_its_own_limit(auth) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(Role.OPS), "content-type": "text/csv"}
    async with asgi_client(_app(max_json_body_bytes=1024, max_csv_body_bytes=5000)) as client:
        fits = await client.post("/v1/lists.csv", content=b"a,b\n" * 750, headers=headers)
        too_big = await client.post("/v1/lists.csv", content=b"a,b\n" * 1500, headers=headers)
        as_json = await client.post("/v1/lists.csv", content=b"a,b\n" * 750,
                                    headers={**headers, "content-type": "application/json"})
    assert fits.status_code == 200 and fits.json() == {"bytes": 3000}
    assert too_big.status_code == 413 and too_big.json()["code"] == "payload_too_large"
    assert as_json.status_code == 413


async def test_a_chunked_body_is_cut_off_at_the_limit(auth) -> None:  # type: ignore[no-untyped-def]
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"a,b\n" * 100

    async with asgi_client(_app(max_csv_body_bytes=5000)) as client:
        response = await client.post("/v1/lists.csv", content=chunks(),
                                     headers={**auth(Role.OPS), "content-type": "text/csv"})
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "payload_too_large"


async def test_malformed_json_is_a_400(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        response = await client.post("/v1/items", content=b'{"on": ',
                                     headers={**auth(Role.OPS), "content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_json"
    assert BILINGUAL.match(response.json()["detail"])


@pytest.mark.parametrize(("fields", "loc", "type_"), [
    ({"on": "20230320"}, ["body", "on"], "date_from_datetime_inexact"),
    ({"on": "2023/03/20"}, ["body", "on"], "date_from_datetime_parsing"),
    ({"on": "2023-02-30"}, ["body", "on"], "date_from_datetime_parsing"),
    ({"count": 0}, ["body", "count"], "greater_than_equal"),
    ({"count": 11}, ["body", "count"], "less_than_equal"),
    ({"count": "x"}, ["body", "count"], "int_parsing"),
    ({"count": 1.5}, ["body", "count"], "int_from_float"),
    ({"code": "A"}, ["body", "code"], "string_too_short"),
    ({"code": "ABCDE"}, ["body", "code"], "string_too_long"),
    ({"code": "ab"}, ["body", "code"], "string_pattern_mismatch"),
    ({"code": 12}, ["body", "code"], "string_type"),
    ({"colour": "blue"}, ["body", "colour"], "enum"),
    ({"flag": "maybe"}, ["body", "flag"], "bool_parsing"),
    ({"amount": "１００"}, ["body", "amount"], "decimal_ascii_digits"),
    ({"amount": "-1"}, ["body", "amount"], "greater_than_equal"),
    ({"amount": "1.234"}, ["body", "amount"], "decimal_max_places"),
    ({"amount": "abc"}, ["body", "amount"], "decimal_parsing"),
    ({"tags": ["a", "b", "c"]}, ["body", "tags"], "too_long"),
    ({"tags": "a"}, ["body", "tags"], "list_type"),
    ({"extra": 1}, ["body", "extra"], "extra_forbidden"),
    ({"on": None}, ["body", "on"], "date_type"),
])
async def test_every_validation_message_is_bilingual_with_a_stable_type_and_loc(
    auth, fields: dict[str, Any], loc: list[str], type_: str,  # type: ignore[no-untyped-def]
) -> None:
    async with asgi_client(_app()) as client:
        response = await client.post("/v1/items", json=_item(**fields), headers=auth(Role.OPS))
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["loc"], error["type"]) == (loc, type_)
    assert BILINGUAL.match(error["msg"]), error["msg"]
    if loc == ["body", "on"] and type_ != "date_type":
        assert "YYYY-MM-DD" in error["msg"]


async def test_a_missing_field_and_a_body_that_is_no_object_are_bilingual(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        missing = await client.post("/v1/items", json={"count": 1, "code": "AB", "colour": "red"},
                                    headers=auth(Role.OPS))
        listed = await client.post("/v1/items", json=[1], headers=auth(Role.OPS))
    assert [(e["type"], e["loc"]) for e in missing.json()["errors"]] == [("missing", ["body", "on"])]
    for error in [*missing.json()["errors"], *listed.json()["errors"]]:
        assert BILINGUAL.match(error["msg"]), error["msg"]


@pytest.mark.parametrize(("bill", "chinese"), [
    ({"total": "100", "full_self_pay": "60", "pre_self_pay": "50"}, "全自费、超限价自费与先行自付之和超过医疗费用总额"),
    ({"total": "100", "full_self_pay": "60", "special_drugs": "50"}, "特殊药品费用超过政策范围内费用"),
    ({"total": "100", "basic_insurance_paid": "101"}, "基本医保统筹已付超过政策范围内费用的余额"),
    ({"total": "100", "critical_illness_paid": "101"}, "大病保险已付超过政策范围内费用的余额"),
])
def test_bill_consistency_errors_are_bilingual(bill: dict[str, str], chinese: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Bill.model_validate(bill)
    [error] = field_errors(caught.value)
    assert error["type"] == "value_error"
    assert error["msg"].startswith(chinese + " (") and BILINGUAL.match(error["msg"]), error["msg"]


async def test_every_response_says_nosniff_and_api_responses_are_not_stored(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        health = await client.get("/healthz")
        docs = await client.get("/openapi.json")
        missing_token = await client.post("/v1/items", json=_item())
        served = await client.post("/v1/items", json=_item(), headers=auth(Role.OPS))
        refused = await client.post("/v1/items", json=_item(count=0), headers=auth(Role.OPS))
        unknown = await client.get("/nothing")
    for response in (health, docs, missing_token, served, refused, unknown):
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url
    for response in (missing_token, served, refused):
        assert response.headers["cache-control"] == "no-store"
    assert "cache-control" not in health.headers and "cache-control" not in docs.headers


async def test_metrics_on_the_service_port_need_an_ops_or_service_token(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        anonymous = await client.get("/metrics")
        his = await client.get("/metrics", headers=auth(Role.HIS))
        ops = await client.get("/metrics", headers=auth(Role.OPS))
        service = await client.get("/metrics", headers=auth(Role.SERVICE))
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "missing_token"
    assert his.status_code == 403
    assert ops.status_code == 200 and "http_requests_total" in ops.text
    assert service.status_code == 200


async def test_readyz_tells_anonymous_callers_only_ok_or_failed(caplog: pytest.LogCaptureFixture) -> None:
    async def database() -> None:
        raise ConnectionRefusedError(111, "connect to 10.0.0.7:5432 refused")

    async def catalog() -> None:
        return None

    with caplog.at_level(logging.WARNING):
        async with asgi_client(_app({"database": database, "catalog": catalog})) as client:
            response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "failed", "catalog": "ok"}
    assert "ConnectionRefused" not in response.text and "10.0.0.7" not in response.text
    assert "ConnectionRefusedError" in caplog.text  # the cause goes to the log for operators


async def test_rate_limits_per_token_subject_by_role(issuer) -> None:  # type: ignore[no-untyped-def]
    def bearer(subject: str, role: Role, **claims: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issuer.mint(subject=subject, role=role, **claims)}"}

    first_his = bearer("his-1", Role.HIS, hospital_code="060001")
    second_his = bearer("his-2", Role.HIS, hospital_code="060002")
    ops = bearer("ops-1", Role.OPS)
    app = _app(rate_limit_his_per_second=0.01, rate_limit_his_burst=2, rate_limit_ops_per_second=0)
    async with asgi_client(app) as client:
        allowed = [(await client.post("/v1/items", json=_item(), headers=first_his)).status_code for _ in range(2)]
        limited = await client.post("/v1/items", json=_item(), headers=first_his)
        other = await client.post("/v1/items", json=_item(), headers=second_his)
        unlimited = {(await client.post("/v1/items", json=_item(), headers=ops)).status_code for _ in range(20)}
        anonymous = await client.post("/v1/items", json=_item())
        health = await client.get("/healthz")
    assert allowed == [200, 200]
    assert limited.status_code == 429, limited.text
    assert limited.json()["code"] == "rate_limited"
    assert BILINGUAL.match(limited.json()["detail"])
    assert int(limited.headers["retry-after"]) >= 1
    assert other.status_code == 200
    assert unlimited == {200}
    assert anonymous.status_code == 401 and health.status_code == 200


async def test_what_the_router_refuses_is_bilingual_too(auth) -> None:  # type: ignore[no-untyped-def]
    async with asgi_client(_app()) as client:
        unknown = await client.get("/v1/nothing", headers=auth(Role.OPS))
        wrong_method = await client.delete("/v1/items", headers=auth(Role.OPS))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")
    for response in (unknown, wrong_method):
        assert BILINGUAL.match(response.json()["detail"]), response.json()["detail"]
