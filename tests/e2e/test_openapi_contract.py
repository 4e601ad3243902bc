"""Schemathesis against each running service's own OpenAPI, with a valid ops token, and settlement
also with a HIS token (hospital 060001): no 5xx, every status, content type and body as documented,
for valid and invalid requests alike."""

from collections.abc import Callable

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import Role
from tests.e2e.conftest import Platform

pytestmark = pytest.mark.e2e
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


CALLERS = [("registry", Role.OPS), ("catalog", Role.OPS), ("assistance", Role.OPS), ("settlement", Role.OPS),
           ("settlement", Role.HIS)]


@pytest.fixture(scope="module", params=CALLERS, ids=[f"{service}-{role.value}" for service, role in CALLERS])
def caller(request: pytest.FixtureRequest) -> tuple[str, Role]:
    return request.param


@pytest.fixture(scope="module")
def service_schema(caller: tuple[str, Role], platform: Platform):  # type: ignore[no-untyped-def]
    url = platform.urls[caller[0]]
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


schema = schemathesis.pytest.from_fixture("service_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_contract(case, caller: tuple[str, Role], auth: Callable[..., dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers=auth(caller[1]), checks=CHECKS, timeout=10)  # HIS: hospital 060001
