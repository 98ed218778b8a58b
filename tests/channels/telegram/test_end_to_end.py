"""End to end: the bot talks HTTP to a Bot API server of the tests' own on 127.0.0.1 (base_url and
base_file_url point there). Polling: `shenbao telegram` as a real process, killed mid-conversation and
restarted. Webhook: the `shenbao serve` app under uvicorn, with updates POSTed by the fake Telegram to the
URL the bot registered with setWebhook, and an application begun through the web API resumed in Telegram."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from docx import Document

from bot.app import create_app
from storage import Store
from tests.channels.telegram.fake_botapi import TOKEN, BotApi, post_update, serve_http, user_message
from tests.channels.telegram.harness import CAMPAIGN, TODAY, jpeg, settings
from tests.engine.transcript import COMPLETE


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


CHAT = 9001


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def say(api: BotApi, chat: int, *texts: str) -> None:
    """Each input waits for at least one reply before the next is sent."""
    for text in texts:
        before = len(api.sent(chat))
        api.text(chat, text)
        api.wait_messages(chat, before + 1)


def finish(api: BotApi, chat: int, name_in_file: str = "张三") -> bytes:
    """Send the photo, confirm the review with its button, and return the document the bot sends."""
    before = len(api.sent(chat))
    api.photo(chat, jpeg())
    api.wait(lambda: any("【填写内容】" in str(s.params.get("text")) for s in api.sent(chat)[before:]))
    review = [s for s in api.sent(chat) if s.params.get("reply_markup")][-1]
    assert review.message is not None
    api.tap(chat, review.message, "确认")
    api.wait(lambda: len(api.sent(chat, "sendDocument")) >= 1)  # the .docx (and the checklist PDF, if made)
    api.wait(lambda: "清单" in str(api.sent(chat)[-1].params.get("text")))
    name, data = api.sent(chat, "sendDocument")[0].files["document"]
    assert name.endswith(".docx") and name_in_file in name
    return data


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def start_polling(data: Path, api_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")}
    env |= {
        "SHENBAO_DATA_DIR": str(data),
        "SHENBAO_TELEGRAM_TOKEN": TOKEN,
        "SHENBAO_TELEGRAM_API_URL": api_url,
    }
    cmd = [sys.executable, "-m", "bot", "telegram", "--today", TODAY.isoformat()]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_polling_full_application_survives_kill_and_restart(tmp_path: Path) -> None:
    api = BotApi()
    data = tmp_path / "data"
    with serve_http(api) as url:
        proc = start_polling(data, url)
        try:
            api.wait(lambda: any(c.method == "getUpdates" for c in api.calls), timeout=30)
            say(api, CHAT, f"/start {CAMPAIGN}", *COMPLETE[:15])
            api.text(CHAT, COMPLETE[15])  # in flight when the process dies
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=10)
            before = len(api.sent(CHAT))
            proc = start_polling(data, url)
            api.wait_messages(CHAT, before + 1, timeout=30)  # the in-flight answer is handled, once
            say(api, CHAT, *COMPLETE[16:-1])
            document = finish(api, CHAT)
        finally:
            proc.send_signal(signal.SIGTERM)
            out = proc.communicate(timeout=30)[0].decode(errors="replace")
    assert proc.returncode == 0, out
    assert "张三" in docx_text(document)
    with Store(data) as store:
        (app,) = store.list_applications()
        assert app.status == "complete"
        # /start, every typed answer, the photo and the confirmation: each stored exactly once
        assert len(store.events(app.id)) == 1 + len(COMPLETE[:-1]) + 2
        pending = store.db.execute("SELECT count(*) FROM telegram_inbox WHERE done_at IS NULL").fetchone()
        assert pending[0] == 0


@contextmanager
def serve_app(data: Path, api_url: str, port: int) -> Iterator[str]:
    base = f"http://127.0.0.1:{port}"
    config = settings(
        data,
        telegram_mode="webhook",
        telegram_secret="s3cret-token_1",
        telegram_webhook_url=f"{base}/telegram/webhook",
        telegram_api_url=api_url,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config, clock=lambda: TODAY), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_webhook_full_application_forged_calls_and_resume_from_web(tmp_path: Path) -> None:
    api = BotApi()
    data = tmp_path / "data"
    port = free_port()
    with serve_http(api) as url, serve_app(data, url, port) as base:
        assert api.webhook == (f"{base}/telegram/webhook", "s3cret-token_1")
        hook = api.webhook[0]
        forged = {"update_id": 1, "message": user_message(CHAT, text=f"/start {CAMPAIGN}")}
        assert post_update(hook, forged, None) == 403
        assert post_update(hook, forged, "wrong") == 403

        say(api, CHAT, f"/start {CAMPAIGN}", *COMPLETE[:-1])
        document = finish(api, CHAT)
        assert "张三" in docx_text(document)
        assert set(api.webhook_statuses) == {200}

        web = httpx.post(f"{base}/api/sessions", json={"campaign": CAMPAIGN}).json()
        for text in COMPLETE[:3]:
            r = httpx.post(f"{base}/api/session/messages", headers=auth(web["token"]), json={"text": text})
            assert r.status_code == 200
        other = CHAT + 1
        say(api, other, f"/resume {web['resume_code']}")
        assert "从上次的位置继续" in "\n".join(str(s.params["text"]) for s in api.sent(other))
        say(api, other, COMPLETE[3])
        replay = {"update_id": api.push({"message": user_message(other, text="x")})["update_id"]}
        assert (
            post_update(hook, {**replay, "message": user_message(other, text="x")}, "s3cret-token_1") == 200
        )

    with Store(data) as store:
        apps = {a.resume_code: a for a in store.list_applications()}
        resumed = apps[web["resume_code"]]
        assert resumed.state["answers"]["title_level"] == "中级"
        assert [e.channel for e in store.events(resumed.id)][-2:] == ["telegram", "telegram"]
        assert store.db.execute("SELECT count(*) FROM telegram_inbox WHERE update_id = 1").fetchone()[0] == 0


def test_webhook_a_send_dropped_by_the_network_is_retried_and_download_sends_it_again(tmp_path: Path) -> None:
    """Over HTTP: the Bot API drops the connection on the first sendDocument (no answer at all, as a
    broken network does); the bot tries again and the document arrives once. /download later sends it
    again, the same version under the same name."""
    api = BotApi()
    data = tmp_path / "data"
    with serve_http(api) as url, serve_app(data, url, free_port()):
        say(api, CHAT, f"/start {CAMPAIGN}", *COMPLETE[:-1])
        api.fail("sendDocument")
        document = finish(api, CHAT)
        assert api.failed == ["sendDocument"]
        assert "张三" in docx_text(document)
        say(api, CHAT, "/download")

        def docx() -> list[tuple[str, bytes]]:
            sent = [s.files["document"] for s in api.sent(CHAT, "sendDocument")]
            return [f for f in sent if f[0].endswith(".docx")]

        api.wait(lambda: len(docx()) == 2)
        first, again = docx()
        assert again[0] == first[0] and "张三" in docx_text(again[1])
