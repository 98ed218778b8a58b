"""The PTB Application around the adapter, and how updates reach it.

Both modes build the Application with `.updater(None)`: an update is first written to the inbox table
(durable, keyed by update_id; a repeat is dropped), then put on `application.update_queue`. Webhook: the
route in webhook.py answers 200 only after that write. Polling: our own getUpdates loop writes before it
asks for the next batch (which is what confirms the previous one to Telegram). Updates of one chat are
processed in order, different chats concurrently (ChatOrderedProcessor); an update is marked done in the
inbox once handled, and whatever was stored but not done (a crash in between) is processed at start."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Application, BaseRateLimiter, BaseUpdateProcessor, ContextTypes
from telegram.request import BaseRequest

from bot.channels.telegram import render, updates
from bot.channels.telegram.handlers import TelegramChannel
from bot.channels.telegram.store import TelegramStore
from bot.intake import Intake
from bot.settings import Settings
from storage.errors import is_storage_full

log = logging.getLogger(__name__)
MAX_CONCURRENT_UPDATES = 256
POLL_TIMEOUT_S = 25
READ_MARGIN_S = 10  # a long poll's read timeout: the poll's own timeout and this
PRUNE_EVERY = 1000  # handled updates between two deletions of old inbox rows (also once at start)
FAILED = "抱歉，处理这条消息时出错了，请稍后再发一次。已保存的填写内容不会丢失。"
STORAGE_FULL = "服务器存储空间不足，您的回答没有保存，请稍后再发一次。"
COMMANDS = [BotCommand(command, description) for command, description in render.MENU]  # = what /help lists


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, one at a time (in arrival order: asyncio locks are FIFO) within a chat."""

    def __init__(self, limit: int, on_done: Callable[[object], Awaitable[None]]) -> None:
        super().__init__(limit)
        self._on_done = on_done
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        user = update.effective_user if isinstance(update, Update) else None
        key = chat.id if chat else user.id if user else None
        if key is None:
            try:
                await coroutine
            finally:
                await self._on_done(update)
            return
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                try:
                    await coroutine
                finally:
                    await self._on_done(update)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def bot_id(token: str) -> int:
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


class TelegramService:
    def __init__(
        self,
        settings: Settings,
        intake: Intake,
        *,
        request: BaseRequest | None = None,
        rate_limiter: BaseRateLimiter[Any] | None = None,
    ) -> None:
        token = settings.telegram_token
        if not token:
            raise ValueError("SHENBAO_TELEGRAM_TOKEN is not set")
        self.settings = settings
        self.intake = intake
        self.chats = TelegramStore(intake.store, bot_id(token))
        self._executor = ThreadPoolExecutor(settings.workers, thread_name_prefix="telegram")
        self._handled = 0  # updates handled since start: every PRUNE_EVERY, old inbox rows are deleted
        api = settings.telegram_api_url
        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .updater(None)
            .concurrent_updates(ChatOrderedProcessor(MAX_CONCURRENT_UPDATES, self._done))
            .rate_limiter(rate_limiter or AIORateLimiter(max_retries=3))
        )
        if request is not None:
            builder = builder.request(request).get_updates_request(request)
        self.application = builder.build()
        self.channel = TelegramChannel(intake, self.chats, self.run)
        self.application.add_handlers(self.channel.handlers())
        self.application.add_error_handler(self._error)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Blocking work (engine turns, SQLite) on this channel's worker threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        try:
            await self.application.bot.set_my_commands(COMMANDS)
        except (NetworkError, TimedOut) as exc:
            log.warning("setMyCommands failed: %s", exc)
        pending = await self.run(self.chats.pending)
        for payload in pending:  # stored, then the process stopped before they were handled
            try:
                _clean, update = updates.checked(payload, self.application.bot)
            except updates.BadUpdate as exc:  # stored before updates were checked: set aside
                log.warning("skipped a malformed stored update: %s", exc)
                if isinstance(payload.get("update_id"), int):
                    await self.run(self.chats.done, payload["update_id"])
                continue
            await self.application.update_queue.put(update)
        if pending:
            log.info("processing %d stored Telegram updates", len(pending))
        await self.run(self.chats.prune)

    async def stop(self) -> None:
        try:
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()
        finally:
            self._executor.shutdown(wait=True)

    async def ingest(self, payload: Any) -> bool:
        """A raw update (webhook body): checked and cleaned (BadUpdate when it is not one), stored durably,
        then queued. False for an update_id seen before."""
        clean, update = updates.checked(payload, self.application.bot)
        return await self._ingest(update, clean)

    async def _ingest(self, update: Update, payload: dict[str, Any]) -> bool:
        if not await self.run(self.chats.receive, update.update_id, payload):
            return False
        await self.application.update_queue.put(update)
        return True

    async def poll(self, stop: asyncio.Event, timeout: int = POLL_TIMEOUT_S) -> None:
        """getUpdates until `stop` is set; each batch is in the inbox before the next call confirms it."""
        bot = self.application.bot
        await bot.delete_webhook()
        offset: int | None = None
        while not stop.is_set():
            try:
                batch = await self._get_updates(offset, timeout)
            except (NetworkError, TimedOut) as exc:
                log.warning("getUpdates failed, retrying: %s", exc)
                await asyncio.sleep(1)
                continue
            for raw in batch:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if type(update_id) is int and update_id >= (offset or 0):
                    offset = update_id + 1  # confirmed with the next call, handled or skipped
                try:
                    clean, update = updates.checked(raw, bot)
                except updates.BadUpdate as exc:
                    log.warning("skipped a malformed update from getUpdates: %s", exc)
                    continue
                await self._ingest(update, clean)
            if batch and offset is None:  # nothing in it had an update_id: do not ask again at once
                await asyncio.sleep(1)

    async def _get_updates(self, offset: int | None, timeout: int) -> list[Any]:
        """getUpdates as the raw JSON list: `Bot.get_updates` builds every Update of the batch at once, so
        one malformed update would fail the batch, again and again (it is never confirmed)."""
        params = {"offset": offset, "timeout": timeout, "allowed_updates": Update.ALL_TYPES}
        result = await self.application.bot._post("getUpdates", params, read_timeout=timeout + READ_MARGIN_S)
        return list(result) if isinstance(result, list) else []

    async def set_webhook(self) -> bool:
        url = self.settings.telegram_webhook_url
        if not url:
            return False
        await self.application.bot.set_webhook(
            url, secret_token=self.settings.telegram_secret, allowed_updates=Update.ALL_TYPES
        )
        return True

    async def _done(self, update: object) -> None:
        if isinstance(update, Update):
            await self.run(self.chats.done, update.update_id)
            self._handled += 1
            if self._handled % PRUNE_EVERY == 0:
                await self.run(self.chats.prune)

    async def _error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        full = context.error is not None and is_storage_full(context.error)
        if full:
            log.error("Telegram update failed: the disk or the database is full; nothing was saved")
        else:
            log.error("Telegram update failed", exc_info=context.error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == ChatType.PRIVATE:
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(chat.id, STORAGE_FULL if full else FAILED)
