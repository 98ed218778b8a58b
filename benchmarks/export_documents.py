"""Exporting a campaign: 2,000 complete applications of the flagship campaign as one .zip of their .docx
documents plus the summary .xlsx, through the export jobs the coordinator pages use.

Setup (untimed): 2,000 conversations through the engine (`bot.engine.flow.step`, `inputs_for(i)`: every
applicant with their own name, ID number, dates and texts), each stored as a complete application in a real
SQLite store (encrypted state, as the chat stores it).

Measured, in a fresh interpreter (so its peak memory is the export's): `ExportJobs` — the class behind
/admin/campaigns/{id}/exports — runs the .zip job (documents rendered by `--processes` worker processes, as
the server does; 1 = in the job's thread) and then the .xlsx job for every application; wall time of both,
and peak memory: the process's VmHWM plus `--processes` × the largest worker's peak (an upper bound of
the sum). Baseline in the same run and process, before the
jobs (after 20 warm-up renders): rendering the same 2,000 documents into memory one after another (evaluate + template_context +
render_docx, nothing kept) — the work no export can avoid; the ratio shows what zipping, encryption and the
summary add. Checked afterwards: the zip opens, has 2,000 folders with one .docx each, and the .xlsx has
2,000 rows.

    python benchmarks/export_documents.py [--applications 2000] [--processes 2]

Targets: .zip + .xlsx of 2,000 applications ≤ 60 s wall, peak memory < 500 MB (a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from _common import FORMS, ROOT, TEMPLATES, TODAY, chdir_root, inputs_for, write_result

NAME = "export_documents"
CAMPAIGN = "cq_hgzy_2023"
TARGET_S = 60.0
TARGET_MB = 500.0
WARMUP = 20


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build(data: Path, count: int) -> float:
    """`count` complete applications of the flagship campaign in a new store; returns the seconds taken."""
    from bot.engine.flow import step
    from bot.registry import Registry
    from storage import Store

    started = time.perf_counter()
    registry = Registry.load(FORMS, TEMPLATES)
    program, campaign = registry.resolve(CAMPAIGN)
    with Store(data) as store:
        for i in range(count):
            state: dict[str, Any] | None = None
            for text in inputs_for(i):
                event = {"type": "start"} if text == "/start" else {"type": "text", "text": text}
                state, _ = step(program, state, event, today=TODAY, campaign=campaign)
            assert state is not None and state.get("status") == "complete", (i, state and state.get("mode"))
            app = store.create_application(program.id, CAMPAIGN, "web", {})
            store.record_turn(
                app.id, channel="web", kind="text", payload={}, accepted=True, state=state, status="complete"
            )
    return time.perf_counter() - started


def export(data: Path, processes: int) -> dict[str, Any]:
    """In this (fresh) process: the baseline, then the two export jobs; figures as a dict."""
    from bot.dashboard.export_jobs import ExportJobs
    from bot.dashboard.sealed_files import read_sealed
    from bot.documents.context import template_context
    from bot.documents.docx import render_docx
    from bot.engine.evaluate import evaluate
    from bot.intake import Intake
    from bot.registry import Registry
    from storage import Store

    registry = Registry.load(FORMS, TEMPLATES)
    with Store(data) as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        ids = [app.id for app in store.list_applications(CAMPAIGN)]
        before_mb = vm_hwm_mb()

        def render_all(app_ids: list[str]) -> None:
            for app_id in app_ids:
                app = store.get(app_id)
                assert app is not None
                program, campaign = intake.program_for(app)
                ev = evaluate(program, app.state, TODAY, campaign)
                for doc, _name in Intake._applicable_documents(program, ev):
                    context = template_context(program, ev, doc, campaign)
                    render_docx(program, registry.template(doc.template), context, app.state["answers"])

        # Baseline: the documents rendered one after another, nothing kept (after a warm-up).
        render_all(ids[:WARMUP])
        t0 = time.perf_counter()
        render_all(ids)
        baseline_s = time.perf_counter() - t0
        baseline_mb = vm_hwm_mb()

        jobs = ExportJobs(data / "exports", intake, processes=processes)
        timings: dict[str, float] = {}
        done = {}
        t_all = time.perf_counter()
        for kind in ("zip", "xlsx"):
            t1 = time.perf_counter()
            job = jobs.submit("bench", "bench", CAMPAIGN, kind, ids)
            while job.active:
                time.sleep(0.05)
            timings[kind] = round(time.perf_counter() - t1, 2)
            assert job.state == "ready", job
            done[kind] = job
        total_s = time.perf_counter() - t_all
        peak_mb = vm_hwm_mb()  # before the checks below read the results back
        worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest worker
        results: dict[str, Path] = {}
        for kind, job in done.items():
            results[kind] = data / f"check.{kind}"
            with results[kind].open("wb") as f:
                for chunk in read_sealed(jobs.result(job), job.key):
                    f.write(chunk)
        jobs.close()
        intake.close()

    names = zipfile.ZipFile(results["zip"]).namelist()
    from openpyxl import load_workbook

    sheet = load_workbook(results["xlsx"], read_only=True).worksheets[0]
    data_rows = sum(1 for row in sheet.iter_rows(min_row=4, values_only=True) if row[0] is not None)
    return {
        "applications": len(ids),
        "export_s": round(total_s, 2),
        "job_s": timings,
        "baseline_render_s": round(baseline_s, 2),
        "ratio_to_render_only": round(total_s / baseline_s, 2),
        "peak_mb": round(peak_mb + processes * worker_mb, 1),
        "export_process_peak_mb": round(peak_mb, 1),
        "worker_peak_mb": round(worker_mb, 1),
        "peak_mb_before_jobs": round(baseline_mb, 1),
        "rss_mb_at_start": round(before_mb, 1),
        "zip_mb": round(results["zip"].stat().st_size / 1e6, 1),
        "xlsx_mb": round(results["xlsx"].stat().st_size / 1e6, 2),
        "zip_entries": len(names),
        "zip_folders": len({n.split("/", 1)[0] for n in names}),
        "xlsx_rows": data_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument(
        "--processes", type=int, default=2, help="render worker processes (1: in the job thread)"
    )
    parser.add_argument("--export-only", type=Path, help=argparse.SUPPRESS)  # the measuring child
    args = parser.parse_args()
    chdir_root()
    if args.export_only:
        print(json.dumps(export(args.export_only, args.processes)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        data = Path(tmp) / "data"
        setup_s = build(data, args.applications)
        print(f"setup: {args.applications} complete applications in {setup_s:.1f} s")
        child = subprocess.run(
            [sys.executable, __file__, "--export-only", str(data), "--processes", str(args.processes)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            raise SystemExit(1)
        found = json.loads(child.stdout.strip().splitlines()[-1])
    ok = (
        found["export_s"] <= TARGET_S
        and found["peak_mb"] < TARGET_MB
        and found["zip_entries"] == args.applications == found["zip_folders"] == found["xlsx_rows"]
    )
    result = {
        "config": {"applications": args.applications, "processes": args.processes, "campaign": CAMPAIGN},
        "setup_s": round(setup_s, 1),
        **found,
        "target": {"export_s": TARGET_S, "peak_mb": TARGET_MB},
        "target_met": ok,
    }
    path = write_result(NAME, result)
    print(
        f".zip + .xlsx of {found['applications']} applications: {found['export_s']} s "
        f"(zip {found['job_s']['zip']} s, xlsx {found['job_s']['xlsx']} s; target ≤ {TARGET_S:.0f} s); "
        f"render-only baseline {found['baseline_render_s']} s → {found['ratio_to_render_only']}×; "
        f"peak {found['peak_mb']} MB (target < {TARGET_MB:.0f}); zip {found['zip_mb']} MB, "
        f"{found['zip_folders']} folders; xlsx {found['xlsx_rows']} rows → {'met' if ok else 'MISSED'}"
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
