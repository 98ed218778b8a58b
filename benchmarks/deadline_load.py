"""Deadline day on loopback: many applicants completing the flagship form at once against one server.

One uvicorn process (benchmarks/_server.py: the product app with the clock fixed at 2023-09-20,
configured like `shenbao serve`) on a fresh data directory. Each simulated applicant `i`:

    POST /api/sessions                       (a turn)
    POST /api/session/messages × 36          (every answer of `inputs_for(i)` up to the photo; turns)
    PUT  /api/session/upload                 (a ~100 KB JPEG generated for this applicant; a turn)
    POST /api/session/messages "查看", "确认" (the review and the confirmation; turns)
    GET  documents[0].url                    (the .docx: document latency)
    GET  documents[0].pdf_url                (with --pdf: the PDF, PDF latency; a 503 "busy" is tried again
                                              after 1 s, as a person would tap again, timed to the PDF)

`--applicants` of them, `--concurrency` at a time (an asyncio semaphore; the first `--concurrency` arrive
evenly over `--ramp-s` seconds, 10 by default, 0 for all at once; no think time, each applicant sends the
next request as soon as the previous answer arrives), each with its own httpx.AsyncClient and
keep-alive connection. An error is any non-2xx answer, a transport error, a conversation that does not end
`mode=done, status=complete`, or a download that is not a .docx with the photo in it. Server peak memory is
the server process's VmHWM from /proc at the end of the run. After the server has stopped (SIGTERM, as in
production), the database is opened read-only: `PRAGMA integrity_check`, applications complete, answer
events (40 per applicant: the start, 36 answers, the upload, review, confirm) and stored photos.

    python benchmarks/deadline_load.py [--applicants 300] [--concurrency 50] [--ramp-s 10] [--quick] [--think-ms 0]
                                       [--pdf] [--py-spy [PATH]]

Targets: turn latency p95 < 200 ms, document latency p95 < 1 s, 0 errors, server peak memory < 300 MB,
integrity_check ok, every application complete; with --pdf also PDF latency p95 < 2 s (the server starts its
warm converter as `shenbao serve` does; LibreOffice's own memory is reported apart from the server's).
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
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import PHOTO_TURN, RESULTS, auth, chdir_root, inputs_for, percentile, write_result
from _server import (
    PySpy,
    ServerProcess,
    add_server_args,
    child_pids,
    cpu_plan,
    exit_on_sigterm,
    find_pyspy,
    proc_cpu_seconds,
    proc_status,
)
from PIL import Image

NAME = "deadline_load"
CAMPAIGN = "cq_hgzy_2023"
TARGET_TURN_P95_MS = 200.0
TARGET_DOC_P95_MS = 1000.0
TARGET_PDF_P95_MS = 2000.0
PDF_RETRY_S = 1.0
PDF_GIVE_UP_S = 120.0
TARGET_PEAK_MB = 300.0
REQUEST_TIMEOUT_S = 60.0
EVENTS_PER_APPLICANT = 40  # session start + 36 answers + upload + review + confirm
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def photo(index: int) -> bytes:
    """A 350×490 (二寸) JPEG of about 97 KB, different for every applicant (seeded noise on a tint)."""
    rng = random.Random(index)
    w, h = 350, 490
    noise = Image.frombytes("L", (w, h), rng.randbytes(w * h))
    colour = Image.merge("RGB", (noise, noise.rotate(180), noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    tint = Image.new("RGB", (w, h), ((index * 37) % 256, (index * 91) % 256, (index * 53) % 256))
    out = io.BytesIO()
    Image.blend(tint, colour, 0.5).save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Stats:
    turns_ms: dict[str, list[float]] = field(
        default_factory=lambda: {"start": [], "answer": [], "upload": [], "review": [], "confirm": []}
    )
    documents_ms: list[float] = field(default_factory=list)
    pdfs_ms: list[float] = field(default_factory=list)
    pdf_busy: int = 0  # 503 answers (busy), each tried again after PDF_RETRY_S
    want_pdf: bool = False
    errors: list[str] = field(default_factory=list)
    completed: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


def check_docx(data: bytes) -> str | None:
    """None if `data` is a .docx with a document body and an embedded picture, else what is wrong."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
    except zipfile.BadZipFile:
        return "not a zip"
    if "word/document.xml" not in names:
        return "no word/document.xml"
    if not any(n.startswith("word/media/") for n in names):
        return "no picture in the document"
    return None


async def applicant(
    base_url: str,
    ssl_ctx: ssl.SSLContext,
    index: int,
    jpeg: bytes,
    sem: asyncio.Semaphore,
    stats: Stats,
    think_s: float,
    start_after_s: float = 0.0,
) -> None:
    """One applicant = one browser: its own client and keep-alive connection. (One shared httpx pool with
    50 connections costs the client ~3× more CPU per request and made the client the bottleneck.)"""
    async with sem:  # the place is taken first, so a later applicant cannot overtake one still arriving
        if start_after_s:
            await asyncio.sleep(start_after_s)
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            async with httpx.AsyncClient(
                base_url=base_url, verify=ssl_ctx, timeout=REQUEST_TIMEOUT_S
            ) as client:
                await _converse(client, index, jpeg, stats, think_s)
        except httpx.HTTPError as exc:
            stats.errors.append(f"applicant {index}: {type(exc).__name__}: {exc!r}")
        finally:
            stats.in_flight -= 1


async def _converse(client: httpx.AsyncClient, index: int, jpeg: bytes, stats: Stats, think_s: float) -> None:
    def fail(what: str, r: httpx.Response) -> None:
        stats.errors.append(f"applicant {index} {what}: HTTP {r.status_code} {r.text[:200]}")

    t0 = time.perf_counter()
    r = await client.post("/api/sessions", json={"campaign": CAMPAIGN})
    stats.turns_ms["start"].append((time.perf_counter() - t0) * 1000)
    if r.status_code != 201:
        return fail("start", r)
    token = r.json()["token"]
    body: dict[str, Any] = {}
    texts = inputs_for(index)
    pauses = random.Random(index)
    for n, text in enumerate(texts[1:], 1):  # texts[0] is "/start": creating the session did that
        if think_s:
            await asyncio.sleep(think_s * pauses.uniform(0.5, 1.5))
        t0 = time.perf_counter()
        if n == PHOTO_TURN:
            kind = "upload"
            r = await client.put(
                "/api/session/upload",
                content=jpeg,
                headers={**auth(token), "Content-Type": "image/jpeg", "X-Filename": f"photo-{index}.jpg"},
            )
        else:
            kind = {"查看": "review", "确认": "confirm"}.get(text, "answer")
            r = await client.post(
                "/api/session/messages", headers=auth(token), json={"text": text, "msg_id": f"{index}-{n}"}
            )
        stats.turns_ms[kind].append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            return fail(f"turn {n} {text!r}", r)
        body = r.json()
    state = body.get("state", {})
    if (state.get("mode"), state.get("status")) != ("done", "complete") or not state.get("documents"):
        stats.errors.append(
            f"applicant {index}: ended mode={state.get('mode')!r} status={state.get('status')!r}, "
            f"last replies {[x.get('text', '')[:60] for x in body.get('replies', [])]}"
        )
        return
    t0 = time.perf_counter()
    r = await client.get(state["documents"][0]["url"])
    stats.documents_ms.append((time.perf_counter() - t0) * 1000)
    if r.status_code != 200:
        return fail("document", r)
    problem = None if r.headers.get("content-type", "").startswith(DOCX) else "wrong content type"
    problem = problem or check_docx(r.content)
    if problem:
        stats.errors.append(f"applicant {index}: document: {problem}")
        return
    if stats.want_pdf:
        url = state["documents"][0].get("pdf_url")
        if not url:
            stats.errors.append(f"applicant {index}: no PDF link (LibreOffice missing on the server?)")
            return
        t0 = time.perf_counter()
        while True:
            r = await client.get(url)
            if r.status_code != 503 or time.perf_counter() - t0 > PDF_GIVE_UP_S:
                break
            stats.pdf_busy += 1
            await asyncio.sleep(PDF_RETRY_S)
        stats.pdfs_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            return fail("pdf", r)
        if not r.content.startswith(b"%PDF-"):
            stats.errors.append(f"applicant {index}: the PDF is not a PDF")
            return
    stats.completed += 1


async def sample_memory(pid: int, peak: dict[str, Any], stop: asyncio.Event) -> None:
    """VmRSS every 0.25 s (VmHWM at the end is the authoritative peak; this gives the shape)."""
    t0 = time.perf_counter()
    while not stop.is_set():
        rss = proc_status(pid).get("VmRSS", 0)
        peak["samples"] += 1
        peak["max_rss_kb"] = max(peak["max_rss_kb"], rss)
        if peak["samples"] % 8 == 1:
            peak["timeline"].append((round(time.perf_counter() - t0, 1), round(rss / 1024, 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def drive(
    base_url: str, pid: int, photos: list[bytes], args: argparse.Namespace
) -> tuple[Stats, float, dict[str, Any]]:
    stats = Stats(want_pdf=args.pdf)
    sem = asyncio.Semaphore(args.concurrency)
    ssl_ctx = ssl.create_default_context()  # unused on http://, but httpx builds one per client otherwise
    rss: dict[str, Any] = {"samples": 0, "max_rss_kb": 0, "timeline": []}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_memory(pid, rss, stop))
    t0, client0 = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(
            *(
                applicant(base_url, ssl_ctx, i, photos[i], sem, stats, args.think_ms / 1000, ramp(i, args))
                for i in range(len(photos))
            )
        )
    finally:
        wall = time.perf_counter() - t0
        stop.set()
        await sampler
    rss["client_cpu_s"] = time.process_time() - client0
    return stats, wall, rss


def ramp(index: int, args: argparse.Namespace) -> float:
    """When the first `concurrency` applicants arrive: evenly over `--ramp-s` seconds (0: all at once);
    every later one takes the place of one who has finished."""
    if index >= args.concurrency or not args.ramp_s:
        return 0.0
    return float(index * args.ramp_s / args.concurrency)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (LibreOffice's soffice.bin is a grandchild of its uno_worker.py)."""
    out: list[int] = []
    for child in child_pids(pid):
        out += [child, *descendants(child)]
    return out


def is_uno_worker(pid: int) -> bool:
    try:
        return b"uno_worker.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def check_database(db_path: Path) -> dict[str, Any]:
    """Read-only, after the server has stopped."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        t0 = time.perf_counter()
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        integrity_ms = (time.perf_counter() - t0) * 1000
        apps = conn.execute("SELECT count(*) FROM applications").fetchone()[0]
        complete = conn.execute(
            "SELECT count(*) FROM applications WHERE status = 'complete' AND campaign_id = ?", [CAMPAIGN]
        ).fetchone()[0]
        events = conn.execute("SELECT count(*) FROM answer_events").fetchone()[0]
        files = conn.execute("SELECT count(*), coalesce(sum(size), 0) FROM files").fetchone()
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    return {
        "integrity_check": integrity[0] if integrity == ["ok"] else integrity[:20],
        "integrity_check_ms": round(integrity_ms, 1),
        "applications": apps,
        "complete": complete,
        "answer_events": events,
        "files": files[0],
        "files_bytes": files[1],
        "journal_mode": journal,
        "database_bytes": db_path.stat().st_size,
        "wal_left_behind": db_path.with_name(db_path.name + "-wal").exists(),
    }


def quantiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    v = sorted(values)
    return {
        "n": len(v),
        "p50": round(percentile(v, 50), 1),
        "p95": round(percentile(v, 95), 1),
        "p99": round(percentile(v, 99), 1),
        "max": round(v[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=None, help="default 300 (30 with --quick)")
    parser.add_argument("--concurrency", type=int, default=None, help="default 50 (10 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 30 applicants, 10 at a time")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="mean pause before each answer, drawn per answer from 0.5–1.5× this (default 0: none)",
    )
    parser.add_argument(
        "--ramp-s",
        type=float,
        default=None,
        help="the first --concurrency applicants arrive evenly over this many seconds "
        "(default 10, i.e. 5 a second; 1 with --quick; 0: all in the same instant)",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="each applicant also downloads the PDF of the document (the server's warm converter)",
    )
    add_server_args(
        parser,
        timeout=900.0,
        py_spy_help="profile the server with py-spy during the run (perturbs the figures; from PATH or $PATH)",
    )
    args = parser.parse_args()
    args.applicants = args.applicants or (30 if args.quick else 300)
    args.concurrency = args.concurrency or (10 if args.quick else 50)
    if args.ramp_s is None:
        args.ramp_s = 1.0 if args.quick else 10.0
    if args.applicants < 1 or args.concurrency < 1:
        parser.error("--applicants and --concurrency must be at least 1")
    exit_on_sigterm()
    chdir_root()
    name = NAME + "_pdf" if args.pdf else NAME  # results/deadline_load_pdf.json with --pdf
    if args.pdf:
        os.environ["SHENBAO_BENCH_PDF"] = "1"  # benchmarks/_server.py starts the warm converter

    server_cpu, client_cpu = cpu_plan()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    photos = [photo(i) for i in range(args.applicants)]
    print(
        f"{name}: {args.applicants} applicants, {args.concurrency} at a time (the first arriving over "
        f"{args.ramp_s:g} s), photos "
        f"{min(map(len, photos)) // 1024}–{max(map(len, photos)) // 1024} KB; "
        f"server CPU {server_cpu}, client CPU {client_cpu}",
        flush=True,
    )
    profile: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="shenbao-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = ServerProcess(data_dir, Path(tmp) / "server.log", server_cpu, args.access_log)
        with server:
            pid = server.pid
            before = proc_status(pid)
            cpu0 = proc_cpu_seconds(pid)
            pyspy = find_pyspy(args.py_spy) if args.py_spy is not None else None
            if args.py_spy is not None and not pyspy:
                print("py-spy not found: no profile", flush=True)
            spy = PySpy(pyspy, pid, RESULTS / f"{name}.pyspy.txt", gil=args.py_spy_gil) if pyspy else None
            try:
                stats, wall, rss = asyncio.run(
                    asyncio.wait_for(drive(server.base_url, pid, photos, args), args.timeout)
                )
            except TimeoutError:
                sys.exit(f"{name}: gave up after {args.timeout:.0f} s")
            finally:
                if spy is not None:
                    profile = spy.stop()
            children = child_pids(pid)
            office = [d for c in children if is_uno_worker(c) for d in (c, *descendants(c))]
            children = [c for c in children if c not in office]
            server_cpu_s = proc_cpu_seconds(pid) - cpu0 + sum(proc_cpu_seconds(c) for c in children)
            office_cpu_s = sum(proc_cpu_seconds(c) for c in office)
            after = proc_status(pid)
            children_hwm_kb = sum(proc_status(c).get("VmHWM", 0) for c in children)
            office_hwm_kb = sum(proc_status(c).get("VmHWM", 0) for c in office)
            exit_code = server.stop()
            log_lines = server.log_path.read_text(errors="replace").splitlines()
            RESULTS.mkdir(parents=True, exist_ok=True)
            (RESULTS / f"{name}.server.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")
        db = check_database(data_dir / "shenbao.db")

    turns = [x for values in stats.turns_ms.values() for x in values]
    turn_q = quantiles(turns)
    doc_q = quantiles(stats.documents_ms)
    pdf_q = quantiles(stats.pdfs_ms)
    peak_mb = (after.get("VmHWM", 0) + children_hwm_kb) / 1024  # the server and its render process
    errors = len(stats.errors)
    checks = {
        "turn_p95": turn_q is not None and turn_q["p95"] < TARGET_TURN_P95_MS,
        "document_p95": doc_q is not None and doc_q["p95"] < TARGET_DOC_P95_MS,
        "errors": errors == 0,
        "peak_memory": 0 < peak_mb < TARGET_PEAK_MB,
        "integrity": db["integrity_check"] == "ok",
        "all_complete": db["complete"] == args.applicants,
        "every_answer_committed": db["answer_events"] == args.applicants * EVENTS_PER_APPLICANT,
    }
    if args.pdf:
        checks["pdf_p95"] = pdf_q is not None and pdf_q["p95"] < TARGET_PDF_P95_MS
    requests = len(turns) + len(stats.documents_ms) + len(stats.pdfs_ms) + stats.pdf_busy

    def ok(name: str) -> str:
        return "met" if checks[name] else "MISSED"

    if turn_q:
        print(
            f"turns: {turn_q['n']} — p50 {turn_q['p50']} ms, p95 {turn_q['p95']} ms, p99 {turn_q['p99']} ms, "
            f"max {turn_q['max']} ms (target p95 < {TARGET_TURN_P95_MS:.0f} ms: {ok('turn_p95')})"
        )
    for kind, values in stats.turns_ms.items():
        q = quantiles(values)
        if q:
            print(
                f"  {kind:<8} n={q['n']:<6} p50 {q['p50']:>7} ms  p95 {q['p95']:>7} ms  p99 {q['p99']:>7} ms"
            )
    if doc_q:
        print(
            f"documents: {doc_q['n']} — p50 {doc_q['p50']} ms, p95 {doc_q['p95']} ms, max {doc_q['max']} ms "
            f"(target p95 < {TARGET_DOC_P95_MS:.0f} ms: {ok('document_p95')})"
        )
    first_wave = quantiles(stats.documents_ms[: args.concurrency])  # in the order the downloads finished
    later = quantiles(stats.documents_ms[args.concurrency :])
    if first_wave and later:
        print(
            f"  first {first_wave['n']} to finish: p50 {first_wave['p50']} ms, p95 {first_wave['p95']} ms; "
            f"the other {later['n']}: p50 {later['p50']} ms, p95 {later['p95']} ms"
        )
    if pdf_q:
        print(
            f"PDFs: {pdf_q['n']} — p50 {pdf_q['p50']} ms, p95 {pdf_q['p95']} ms, max {pdf_q['max']} ms, "
            f"{stats.pdf_busy} busy answers tried again (target p95 < {TARGET_PDF_P95_MS:.0f} ms: {ok('pdf_p95')}); "
            f"LibreOffice: {len(office)} processes, peak {office_hwm_kb / 1024:.1f} MB, CPU {office_cpu_s:.1f} s"
        )
    print(f"errors: {errors} ({ok('errors')}){': ' + stats.errors[0] if stats.errors else ''}")
    print(
        f"server peak memory (VmHWM, with its {len(children)} child process(es) "
        f"{children_hwm_kb / 1024:.1f} MB): {peak_mb:.1f} MB (after start-up {before.get('VmHWM', 0) / 1024:.1f} MB; "
        f"target < {TARGET_PEAK_MB:.0f} MB: {ok('peak_memory')})"
    )
    print(
        f"wall {wall:.1f} s, {requests / wall:,.0f} requests/s, {stats.completed / wall:.1f} applicants/s; "
        f"server CPU {server_cpu_s:.1f} s ({server_cpu_s / wall:.0%} of one CPU), "
        f"client {rss['client_cpu_s'] / wall:.0%}"
    )
    print(
        f"database: integrity_check {db['integrity_check']}; {db['complete']}/{args.applicants} complete; "
        f"{db['answer_events']}/{args.applicants * EVENTS_PER_APPLICANT} answer events; {db['files']} photos; "
        f"server exit {exit_code}"
    )
    target_met = all(checks.values())
    path = write_result(
        name,
        {
            "config": {
                "applicants": args.applicants,
                "concurrency": args.concurrency,
                "quick": args.quick,
                "think_ms": args.think_ms,
                "ramp_s": args.ramp_s,
                "access_log": args.access_log,
                "server_cpu": server_cpu,
                "client_cpu": client_cpu,
                "photo_bytes": {"min": min(map(len, photos)), "max": max(map(len, photos))},
                "profiled": profile is not None,
                "pdf": args.pdf,
            },
            "turn_latency_ms": turn_q,
            "turn_latency_by_kind_ms": {k: quantiles(v) for k, v in stats.turns_ms.items()},
            "document_latency_ms": doc_q,
            "document_latency_first_wave_ms": first_wave,
            "document_latency_after_first_wave_ms": later,
            "pdf_latency_ms": pdf_q,
            "pdf_busy_retries": stats.pdf_busy,
            "libreoffice": {
                "processes": len(office),
                "peak_vmhwm_mb": round(office_hwm_kb / 1024, 1),
                "cpu_s": round(office_cpu_s, 2),
            },
            "errors": errors,
            "error_examples": stats.errors[:10],
            "completed_by_client": stats.completed,
            "max_applicants_in_flight": stats.max_in_flight,
            "server_memory_mb": {
                "peak_vmhwm": round(peak_mb, 1),
                "after_startup_vmhwm": round(before.get("VmHWM", 0) / 1024, 1),
                "rss_at_end": round(after.get("VmRSS", 0) / 1024, 1),
                "max_sampled_rss": round(rss["max_rss_kb"] / 1024, 1),
                "rss_samples": rss["samples"],
                "rss_timeline_s_mb": rss["timeline"],
            },
            "wall_s": round(wall, 2),
            "requests": requests,
            "requests_per_s": round(requests / wall, 1),
            "server_cpu_s": round(server_cpu_s, 2),
            "server_cpu_utilisation": round(server_cpu_s / wall, 2),
            "database": db,
            "server_exit_code": exit_code,
            "server_log_not_access": [x for x in log_lines if '" 2' not in x][:40],
            "client_cpu_utilisation": round(rss["client_cpu_s"] / wall, 2),
            "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
            "targets": {
                "turn_p95_ms": TARGET_TURN_P95_MS,
                "document_p95_ms": TARGET_DOC_P95_MS,
                **({"pdf_p95_ms": TARGET_PDF_P95_MS} if args.pdf else {}),
                "errors": 0,
                "peak_memory_mb": TARGET_PEAK_MB,
                "integrity_check": "ok",
                "complete": args.applicants,
            },
            "checks": checks,
            "target_met": target_met,
            "profile": profile,
        },
    )
    print(
        f"{'all targets met' if target_met else 'MISSED: ' + ', '.join(k for k, v in checks.items() if not v)}"
    )
    print(f"wrote {path.relative_to(Path.cwd())}")
    if errors or not checks["integrity"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
