"""Shared helpers for the benchmark scripts: paths, the flagship conversation, statistics, result files."""

from __future__ import annotations

import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / "forms"
TEMPLATES = ROOT / "doc_templates"
RESULTS = Path(__file__).resolve().parent / "results"

FLAGSHIP_FORM = FORMS / "cq_pro_to_skill.yaml"
FLAGSHIP_CAMPAIGN = FORMS / "campaigns" / "cq_hgzy_2023.yaml"
TODAY = dt.date(2023, 9, 20)

# A complete conversation on the flagship form (campaign cq_hgzy_2023, today 2023-09-20):
# every question answered, the photo skipped, then the review ("查看") and the confirmation ("确认").
INPUTS: tuple[str, ...] = (
    "/start",
    "1",
    "是",
    "是",
    "3",
    "工程师",
    "2018-06",
    "2",
    "否",
    "否",
    "张三",
    "居民身份证",
    "50010119900101123X",
    "是",
    "是",
    "汉",
    "重庆江北",
    "群众",
    "2012-07",
    "1",
    "重庆某化工",
    "李四",
    "13800138000",
    "重庆市江北区1号",
    "400020",
    "本科",
    "2012-06",
    "重庆大学",
    "化学工程",
    "跳过",
    "否",
    "2012-07",
    "至今",
    "重庆某化工",
    "工程师",
    "否",
    "主持某装置技术改造，年节约成本50万元",
    "跳过",  # the photo; document_render.py answers it with an upload instead
    "查看",
    "确认",
)
PHOTO_TURN = 37  # index in INPUTS of the photo question's "跳过"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"


def inputs_for(index: int) -> tuple[str, ...]:
    """The same conversation with different personal answers for each applicant, so that no cache can
    serve one applicant's conversation from another's: name, ID number (sex and birth month with it),
    native place, title date and the achievements text all vary."""
    from bot.engine.identifiers import id_check_char

    body = f"500101{1970 + index % 26:04d}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
    varied = list(INPUTS)
    varied[10] = _SURNAMES[index % 20] + _GIVEN[(index // 20) % 20] + _GIVEN[index % 19]
    varied[12] = body + id_check_char(body)
    varied[16] = f"重庆第{index}号街道"
    varied[6] = f"{2010 + index % 10}-{1 + index % 12:02d}"
    varied[36] = f"主持第{index}号装置技术改造，年节约成本{index}万元"
    return tuple(varied)


def chdir_root() -> None:
    """Specs name files relative to the working directory in messages; run from the repository root."""
    os.chdir(ROOT)


def pin_one_core() -> int | None:
    """Pin this process to a single CPU where the OS allows it; returns the CPU id or None."""
    if not hasattr(os, "sched_setaffinity") or not hasattr(os, "sched_getaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of an already sorted sequence."""
    if not sorted_values:
        raise ValueError("no values")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def summary_us(samples_ns: Sequence[int]) -> dict[str, float]:
    """Mean / p50 / p95 / p99 / min / max of nanosecond samples, in microseconds."""
    values = sorted(s / 1000 for s in samples_ns)
    return {
        "mean": statistics.fmean(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "min": values[0],
        "max": values[-1],
    }


def profile_text(profiler: cProfile.Profile, sort: str, limit: int = 15) -> str:
    """pstats output for the top `limit` functions by `sort`, paths shortened to the repository."""
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    stats.sort_stats(sort).print_stats(limit)
    text = buf.getvalue()
    for prefix in (str(ROOT) + os.sep, sys.prefix + os.sep, sys.base_prefix + os.sep):
        text = text.replace(prefix, "")
    return text.strip()


def top_functions(profiler: cProfile.Profile, sort: str, limit: int = 15) -> list[dict[str, Any]]:
    """The same ranking as `profile_text`, as structured rows (file:line:function)."""
    stats = pstats.Stats(profiler)
    stats.sort_stats(sort)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    ordered: list[tuple[str, int, str]] = stats.fcn_list[:limit]  # type: ignore[attr-defined]
    rows = []
    for func in ordered:
        _cc, ncalls, tottime, cumtime, _callers = raw[func]
        filename, line, name = func
        for prefix in (str(ROOT) + os.sep, sys.prefix + os.sep, sys.base_prefix + os.sep):
            filename = filename.replace(prefix, "")
        rows.append(
            {
                "function": f"{filename}:{line}:{name}",
                "ncalls": ncalls,
                "tottime_s": round(tottime, 6),
                "cumtime_s": round(cumtime, 6),
            }
        )
    return rows


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write benchmarks/results/<name>.json (with a timestamp and machine info) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "run_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def auth(token: str) -> dict[str, str]:
    """The header an applicant's session token travels in."""
    return {"Authorization": f"Bearer {token}"}
