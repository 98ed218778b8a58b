"""Request bodies capped by the bytes actually read, whether or not a Content-Length was sent.

A JSON request (any request but an upload) is read here, up to MAX_JSON_BYTES, before the app sees it: one
byte more and the answer is 413 without reading further. An upload (a PUT whose body is not JSON) is
streamed to its route, which reads it with `read_limited`; here its bytes are counted as well, and
reading fails with TooLarge past MAX_UPLOAD_BYTES whoever reads it."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.webchat.limits import MAX_UPLOAD_BYTES, TooLarge
from bot.web.errors import UPLOAD_TOO_LARGE, error_response

MAX_JSON_BYTES = 64 * 1024


def is_upload(scope: Scope, headers: Headers) -> bool:
    """A PUT of raw bytes (a photo, a PDF). A PUT that says it is JSON is capped like any JSON body."""
    return scope["method"] == "PUT" and "json" not in headers.get("content-type", "").lower()


class BodyLimit:
    def __init__(self, app: ASGIApp, json_limit: int = MAX_JSON_BYTES, upload_limit: int = MAX_UPLOAD_BYTES):
        self.app = app
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        upload = is_upload(scope, headers)
        limit = self.upload_limit if upload else self.json_limit
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, upload)(scope, receive, send)
            return
        if upload:
            await self.app(scope, _counting(receive, limit), send)
            return
        body: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nobody to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, upload)(scope, receive, send)
                return
            body.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(body), receive), send)


def _too_large(scope: Scope, upload: bool) -> ASGIApp:
    """413, and the connection closed after it: the rest of the body is never read (a server would
    otherwise read and discard it all to keep the connection)."""
    response = error_response(scope, 413, UPLOAD_TOO_LARGE if upload else "请求内容太大。")
    response.headers["Connection"] = "close"
    return response


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, as one message; then the client's own messages (a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise TooLarge()
        return message

    return counted
