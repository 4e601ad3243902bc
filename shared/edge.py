"""The edge of every service: what is refused before a body is parsed or a token is checked.

Two layers, each where the bytes are:

- `ProblemHttpToolsProtocol` (the HTTP server's protocol, chosen by shared.cli): a request head
  (request line and headers) over `MAX_HEAD_BYTES` is a 431 while it is still arriving, so it is
  never held in memory whole (httptools has no limit of its own); a request the parser cannot read
  — e.g. raw UTF-8 in the query string instead of percent-encoding — is a 400. Both answer
  problem+json instead of uvicorn's text/plain.
- `RequestLimitsMiddleware` (pure ASGI): a body over its limit (JSON and the rest one limit, text/csv
  another) is a 413, from Content-Length before the app runs, and for a chunked body as soon as the
  bytes read pass the limit.
"""

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from shared.errors import PROBLEM_MEDIA_TYPE, problem_body, problem_response

MAX_HEAD_BYTES = 16 * 1024
# Bodies held to the file limit: CSV lists and Excel workbooks (the item catalog).
_FILE_TYPES = (b"text/csv", b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
TOO_LARGE_DETAIL = "请求体过大 (the request body is over the limit of {limit} bytes)"
log = logging.getLogger("shared.edge")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` when a chunked body passes its limit. An HTTPException, since FastAPI
    turns any other error while it reads a body into a 400; the app renders it as a 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, TOO_LARGE_DETAIL.format(limit=limit))


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_json_body_bytes: int, max_csv_body_bytes: int) -> None:
        self.app = app
        self.max_json = max_json_body_bytes
        self.max_csv = max_csv_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        limit = self.max_json
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"content-type" and value.lower().startswith(_FILE_TYPES):
                limit = self.max_csv
        if declared is not None:
            # The HTTP server has refused a Content-Length that is no number and delivers no more than it says.
            if declared.isdigit() and int(declared) > limit:
                await problem_response(
                    Request(scope), status=413, code="payload_too_large", title="Payload too large",
                    detail=TOO_LARGE_DETAIL.format(limit=limit),
                )(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)


class _HeadTooLarge(Exception):
    pass


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bound on the request head and problem+json refusals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._head_too_large = False

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            # Headers still incomplete past the limit: refuse now rather than buffer the rest.
            self._head_too_large = True
            self.send_400_response("request head too large")

    def on_headers_complete(self) -> None:
        self._reading_head = False
        size = len(self.url) + sum(len(name) + len(value) for name, value in self.headers)
        if size > MAX_HEAD_BYTES:
            self._head_too_large = True
            raise _HeadTooLarge  # httptools stops parsing; data_received answers via send_400_response
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_head, self._head_bytes = True, 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self._head_too_large:
            log.warning("request head over %d bytes refused", MAX_HEAD_BYTES)
            status, body = 431, problem_body(
                None, status=431, code="request_header_fields_too_large", title="Request header fields too large",
                detail=f"请求头过大，上限 {MAX_HEAD_BYTES} 字节 (the request line and headers are over "
                f"{MAX_HEAD_BYTES} bytes)",
            )
        else:
            status, body = 400, problem_body(
                None, status=400, code="malformed_request", title="Malformed request",
                detail="无法解析的 HTTP 请求；查询参数中的中文等非 ASCII 字符须先做百分号编码，如 curl -G "
                "--data-urlencode (the HTTP request cannot be parsed; percent-encode non-ASCII characters "
                "in the query string, e.g. curl -G --data-urlencode)",
            )
        content = json.dumps(body, ensure_ascii=False).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend([
            b"content-type: ", PROBLEM_MEDIA_TYPE.encode(), b"\r\n",
            b"x-content-type-options: nosniff\r\n",
            b"content-length: ", str(len(content)).encode(), b"\r\n",
            b"connection: close\r\n\r\n", content,
        ])
        self.transport.write(b"".join(head))
        self.transport.close()
