"""The app under uvicorn on 127.0.0.1, in a thread: real HTTP (chunked bodies, closed connections, client
timeouts), with the app object at hand to look into its store."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import ROOT, Settings

TODAY = dt.date(2023, 9, 20)
TIMEOUT_S = 10.0  # per request: a request that takes longer has hung


def settings(data: Path, **extra: Any) -> Settings:
    limits: dict[str, Any] = {"sessions_per_minute": 100_000, "resume_failures": 100_000}
    return Settings(data, ROOT / "forms", ROOT / "doc_templates", None, **{**limits, **extra})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(config: Settings) -> Iterator[tuple[FastAPI, httpx.Client]]:
    app = create_app(config, clock=lambda: TODAY)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT_S) as client:
            yield app, client
    finally:
        server.should_exit = True
        thread.join(timeout=30)
