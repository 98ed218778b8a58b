"""Bodies are capped by the bytes actually read: a JSON body sent chunked (no Content-Length) is refused
once it passes 64 KB, and a real server stops reading it there; uploads keep their 10 MB."""

from __future__ import annotations

import io
import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from bot.app import create_app
from tests.engine.transcript import COMPLETE
from tests.hostile import api
from tests.hostile.checks import error_shape
from tests.hostile.corpus import chunked_json, chunks
from tests.hostile.server import TODAY, serve, settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("bodies") / "data"
    with TestClient(create_app(settings(data), clock=lambda: TODAY)) as c:
        yield c


def test_a_chunked_json_body_over_64_kb_is_413(client: TestClient) -> None:
    token = api.start(client)
    response = api.send(client, token, chunked_json("工程技术", 1024 * 1024))
    assert response.status_code == 413
    assert error_shape(response)["error"] == "请求内容太大。"
    assert response.headers["connection"] == "close"
    assert api.load(client, token).json()["state"]["progress"]["n"] == 1  # the answer was not taken


def test_a_chunked_json_body_under_the_cap_is_read(client: TestClient) -> None:
    token = api.start(client)
    response = api.send(client, token, chunked_json("工程技术", 60 * 1024))
    assert response.status_code == 200, response.text
    assert api.load(client, token).json()["state"]["progress"]["n"] == 2


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE", "GET"])
def test_every_method_is_capped(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/sessions", content=chunks(100 * 1024))
    assert response.status_code == 413


def test_a_put_that_says_json_is_capped_like_json(client: TestClient) -> None:
    token = api.start(client)
    response = api.upload(client, token, chunks(100 * 1024), {"Content-Type": "application/json"})
    assert response.status_code == 413
    assert error_shape(response)["error"] == "请求内容太大。"


def test_uploads_keep_their_10_mb(client: TestClient) -> None:
    token = api.start(client)
    api.say(client, token, *COMPLETE[:-1])
    noise = Image.effect_noise((800, 800), 80).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    photo = out.getvalue()
    assert len(photo) > 64 * 1024
    response = api.upload(client, token, iter([photo[:70_000], photo[70_000:]]))  # chunked too
    assert response.status_code == 200, response.text
    over = api.upload(client, api.start(client), chunks(10 * 1024 * 1024 + 1, fill=b"\xff"))
    assert over.status_code == 413 and "10 MB" in error_shape(over)["error"]


def test_a_real_server_stops_reading_a_chunked_body_at_the_cap(tmp_path: Path) -> None:
    """256 MiB offered without Content-Length to uvicorn on 127.0.0.1: the 413 comes back and the
    connection is closed after a few MB at most (what the kernel's socket buffers hold), instead of the
    server reading, buffering and parsing it all."""
    with serve(settings(tmp_path / "data")) as (_app, client):
        token = api.start(client)
        url = urlsplit(str(client.base_url))
        sock = socket.create_connection((str(url.hostname), int(url.port or 80)))
        head = (
            "POST /api/session/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        sock.sendall(head.encode() + b'5\r\n{"a":\r\n')
        chunk = b"%x\r\n" % 65536 + b" " * 65536 + b"\r\n"
        sock.setblocking(False)
        sent, answer, deadline = 0, b"", time.monotonic() + 20
        while sent < 256 * 1024 * 1024 and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1)
            if readable:
                answer += _read_rest(sock)  # the answer, then the server closes the connection
                break
            if writable:
                try:
                    sent += sock.send(chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    answer += _read_rest(sock)
                    break
        sock.close()
        status, _, rest = answer.partition(b"\r\n")
        assert status.startswith(b"HTTP/1.1 413"), answer[:300]
        assert b"connection: close" in rest.lower()
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error"] == "请求内容太大。"
        assert sent < 32 * 1024 * 1024, sent
        assert api.load(client, token).status_code == 200  # and the server goes on


def _read_rest(sock: socket.socket) -> bytes:
    """What the server sent until it closed (a reset after the data is the end too)."""
    sock.setblocking(True)
    sock.settimeout(5)
    out = b""
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return out
        if not data:
            return out
        out += data
