"""HTTP chat-turn throughput against a bare FastAPI JSON endpoint, same server process, same run.

One uvicorn process (benchmarks/_server.py, configured like `shenbao serve`) serves the product app and a
bare FastAPI route `POST /bare/messages` that parses the same JSON body and answers {"ok": true, "n": k}.
`--connections` httpx.AsyncClients, each with one keep-alive connection and one asyncio worker, drive
both with the same request count:

    chat:  `POST /api/session/messages {"text", "msg_id"}` — the 39 message turns of a complete flagship
           conversation (`inputs_for(i)` without the leading "/start", photo skipped by text), a different
           applicant per conversation; sessions are created before the timing and are not counted;
    bare:  the same bodies to `POST /bare/messages`.

A round is one timed batch of each (order alternating between rounds); turns/s = requests / wall time of
the batch; the ratio is chat/bare per round, and the median over rounds is reported. Afterwards the
server is stopped and the database is opened read-only to check that every turn was committed (one answer
event per request, every conversation `complete`). Server and client are pinned to different CPUs when two
are available; the CPU time each used per request is reported from /proc.

    python benchmarks/http_turns.py [--conversations 40] [--rounds 3] [--connections 8] [--warmup 4]

Target: chat turns/s >= 60 % of the bare endpoint's requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import importlib.util
import os
import sqlite3
import ssl
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import RESULTS, chdir_root, inputs_for, percentile, write_result
from _server import (
    PySpy,
    ServerProcess,
    add_server_args,
    cpu_plan,
    exit_on_sigterm,
    find_pyspy,
    proc_cpu_seconds,
)

NAME = "http_turns"
CAMPAIGN = "cq_hgzy_2023"
TARGET_RATIO = 0.60
REQUEST_TIMEOUT_S = 30.0
CHAT_TURNS_SENT = [
    0
]  # every chat turn answered, warm-up and profile rounds included (for the database check)


@dataclass
class Phase:
    kind: str
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "requests": self.requests,
            "errors": len(self.errors),
            "error_examples": self.errors[:5],
            "wall_s": round(self.wall_s, 3),
            "requests_per_s": round(self.requests / self.wall_s, 1) if self.wall_s else 0.0,
            "latency_ms": {
                "p50": round(percentile(lat, 50), 2),
                "p95": round(percentile(lat, 95), 2),
                "p99": round(percentile(lat, 99), 2),
            }
            if lat
            else None,
            "server_cpu_ms_per_request": round(1000 * self.server_cpu_s / self.requests, 3)
            if self.requests
            else None,
            "server_cpu_utilisation": round(self.server_cpu_s / self.wall_s, 2) if self.wall_s else None,
            "client_cpu_utilisation": round(self.client_cpu_s / self.wall_s, 2) if self.wall_s else None,
        }


def conversation(index: int) -> list[dict[str, str]]:
    """The message bodies of applicant `index`: every answer after the session start, review, confirm."""
    return [{"text": text, "msg_id": f"a{index}-t{n}"} for n, text in enumerate(inputs_for(index)[1:], 1)]


async def create_sessions(clients: list[httpx.AsyncClient], indices: list[int]) -> dict[int, str]:
    tokens: dict[int, str] = {}
    sem = asyncio.Semaphore(len(clients))

    async def one(i: int) -> None:
        async with sem:
            r = await clients[i % len(clients)].post("/api/sessions", json={"campaign": CAMPAIGN})
            if r.status_code != 201:
                raise RuntimeError(f"session create: {r.status_code} {r.text[:200]}")
            tokens[i] = r.json()["token"]

    await asyncio.gather(*(one(i) for i in indices))
    return tokens


async def run_phase(
    clients: list[httpx.AsyncClient],
    kind: str,
    indices: list[int],
    tokens: dict[int, str],
    server_pid: int,
) -> Phase:
    """One worker per client (= per keep-alive connection) takes conversations from a queue and posts each
    one's turns in order."""
    phase = Phase(kind)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in indices:
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            url = "/api/session/messages" if kind == "chat" else "/bare/messages"
            headers = {"Authorization": f"Bearer {tokens[i]}"} if kind == "chat" else {}
            last: dict[str, Any] = {}
            for body in conversation(i):
                t0 = time.perf_counter()
                try:
                    r = await client.post(url, json=body, headers=headers)
                except httpx.HTTPError as exc:
                    phase.errors.append(f"{kind} {i}: {type(exc).__name__}: {exc}")
                    break
                phase.latencies_ms.append((time.perf_counter() - t0) * 1000)
                phase.requests += 1
                if r.status_code != 200:
                    phase.errors.append(f"{kind} {i} {body['text']!r}: {r.status_code} {r.text[:200]}")
                    break
                last = r.json()
            if kind == "chat" and last.get("state", {}).get("status") != "complete":
                phase.errors.append(f"chat {i}: conversation did not end complete")
            if kind == "bare" and last.get("ok") is not True:
                phase.errors.append(f"bare {i}: unexpected answer {last!r}")

    cpu0, client0 = proc_cpu_seconds(server_pid), time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    phase.wall_s = time.perf_counter() - t0
    phase.server_cpu_s = proc_cpu_seconds(server_pid) - cpu0
    phase.client_cpu_s = time.process_time() - client0
    if kind == "chat":
        CHAT_TURNS_SENT[0] += phase.requests
    return phase


async def drive(base_url: str, server_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    # One client per connection: one shared httpx pool costs the client more CPU per request as the number
    # of connections grows (measured: 1.7 ms at 8, 4.3 ms at 50), and the client is already the limit on
    # the bare endpoint.
    ssl_ctx = ssl.create_default_context()  # unused on http://; saves building one per client
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(base_url=base_url, verify=ssl_ctx, timeout=REQUEST_TIMEOUT_S)
            )
            for _ in range(args.connections)
        ]
        next_index = 0

        def take(n: int) -> list[int]:
            nonlocal next_index
            out = list(range(next_index, next_index + n))
            next_index += n
            return out

        warm = take(args.warmup)
        tokens = await create_sessions(clients, warm)
        for kind in ("chat", "bare"):
            phase = await run_phase(clients, kind, warm, tokens, server_pid)
            if phase.errors:
                raise RuntimeError(f"warm-up {kind} failed: {phase.errors[:3]}")

        rounds: list[dict[str, Phase]] = []
        for r in range(args.rounds):
            indices = take(args.conversations)
            tokens = await create_sessions(clients, indices)
            order = ("bare", "chat") if r % 2 == 0 else ("chat", "bare")
            phases: dict[str, Phase] = {}
            for kind in order:
                phases[kind] = await run_phase(clients, kind, indices, tokens, server_pid)
                p = phases[kind]
                print(
                    f"  round {r + 1} {kind:<4} {p.requests} requests in {p.wall_s:.2f} s → "
                    f"{p.requests / p.wall_s:,.0f}/s, errors {len(p.errors)}",
                    flush=True,
                )
            rounds.append(phases)

        profiles: dict[str, Any] = {}
        pyspy = find_pyspy(args.py_spy) if args.py_spy is not None else None
        if pyspy:  # one more (uncounted) round of each with py-spy attached to the server
            indices = take(args.conversations)
            tokens = await create_sessions(clients, indices)
            for kind in ("chat", "bare"):
                spy = PySpy(pyspy, server_pid, RESULTS / f"{NAME}.{kind}.pyspy.txt", gil=args.py_spy_gil)
                try:
                    phase = await run_phase(clients, kind, indices, tokens, server_pid)
                finally:
                    profiles[kind] = spy.stop()
                profiles[kind]["errors"] = phase.errors[:5]
                if phase.errors:
                    print(
                        f"  profile round {kind}: {len(phase.errors)} errors: {phase.errors[:3]}", flush=True
                    )
        elif args.py_spy is not None:
            print("py-spy not found: no profile (pip install py-spy, or pass --py-spy PATH)", flush=True)
        return {"rounds": rounds, "sessions": next_index, "profiles": profiles}


def check_database(db_path: Path, sessions: int, chat_turns: int) -> dict[str, Any]:
    """Read-only, after the server has stopped: one answer event per session start and per turn."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        events = conn.execute("SELECT count(*) FROM answer_events").fetchone()[0]
        apps = conn.execute("SELECT count(*) FROM applications").fetchone()[0]
        complete = conn.execute("SELECT count(*) FROM applications WHERE status = 'complete'").fetchone()[0]
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    expected = sessions + chat_turns
    return {
        "applications": apps,
        "complete": complete,
        "answer_events": events,
        "answer_events_expected": expected,
        "every_turn_committed": events == expected and complete == sessions,
        "journal_mode": journal,
        "integrity_check": integrity,
    }


def versions() -> dict[str, str]:
    out = {}
    for name in ("fastapi", "starlette", "uvicorn", "httpx", "h11"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "-"
    out["uvloop"] = "yes" if importlib.util.find_spec("uvloop") else "no (asyncio loop)"
    out["httptools"] = "yes" if importlib.util.find_spec("httptools") else "no (h11)"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=40, help="applicants per round (39 turns each)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=4, help="warm-up conversations (each kind)")
    add_server_args(
        parser,
        timeout=600.0,
        py_spy_help="after the measured rounds, profile one more round of each with py-spy (from PATH or $PATH)",
    )
    args = parser.parse_args()
    exit_on_sigterm()
    chdir_root()

    server_cpu, client_cpu = cpu_plan()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    print(
        f"{NAME}: {args.rounds} rounds × {args.conversations} conversations × 39 turns, "
        f"{args.connections} connections; server CPU {server_cpu}, client CPU {client_cpu}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="shenbao-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = ServerProcess(data_dir, Path(tmp) / "server.log", server_cpu, args.access_log)
        with server:
            try:
                out = asyncio.run(asyncio.wait_for(drive(server.base_url, server.pid, args), args.timeout))
            except TimeoutError:
                sys.exit(f"{NAME}: gave up after {args.timeout:.0f} s")
            exit_code = server.stop()
        rounds: list[dict[str, Phase]] = out["rounds"]
        db = check_database(data_dir / "shenbao.db", out["sessions"], CHAT_TURNS_SENT[0])

    ratios = [p["chat"].requests / p["chat"].wall_s / (p["bare"].requests / p["bare"].wall_s) for p in rounds]
    chat_rps = [p["chat"].requests / p["chat"].wall_s for p in rounds]
    bare_rps = [p["bare"].requests / p["bare"].wall_s for p in rounds]
    ratio = statistics.median(ratios)
    errors = sum(len(p[k].errors) for p in rounds for k in ("chat", "bare"))

    def merged(kind: str) -> dict[str, Any]:
        all_phase = Phase(kind)
        for p in rounds:
            ph = p[kind]
            all_phase.requests += ph.requests
            all_phase.errors += ph.errors
            all_phase.latencies_ms += ph.latencies_ms
            all_phase.wall_s += ph.wall_s
            all_phase.server_cpu_s += ph.server_cpu_s
            all_phase.client_cpu_s += ph.client_cpu_s
        return all_phase.as_dict()

    chat, bare = merged("chat"), merged("bare")
    target_met = ratio >= TARGET_RATIO and errors == 0 and db["every_turn_committed"]
    # Which side limited each measurement: a side near 100 % of its CPU is the bottleneck.
    bare_client_bound = (bare["client_cpu_utilisation"] or 0) >= 0.9
    cpu_ratio = bare["server_cpu_ms_per_request"] / chat["server_cpu_ms_per_request"]
    print(
        f"chat turns: {statistics.median(chat_rps):,.0f}/s (median of rounds), p50 {chat['latency_ms']['p50']} ms, "
        f"p95 {chat['latency_ms']['p95']} ms; server CPU {chat['server_cpu_ms_per_request']} ms/turn"
    )
    print(
        f"bare endpoint: {statistics.median(bare_rps):,.0f}/s, p50 {bare['latency_ms']['p50']} ms, "
        f"p95 {bare['latency_ms']['p95']} ms; server CPU {bare['server_cpu_ms_per_request']} ms/request"
    )
    print(
        f"ratio {ratio:.1%} (rounds: {', '.join(f'{x:.1%}' for x in ratios)}; target ≥ {TARGET_RATIO:.0%}); "
        f"errors {errors}; committed {db['answer_events']}/{db['answer_events_expected']} events, "
        f"{db['complete']}/{db['applications']} complete, integrity {db['integrity_check']}; "
        f"server exit {exit_code}"
    )
    print(
        f"limits: chat server {chat['server_cpu_utilisation']:.0%} / client {chat['client_cpu_utilisation']:.0%} CPU; "
        f"bare server {bare['server_cpu_utilisation']:.0%} / client {bare['client_cpu_utilisation']:.0%} CPU"
        + (
            " — the bare figure is client-bound (a lower bound), so the ratio flatters the chat"
            if bare_client_bound
            else ""
        )
        + f"; server CPU per request bare/chat = {cpu_ratio:.1%}"
    )
    path = write_result(
        NAME,
        {
            "config": {
                "rounds": args.rounds,
                "conversations_per_round": args.conversations,
                "turns_per_conversation": 39,
                "connections": args.connections,
                "warmup_conversations": args.warmup,
                "access_log": args.access_log,
                "server_cpu": server_cpu,
                "client_cpu": client_cpu,
                "versions": versions(),
            },
            "chat_turns_per_s": round(statistics.median(chat_rps), 1),
            "bare_requests_per_s": round(statistics.median(bare_rps), 1),
            "ratio": round(ratio, 3),
            "ratio_per_round": [round(x, 3) for x in ratios],
            "bare_client_bound": bare_client_bound,
            "server_cpu_ratio": round(cpu_ratio, 3),
            "server_cpu_ratio_note": "bare ÷ chat server CPU per request: the ratio a client fast enough to "
            "saturate the server on both endpoints would see",
            "target": f"ratio >= {TARGET_RATIO}, every turn committed, no errors",
            "target_met": target_met,
            "errors": errors,
            "chat": chat,
            "bare": bare,
            "database": db,
            "server_exit_code": exit_code,
            "profile": out["profiles"] or None,
        },
    )
    print(f"wrote {path.relative_to(Path.cwd())}")
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
