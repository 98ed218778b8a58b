"""Malformed updates: the webhook answers 400 (and logs why) before storing anything; polling skips them
and goes on; a well-formed update is cleaned before it is stored."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from telegram import Bot

from bot.app import create_app
from bot.channels.telegram.service import TelegramService
from bot.channels.telegram.updates import BadUpdate, checked, decode
from bot.intake import Intake
from storage import Store
from tests.aio import run
from tests.channels.telegram.fake_botapi import TOKEN, BotApi, serve_http, user_message
from tests.channels.telegram.harness import CAMPAIGN, TODAY, registry, settings
from tests.hostile.checks import error_shape

SECRET = "s3cret-token_1"
GOOD = {"update_id": 7, "message": user_message(1, text="/start")}
MALFORMED: dict[str, bytes | dict[str, Any]] = {
    "update_id-2**63": {**GOOD, "update_id": 2**63},
    "update_id-true": {**GOOD, "update_id": True},
    "message-string": {"update_id": 7, "message": "hello"},
    "message-list": {"update_id": 7, "message": [GOOD["message"]]},
    "date-string": {"update_id": 7, "message": {**GOOD["message"], "date": "2023-09-20"}},
    "deep-30000": b'{"update_id": 7, "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
}


def body_of(update: bytes | dict[str, Any]) -> bytes:
    return update if isinstance(update, bytes) else json.dumps(update).encode()


@pytest.mark.parametrize("name", list(MALFORMED))
def test_checked_refuses_malformed_updates(name: str) -> None:
    bot = Bot(TOKEN)
    with pytest.raises(BadUpdate) as refused:
        checked(decode(body_of(MALFORMED[name])), bot)
    assert "hello" not in str(refused.value) and "2023" not in str(refused.value)  # no values quoted


def test_checked_cleans_a_good_update() -> None:
    payload = {**GOOD, "message": {**GOOD["message"], "text": "/start \ud800\x00"}}
    clean, update = checked(payload, Bot(TOKEN))
    assert clean["message"]["text"] == "/start \ufffd"
    assert update.update_id == 7 and update.effective_message is not None


@pytest.fixture
def webhook(tmp_path: Path) -> Iterator[tuple[TestClient, Any]]:
    api = BotApi()
    with serve_http(api) as url:
        config = settings(
            tmp_path / "data",
            telegram_mode="webhook",
            telegram_secret=SECRET,
            telegram_webhook_url="http://127.0.0.1:9/telegram/webhook",
            telegram_api_url=url,
        )
        with TestClient(create_app(config, clock=lambda: TODAY)) as client:
            yield client, client.app.state.telegram  # type: ignore[attr-defined]


def test_webhook_answers_400_logs_and_stores_nothing(
    webhook: tuple[TestClient, Any], caplog: pytest.LogCaptureFixture
) -> None:
    client, service = webhook
    caplog.set_level(logging.INFO)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for name, update in MALFORMED.items():
        response = client.post("/telegram/webhook", content=body_of(update), headers=headers)
        assert response.status_code == 400, (name, response.text)
        body = error_shape(response)
        refused = [r.getMessage() for r in caplog.records if body["request_id"] in r.getMessage()]
        assert any("Telegram update refused" in m for m in refused), (name, refused)
    assert service.chats.counts() == (0, 0)  # `{"update_id": true}` was not stored as update 1
    ok = client.post("/telegram/webhook", content=body_of(GOOD), headers=headers)
    assert ok.status_code == 200 and service.chats.counts()[0] == 1


def test_polling_skips_a_malformed_update_and_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The real service polling the tests' Bot API over HTTP on 127.0.0.1."""
    chat = 31
    api = BotApi()

    def offsets() -> list[Any]:
        return [c.params.get("offset") for c in api.calls if c.method == "getUpdates"]

    async def until(done: Callable[[], bool], timeout: float = 20) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not done():
            assert asyncio.get_running_loop().time() < deadline, api.calls[-3:]
            await asyncio.sleep(0.02)

    async def main(url: str) -> None:
        with Store(tmp_path / "data") as store:
            intake = Intake(registry(), store, clock=lambda: TODAY)
            service = TelegramService(settings(tmp_path / "data", telegram_api_url=url), intake)
            await service.start()
            stop = asyncio.Event()
            poller = asyncio.create_task(service.poll(stop, timeout=1))
            try:
                with api.cond:
                    api.updates += [
                        {"update_id": 500, "message": "not a message"},
                        {"update_id": 501, "message": {**user_message(chat, text="x"), "date": "x"}},
                        {"update_id": 502, "message": user_message(chat, text=f"/start {CAMPAIGN}")},
                    ]
                    api.cond.notify_all()
                await until(lambda: any("续填码" in str(c.params.get("text")) for c in api.sent(chat)))
                await until(lambda: 503 in offsets())  # all three confirmed
            finally:
                stop.set()
                await asyncio.wait_for(poller, 30)
                await service.stop()
            assert service.chats.counts() == (1, 1)  # only the good one was stored

    caplog.set_level(logging.WARNING)
    with serve_http(api) as url:
        run(lambda: main(url))
    skipped = [r.getMessage() for r in caplog.records if "skipped a malformed update" in r.getMessage()]
    assert len(skipped) == 2 and not any("not a message" in m for m in skipped)
