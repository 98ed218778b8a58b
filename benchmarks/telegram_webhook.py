"""Telegram webhook updates per second through the full stack, against a fake Bot API on 127.0.0.1.

One uvicorn process serves the product app (`bot.app.create_app`, as `shenbao serve` does) in webhook mode,
its Bot API pointed at the fake of tests/channels/telegram/fake_botapi.py running in this process. The
benchmark acts as Telegram: `--conversations` chats, `--connections` at a time, each POSTs the updates of
a complete flagship conversation (`/start cq_hgzy_2023`, then the 39 message turns of `inputs_for(i)`, photo
skipped by text) to /telegram/webhook with the secret, one after another, waiting only for the 200.

    acknowledged: updates/s answered 200 — each one written to telegram_inbox (synchronous=FULL) first;
    processed:    updates/s until every conversation's .docx has arrived at the fake Bot API (engine turn
                  committed, replies sent through PTB and its AIORateLimiter: 30 messages/s overall by
                  default, which bounds this figure by design).

Afterwards the server is stopped and the database checked: one inbox row per update, all handled, one
answer event per update, every application complete.

    python benchmarks/telegram_webhook.py [--conversations 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _common import ROOT, TODAY, chdir_root, inputs_for, percentile, write_result

sys.path.insert(0, str(ROOT))
from tests.channels.telegram.fake_botapi import TOKEN, BotApi, serve_http, user_message

NAME = "telegram_webhook"
CAMPAIGN = "cq_hgzy_2023"
SECRET = "bench-secret_1"


def serve(port: int, data_dir: Path, api_url: str) -> None:
    """The server process (`--serve`)."""
    import uvicorn

    from bot.app import create_app
    from bot.settings import Settings

    settings = Settings(
        data_dir,
        ROOT / "forms",
        ROOT / "doc_templates",
        None,
        telegram_token=TOKEN,
        telegram_mode="webhook",
        telegram_secret=SECRET,
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        telegram_api_url=api_url,
    )
    app = create_app(settings, clock=lambda: TODAY)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def updates_for(index: int, chat: int) -> list[str]:
    return [f"/start {CAMPAIGN}", *inputs_for(index)[1:]]


async def drive(base: str, api: BotApi, conversations: int, connections: int) -> dict[str, Any]:
    url = f"{base}/telegram/webhook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(conversations):
        queue.put_nowait(i)
    latencies: list[float] = []
    errors: list[str] = []
    counter = iter(range(1, 10**9))

    async def worker() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            while not queue.empty():
                i = queue.get_nowait()
                chat = 10_000 + i
                for text in updates_for(i, chat):
                    body = {"update_id": next(counter), "message": user_message(chat, text=text)}
                    t0 = time.perf_counter()
                    r = await client.post(url, json=body, headers=headers)
                    latencies.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:100]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    acked = time.perf_counter() - t0
    deadline = time.monotonic() + 600
    while len([c for c in api.calls if c.method == "sendDocument"]) < conversations:
        if time.monotonic() > deadline:
            errors.append("not every conversation got its document")
            break
        await asyncio.sleep(0.05)
    processed = time.perf_counter() - t0
    lat = sorted(latencies)
    return {
        "updates": len(latencies),
        "ack_wall_s": round(acked, 3),
        "acknowledged_per_s": round(len(latencies) / acked, 1),
        "processed_wall_s": round(processed, 3),
        "processed_per_s": round(len(latencies) / processed, 1),
        "ack_latency_ms": {q: round(percentile(lat, q), 2) for q in (50, 95, 99)},
        "errors": errors[:5],
        "error_count": len(errors),
    }


def check(db_path: Path, updates: int, conversations: int) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        inbox, done = conn.execute("SELECT count(*), count(done_at) FROM telegram_inbox").fetchone()
        events = conn.execute("SELECT count(*) FROM answer_events").fetchone()[0]
        complete = conn.execute("SELECT count(*) FROM applications WHERE status = 'complete'").fetchone()[0]
    finally:
        conn.close()
    return {
        "inbox_rows": inbox,
        "inbox_done": done,
        "answer_events": events,
        "complete": complete,
        "every_update_stored_once": inbox == updates == done and events == updates,
        "every_conversation_complete": complete == conversations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    chdir_root()
    if args.serve:
        serve(args.port, args.data_dir, args.api_url)
        return
    api = BotApi()
    with tempfile.TemporaryDirectory(prefix="shenbao-tg-bench-") as tmp, serve_http(api) as api_url:
        data_dir = Path(tmp) / "data"
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [sys.executable, __file__, "--serve", "--port", str(port), "--data-dir", str(data_dir)]
        proc = subprocess.Popen([*cmd, "--api-url", api_url], env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 60
            while api.webhook is None:
                if time.monotonic() > deadline or proc.poll() is not None:
                    sys.exit(f"{NAME}: the server did not start")
                time.sleep(0.1)
            out = asyncio.run(drive(f"http://127.0.0.1:{port}", api, args.conversations, args.connections))
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        db = check(data_dir / "shenbao.db", out["updates"], args.conversations)
    print(
        f"webhook: {out['updates']} updates, acknowledged {out['acknowledged_per_s']:,.0f}/s "
        f"(p50 {out['ack_latency_ms'][50]} ms, p95 {out['ack_latency_ms'][95]} ms), processed "
        f"{out['processed_per_s']:,.0f}/s incl. replies through AIORateLimiter; errors {out['error_count']}; "
        f"stored once: {db['every_update_stored_once']}, complete {db['complete']}/{args.conversations}"
    )
    path = write_result(
        NAME,
        {
            "config": {"conversations": args.conversations, "connections": args.connections},
            **out,
            "database": db,
        },
    )
    print(f"wrote {path.relative_to(Path.cwd())}")
    if out["error_count"] or not db["every_update_stored_once"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
