"""One shape for every error the app answers: `{"error": <Chinese message>, "request_id": <id>, ...}`.

Every response carries `X-Request-Id`; every error response is logged with that id, the method and the
route template (never the raw path: it may hold a token) and, for a failure, the exception type and
traceback's frames as file, line and function (never the exception's message, the source lines or the
request body, which may hold what an applicant typed). A full disk is 507 with its own message; any other exception is 500."""

from __future__ import annotations

import errno
import json
import logging
import secrets
import sqlite3
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.webchat import api
from bot.channels.webchat.limits import MAX_UPLOAD_BYTES, Busy, TooLarge, TooSlow
from bot.engine.sanitize import clean_tree
from storage.errors import is_storage_full

log = logging.getLogger("shenbao.web")

HEADER = "X-Request-Id"
SCOPE_KEY = "shenbao.request_id"
STORAGE_FULL = "服务器存储空间不足，您的回答没有保存，请稍后再试。"
FAILED = "服务器出错了，请稍后再试。已保存的填写内容不会丢失。"
UPLOAD_TOO_LARGE = f"文件太大，最大 {MAX_UPLOAD_BYTES // 1048576} MB。请压缩后重新上传。"
MESSAGES = {
    400: "请求格式不正确。",
    401: "需要先登录。",
    403: "没有权限。",
    404: "页面不存在。",
    405: "不支持这种请求。",
    406: "不支持这种请求。",
    408: "请求超时，请重试。",
    409: "请求冲突，请刷新后重试。",
    411: "请求缺少长度。",
    413: "请求内容太大。",
    415: "不支持这种内容类型。",
    422: "请求格式不正确。",
    429: "请求太频繁，请稍后再试。",
    500: FAILED,
    503: "服务暂时不可用，请稍后再试。",
    507: STORAGE_FULL,
}
JSON_PREFIXES = ("/api/", "/telegram/")  # error bodies from these paths are JSON, whoever made them
MAX_REWRITE_BYTES = 64 * 1024


def request_id(scope: Scope) -> str:
    return str(scope.get(SCOPE_KEY) or "-")


def message_for(status: int) -> str:
    return MESSAGES.get(status) or ("服务器出错了，请稍后再试。" if status >= 500 else "请求没有成功。")


def error_body(scope: Scope, status: int, message: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = clean_tree({"error": message or message_for(status), **extra})
    body["request_id"] = request_id(scope)
    return body


def error_response(
    request: Request | Scope, status: int, message: str | None = None, **extra: Any
) -> JSONResponse:
    """The JSON error every route and handler answers with (Retry-After too when `retry_after` is given)."""
    scope = request.scope if isinstance(request, Request) else request
    response = JSONResponse(error_body(scope, status, message, **extra), status_code=status)
    if "retry_after" in extra:
        response.headers["Retry-After"] = str(extra["retry_after"])
    return response


def route_of(scope: Scope) -> str:
    """The matched route's template (`/api/files/{ticket}`), never the path as requested."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "-"


# -- exception handlers (inside the app: they know the exception) -------------------------------------


async def _api_error(request: Request, exc: api.ApiError) -> Response:
    return error_response(request, exc.status, exc.message, **exc.extra)


async def _too_large(request: Request, _exc: Exception) -> Response:
    return error_response(request, 413, UPLOAD_TOO_LARGE)


async def _too_slow(request: Request, _exc: Exception) -> Response:
    response = error_response(request, 408, "上传太慢，已中断：请换个信号好的地方，或把照片压小一些再传。")
    response.headers["Connection"] = "close"  # the rest of the body is not read
    return response


async def _busy(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Busy)
    return error_response(request, 503, exc.message, retry_after=10)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body" and not isinstance(p, int))
    return error_response(request, 422, f"请求格式不正确：{where[:60] or '内容'}")


async def _http_error(request: Request, exc: HTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
    response = error_response(request, exc.status_code, detail)  # FastAPI's own details are English
    response.headers.update(exc.headers or {})
    return response


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(api.ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(TooLarge, _too_large)
    app.add_exception_handler(TooSlow, _too_slow)
    app.add_exception_handler(Busy, _busy)
    app.add_exception_handler(RequestValidationError, _invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]


# -- the middleware (outside the app: it sees every response and every exception) ----------------------


class Errors:
    """Pure ASGI: a request id for every request, the error shape on every error, 500/507 for exceptions."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        scope[SCOPE_KEY] = rid
        sent = False  # the response has started on the wire
        held: Message | None = None  # an error's start, held until its body is known
        chunks: list[bytes] = []

        async def send_checked(message: Message) -> None:
            nonlocal sent, held
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
                if int(message["status"]) >= 400:
                    _log_error(scope, rid, int(message["status"]))
                    held = message
                    return
                sent = True
            elif message["type"] == "http.response.body" and held is not None:
                chunks.append(message.get("body", b""))
                more = bool(message.get("more_body", False))
                if more and sum(map(len, chunks)) <= MAX_REWRITE_BYTES:
                    return
                start, held = held, None
                body = b"".join(chunks) if more else _error_shaped(scope, start, b"".join(chunks))
                sent = True
                await send(start)
                message = {"type": "http.response.body", "body": body, "more_body": more}
            await send(message)

        try:
            await self.app(scope, receive, send_checked)
        except ClientDisconnect:  # nobody is left to answer
            log.info("request %s: %s %s: the client went away", rid, scope.get("method"), route_of(scope))
        except Exception as exc:
            full = is_storage_full(exc)
            _log_failure(scope, rid, exc, full)
            if not sent:
                held, chunks[:] = None, []
                await error_response(scope, 507 if full else 500)(scope, receive, send_checked)


def _error_shaped(scope: Scope, start: Message, body: bytes) -> bytes:
    """The error body with the error shape: a JSON object gets the request id (and a message if it has
    none); any other body becomes the standard one when it was JSON or the path is an API's. An HTML
    error page elsewhere stays as it is."""
    headers = MutableHeaders(scope=start)
    kind = headers.get("content-type", "")
    found: Any = None
    if "json" in kind:
        try:
            found = json.loads(body)
        except ValueError:
            found = None
    if isinstance(found, dict):
        if isinstance(found.get("error"), str) and found.get("request_id") == request_id(scope):
            return body
        message = found["error"] if isinstance(found.get("error"), str) and found["error"] else None
        new = {**clean_tree(found), **error_body(scope, int(start["status"]), message)}
    elif "json" in kind or str(scope.get("path", "")).startswith(JSON_PREFIXES):
        new = error_body(scope, int(start["status"]))
    else:
        return body
    out = json.dumps(new, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers["content-type"] = "application/json"
    headers["content-length"] = str(len(out))
    return out


def _log_error(scope: Scope, rid: str, status: int) -> None:
    if status < 500:  # 5xx from an exception are logged with their cause (_log_failure)
        log.info("request %s: %s %s -> %d", rid, scope.get("method"), route_of(scope), status)
    elif scope.get(SCOPE_KEY + ".failed") is None:
        log.error("request %s: %s %s -> %d", rid, scope.get("method"), route_of(scope), status)


def _log_failure(scope: Scope, rid: str, exc: Exception, full: bool) -> None:
    scope[SCOPE_KEY + ".failed"] = True
    frames = "\n".join(
        f"  {f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)
    )
    where = f"request {rid}: {scope.get('method')} {route_of(scope)}"
    if full:
        log.error(
            "%s -> 507: the disk or the database is full (%s); the request's answer was not saved. Free "
            "space on the disk of the data directory.\n%s",
            where, _cause(exc), frames,
        )  # fmt: skip
    else:
        log.error("%s -> 500: %s\n%s", where, _cause(exc), frames)


def _cause(exc: BaseException) -> str:
    """The exception's type, with SQLite's error name or the errno, and those of the exceptions it was
    raised from: never a message (it may quote what an applicant sent)."""
    names: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(names) < 4:
        name = f"{type(current).__module__}.{type(current).__qualname__}"
        if isinstance(current, sqlite3.Error) and getattr(current, "sqlite_errorname", None):
            name += f" {current.sqlite_errorname}"
        elif isinstance(current, OSError) and current.errno is not None:
            name += f" {errno.errorcode.get(current.errno, current.errno)}"
        names.append(name)
        current = current.__cause__ or current.__context__
    return " <- ".join(names)
