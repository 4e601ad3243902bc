"""The one error tree: domain code raises a `Problem`; the handler renders RFC 9457 problem+json.

Every failure a client can cause has a stable `code` (snake_case) that clients may switch on; the
`detail` is for people (Chinese first, English in brackets). Unexpected exceptions become a 500
`internal_error` without internals.
"""

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.id_number import mask_in_text
from shared.request_context import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or type(self).code
        self.status = status or type(self).status
        self.title = title or type(self).title
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class Unauthorized(Problem):
    status, code, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(Problem):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(Problem):
    status, code, title = 404, "not_found", "Not found"


class Conflict(Problem):
    status, code, title = 409, "conflict", "Conflict"


class Unprocessable(Problem):
    status, code, title = 422, "unprocessable", "Unprocessable content"


class TooManyRequests(Problem):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)


class ServiceUnavailable(Problem):
    status, code, title = 503, "service_unavailable", "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every service returns them."""

    type: str = Field(examples=["/problems/person_not_found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["未找到该参保人员 (no such insured person)"])
    code: str = Field(description="稳定错误码 (stable error code)", examples=["person_not_found"])
    instance: str | None = Field(default=None, description="请求路径 (request path, ID numbers masked)")
    request_id: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="字段校验错误 (field errors, for validation_failed)"
    )

    model_config = {"extra": "allow"}


def problem_responses(*problems: int | Problem) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` for a route's own problems (401/403/422 are added to all): a status, or
    a problem the route raises, which its docs then show as the example of that status."""
    responses: dict[int | str, dict[str, Any]] = {}
    for problem in problems:
        status = problem if isinstance(problem, int) else problem.status
        response = responses.setdefault(
            status, {"model": ProblemDetails, "description": _HTTP_CODES.get(status, ("", "", ""))[1]}
        )
        if isinstance(problem, Problem):
            examples = response.setdefault("content", {PROBLEM_MEDIA_TYPE: {"examples": {}}})
            examples[PROBLEM_MEDIA_TYPE]["examples"][problem.code] = {
                "summary": problem.detail, "value": problem_example(problem),
            }
    return responses


def problem_example(problem: Problem) -> dict[str, Any]:
    """The body a service answers for `problem`, less what only a request has (instance, request_id)."""
    body = problem_body(None, status=problem.status, code=problem.code, title=problem.title, detail=problem.detail,
                        extra=problem.extra)
    return {key: value for key, value in body.items() if key not in ("instance", "request_id")}


def problem_body(
    path: str | None, *, status: int, code: str, title: str, detail: str, extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json document, for an app's responses and for what the HTTP server answers itself."""
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": mask_in_text(path) if path is not None else None,
        "request_id": current_request_id(),
    }
    body.update(extra or {})
    return body


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        request.url.path if request is not None else None,
        status=status, code=code, title=title, detail=detail, extra=extra,
    )
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def field_errors(exc: RequestValidationError | ValidationError) -> list[dict[str, Any]]:
    """Where and why input was refused, in Chinese and English; the rejected input is left out (it
    may hold an ID number or a name). `type` and `loc` are pydantic's, for clients to switch on."""
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": bilingual_message(err), "type": err.get("type", "")}
        for err in exc.errors()
    ]


_CJK = re.compile(r"[\u4e00-\u9fff]")
_DATE = "日期格式应为 YYYY-MM-DD，如 2023-03-20 (a date is written YYYY-MM-DD, e.g. 2023-03-20)"
_DATETIME = ("时间格式应为 ISO 8601，如 2023-03-20T08:00:00+08:00 "
             "(a moment is written ISO 8601, e.g. 2023-03-20T08:00:00+08:00)")
# Pydantic's error types in Chinese: (Chinese, English or None for pydantic's own message). A type
# that is not here and has no Chinese of its own gets the generic line, so no message is English only.
_MESSAGES: dict[str, tuple[str, str | None]] = {
    "missing": ("缺少必填字段", None),
    "extra_forbidden": ("不允许的字段", None),
    "json_invalid": ("JSON 格式错误", None),
    "json_type": ("应为 JSON 文本", None),
    "model_type": ("应为 JSON 对象", None),
    "model_attributes_type": ("应为 JSON 对象", None),
    "dict_type": ("应为 JSON 对象", None),
    "list_type": ("应为数组", None),
    "too_short": ("数组项数不足，至少 {min_length} 项", None),
    "too_long": ("数组项数过多，至多 {max_length} 项", None),
    "string_type": ("应为字符串", None),
    "string_too_short": ("文字过短，至少 {min_length} 个字符", None),
    "string_too_long": ("文字过长，至多 {max_length} 个字符", None),
    "string_pattern_mismatch": ("格式不符", None),
    "string_unicode": ("应为有效的 Unicode 文字", None),
    "int_type": ("应为整数", None),
    "int_parsing": ("应为整数", None),
    "int_from_float": ("应为整数，不能有小数", None),
    "float_type": ("应为数字", None),
    "float_parsing": ("应为数字", None),
    "bool_type": ("应为 true 或 false", None),
    "bool_parsing": ("应为 true 或 false", None),
    "decimal_type": ("应为金额（数字或数字字符串）", None),
    "decimal_parsing": ("应为金额，如 1234.50", None),
    "decimal_max_digits": ("数字位数过多", None),
    "decimal_max_places": ("金额至多两位小数（分）", None),
    "decimal_whole_digits": ("金额整数部分至多 12 位", None),
    "finite_number": ("应为有限数字", None),
    "greater_than": ("应大于 {gt}", None),
    "greater_than_equal": ("应不小于 {ge}", None),
    "less_than": ("应小于 {lt}", None),
    "less_than_equal": ("应不大于 {le}", None),
    "multiple_of": ("应为 {multiple_of} 的倍数", None),
    "enum": ("取值应为 {expected} 之一", None),
    "literal_error": ("取值应为 {expected} 之一", None),
    "date_type": (_DATE, ""),
    "date_parsing": (_DATE, ""),
    "date_from_datetime_parsing": (_DATE, ""),
    "date_from_datetime_inexact": (_DATE, ""),
    "date_past": ("日期应早于今天", None),
    "date_future": ("日期应晚于今天", None),
    "datetime_type": (_DATETIME, ""),
    "datetime_parsing": (_DATETIME, ""),
    "datetime_from_date_parsing": (_DATETIME, ""),
    "datetime_object_invalid": (_DATETIME, ""),
    "timezone_aware": ("时间应带时区，如 +08:00", None),
    "uuid_type": ("应为 UUID", None),
    "uuid_parsing": ("应为 UUID", None),
    "union_tag_invalid": ("类型标记无效", None),
    "union_tag_not_found": ("缺少类型标记", None),
    "value_error": ("取值无效", None),
}


def bilingual_message(error: Mapping[str, Any]) -> str:
    """Chinese first, English in brackets. A message that already holds Chinese (ours, e.g. the check
    digit of an ID number, or a rule's `ValueError`) is kept as written."""
    message = str(error.get("msg", ""))
    if error.get("type") == "value_error":
        message = message.removeprefix("Value error, ")
    if _CJK.search(message):
        return message
    chinese, english = _MESSAGES.get(str(error.get("type", "")), ("取值无效", None))
    if english == "":  # the Chinese line says it all, in both languages
        return chinese
    try:
        chinese = chinese.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        chinese = chinese.split("，")[0]
    return f"{chinese} ({english or message})"


_HTTP_CODES = {
    400: ("bad_request", "Bad request", "请求无效"),
    401: ("unauthorized", "Unauthorized", "未认证"),
    403: ("forbidden", "Forbidden", "无权访问"),
    404: ("not_found", "Not found", "未找到该资源"),
    405: ("method_not_allowed", "Method not allowed", "该资源不支持此请求方法"),
    406: ("not_acceptable", "Not acceptable", "无法提供所要求的格式"),
    409: ("conflict", "Conflict", "与现有数据冲突"),
    413: ("payload_too_large", "Payload too large", "请求体过大"),
    415: ("unsupported_media_type", "Unsupported media type", "不支持的内容类型"),
    429: ("rate_limited", "Too many requests", "请求过于频繁"),
    503: ("service_unavailable", "Service unavailable", "服务暂不可用"),
}


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            request, status=exc.status, code=exc.code, title=exc.title, detail=exc.detail,
            extra=exc.extra, headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return problem_response(
                request, status=400, code="malformed_json", title="Malformed JSON",
                detail="请求体不是有效的 JSON (the body is not valid JSON)",
            )
        return problem_response(
            request, status=422, code="validation_failed", title="Validation failed",
            detail="请求参数校验未通过 (the request does not match the schema)",
            extra={"errors": field_errors(exc)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title, chinese = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error", "请求未能处理"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if not _CJK.search(detail):  # the router's own refusals are in English only
            detail = f"{chinese} ({detail})"
        return problem_response(
            request, status=exc.status_code, code=code, title=title, detail=detail,
            headers=getattr(exc, "headers", None),
        )


def internal_error() -> JSONResponse:
    """The 500 for an unexpected exception: no internals, the request id to quote."""
    return problem_response(
        None, status=500, code="internal_error", title="Internal server error",
        detail="服务内部错误，请凭 request_id 联系运维 (internal error; quote the request_id)",
    )


# What a request still running when the server's shutdown grace period ends is answered (each
# service documents it among its 503s): the caller retries, on another process or after the restart.
SHUTTING_DOWN = ServiceUnavailable(
    "服务正在停止，请稍后重试；结算请用同一流水号 (the service is shutting down; retry, a settlement with "
    "the same serial)",
    code="shutting_down", retry_after=1,
)


def shutting_down() -> JSONResponse:
    return problem_response(
        None, status=SHUTTING_DOWN.status, code=SHUTTING_DOWN.code, title=SHUTTING_DOWN.title,
        detail=SHUTTING_DOWN.detail, headers=SHUTTING_DOWN.headers,
    )
