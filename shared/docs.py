"""What a service's API docs show, and from where.

Swagger UI (/docs) and ReDoc (/redoc) load their scripts and styles from the service itself
(`fastapi-offline` ships them): hospital and insurance networks do not reach the internet. Every
documented problem status carries an example that fits it: the problem the route raises where it
names one (`problem_responses`), else the usual one of that status.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError

from shared.auth import BEARER_SCHEME
from shared.edge import TOO_LARGE_DETAIL
from shared.errors import (
    PROBLEM_MEDIA_TYPE,
    SHUTTING_DOWN,
    Conflict,
    Forbidden,
    NotFound,
    Problem,
    ProblemDetails,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    bilingual_message,
    field_errors,
    problem_example,
)
from shared.http_client import PeerUnavailable
from shared.id_number import IdNumberStr
from shared.settings import ServiceSettings

DOCS_ASSETS_URL = "/docs-assets"
# Swagger UI's default validator badge would fetch an image from validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}

_SAMPLE_REQUEST_ID = "f663ce47e27d43b9ace120a4d7511c3c"
_PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})  # /metrics: a token, or a port of its own
_ADDED_TO_ALL = {
    "401": "缺少或无效的令牌 (missing or invalid token)",
    "403": "令牌不适用于本服务，或角色、权限不足 (wrong audience, role or scope not allowed)",
    "422": "请求校验失败 (validation failed)",
    "429": "令牌请求过于频繁，见 Retry-After (rate limited; see Retry-After)",
}
_ADDED_WITH_A_BODY = {
    "400": "请求体无法解析 (the body cannot be parsed)",
    "413": "请求体过大 (the body is over its limit)",
}


def _validation_failed(*errors: dict[str, Any]) -> Problem:
    return Problem(
        "请求参数校验未通过 (the request does not match the schema)", status=422, code="validation_failed",
        title="Validation failed", extra={"errors": list(errors)},
    )


_USUAL_PROBLEMS: dict[int, tuple[Problem, ...]] = {
    400: (Problem("请求体不是有效的 JSON (the body is not valid JSON)", code="malformed_json",
                  title="Malformed JSON"),),
    401: (
        Unauthorized("缺少访问令牌 (missing bearer token)", code="missing_token"),
        Unauthorized("令牌无效 (invalid token)", code="invalid_token"),
        Unauthorized("令牌已过期 (token expired)", code="token_expired"),
    ),
    403: (
        Forbidden("角色 his 无权访问 (role not allowed here)", code="role_not_allowed"),
        Forbidden("缺少权限 persons:write (missing scope)", code="scope_missing"),
    ),
    404: (NotFound("未找到所请求的资源 (not found)"),),
    409: (Conflict("与现有记录冲突 (conflicts with the current state)"),),
    429: (TooManyRequests(
        "请求过于频繁，请稍后再试 (too many requests for this token; retry after the time in Retry-After)"),),
    503: (
        PeerUnavailable("catalog", "timeout"),
        ServiceUnavailable("数据库暂不可用，请稍后重试 (the database is unavailable; retry shortly)",
                           code="database_unavailable"),
        SHUTTING_DOWN,
    ),
}
# An operation behind a token meets these whatever else it raises (503: its database or a peer can
# be down); for the other statuses, and on the public paths, a route's own problems replace them.
_ALWAYS_POSSIBLE = frozenset({400, 401, 403, 413, 422, 429, 503})


def install_openapi(app: FastAPI, service: str, settings: ServiceSettings) -> None:
    """Every operation documents its bearer token and its problem responses with the ProblemDetails
    schema (FastAPI would document 422 as its own HTTPValidationError, which we never send) and an
    example of each."""
    usual = {
        **_USUAL_PROBLEMS,
        403: (*_USUAL_PROBLEMS[403], Forbidden(
            f"令牌不可用于 {service} 服务 (token audience does not include {service})", code="wrong_audience")),
    }
    body_limits = {"application/json": settings.max_json_body_bytes, "text/csv": settings.max_csv_body_bytes}

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
        _restore_examples(components)
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _document_operation(path, operation, usual, body_limits)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _restore_examples(components: dict[str, Any]) -> None:
    """FastAPI drops every null from the document it builds, the nulls of examples too, which leaves an
    example of a model without its required nullable fields: put each model's own examples back."""
    models: dict[str, list[type[BaseModel]]] = {}
    pending = [BaseModel]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and "examples" in extra:
            models.setdefault(model.__name__, []).append(model)
    for name, schema in components.items():
        found = models.get(name.removesuffix("-Input").removesuffix("-Output"), [])
        if len(found) == 1 and "examples" in schema:
            schema["examples"] = found[0].model_config["json_schema_extra"]["examples"]  # type: ignore[index]


def _document_operation(
    path: str, operation: dict[str, Any], usual: dict[int, tuple[Problem, ...]], body_limits: dict[str, int],
) -> None:
    responses = operation.setdefault("responses", {})
    if path in _PUBLIC_PATHS:
        responses.pop("422", None)
    else:
        operation["security"] = [{"bearer": []}]
        for status, text in _ADDED_TO_ALL.items():
            # FastAPI documents a 422 where there is something to validate, or the route names one
            if status != "422" or status in responses:
                responses.setdefault(status, {})["description"] = text
        if "requestBody" in operation:
            for status, text in _ADDED_WITH_A_BODY.items():
                responses.setdefault(status, {})["description"] = text
    for status, response in responses.items():
        if status[0] not in "45":
            continue
        own = response.get("content", {}).get(PROBLEM_MEDIA_TYPE, {}).get("examples", {})
        problems: tuple[Problem, ...] = ()
        if not own or (int(status) in _ALWAYS_POSSIBLE and path not in _PUBLIC_PATHS):
            problems = _usual(int(status), operation, usual, body_limits)
        examples = {**own, **{p.code: {"summary": p.detail, "value": problem_example(p)} for p in problems}}
        for example in examples.values():
            example["value"] = {**example["value"], "instance": path, "request_id": _SAMPLE_REQUEST_ID}
        response["content"] = {PROBLEM_MEDIA_TYPE: {
            "schema": {"$ref": "#/components/schemas/ProblemDetails"}, "examples": examples,
        }}


def _usual(
    status: int, operation: dict[str, Any], usual: dict[int, tuple[Problem, ...]], body_limits: dict[str, int],
) -> tuple[Problem, ...]:
    if status == 422:
        error = _field_error(operation)
        return () if error is None else (_validation_failed(error),)
    if status == 413:
        media = next(iter(operation.get("requestBody", {}).get("content", {})), "application/json")
        limit = body_limits.get(media, body_limits["application/json"])
        return (Problem(TOO_LARGE_DETAIL.format(limit=limit), status=413, code="payload_too_large",
                        title="Payload too large"),)
    return usual.get(status, ())


def _field_error(operation: dict[str, Any]) -> dict[str, Any] | None:
    """A field error this operation can really give, as the service words it (None: it takes no input)."""
    for parameter in operation.get("parameters", ()):
        loc, schema = [parameter["in"], parameter["name"]], parameter.get("schema", {})
        schema = next((s for s in schema.get("anyOf", ()) if s.get("type") != "null"), schema)  # optional
        if parameter["name"] == "id_number":
            return _refusal(loc, IdNumberStr, "370602199001011230")  # a wrong check digit
        if "pattern" in schema:
            return _refusal(loc, Annotated[str, StringConstraints(pattern=schema["pattern"])], "\x00")
        if schema.get("format") == "date":
            return _refusal(loc, date, "2023-3-20")
        if schema.get("type") == "integer":
            return _refusal(loc, int, "ten")
        if schema.get("type") == "boolean":
            return _refusal(loc, bool, "perhaps")
        if parameter.get("required"):
            return _missing(loc)
    return _missing(["body"]) if "requestBody" in operation else None


def _refusal(loc: list[str], annotation: Any, value: str) -> dict[str, Any]:
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        return {**field_errors(exc)[0], "loc": loc}
    raise ValueError(f"{value!r} is not refused")


def _missing(loc: list[str]) -> dict[str, Any]:
    return {"loc": loc, "msg": bilingual_message({"type": "missing", "msg": "Field required"}), "type": "missing"}
