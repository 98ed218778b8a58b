"""A Bot API of the tests' own: the methods the bot uses, and the applicant's side (updates, taps, photos).

One `BotApi` serves two transports: `RecordingRequest` (a PTB request object, as PTB's own suite uses, no
sockets) for the unit tests, and `serve_http` (a ThreadingHTTPServer on 127.0.0.1, reached by PTB through
`base_url`/`base_file_url`) for the end-to-end tests. In HTTP mode, once `setWebhook` is called, new
updates are POSTed to that URL with the registered secret, as Telegram does."""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT_ID = 123456
TOKEN = f"{BOT_ID}:TEST-token_abc"
DATE = 1695168000  # 2023-09-20
JSON_KEYS = {
    "chat_id", "reply_markup", "offset", "timeout", "limit", "allowed_updates", "commands", "message_id",
    "show_alert", "max_connections", "drop_pending_updates",
}  # fmt: skip


@dataclass
class Sent:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    message: dict[str, Any] | None = None


class BotApi:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.updates: list[dict[str, Any]] = []
        self.calls: list[Sent] = []
        self.files: dict[str, bytes] = {}
        self.webhook: tuple[str, str | None] | None = None
        self.webhook_statuses: list[int] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._failures: dict[str, int] = {}
        self.failed: list[str] = []  # methods whose call failed as `fail` asked

    def fail(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` fail as a broken network does: the connection is dropped
        without an answer (HTTP mode), or the request raises NetworkError (recording mode)."""
        with self.cond:
            self._failures[method] = self._failures.get(method, 0) + times

    def take_failure(self, method: str) -> bool:
        with self.cond:
            left = self._failures.get(method, 0)
            if not left:
                return False
            self._failures[method] = left - 1
            self.failed.append(method)
            self.cond.notify_all()
            return True

    # -- the bot's side ----------------------------------------------------------

    def call(self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        sent = Sent(method, params, files)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            raise LookupError(method)
        result = handler(params, sent)
        with self.cond:
            self.calls.append(sent)
            self.cond.notify_all()
        return result

    def _getMe(self, _p: dict[str, Any], _s: Sent) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "申报助手", "username": "shenbao_test_bot"}

    def _getUpdates(self, p: dict[str, Any], _s: Sent) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        deadline = time.monotonic() + min(float(p.get("timeout") or 0), 5.0)
        with self.cond:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed: gone
            while not self.updates and time.monotonic() < deadline:
                self.cond.wait(deadline - time.monotonic())
            return list(self.updates)

    def _message(self, chat_id: int, **fields: Any) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private", "first_name": "张"}
        bot = self._getMe({}, Sent("", {}))
        return {"message_id": next(self._message_ids), "date": DATE, "chat": chat, "from": bot, **fields}

    def _sendMessage(self, p: dict[str, Any], s: Sent) -> dict[str, Any]:
        extra = {"reply_markup": p["reply_markup"]} if p.get("reply_markup") else {}
        s.message = self._message(int(p["chat_id"]), text=p["text"], **extra)
        return s.message

    def _editMessageText(self, p: dict[str, Any], s: Sent) -> dict[str, Any]:
        s.message = self._message(int(p["chat_id"]), text=p["text"])
        return s.message

    def _editMessageReplyMarkup(self, p: dict[str, Any], s: Sent) -> dict[str, Any]:
        extra = {"reply_markup": p["reply_markup"]} if p.get("reply_markup") else {}
        s.message = self._message(int(p["chat_id"]), text="（键盘已更新）", **extra)
        return s.message

    def _answerCallbackQuery(self, _p: dict[str, Any], _s: Sent) -> bool:
        return True

    def _getFile(self, p: dict[str, Any], _s: Sent) -> dict[str, Any]:
        file_id = str(p["file_id"])
        size = len(self.files[file_id])
        return {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": f"f/{file_id}"}

    def _sendDocument(self, p: dict[str, Any], s: Sent) -> dict[str, Any]:
        name, data = s.files["document"]
        doc = {"file_id": f"d{len(data)}", "file_unique_id": "d", "file_name": name, "file_size": len(data)}
        s.message = self._message(int(p["chat_id"]), document=doc)
        return s.message

    def _sendPhoto(self, p: dict[str, Any], s: Sent) -> dict[str, Any]:
        _name, data = s.files["photo"]
        size = {
            "file_id": f"s{len(data)}",
            "file_unique_id": "s",
            "width": 1,
            "height": 1,
            "file_size": len(data),
        }
        extra = {"caption": p["caption"]} if p.get("caption") else {}
        s.message = self._message(int(p["chat_id"]), photo=[size], **extra)
        return s.message

    def _setWebhook(self, p: dict[str, Any], _s: Sent) -> bool:
        self.webhook = (str(p["url"]), p.get("secret_token"))
        return True

    def _deleteWebhook(self, _p: dict[str, Any], _s: Sent) -> bool:
        self.webhook = None
        return True

    def _setMyCommands(self, _p: dict[str, Any], _s: Sent) -> bool:
        return True

    def download(self, path: str) -> bytes:
        return self.files[path.rsplit("/", 1)[-1]]

    # -- the applicant's side -------------------------------------------------------

    def push(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids), **body}
        with self.cond:
            webhook = self.webhook
            if webhook is None:
                self.updates.append(update)
                self.cond.notify_all()
        if webhook is not None:
            self.webhook_statuses.append(post_update(webhook[0], update, webhook[1]))
        return update

    def text(self, chat_id: int, text: str) -> dict[str, Any]:
        return self.push({"message": user_message(chat_id, text=text)})

    def photo(self, chat_id: int, data: bytes) -> dict[str, Any]:
        file_id = f"p{next(self._file_ids)}"
        self.files[file_id] = data
        small = {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 120, "file_size": 100}
        large = {"file_id": file_id, "file_unique_id": file_id, "width": 300, "height": 400}
        return self.push({"message": user_message(chat_id, photo=[small, {**large, "file_size": len(data)}])})

    def tap(self, chat_id: int, message: dict[str, Any], label: str) -> dict[str, Any]:
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        data = next(b["callback_data"] for b in buttons if b["text"] == label)
        user = {"id": chat_id, "is_bot": False, "first_name": "张"}
        query = {"id": f"q{time.monotonic_ns()}", "from": user, "message": message, "chat_instance": "c"}
        return self.push({"callback_query": {**query, "data": data}})

    # -- what the bot did ---------------------------------------------------------------

    def sent(self, chat_id: int, method: str = "sendMessage") -> list[Sent]:
        with self.cond:
            return [
                c for c in self.calls if c.method == method and int(c.params.get("chat_id", 0)) == chat_id
            ]

    def wait(self, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    last = [(c.method, str(c.params.get("text", ""))[:80]) for c in self.calls[-5:]]
                    raise AssertionError(f"timed out; last calls: {last}")
                self.cond.wait(min(left, 0.05))

    def wait_messages(self, chat_id: int, count: int, timeout: float = 20.0) -> list[Sent]:
        self.wait(lambda: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)


def user_message(chat_id: int, **fields: Any) -> dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "张"}
    user = {"id": chat_id, "is_bot": False, "first_name": "张"}
    return {
        "message_id": int(time.monotonic_ns() % 10**9),
        "date": DATE,
        "chat": chat,
        "from": user,
        **fields,
    }


def post_update(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, json.dumps(update).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class RecordingRequest(BaseRequest):
    """PTB's request interface answered by a `BotApi` in memory; every call is recorded there."""

    def __init__(self, api: BotApi) -> None:
        self.api = api

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if "/file/bot" in url:
            return 200, self.api.download(url)
        if self.api.take_failure(url.rsplit("/", 1)[-1]):
            raise NetworkError("connection reset by peer (the tests' Bot API)")
        params = dict(request_data.parameters) if request_data else {}
        files = {}
        for name, value in (request_data.multipart_data if request_data else {}).items():
            files[name] = (str(value[0]), bytes(value[1]))  # type: ignore[arg-type,misc]
        return _answer(self.api, url.rsplit("/", 1)[-1], params, files)


def _answer(
    api: BotApi, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]
) -> tuple[int, bytes]:
    try:
        result = api.call(method, params, files)
    except LookupError:
        return 404, json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode()
    return 200, json.dumps({"ok": True, "result": result}).encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: BotApi

    def log_message(self, *_args: Any) -> None:
        pass

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if "/file/bot" in self.path:
            try:
                self._reply(200, self.api.download(self.path))
            except KeyError:
                self._reply(404, b"{}")
            return
        self.do_POST()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        params, files = _parse(self.headers.get("Content-Type", ""), body)
        method = self.path.rsplit("/", 1)[-1].split("?")[0]
        if self.api.take_failure(method):  # dropped without an answer: the client sees a network error
            self.close_connection = True
            return
        status, out = _answer(self.api, method, params, files)
        self._reply(status, out)


def _parse(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    raw: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename is not None:
                files[str(name)] = (filename, payload)
            else:
                raw[str(name)] = payload.decode("utf-8")
    elif body:
        raw = {
            k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()
        }
    params: dict[str, Any] = {k: json.loads(v) if k in JSON_KEYS else v for k, v in raw.items()}
    return params, files


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client killed mid-request (the test kills the bot): nothing to report


@contextmanager
def serve_http(api: BotApi) -> Iterator[str]:
    """The Bot API on 127.0.0.1; yields its root URL (the bot's SHENBAO_TELEGRAM_API_URL)."""
    handler = type("Handler", (_Handler,), {"api": api})
    server = _Server(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
