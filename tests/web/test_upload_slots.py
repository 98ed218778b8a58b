"""Slow and stalled uploads cannot keep everyone else's uploads waiting: a body that stalls or trickles is
dropped (408), a slot is waited for only so long (503 with Retry-After), and one application uploads one file
at a time. Over a real uvicorn server on 127.0.0.1 with raw sockets for the slow clients."""

from __future__ import annotations

import io
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bot.channels.webchat import limits
from tests.browser.conftest import serving
from tests.engine.transcript import COMPLETE


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(limits, "READ_IDLE_S", 1.5)
    monkeypatch.setattr(limits, "READ_TOTAL_S", 4.0)
    monkeypatch.setattr(limits, "SLOT_WAIT_S", 0.5)
    with serving(tmp_path / "data") as url:
        yield url


def at_photo(base: str) -> str:
    """A new application at its photo question: its session token."""
    with httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).json()["token"]
        for text in COMPLETE[:-1]:
            assert (
                http.post(
                    "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
                ).status_code
                == 200
            )
    return str(token)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def slow_upload(base: str, token: str, declared: int, first: bytes, drip: float | None = None) -> str:
    """Send the headers and `first` bytes, then stall (or send a byte every `drip` seconds); return the
    status line of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        head = (
            f"PUT /api/session/upload HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: image/jpeg\r\nContent-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode() + first)
        sock.settimeout(0.2 if drip else 30)
        answer = b""
        while b"\r\n" not in answer:
            try:
                got = sock.recv(4096)
            except TimeoutError:
                sock.sendall(b"x")  # a trickle: one byte at a time
                continue
            if not got:
                break
            answer += got
        return answer.split(b"\r\n", 1)[0].decode()


def upload(base: str, token: str) -> httpx.Response:
    return httpx.put(
        f"{base}/api/session/upload",
        content=jpeg(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"},
        timeout=30,
    )


def test_a_stalled_upload_is_dropped_and_nothing_is_stored(base: str) -> None:
    token = at_photo(base)
    started = time.monotonic()
    assert slow_upload(base, token, 100_000, b"\xff\xd8\xff") == "HTTP/1.1 408 Request Timeout"
    assert time.monotonic() - started < 10
    state = httpx.get(f"{base}/api/session", headers={"Authorization": f"Bearer {token}"}).json()
    assert state["state"]["status"] == "in_progress"
    assert upload(base, token).status_code == 200  # the applicant tries again on a better network


def test_a_trickle_is_dropped_at_the_total_deadline(base: str) -> None:
    token = at_photo(base)
    started = time.monotonic()
    assert slow_upload(base, token, 1_000_000, b"\xff\xd8\xff", drip=0.2) == "HTTP/1.1 408 Request Timeout"
    assert 3.5 < time.monotonic() - started < 12


def test_slow_clients_holding_every_slot_make_others_wait_only_so_long(base: str) -> None:
    tokens = [at_photo(base) for _ in range(4)]
    with ThreadPoolExecutor(2) as pool:
        stalled = [pool.submit(slow_upload, base, t, 100_000, b"\xff\xd8") for t in tokens[:2]]
        time.sleep(0.3)  # both slots are held by stalled bodies
        busy = upload(base, tokens[2])
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
        assert "上传的人较多" in busy.json()["error"]
        assert [f.result() for f in stalled] == ["HTTP/1.1 408 Request Timeout"] * 2
    assert upload(base, tokens[3]).status_code == 200  # the slots came free


def test_one_application_uploads_one_file_at_a_time(base: str) -> None:
    token = at_photo(base)
    with ThreadPoolExecutor(1) as pool:
        stalled = pool.submit(slow_upload, base, token, 100_000, b"\xff\xd8")
        time.sleep(0.5)
        second = upload(base, token)
        assert second.status_code == 503 and "还在上传" in second.json()["error"]
        assert stalled.result() == "HTTP/1.1 408 Request Timeout"
    assert upload(base, token).status_code == 200
