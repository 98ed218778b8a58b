"""The server side of the HTTP benchmarks: a launcher run as a subprocess, and a handle to drive it.

As a script (started by `ServerProcess`, not by hand):

    python benchmarks/_server.py --data-dir DIR --port N [--cpu C] [--access-log]

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

from pydantic import BaseModel

HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0


class Echo(BaseModel):
    """The bare endpoint's body: the same shape as the chat API's message."""

    text: str | None = None
    msg_id: str | None = None


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

    from bot.app import create_app
    from bot.settings import ROOT, Settings

    # One client address plays every applicant here, so the per-address limit on new sessions is lifted.
    env = Settings.from_env()
    settings = Settings(
        data_dir, ROOT / "forms", ROOT / "doc_templates", None, env.workers, sessions_per_minute=1_000_000
    )
    product = create_app(settings, clock=lambda: TODAY)

    bare = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    served = 0

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
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args()
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})

    import uvicorn

    config = uvicorn.Config(  # as bot/serve.py configures it
        build_app(args.data_dir),
        host="127.0.0.1",
        port=args.port,
        log_level="info",
        access_log=args.access_log,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
        lifespan="on",
    )
    # PDFs (deadline_load.py --pdf sets SHENBAO_BENCH_PDF): the warm converter started at start-up and
    # stopped at the end, as bot/serve.py does.
    converter = None
    if os.environ.get("SHENBAO_BENCH_PDF"):
        from bot.documents import page_images

        converter = page_images.CONVERTER
        print(converter.mode(), flush=True)
        converter.start()
    try:
        uvicorn.Server(config).run()
    finally:
        if converter is not None:
            converter.close()


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


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (e.g. the document render process), from /proc."""
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(x) for x in (task / "children").read_text().split()]
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

    def __init__(self, data_dir: Path, log_path: Path, cpu: int | None, access_log: bool = False) -> None:
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
        if self.access_log:
            cmd.append("--access-log")
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


# -- optional sampling profile of the server (py-spy) --------------------------------------------------

IDLE_LEAVES = ("Condition.wait (threading.py", "EpollSelector.select (selectors.py")
PLUMBING = (  # frames on nearly every stack that say nothing about where the time goes
    "Thread._bootstrap",
    "WorkerThread.run",
    "<module> (_server.py",
    "main (_server.py",
    "asyncio_run (uvicorn",
    "Server.run (uvicorn",
    "Runner.run (asyncio",
    "BaseEventLoop.run_",
    "BaseEventLoop._run_once",
    "Handle._run (asyncio",
)
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (label, where to look: "leaf" or "stack", substrings of a frame)
    ("SQLite BEGIN/COMMIT (WAL fsync, synchronous=FULL)", "leaf", ("storage/transaction.py",)),
    ("waiting for a lock (the Store's one connection, per-applicant lock)", "lock", ()),
    ("document rendering (docxtpl)", "stack", ("render_docx", "Intake.documents")),
    ("photo re-encoding (Pillow)", "stack", ("reencode",)),
    ("engine: step", "stack", ("step (bot/engine/flow.py",)),
    ("state view (progress, findings, outcome, checklist)", "stack", ("state_view (",)),
    ("duplicates check, id HMAC", "stack", ("Intake._duplicates", "Intake._id_hmac")),
    ("evaluate after the step", "stack", ("evaluate (bot/engine/evaluate.py",)),
    ("store: decrypt/encrypt + SQL", "stack", ("storage/",)),
    ("access log", "stack", ("logging/__init__.py",)),
    (
        "JSON encode/decode, response serialisation",
        "stack",
        ("json/", "jsonable_encoder", "serialize_response"),
    ),
    ("thread hand-off (run_in_threadpool)", "stack", ("anyio/", "call_soon_threadsafe", "_write_to_self")),
    (
        "HTTP stack (uvicorn/h11, Starlette/FastAPI routing, middleware)",
        "stack",
        ("uvicorn/", "h11/", "starlette/", "fastapi/"),
    ),
)


def _source_line(frame: str) -> str:
    """The source text of a py-spy frame 'func (path/file.py:123)', looked up in the repository or sys.path."""
    try:
        where = frame.rsplit("(", 1)[1].rstrip(")")
        path, line = where.rsplit(":", 1)
    except (IndexError, ValueError):
        return ""
    for base in (HERE.parent, *map(Path, sys.path)):
        candidate = base / path
        if candidate.is_file():
            try:
                return candidate.read_text(errors="replace").splitlines()[int(line) - 1].strip()
            except (OSError, IndexError, ValueError):
                return ""
    return ""


def summarise_pyspy(raw: Path, top: int = 20) -> dict[str, Any]:
    """py-spy's raw output (recorded without `--idle`, so only threads on a CPU are sampled; with the server
    pinned to one CPU that is where its CPU time goes): share by category, top functions inclusive (minus
    the plumbing on every stack) and top lines by own samples. Waits (locks, fsync, the GIL) are not
    samples; idle event-loop and worker frames that slip through are counted apart."""
    busy = 0
    idle = 0
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    categories: dict[str, int] = {}
    line_cache: dict[str, str] = {}
    for text in raw.read_text(errors="replace").splitlines():
        stack, _, count = text.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")[1:]  # the first item is the thread
        if not frames or frames[-1].startswith(IDLE_LEAVES):
            idle += n
            continue
        busy += n
        leaf = frames[-1]
        own[leaf] = own.get(leaf, 0) + n
        for f in set(frames):
            inclusive[f] = inclusive.get(f, 0) + n
        if leaf not in line_cache:
            line_cache[leaf] = _source_line(leaf)
        label = "other"
        for name, where, needles in CATEGORIES:
            if (
                (where == "leaf" and any(x in leaf for x in needles))
                or (where == "lock" and "_lock" in line_cache[leaf] and "with " in line_cache[leaf])
                or (where == "stack" and any(x in f for f in frames for x in needles))
            ):
                label = name
            if label != "other":
                break
        categories[label] = categories.get(label, 0) + n
    if not busy:
        return {"busy_samples": 0}

    def pct(n: int) -> float:
        return round(100 * n / busy, 1)

    return {
        "busy_samples": busy,
        "idle_samples": idle,
        "note": "percent of on-CPU samples of the server process (pinned to one CPU)",
        "by_category_pct": {k: pct(v) for k, v in sorted(categories.items(), key=lambda kv: -kv[1])},
        "top_inclusive_pct": [
            {"frame": f, "pct": pct(n)}
            for f, n in sorted(inclusive.items(), key=lambda kv: -kv[1])
            if not f.startswith(PLUMBING)
        ][:top],
        "top_own_pct": [
            {"frame": f, "pct": pct(n), "line": line_cache.get(f, "")}
            for f, n in sorted(own.items(), key=lambda kv: -kv[1])
        ][:top],
    }


class PySpy:
    """py-spy attached to the server for a stretch of the run (optional; see the README)."""

    def __init__(self, binary: str, pid: int, out: Path, rate: int = 200, gil: bool = False) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [binary, "record", "--pid", str(pid), "--rate", str(rate), "--threads"]
        cmd += ["--nonblocking", "--format", "raw", "--output", str(out)]
        if gil:  # only the thread holding the GIL: where interpreter time goes, without lock or I/O waits
            cmd.append("--gil")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)  # let it attach
        if self.proc.poll() is not None:
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
            raise RuntimeError(f"py-spy failed to start: {err.strip()[:300]}")

    def stop(self) -> dict[str, Any]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self.out.exists():
            return {"error": "py-spy wrote nothing"}
        return summarise_pyspy(self.out)


def find_pyspy(explicit: str | None) -> str | None:
    import shutil

    if explicit:
        return explicit
    return shutil.which("py-spy")


def add_server_args(parser: argparse.ArgumentParser, *, timeout: float, py_spy_help: str) -> None:
    """The options both HTTP benchmarks share: access log, overall time limit, optional py-spy."""
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="turn uvicorn's access log on (`shenbao serve` keeps it off)",
    )
    parser.add_argument("--timeout", type=float, default=timeout, help="give up after this many seconds")
    parser.add_argument("--py-spy", nargs="?", const="", default=None, metavar="PATH", help=py_spy_help)
    parser.add_argument(
        "--py-spy-gil",
        action="store_true",
        help="with --py-spy: sample only the thread holding the GIL (interpreter time, no waits)",
    )


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit in the benchmark process, so `with ServerProcess(...)` cleans up."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    main()
