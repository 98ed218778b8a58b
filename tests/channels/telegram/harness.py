"""The unit-test harness: the real TelegramService (PTB Application, handlers, inbox on a real SQLite
file) with a RecordingRequest instead of the network. Updates go in through `ingest`, as the webhook and
the poller deliver them; `settle` waits until the inbox says every stored update was handled."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from pathlib import Path
from typing import Any

from PIL import Image

from bot.channels.telegram.service import TelegramService
from bot.intake import Intake
from bot.registry import Registry
from bot.settings import ROOT, Settings
from storage import Store
from tests.channels.telegram.fake_botapi import TOKEN, BotApi, RecordingRequest, user_message

TODAY = dt.date(2023, 9, 20)
CAMPAIGN = "cq_hgzy_2023"
_REGISTRY: list[Registry] = []


def registry() -> Registry:
    if not _REGISTRY:
        _REGISTRY.append(Registry.load(ROOT / "forms", ROOT / "doc_templates"))
    return _REGISTRY[0]


def settings(data: Path, **extra: Any) -> Settings:
    return Settings(data, ROOT / "forms", ROOT / "doc_templates", None, telegram_token=TOKEN, **extra)


def jpeg(size: tuple[int, int] = (300, 400)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


class Harness:
    def __init__(self, data: Path) -> None:
        self.api = BotApi()
        self.store = Store(data)
        self.intake = Intake(registry(), self.store, clock=lambda: TODAY)
        self.service = TelegramService(settings(data), self.intake, request=RecordingRequest(self.api))
        self._ids = iter(range(1, 1_000_000))

    async def __aenter__(self) -> Harness:
        await self.service.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.service.stop()
        self.store.close()

    def update(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"update_id": next(self._ids), **body}

    async def send(self, *updates: dict[str, Any]) -> None:
        for update in updates:
            await self.service.ingest(update)
        await self.settle()

    async def settle(self, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            received, done = await self.service.run(self.service.chats.counts)
            if received == done:
                return
            if loop.time() > deadline:
                raise AssertionError(f"{received - done} updates not processed")
            await asyncio.sleep(0.005)

    async def say(self, chat_id: int, *texts: str) -> None:
        for text in texts:
            await self.send(self.update({"message": user_message(chat_id, text=text)}))

    async def tap(self, chat_id: int, label: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
        message = message or self.last_keyboard(chat_id)
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        data = next(b["callback_data"] for b in buttons if b["text"] == label)
        user = {"id": chat_id, "is_bot": False, "first_name": "张"}
        query = {"id": f"q{next(self._ids)}", "from": user, "message": message, "chat_instance": "c"}
        update = self.update({"callback_query": {**query, "data": data}})
        await self.send(update)
        return update

    def texts(self, chat_id: int) -> list[str]:
        return [str(c.params["text"]) for c in self.api.sent(chat_id)]

    def last_text(self, chat_id: int) -> str:
        return self.texts(chat_id)[-1]

    def last_keyboard(self, chat_id: int) -> dict[str, Any]:
        with_markup = [c.message for c in self.api.sent(chat_id) if c.params.get("reply_markup")]
        assert with_markup and with_markup[-1] is not None, "no keyboard sent"
        return with_markup[-1]

    def app_for(self, chat_id: int) -> Any:
        app_id = self.service.chats.current(chat_id)
        assert app_id is not None
        return self.store.get(app_id)
