"""What each service's OpenAPI shows: every example validates against its schema, every problem status
carries examples of that status, and the examples are what the service really answers."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi import FastAPI

from conftest import KEY_SETTINGS, PEER_KEY_SETTINGS, asgi_client
from services.assistance.app import create_app as assistance_app
from services.assistance.settings import AssistanceSettings
from services.catalog.app import create_app as catalog_app
from services.catalog.settings import CatalogSettings
from services.registry.app import create_app as registry_app
from services.registry.settings import RegistrySettings
from services.settlement.app import create_app as settlement_app
from services.settlement.settings import SettlementSettings
from shared.auth import Role
from shared.errors import PROBLEM_MEDIA_TYPE

APPS: dict[str, Callable[[Path], FastAPI]] = {
    # building an app opens no database: a file that is never created will do
    "registry": lambda var: registry_app(RegistrySettings(
        **PEER_KEY_SETTINGS, database_url=f"sqlite:///{var / 'registry.db'}", log_json=False)),
    "catalog": lambda var: catalog_app(CatalogSettings(
        **KEY_SETTINGS, database_url=f"sqlite:///{var / 'catalog.db'}", log_json=False)),
    "assistance": lambda var: assistance_app(AssistanceSettings(**KEY_SETTINGS, log_json=False)),
    "settlement": lambda var: settlement_app(SettlementSettings(
        **PEER_KEY_SETTINGS, database_url=f"sqlite:///{var / 'settlement.db'}", log_json=False)),
}


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    var = tmp_path_factory.mktemp("docs")
    return {service: build(var).openapi() for service, build in APPS.items()}


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _examples(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) for every example the document shows."""
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", ()):
            yield f"schema {name}", {"$ref": f"#/components/schemas/{name}"}, example
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", ()):
            for example in parameter["schema"].get("examples", ()):
                yield f"{where} parameter {parameter['name']}", parameter["schema"], example
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(f"response {status}", response) for status, response in operation["responses"].items()]
        for what, body in bodies:
            for media, content in body.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    yield f"{where} {what} {media} {name}", content.get("schema", {}), example["value"]


@pytest.mark.parametrize("service", APPS)
def test_every_documented_example_validates_against_its_schema(
    specs: dict[str, dict[str, Any]], service: str,
) -> None:
    spec = specs[service]
    checked = 0
    for where, schema, example in _examples(spec):
        validator = jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]})
        errors = [error.message for error in validator.iter_errors(example)]
        assert not errors, f"{service} {where}: {errors}"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize(("service", "schema"), [
    ("settlement", "Statement"), ("settlement", "Admission"), ("registry", "Eligibility"),
    ("assistance", "CalculationResult"), ("catalog", "HospitalOut"),
])
def test_the_main_answers_have_examples(specs: dict[str, dict[str, Any]], service: str, schema: str) -> None:
    assert specs[service]["components"]["schemas"][schema]["examples"]


def test_the_statement_example_is_policy_example_1(specs: dict[str, dict[str, Any]]) -> None:
    [statement] = specs["settlement"]["components"]["schemas"]["Statement"]["examples"]
    funds = [line["amount"] for line in statement["funds"]]  # basic, critical illness, assistance, re-assistance
    assert (statement["total"], *funds, statement["personal_share"]) == (
        "50000.00", "26520.00", "7462.00", "8814.40", "0.00", "7203.60")
    assert [step["rule"] for step in statement["trace"]][-1] == "personal_share"


def test_the_printable_statement_is_documented_as_a_pdf(specs: dict[str, dict[str, Any]]) -> None:
    ok = specs["settlement"]["paths"]["/v1/settlements/{settlement_id}/statement.pdf"]["get"]["responses"]["200"]
    assert ok["content"] == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def _problem_examples(operation: dict[str, Any], status: str) -> dict[str, dict[str, Any]]:
    content = operation["responses"][status]["content"][PROBLEM_MEDIA_TYPE]
    return {name: example["value"] for name, example in content["examples"].items()}


@pytest.mark.parametrize("service", APPS)
def test_every_problem_status_shows_examples_of_that_status(
    specs: dict[str, dict[str, Any]], service: str,
) -> None:
    for path, method, operation in _operations(specs[service]):
        for status in (s for s in operation["responses"] if s[0] in "45"):
            examples = _problem_examples(operation, status)
            assert examples, f"{method} {path} {status} has no example"
            for code, body in examples.items():
                assert (body["status"], body["code"], body["type"]) == (int(status), code, f"/problems/{code}")
            if status == "401":
                assert set(examples) == {"missing_token", "invalid_token", "token_expired"}
            if status == "403":
                assert {"role_not_allowed", "scope_missing", "wrong_audience"} <= set(examples)
            if status == "422":
                assert examples["validation_failed"]["errors"]
            if status == "400":
                assert set(examples) == {"malformed_json"}
            if status == "413":
                assert set(examples) == {"payload_too_large"}
            if status == "429":
                assert "rate_limited" in examples
            if service != "registry":
                assert "person_not_found" not in examples, f"{method} {path} {status}"


@pytest.mark.parametrize(("service", "method", "path", "status", "codes"), [
    ("settlement", "get", "/v1/settlements/{settlement_id}", "404", {"settlement_not_found"}),
    ("settlement", "get", "/v1/settlements/{settlement_id}/statement.pdf", "404", {"settlement_not_found"}),
    ("settlement", "get", "/v1/settlements/{settlement_id}/statement.pdf", "503",
     {"peer_unavailable", "database_unavailable", "shutting_down"}),
    ("settlement", "post", "/v1/settlements", "409", {"settlement_in_progress", "settlement_cancelled"}),
    ("settlement", "post", "/v1/settlements", "503",
     {"settlement_timeout", "person_busy", "peer_unavailable", "database_unavailable", "shutting_down"}),
    ("settlement", "get", "/readyz", "503", {"not_ready"}),
    ("catalog", "get", "/v1/hospitals/{code}", "404", {"hospital_not_found"}),
    ("registry", "get", "/v1/persons/{id_number}", "404", {"person_not_found"}),
    ("registry", "post", "/v1/persons", "409", {"person_exists"}),
    ("assistance", "get", "/v1/policies/{policy_id}", "404", {"policy_not_found"}),
])
def test_a_route_shows_its_own_problems(
    specs: dict[str, dict[str, Any]], service: str, method: str, path: str, status: str, codes: set[str],
) -> None:
    assert set(_problem_examples(specs[service]["paths"][path][method], status)) == codes


def _without_request(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("instance", "request_id")}


@pytest.mark.parametrize(("method", "path", "url", "status", "code", "role", "body"), [
    ("post", "/v1/calculations", "/v1/calculations", "400", "malformed_json", Role.SERVICE, b"{bad"),
    ("post", "/v1/calculations", "/v1/calculations", "413", "payload_too_large", Role.SERVICE, b"over the limit"),
    ("get", "/v1/policies/{policy_id}", "/v1/policies/yantai-2023", "403", "wrong_audience", Role.OPS, None),
    ("get", "/v1/policies/{policy_id}", "/v1/policies/yantai-2099", "404", "policy_not_found", Role.OPS, None),
    ("get", "/v1/policies/in-force", "/v1/policies/in-force?region_code=370602&on=2015-06-01", "404", "no_policy",
     Role.OPS, None),
    ("get", "/v1/policies/{policy_id}", "/v1/policies/yantai-2023", "401", "missing_token", None, None),
    ("get", "/v1/policies/{policy_id}", "/v1/policies/A", "422", "validation_failed", Role.OPS, None),
    ("get", "/v1/policies", "/v1/policies?on=x", "422", "validation_failed", Role.OPS, None),
    ("post", "/v1/calculations", "/v1/calculations", "422", "no_policy", Role.SERVICE, {
        "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
        "discharged_on": "2015-03-20", "bill": {"total": "50000"},
    }),
    ("post", "/v1/calculations", "/v1/calculations", "422", "unverified_parameters", Role.SERVICE, {
        "region_code": "370602", "insurance_type": "resident", "medical_type": "inpatient",
        "discharged_on": "2023-03-20", "identities": ["minimum_allowance"], "bill": {"total": "50000"},
    }),
])
async def test_a_documented_problem_is_what_the_service_answers(
    specs: dict[str, dict[str, Any]], auth, method: str, path: str, url: str, status: str, code: str,  # type: ignore[no-untyped-def]
    role: Role | None, body: dict[str, Any] | bytes | None,
) -> None:
    documented = _problem_examples(specs["assistance"]["paths"][path][method], status)[code]
    headers = {"Content-Type": "application/json"}
    if role is not None:
        headers |= auth(role, audience=["registry"]) if code == "wrong_audience" else auth(role)
    content = body if isinstance(body, bytes) else None
    app = APPS["assistance"](Path("."))
    if code == "payload_too_large":
        content = b" " * (app.state.settings.max_json_body_bytes + 1)
    async with asgi_client(app) as client:
        answer = await client.request(method, url, json=None if content else body, content=content, headers=headers)
    assert answer.status_code == int(status)
    assert _without_request(answer.json()) == _without_request(documented)


async def test_the_calculation_example_is_what_the_service_answers(
    specs: dict[str, dict[str, Any]], auth,  # type: ignore[no-untyped-def]
) -> None:
    [request] = specs["assistance"]["components"]["schemas"]["CalculationRequest"]["examples"]
    [documented] = specs["assistance"]["components"]["schemas"]["CalculationResult"]["examples"]
    async with asgi_client(APPS["assistance"](Path("."))) as client:
        answer = (await client.post("/v1/calculations", json=request, headers=auth(Role.SERVICE))).json()
    trace = [{k: v for k, v in step.items() if v is not None} for step in answer["trace"]]
    assert {**answer, "trace": trace} == documented


async def test_the_documented_rate_limit_is_what_the_service_answers(
    specs: dict[str, dict[str, Any]], auth,  # type: ignore[no-untyped-def]
) -> None:
    documented = _problem_examples(specs["assistance"]["paths"]["/v1/policies/{policy_id}"]["get"], "429")
    app = assistance_app(AssistanceSettings(
        **KEY_SETTINGS, log_json=False, rate_limit_ops_per_second=0.001, rate_limit_ops_burst=1))
    async with asgi_client(app) as client:
        answers = [await client.get("/v1/policies/yantai-2023", headers=auth(Role.OPS)) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert _without_request(answers[1].json()) == _without_request(documented["rate_limited"])
