"""Server memory while many large photos are uploaded at the same moment, on loopback.

One uvicorn process (benchmarks/_server.py: the product app with the clock fixed at 2023-09-20,
configured like `shenbao serve`) on a fresh data directory. `--uploads` simulated applicants (50) each:

    POST /api/sessions, POST /api/session/messages × 36     (up to the photo question, 10 applicants at a time)

and when all of them are at the photo question, all of them at once (released by one event, each on its own
client and keep-alive connection):

    PUT /api/session/upload                                  (a large JPEG; the reply must be the review)

The photos are `--megapixels` (40 by default: 7296×5472, the largest the pixel limit lets through) JPEGs
of smooth colour blobs at quality 85, about 2.2 MB each (under the 10 MB limit), `--distinct` different
ones (4) shared round-robin (`--noise` blends in grain for larger files). Meanwhile `--bystanders` (5) other
applicants answer text questions without pause: their turn latency shows what the burst does to everyone
else. Server memory is read from /proc: VmHWM (peak) and VmRSS before the burst, VmRSS sampled every 50 ms
during it, VmHWM and VmRSS 1 s after it (what is kept). After the server has stopped (SIGTERM), the
database is opened read-only: `PRAGMA integrity_check` and one stored photo per applicant.

    python benchmarks/upload_memory.py [--uploads 50] [--megapixels 40] [--distinct 4] [--noise 0] [--bystanders 5]

Run it against the working tree's code (an installed `shenbao` elsewhere would be imported otherwise):
`PYTHONPATH=. python benchmarks/upload_memory.py`.

Target: server peak memory (VmHWM) < 300 MB, every upload accepted, 0 errors, integrity ok.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import sqlite3
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import PHOTO_TURN, auth, chdir_root, inputs_for, percentile, write_result
from _server import ServerProcess, child_pids, cpu_plan, exit_on_sigterm, proc_status
from PIL import Image

NAME = "upload_memory"
CAMPAIGN = "cq_hgzy_2023"
TARGET_PEAK_MB = 300.0
REQUEST_TIMEOUT_S = 120.0
ANSWERING_AT_ONCE = 10
# uvicorn closes a connection idle for 5 s; an applicant waiting for the burst opens a new one instead
# of sending on one the server may be closing (a ReadError, not the server's doing)
LIMITS = httpx.Limits(keepalive_expiry=3.0)


def photo(index: int, megapixels: float, noise: float) -> bytes:
    """A 4:3 JPEG of about `megapixels`: smooth colour blobs (a 64×48 random image scaled up), with
    `noise` (Gaussian, sigma) blended in for larger files."""
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5) // 16 * 16
    height = width * 3 // 4 // 16 * 16
    rng = random.Random(index)
    image = Image.frombytes("RGB", (64, 48), rng.randbytes(64 * 48 * 3))
    image = image.resize((width, height), Image.Resampling.BICUBIC)
    if noise:
        grain = Image.effect_noise((width, height), noise).convert("RGB")
        image = Image.blend(image, grain, 0.15)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Stats:
    upload_ms: list[float] = field(default_factory=list)
    bystander_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    accepted: int = 0


async def prepare(client: httpx.AsyncClient, index: int, stats: Stats) -> str | None:
    """A session answered up to the photo question; its token."""
    r = await client.post("/api/sessions", json={"campaign": CAMPAIGN})
    if r.status_code != 201:
        stats.errors.append(f"applicant {index} start: HTTP {r.status_code} {r.text[:200]}")
        return None
    token = str(r.json()["token"])
    for n, text in enumerate(inputs_for(index)[1:PHOTO_TURN], 1):
        r = await client.post(
            "/api/session/messages", json={"text": text, "msg_id": f"{index}-{n}"}, headers=auth(token)
        )
        if r.status_code != 200:
            stats.errors.append(f"applicant {index} turn {n}: HTTP {r.status_code} {r.text[:200]}")
            return None
    last = r.json()["replies"][-1]
    if last.get("data", {}).get("key") != "photo":
        stats.errors.append(f"applicant {index}: not at the photo question: {last.get('text', '')[:80]}")
        return None
    return token


async def applicant(
    base_url: str,
    ssl_ctx: ssl.SSLContext,
    index: int,
    jpeg: bytes,
    answering: asyncio.Semaphore,
    ready: list[int],
    go: asyncio.Event,
    stats: Stats,
) -> None:
    async with httpx.AsyncClient(
        base_url=base_url, verify=ssl_ctx, timeout=REQUEST_TIMEOUT_S, limits=LIMITS
    ) as client:
        try:
            async with answering:
                token = await prepare(client, index, stats)
            ready[0] += 1
            if token is None:
                return
            await go.wait()
            t0 = time.perf_counter()
            r = await client.put(
                "/api/session/upload",
                content=jpeg,
                headers={**auth(token), "Content-Type": "image/jpeg", "X-Filename": f"photo-{index}.jpg"},
            )
            stats.upload_ms.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                stats.errors.append(f"applicant {index} upload: HTTP {r.status_code} {r.text[:200]}")
                return
            if r.json()["replies"][-1]["kind"] != "review":
                stats.errors.append(f"applicant {index} upload: {r.json()['replies'][-1]['text'][:80]}")
                return
            stats.accepted += 1
        except httpx.HTTPError as exc:
            stats.errors.append(f"applicant {index}: {type(exc).__name__}: {exc!r}")


async def bystander(
    base_url: str, ssl_ctx: ssl.SSLContext, index: int, go: asyncio.Event, done: asyncio.Event, stats: Stats
) -> None:
    """An applicant answering text questions (no pause) while the uploads are handled: what a burst of
    uploads does to everyone else's turns."""
    async with httpx.AsyncClient(
        base_url=base_url, verify=ssl_ctx, timeout=REQUEST_TIMEOUT_S, limits=LIMITS
    ) as client:
        try:
            r = await client.post("/api/sessions", json={"campaign": CAMPAIGN})
            if r.status_code != 201:
                stats.errors.append(f"bystander {index} start: HTTP {r.status_code} {r.text[:200]}")
                return
            token = r.json()["token"]
            await go.wait()
            for n, text in enumerate(inputs_for(index)[1:PHOTO_TURN], 1):
                if done.is_set():
                    return
                t0 = time.perf_counter()
                r = await client.post(
                    "/api/session/messages", json={"text": text, "msg_id": f"b{n}"}, headers=auth(token)
                )
                stats.bystander_ms.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    stats.errors.append(f"bystander {index} turn {n}: HTTP {r.status_code} {r.text[:200]}")
                    return
        except httpx.HTTPError as exc:
            stats.errors.append(f"bystander {index}: {type(exc).__name__}: {exc!r}")


async def sample_rss(pid: int, into: dict[str, Any], stop: asyncio.Event) -> None:
    """VmRSS every 50 ms (VmHWM is the authoritative peak; this gives the shape)."""
    t0 = time.perf_counter()
    while not stop.is_set():
        rss = proc_status(pid).get("VmRSS", 0)
        into["max_rss_kb"] = max(into["max_rss_kb"], rss)
        into["timeline"].append((round(time.perf_counter() - t0, 2), round(rss / 1024, 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def drive(
    base_url: str, pid: int, photos: list[bytes], uploads: int, bystanders: int
) -> dict[str, Any]:
    stats = Stats()
    ssl_ctx = ssl.create_default_context()
    answering = asyncio.Semaphore(ANSWERING_AT_ONCE)
    ready = [0]
    go, done = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(
            applicant(base_url, ssl_ctx, i, photos[i % len(photos)], answering, ready, go, stats)
        )
        for i in range(uploads)
    ]
    others = [
        asyncio.create_task(bystander(base_url, ssl_ctx, uploads + i, go, done, stats))
        for i in range(bystanders)
    ]
    while ready[0] < uploads and not all(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # let the last answers' memory settle before the "before" reading
    before = proc_status(pid)
    samples: dict[str, Any] = {"max_rss_kb": 0, "timeline": []}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, samples, stop))
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    burst_s = time.perf_counter() - t0
    done.set()
    await asyncio.gather(*others)
    await asyncio.sleep(1.0)  # what is kept once the burst is over
    stop.set()
    await sampler
    after = proc_status(pid)
    return {"stats": stats, "before": before, "after": after, "samples": samples, "burst_s": burst_s}


def quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    v = sorted(values)
    return {
        "n": len(v),
        "p50": round(percentile(v, 50), 1),
        "p95": round(percentile(v, 95), 1),
        "max": round(v[-1], 1),
    }


def check_database(db_path: Path) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        files = conn.execute("SELECT count(*), coalesce(sum(size), 0), coalesce(max(size), 0) FROM files")
        count, total, largest = files.fetchone()
    finally:
        conn.close()
    return {
        "integrity_check": integrity[0] if integrity == ["ok"] else integrity[:20],
        "files": count,
        "files_bytes": total,
        "largest_file_bytes": largest,
        "database_bytes": db_path.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=50, help="applicants uploading at once (50)")
    parser.add_argument("--megapixels", type=float, default=40.0, help="size of each photo (40)")
    parser.add_argument("--distinct", type=int, default=4, help="different photos, shared round-robin (4)")
    parser.add_argument("--noise", type=float, default=0.0, help="grain blended in: larger files (0)")
    parser.add_argument(
        "--bystanders", type=int, default=5, help="applicants answering text questions during the burst (5)"
    )
    parser.add_argument("--access-log", action="store_true", help="turn uvicorn's access log on")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args()
    if args.uploads < 1 or args.distinct < 1 or args.megapixels <= 0 or args.bystanders < 0:
        parser.error("--uploads and --distinct must be at least 1, --megapixels positive, --bystanders ≥ 0")
    exit_on_sigterm()
    chdir_root()

    server_cpu, client_cpu = cpu_plan()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    photos = [photo(i, args.megapixels, args.noise) for i in range(min(args.distinct, args.uploads))]
    with Image.open(io.BytesIO(photos[0])) as first:
        size = first.size
    print(
        f"{NAME}: {args.uploads} uploads at once of {size[0]}×{size[1]} JPEGs "
        f"({min(map(len, photos)) / 1048576:.1f}–{max(map(len, photos)) / 1048576:.1f} MB); "
        f"server CPU {server_cpu}, client CPU {client_cpu}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="shenbao-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = ServerProcess(data_dir, Path(tmp) / "server.log", server_cpu, args.access_log)
        with server:
            pid = server.pid
            startup = proc_status(pid)
            try:
                run = asyncio.run(
                    asyncio.wait_for(
                        drive(server.base_url, pid, photos, args.uploads, args.bystanders), args.timeout
                    )
                )
            except TimeoutError:
                sys.exit(f"{NAME}: gave up after {args.timeout:.0f} s")
            children = child_pids(pid)
            children_hwm_kb = sum(proc_status(c).get("VmHWM", 0) for c in children)
            exit_code = server.stop()
            log_tail = server.log_tail(40)
        db = check_database(data_dir / "shenbao.db")

    stats: Stats = run["stats"]
    before, after = run["before"], run["after"]
    peak_mb = (after.get("VmHWM", 0) + children_hwm_kb) / 1024
    latency = quantiles(stats.upload_ms)
    others = quantiles(stats.bystander_ms)
    checks = {
        "peak_memory": 0 < peak_mb < TARGET_PEAK_MB,
        "errors": not stats.errors,
        "all_accepted": stats.accepted == args.uploads,
        "integrity": db["integrity_check"] == "ok",
        "one_file_each": db["files"] == args.uploads,
    }
    target_met = all(checks.values())
    memory = {
        "peak_vmhwm": round(peak_mb, 1),
        "after_startup_vmhwm": round(startup.get("VmHWM", 0) / 1024, 1),
        "before_burst_vmhwm": round(before.get("VmHWM", 0) / 1024, 1),
        "before_burst_rss": round(before.get("VmRSS", 0) / 1024, 1),
        "max_sampled_rss": round(run["samples"]["max_rss_kb"] / 1024, 1),
        "after_burst_rss": round(after.get("VmRSS", 0) / 1024, 1),
        "rss_timeline_s_mb": run["samples"]["timeline"][::4],
    }
    print(
        f"server memory: peak (VmHWM) {memory['peak_vmhwm']} MB (target < {TARGET_PEAK_MB:.0f} MB: "
        f"{'met' if checks['peak_memory'] else 'MISSED'}); after start-up {memory['after_startup_vmhwm']} MB, "
        f"before the burst {memory['before_burst_rss']} MB, kept after it {memory['after_burst_rss']} MB"
    )
    if latency:
        print(
            f"uploads: {stats.accepted}/{args.uploads} accepted in {run['burst_s']:.1f} s; latency p50 "
            f"{latency['p50']} ms, p95 {latency['p95']} ms, max {latency['max']} ms"
        )
    if others:
        print(
            f"text turns of {args.bystanders} other applicants during the burst: {others['n']}, p50 "
            f"{others['p50']} ms, p95 {others['p95']} ms, max {others['max']} ms"
        )
    print(f"errors: {len(stats.errors)}{': ' + stats.errors[0] if stats.errors else ''}")
    print(
        f"database: integrity_check {db['integrity_check']}; {db['files']} photos stored, "
        f"{db['files_bytes'] / 1048576:.1f} MB; server exit {exit_code}"
    )
    path = write_result(
        NAME,
        {
            "config": {
                "uploads": args.uploads,
                "megapixels": args.megapixels,
                "photo_size_px": list(size),
                "photo_bytes": {"min": min(map(len, photos)), "max": max(map(len, photos))},
                "distinct_photos": len(photos),
                "noise": args.noise,
                "bystanders": args.bystanders,
                "server_cpu": server_cpu,
                "client_cpu": client_cpu,
            },
            "server_memory_mb": memory,
            "upload_latency_ms": latency,
            "bystander_turn_latency_ms": others,
            "burst_s": round(run["burst_s"], 2),
            "accepted": stats.accepted,
            "errors": len(stats.errors),
            "error_examples": stats.errors[:10],
            "database": db,
            "server_exit_code": exit_code,
            "server_log_tail": log_tail.splitlines()[-20:] if stats.errors else [],
            "targets": {"peak_memory_mb": TARGET_PEAK_MB, "errors": 0, "accepted": args.uploads},
            "checks": checks,
            "target_met": target_met,
        },
    )
    print(
        f"{'all targets met' if target_met else 'MISSED: ' + ', '.join(k for k, v in checks.items() if not v)}"
    )
    print(f"wrote {path.relative_to(Path.cwd())}")
    if stats.errors or not checks["integrity"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
