"""Time to load, validate and compile every form spec and campaign (Registry.load).

Each run builds a new Registry from forms/ and doc_templates/ (YAML read and parsed, pydantic
validation, CEL compilation, template checks, the holiday calendar). Modules are imported once, so
runs after the first are "cold-ish": nothing is cached by the registry itself, but the interpreter,
the OS file cache and library-level caches are warm. The first run is reported separately.

    python benchmarks/spec_load.py [--runs 20]

Target: median < 1 s.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import statistics
import time
from typing import Any

from _common import FORMS, TEMPLATES, chdir_root, pin_one_core, profile_text, top_functions, write_result

from bot.registry import Registry

NAME = "spec_load"
TARGET_S = 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    chdir_root()
    cpu = pin_one_core()

    t0 = time.perf_counter_ns()
    registry = Registry.load(FORMS, TEMPLATES)
    first_ns = time.perf_counter_ns() - t0
    forms, campaigns = sorted(registry.forms), sorted(registry.campaigns)
    del registry

    samples: list[int] = []
    for _ in range(args.runs):
        gc.collect()
        t0 = time.perf_counter_ns()
        Registry.load(FORMS, TEMPLATES)
        samples.append(time.perf_counter_ns() - t0)

    profiler = cProfile.Profile()
    profiler.enable()
    Registry.load(FORMS, TEMPLATES)
    profiler.disable()

    ms = sorted(s / 1e6 for s in samples)
    median_ms = statistics.median(ms)
    met = median_ms < TARGET_S * 1000
    result: dict[str, Any] = {
        "runs": args.runs,
        "pinned_cpu": cpu,
        "forms": forms,
        "campaigns": campaigns,
        "first_run_ms": round(first_ns / 1e6, 2),
        "median_ms": round(median_ms, 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "target": {"median_ms_max": TARGET_S * 1000},
        "target_met": met,
        "profile": {
            "top_cumulative": top_functions(profiler, "cumulative"),
            "cumulative_text": profile_text(profiler, "cumulative"),
            "tottime_text": profile_text(profiler, "tottime"),
        },
    }
    path = write_result(NAME, result)

    print(f"spec load — Registry.load: {len(forms)} form(s), {len(campaigns)} campaign(s), cpu {cpu}")
    print(f"  first run  {first_ns / 1e6:8.1f} ms")
    print(f"  median     {median_ms:8.1f} ms of {args.runs} runs (min {ms[0]:.1f}, max {ms[-1]:.1f})")
    print(f"  target < {TARGET_S * 1000:.0f} ms: {'MET' if met else 'MISSED'}")
    print(f"  → {path}")


if __name__ == "__main__":
    main()
