"""The coordinators' applications list over HTTP with 20,000 applications in one campaign.

    python benchmarks/list_page.py [--count 20000] [--requests 40] [--warmup 5] [--data-dir DIR]

Generates the data (benchmarks/generate_applications.py: real encrypted states, events, facets, search and
duplicate keys) into a fresh data directory (or reuses `--data-dir` if it already holds a database), starts
the product app under uvicorn as `shenbao serve` runs it (benchmarks/_server.py; server pinned to one CPU,
client to the other), logs in as a coordinator of the campaign's institution, and times `GET
/admin/campaigns/cq_hgzy_2023` per scenario, one request at a time on one keep-alive connection: the first
page, filters, search (a handle made once by the POSTed form, then the GET timed), sorts, a deep page, the
never-answered toggle. The counts of a campaign are reused while nothing changed (storage/list_query.py);
two scenarios send an applicant's chat turn before each request (untimed), so nothing is reused there.
Each response is checked (200, the expected rows). Target: p95 < 300 ms in every scenario.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, auth, chdir_root, percentile, write_result
from _server import ServerProcess, cpu_plan, exit_on_sigterm
from generate_applications import CAMPAIGN, generate, waybill

NAME = "list_page"
TARGET_P95_MS = 300.0
USER, PASSWORD = "bench-coordinator", "bench list password 1"
LIST = f"/admin/campaigns/{CAMPAIGN}"
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
ROW = re.compile(r'href="/admin/applications/[0-9a-f]{32}"')


def add_coordinator(data_dir: Path) -> None:
    from bot.dashboard import users
    from bot.registry import Registry
    from storage import Store
    from storage.accounts import Accounts

    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(data_dir) as store:
        users.add_user(Accounts(store), USER, "coordinator", "cq-hgzy", registry.institutions(), PASSWORD)


def log_in(http: httpx.Client) -> str:
    form = http.get("/admin/login")
    found = CSRF.search(form.text)
    assert found, form.text
    done = http.post(
        "/admin/login",
        data={"csrf": found.group(1), "username": USER, "password": PASSWORD},
        headers={"Origin": str(http.base_url).rstrip("/")},
    )
    assert done.status_code == 303, done.text
    page = http.get("/admin/campaigns")
    token = CSRF.search(page.text)
    assert token, page.text
    return token.group(1)


def search_url(http: httpx.Client, csrf: str, term: str, **filters: str) -> str:
    response = http.post(
        LIST + "/list",
        data={"csrf": csrf, "term": term, **filters},
        headers={"Origin": str(http.base_url).rstrip("/")},
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def scenarios(http: httpx.Client, csrf: str) -> dict[str, tuple[str, int | None]]:
    """name → (address, rows expected on the page or None for "at least one")."""
    return {
        "first page": (LIST, 50),
        "status 已生成": (LIST + "?status=complete", 50),
        "4 filters (status, level, eligibility, duplicate)": (
            LIST + "?status=complete&level=二级/技师&eligibility=eligible&dup=1",
            None,
        ),
        "date range (created, 10 days)": (LIST + "?from=2023-08-01&to=2023-08-10", 50),
        "sort by level, page 100": (LIST + "?sort=level&dir=asc&page=100", None),
        "last page (page 378)": (LIST + "?page=378", None),
        "never-answered included, 200 a page": (LIST + "?all=1&size=200", 200),
        "search name": (search_url(http, csrf, "王伟勇"), None),
        "search phone tail": (search_url(http, csrf, "0042"), None),
        "search waybill": (search_url(http, csrf, waybill(3)), 1),
        "search unit + status": (search_url(http, csrf, "重庆第7化工有限公司", status="complete"), None),
    }


def measure(
    http: httpx.Client, url: str, rows: int | None, n: int, warmup: int, before: Any = None
) -> dict[str, Any]:
    times: list[float] = []
    for i in range(warmup + n):
        if before is not None:
            before()
        started = time.perf_counter()
        response = http.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        found = len(ROW.findall(response.text))
        assert (found >= 1) if rows is None else found == rows, (url, found, rows)
        assert "搜索已过期" not in response.text, url
        if i >= warmup:
            times.append(elapsed)
    times.sort()
    return {
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(times[-1], 1),
        "rows": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None, help="keep (or reuse) the generated data here")
    args = parser.parse_args()
    exit_on_sigterm()
    chdir_root()
    server_cpu, client_cpu = cpu_plan()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    with tempfile.TemporaryDirectory(prefix="shenbao-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        generated: dict[str, Any] = {"reused": True}
        if not (data_dir / "shenbao.db").exists():
            print(f"{NAME}: generating {args.count:,} applications …", flush=True)
            generated = generate(data_dir, args.count)
            add_coordinator(data_dir)
            print(f"{NAME}: generated in {generated['seconds']} s: {generated}", flush=True)
        server = ServerProcess(data_dir, Path(tmp) / "server.log", server_cpu)
        results: dict[str, Any] = {}
        with server, httpx.Client(base_url=server.base_url, timeout=60, follow_redirects=False) as http:
            csrf = log_in(http)
            token = http.post("/api/sessions", json={"campaign": CAMPAIGN}).json()["token"]

            def turn() -> None:  # an applicant answers: the counts must be made again (not reused)
                said = http.post("/api/session/messages", headers=auth(token), json={"text": "？"})
                assert said.status_code == 200, said.text

            plan = [(name, url, rows, None) for name, (url, rows) in scenarios(http, csrf).items()]
            plan.insert(1, ("first page, an applicant's turn before each", LIST, 50, turn))
            plan.insert(3, ("status 已生成, a turn before each", LIST + "?status=complete", 50, turn))
            for name, url, rows, before in plan:
                results[name] = measure(http, url, rows, args.requests, args.warmup, before)
                r = results[name]
                print(
                    f"  {name:<52} p50 {r['p50_ms']:>7} ms  p95 {r['p95_ms']:>7} ms  max {r['max_ms']:>7} ms"
                )
            server.stop()
    worst = max(r["p95_ms"] for r in results.values())
    met = worst < TARGET_P95_MS
    print(f"{NAME}: worst p95 {worst} ms (target < {TARGET_P95_MS:.0f} ms): {'met' if met else 'MISSED'}")
    path = write_result(
        NAME,
        {
            "config": {
                "applications": args.count,
                "requests": args.requests,
                "warmup": args.warmup,
                "server": "uvicorn (benchmarks/_server.py)",
                "server_cpu": server_cpu,
                "client_cpu": client_cpu,
            },
            "generated": generated,
            "scenarios": results,
            "worst_p95_ms": worst,
            "target_p95_ms": TARGET_P95_MS,
            "target_met": met,
        },
    )
    print(f"{NAME}: wrote {path}")
    sys.exit(0)


if __name__ == "__main__":
    main()
