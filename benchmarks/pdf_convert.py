"""PDF conversion time per document: the warm converter against a cold LibreOffice start, same run.

Warm:     bot.documents.page_images.PageImages().pdf(docx) — a LibreOffice kept running (uno_worker.py
          under the system Python with python3-uno), what the server uses.
Baseline: the same class with `uno_python="off"`: one cold `soffice --headless --convert-to pdf` per file
          with a fresh private profile (what every conversion cost before).

The documents are the flagship form's .docx of `inputs_for(i)` — a different applicant each, so the
converter's content-hash cache never answers; every PDF is checked (`%PDF-`, pdftotext finds the
applicant's name where pdftotext is installed). The warm converter's first conversion (which starts
LibreOffice) is reported on its own; then `--warmup` more, then N warm and `--cold` cold conversions
interleaved. Ratio = median(warm) / median(cold). Pinned to one CPU (LibreOffice inherits it).

    python benchmarks/pdf_convert.py [-n 20] [--cold 5] [--warmup 2]

Target: warm median < 500 ms per document.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    FORMS,
    TEMPLATES,
    TODAY,
    chdir_root,
    inputs_for,
    percentile,
    pin_one_core,
    write_result,
)

from bot.documents.page_images import PageImages
from bot.documents.render_pool import render_application
from bot.engine.flow import step
from bot.registry import Registry

NAME = "pdf_convert"
CAMPAIGN = "cq_hgzy_2023"
TARGET_WARM_MS = 500.0


def documents(count: int) -> list[tuple[str, bytes]]:
    """(applicant's name, flagship .docx) for applicants 0..count-1."""
    registry = Registry.load(FORMS, TEMPLATES)
    program, campaign = registry.resolve(CAMPAIGN)
    out = []
    for i in range(count):
        state: dict[str, Any] | None = None
        texts = inputs_for(i)
        for text in texts:
            state, _ = step(program, state, {"type": "text", "text": text}, today=TODAY, campaign=campaign)
        assert state is not None and state.get("status") == "complete", state and state.get("status")
        ((_, data),) = render_application(registry, program, campaign, state, lambda _ref: None, TODAY)
        out.append((texts[10], data))
    return out


def check(pdf: bytes, name: str) -> None:
    if not pdf.startswith(b"%PDF-"):
        raise SystemExit("the converter returned something that is not a PDF")
    if shutil.which("pdftotext") is None:
        return
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, check=True, timeout=60).stdout
    if name not in "".join(text.decode("utf-8").split()):
        raise SystemExit(f"the PDF lacks the applicant's name {name!r}")


def timed(converter: PageImages, doc: tuple[str, bytes]) -> float:
    t0 = time.perf_counter()
    pdf = converter.pdf(doc[1])
    ms = (time.perf_counter() - t0) * 1000
    check(pdf, doc[0])
    return ms


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), 1),
        "p95": round(percentile(ordered, 95), 1),
        "min": round(ordered[0], 1),
        "max": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="timed warm conversions")
    parser.add_argument("--cold", type=int, default=5, help="timed cold conversions (a few seconds each)")
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    chdir_root()
    cpu = pin_one_core()
    if shutil.which("soffice") is None:
        sys.exit(f"{NAME}: LibreOffice (soffice) is not installed")
    warm = PageImages()
    if not warm.warm():
        sys.exit(f"{NAME}: no Python with LibreOffice's uno module (install python3-uno): {warm.mode()}")
    cold = PageImages(uno_python="off")
    docs = documents(1 + args.warmup + args.n + args.cold)
    print(
        f"{NAME}: {len(docs)} flagship documents ({min(len(d) for _, d in docs) // 1024} KB+); {warm.mode()}"
    )
    try:
        first_ms = timed(warm, docs[0])
        for doc in docs[1 : 1 + args.warmup]:
            timed(warm, doc)
        rest = docs[1 + args.warmup :]
        warm_ms: list[float] = []
        cold_ms: list[float] = []
        for i in range(max(args.n, args.cold)):
            order = [("warm", rest[i])] if i < args.n else []
            if i < args.cold:
                order.append(("cold", rest[args.n + i]))
            if i % 2:
                order.reverse()
            for kind, doc in order:
                (warm_ms if kind == "warm" else cold_ms).append(timed(warm if kind == "warm" else cold, doc))
        offices = len(warm.office_pids())
    finally:
        warm.close()
    w, c = stats(warm_ms), stats(cold_ms)
    ratio = round(w["median"] / c["median"], 3)
    met = w["median"] < TARGET_WARM_MS
    print(f"first warm conversion (starts LibreOffice): {first_ms:.0f} ms")
    print(f"warm: median {w['median']} ms, p95 {w['p95']} ms, range {w['min']}–{w['max']} ms (n={w['n']})")
    print(f"cold: median {c['median']} ms, p95 {c['p95']} ms, range {c['min']}–{c['max']} ms (n={c['n']})")
    print(
        f"warm/cold = {ratio}× — target warm median < {TARGET_WARM_MS:.0f} ms: {'met' if met else 'MISSED'}"
    )
    path = write_result(
        NAME,
        {
            "config": {"n": args.n, "cold": args.cold, "warmup": args.warmup, "cpu": cpu},
            "converter": warm.mode(),
            "warm_libreoffices": offices,
            "first_warm_ms": round(first_ms, 1),
            "warm_ms": w,
            "cold_ms": c,
            "warm_samples_ms": [round(x, 1) for x in warm_ms],
            "cold_samples_ms": [round(x, 1) for x in cold_ms],
            "ratio_warm_to_cold": ratio,
            "loadavg_at_end": Path("/proc/loadavg").read_text().split()[:3],
            "targets": {"warm_median_ms": TARGET_WARM_MS},
            "target_met": met,
        },
    )
    print(f"wrote {path.relative_to(Path.cwd())}")


if __name__ == "__main__":
    main()
