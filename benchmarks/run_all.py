"""Run every benchmark, each in its own interpreter, then print one summary.

    python benchmarks/run_all.py [--strict] [--quick]

Each benchmark writes benchmarks/results/<name>.json; this script also writes results/summary.json.
Exit status: 1 if a benchmark fails to run, or (with --strict) if any target is missed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, ROOT, write_result

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "engine_turns",
    "spec_load",
    "document_render",
    "http_turns",
    "deadline_load",
    "upload_memory",
    "export_documents",
    "list_page",
    "pdf_convert",
    "deadline_load_pdf",
)
SCRIPTS = {"deadline_load_pdf": ("deadline_load", ["--pdf"])}  # name: (script, arguments)
QUICK_ARGS = {
    "deadline_load": ["--quick"],
    "http_turns": ["--rounds", "1"],
    "upload_memory": ["--uploads", "10", "--distinct", "2"],
    "export_documents": ["--applications", "200"],
    "list_page": ["--count", "2000", "--requests", "10", "--warmup", "2"],
    "pdf_convert": ["-n", "10", "--cold", "3"],
    "deadline_load_pdf": ["--quick"],
}


def headline(name: str, data: dict[str, Any]) -> str:
    if name == "engine_turns":
        us = data["us_per_turn"]
        return (
            f"{data['turns_per_s']:,.0f} turns/s; µs/turn mean {us['mean']} p50 {us['p50']} p95 {us['p95']}"
            " (target ≥ 10,000 turns/s, ≤ 100 µs)"
        )
    if name == "document_render":
        m = data["median_ms"]
        return (
            f"ours {m['ours']} ms vs docxtpl {m['baseline']} ms → {data['ratio_of_medians']}× (target ≤ 1.2×)"
        )
    if name == "spec_load":
        return f"median {data['median_ms']} ms, first {data['first_run_ms']} ms (target < 1000 ms)"
    if name == "http_turns":
        return (
            f"chat {data['chat_turns_per_s']:,.0f} turns/s vs bare {data['bare_requests_per_s']:,.0f}/s → "
            f"{data['ratio']:.0%} (target ≥ 60 %); server CPU bare/chat {data['server_cpu_ratio']:.0%}"
            + ("; bare client-bound" if data.get("bare_client_bound") else "")
        )
    if name in ("deadline_load", "deadline_load_pdf"):
        t, d, c = data["turn_latency_ms"] or {}, data["document_latency_ms"] or {}, data["config"]
        p = data.get("pdf_latency_ms") or {}
        return (
            f"{c['applicants']}×{c['concurrency']}: turn p50/p95/p99 {t.get('p50')}/{t.get('p95')}/{t.get('p99')} ms "
            f"(< 200), doc p95 {d.get('p95')} ms (< 1000), "
            + (
                f"PDF p95 {p.get('p95')} ms (< 2000), {data.get('pdf_busy_retries')} busy, "
                if c.get("pdf")
                else ""
            )
            + f"errors {data['errors']}, "
            f"peak {data['server_memory_mb']['peak_vmhwm']} MB (< 300), "
            f"integrity {data['database']['integrity_check']}, {data['database']['complete']} complete"
        )
    if name == "upload_memory":
        m, c, u = data["server_memory_mb"], data["config"], data["upload_latency_ms"] or {}
        return (
            f"{c['uploads']} × {c['photo_size_px'][0]}×{c['photo_size_px'][1]} JPEG at once: peak {m['peak_vmhwm']} MB "
            f"(< 300), kept {m['after_burst_rss']} MB; {data['accepted']} accepted, upload p95 {u.get('p95')} ms, "
            f"errors {data['errors']}"
        )
    if name == "export_documents":
        return (
            f".zip + .xlsx of {data['applications']}: {data['export_s']} s (≤ 60 s; render-only "
            f"{data['baseline_render_s']} s → {data['ratio_to_render_only']}×), peak {data['peak_mb']} MB (< 500)"
        )
    if name == "pdf_convert":
        w, c = data["warm_ms"], data["cold_ms"]
        return (
            f"warm median {w['median']} ms (p95 {w['p95']}, {w['min']}–{w['max']}) vs cold {c['median']} ms "
            f"→ {data['ratio_warm_to_cold']}× (target warm < 500 ms)"
        )
    if name == "list_page":
        worst = max(data["scenarios"].items(), key=lambda item: item[1]["p95_ms"])
        return (
            f"{data['config']['applications']:,} applications: worst p95 {data['worst_p95_ms']} ms ({worst[0]}), "
            f"first page p95 {data['scenarios']['first page']['p95_ms']} ms (target < 300 ms)"
        )
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke sizes: deadline_load --quick, http_turns --rounds 1, upload_memory --uploads 10, "
        "export_documents --applications 200",
    )
    args = parser.parse_args()

    failed: list[str] = []
    summary: dict[str, Any] = {}
    for name in BENCHMARKS:
        print(f"=== {name}", flush=True)
        t0 = time.perf_counter()
        extra = QUICK_ARGS.get(name, []) if args.quick else []
        script, fixed = SCRIPTS.get(name, (name, []))
        proc = subprocess.run(
            [sys.executable, str(HERE / f"{script}.py"), *fixed, *extra], cwd=ROOT, check=False
        )
        if proc.returncode != 0:
            failed.append(name)
            summary[name] = {"error": f"exit status {proc.returncode}"}
            continue
        data = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
        summary[name] = {
            "target_met": data["target_met"],
            "headline": headline(name, data),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(flush=True)

    write_result("summary", {"results": summary})
    print("=== summary")
    missed = []
    for name, item in summary.items():
        if "error" in item:
            print(f"  {name:<16} ERROR ({item['error']})")
            continue
        status = "met" if item["target_met"] else "MISSED"
        if not item["target_met"]:
            missed.append(name)
        print(f"  {name:<16} {status:<7} {item['headline']}")
    if failed or (args.strict and missed):
        sys.exit(1)


if __name__ == "__main__":
    main()
