"""`shenbao serve` as a real process on 127.0.0.1: it answers, and SIGTERM loses no committed answer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(data: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHENBAO_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    out = proc.communicate()[0].decode(errors="replace")
    raise AssertionError(f"server did not start: {out[-2000:]}")


def stop(proc: subprocess.Popen[bytes], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    out = proc.communicate(timeout=30)[0].decode(errors="replace")
    return proc.returncode, out


def test_serve_answers_and_sigterm_keeps_committed_answers(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(tmp_path / "data", port)
    try:
        created = httpx.post(f"{base}/api/sessions", json={"campaign": "cq_hgzy_2023"}).json()
        token = created["token"]
        for text in ("工程技术", "是"):
            assert (
                httpx.post(
                    f"{base}/api/session/messages", headers=auth(token), json={"text": text}
                ).status_code
                == 200
            )
    finally:
        code, out = stop(proc, signal.SIGTERM)
    assert code == 0, out
    assert "Shutting down" in out or "Finished server process" in out
    assert token not in out  # URLs carry tokens: no access log

    proc = start(tmp_path / "data", port)
    try:
        body = httpx.get(f"{base}/api/session", headers=auth(token)).json()
        said = [t["text"] for t in body["transcript"] if t["who"] == "user"]
        assert said == ["工程技术", "是"]
    finally:
        code, _ = stop(proc, signal.SIGINT)
    assert code == 0
