"""The hostile corpus of Telegram updates, POSTed to the webhook with the right secret (uvicorn on 127.0.0.1,
the bot talking to a Bot API of the tests' own): a malformed update is 400 in the error shape and is not
stored; a well-formed one with hostile contents is 200, stored clean and handled without an error."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.channels.telegram.service import TelegramService
from storage import Store
from tests.channels.telegram.fake_botapi import TOKEN, BotApi, serve_http
from tests.hostile.checks import answered, error_shape, stored_clean
from tests.hostile.corpus import message, updates
from tests.hostile.server import serve, settings

CHAT = 4242
SECRET = "hostile-secret_1"
ACCEPTED = {
    "unknown-kind", "no-kind", "text-lone-surrogate", "text-nul-controls", "text-rtl", "text-jinja",
    "text-script", "text-4096-emoji", "text-empty", "command-resume-surrogate", "command-start-unknown",
    "caption-hostile", "document-name-hostile", "callback-data-surrogate", "callback-data-garbage",
    "edited-message-hostile", "group-command", "channel-post",
}  # fmt: skip
UPDATES = updates(CHAT)
FIRST_ID = 10_000  # the corpus' own update ids: `{"update_id": true}` must not be stored as update 1
Served = tuple[FastAPI, httpx.Client, list[logging.LogRecord]]


class Errors(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data: Path = tmp_path_factory.mktemp("hostile-webhook") / "data"
    api = BotApi()
    errors: list[logging.LogRecord] = []
    handler = Errors(errors)
    logging.getLogger("bot").addHandler(handler)
    try:
        with serve_http(api) as url:
            config = settings(
                data,
                telegram_token=TOKEN,
                telegram_mode="webhook",
                telegram_secret=SECRET,
                telegram_webhook_url="http://127.0.0.1:9/telegram/webhook",
                telegram_api_url=url,
            )
            with serve(config) as (app, client):
                yield app, client, errors
    finally:
        logging.getLogger("bot").removeHandler(handler)


IDS = count(FIRST_ID)


def post(client: httpx.Client, body: Any) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode("ascii")
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    return client.post("/telegram/webhook", content=raw, headers=headers)


def service_of(app: FastAPI) -> TelegramService:
    service: TelegramService = app.state.telegram
    assert service is not None, "Telegram did not start"
    return service


def settle(app: FastAPI, timeout: float = 10.0) -> None:
    service = service_of(app)
    deadline = time.monotonic() + timeout
    while True:
        received, done = service.chats.counts()
        if received == done:
            return
        assert time.monotonic() < deadline, f"{received - done} updates not handled"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def chat_app(served: Served) -> str:
    """The chat has an application open, waiting at its first question."""
    app, client, _ = served
    response = post(client, {"update_id": next(IDS), "message": message(CHAT, text="/start cq_hgzy_2023")})
    assert response.status_code == 200
    settle(app)
    app_id = service_of(app).chats.current(CHAT)
    assert app_id is not None
    return app_id


@pytest.mark.parametrize("name", list(UPDATES))
def test_update(served: Served, chat_app: str, name: str) -> None:
    app, client, errors = served
    body = UPDATES[name]
    if isinstance(body, dict) and "update_id" not in body and not name.startswith("update-id"):
        body = {"update_id": next(IDS), **body}
    store: Store = app.state.intake.store
    before = service_of(app).chats.counts()[0]
    response = post(client, body)
    answered(response)
    if name in ACCEPTED:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, (response.status_code, response.text)
        error_shape(response)
        assert service_of(app).chats.counts()[0] == before, "a malformed update was stored"
    settle(app)
    assert not errors, [r.getMessage() for r in errors]
    stored_clean(store, chat_app, last_events=3)


def test_nothing_was_stored_as_update_1_and_the_chat_goes_on(served: Served, chat_app: str) -> None:
    app, client, errors = served
    store: Store = app.state.intake.store
    rows = store.read(
        lambda: store.db.execute(
            "SELECT count(*) FROM telegram_inbox WHERE update_id < ?", [FIRST_ID]
        ).fetchone()
    )
    assert rows[0] == 0
    answered(post(client, {"update_id": next(IDS), "message": message(CHAT, text="工程技术")}))
    settle(app)
    assert not errors
    found = store.get(chat_app)
    assert found is not None and found.state["answers"].get("series") == "工程技术"
    stored_clean(store, chat_app)
