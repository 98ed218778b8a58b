"""The server side of the HTTP benchmarks: a launcher run as a subprocess, and a handle to drive it.

As a script (started by `ServerProcess`, not by hand):

    python benchmarks/_server.py --data-dir DIR --port N [--cpu C] [--no-access-log]

serves, in one uvicorn process configured like `shenbao serve` (bot/serve.py), one ASGI app that sends

    /bare/...   to a bare FastAPI app: `POST /bare/messages` with the chat message body → {"ok": true, "n": k}
    /__bench/ping  to a one-line readiness probe
    everything else  to the product app, `bot.app.create_app(settings, clock=lambda: TODAY)`

so the product code is untouched and the bare endpoint shares the process, the server loop and the HTTP
stack. The launcher asks the kernel to kill it when its parent dies (PR_SET_PDEATHSIG), so a benchmark that
is killed cannot leave a server behind; `ServerProcess` also stops it on exit and on errors.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the process that started it exits."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def build_app(data_dir: Path) -> Any:
    from _common import TODAY
    from fastapi import FastAPI
    from pydantic import BaseModel

    from bot.app import create_app
    from bot.settings import ROOT, Settings

    settings = Settings(data_dir, ROOT / "forms", ROOT / "doc_templates", None)
    product = create_app(settings, clock=lambda: TODAY)

    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    served = 0

    class Echo(BaseModel):  # the same shape as the chat API's message body
        text: str | None = None
        msg_id: str | None = None

    @bare.post("/bare/messages")
    async def echo(body: Echo) -> dict[str, Any]:
        nonlocal served
        served += 1
        return {"ok": True, "n": served}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/__bench/ping":
                await send({"type": "http.response.start", "status": 200, "headers": []})
                await send({"type": "http.response.body", "body": b"ok"})
                return
            if path.startswith("/bare/"):
                await bare(scope, receive, send)
                return
        await product(scope, receive, send)

    return app


def main() -> None:
    _die_with_parent()
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=None, help="pin the server to this CPU")
    parser.add_argument("--no-access-log", action="store_true")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    import uvicorn

    config = uvicorn.Config(  # as bot/serve.py configures it
        build_app(args.data_dir),
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        access_log=not args.no_access_log,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()


# -- the benchmark side -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_plan() -> tuple[int | None, int | None]:
    """(server CPU, client CPU): two different CPUs when this process may use two, else no pinning."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return cpus[0], cpus[1]


def proc_status(pid: int) -> dict[str, int]:
    """The kB figures of /proc/<pid>/status (VmRSS, VmHWM, ...)."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            parts = value.split()
            if len(parts) == 2 and parts[1] == "kB":
                out[key] = int(parts[0])
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (from /proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class ServerProcess:
    """Start the launcher in a subprocess, wait until it answers, stop it (SIGTERM, then SIGKILL)."""

    def __init__(self, data_dir: Path, log_path: Path, cpu: int | None, access_log: bool = True) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.cpu = cpu
        self.access_log = access_log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        cmd = [sys.executable, str(HERE / "_server.py"), "--data-dir", str(self.data_dir)]
        cmd += ["--port", str(self.port)]
        if self.cpu is not None:
            cmd += ["--cpu", str(self.cpu)]
        if not self.access_log:
            cmd.append("--no-access-log")
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=HERE.parent)
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/__bench/ping", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {READY_TIMEOUT_S:.0f} s; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM: uvicorn finishes in-flight requests, the store closes); SIGKILL if it
        hangs. Returns the exit code."""
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.exit_code = self.proc.returncode
        self.proc = None
        return self.exit_code

    def __enter__(self) -> ServerProcess:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit in the benchmark process, so `with ServerProcess(...)` cleans up."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    main()
