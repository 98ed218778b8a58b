"""Starting the bot: `shenbao telegram` (polling), or inside `shenbao serve` (webhook)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import signal
from collections.abc import Callable

from telegram.error import TelegramError

from bot.channels.telegram.service import TelegramService
from bot.intake import Intake
from bot.registry import Registry
from bot.settings import Settings
from storage import Store

SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


def problem(settings: Settings, mode: str) -> str | None:
    """Why Telegram cannot run in `mode` with these settings (None: it can)."""
    if not settings.telegram_token:
        return "未设置 SHENBAO_TELEGRAM_TOKEN"
    if settings.telegram_mode not in ("polling", "webhook"):
        return f"SHENBAO_TELEGRAM_MODE 应为 polling 或 webhook，而不是 {settings.telegram_mode!r}"
    if settings.telegram_mode != mode:
        return f"SHENBAO_TELEGRAM_MODE={settings.telegram_mode}"
    if mode == "webhook" and not SECRET_FORMAT.fullmatch(settings.telegram_secret or ""):
        return "webhook 模式需要 SHENBAO_TELEGRAM_SECRET（1–256 个字母、数字、_ 或 -）"
    return None


async def start_webhook(settings: Settings, intake: Intake) -> TelegramService | None:
    """For `shenbao serve`: the started service in webhook mode, or None (and why, said once)."""
    why = problem(settings, "webhook")
    if why is not None:
        hint = "（轮询模式请运行 shenbao telegram）" if settings.telegram_mode == "polling" else ""
        print(f"Telegram：未启用（{why}）{hint}。", flush=True)
        return None
    service = TelegramService(settings, intake)
    try:
        await service.start()
        registered = await service.set_webhook()
    except TelegramError as exc:
        await service.stop()
        print(f"Telegram：未启用（连接 Bot API 失败：{exc}）。", flush=True)
        return None
    where = (
        settings.telegram_webhook_url
        if registered
        else "未设置 SHENBAO_TELEGRAM_WEBHOOK_URL，未调用 setWebhook"
    )
    print(f"Telegram：webhook 已启用（/telegram/webhook；{where}）。", flush=True)
    return service


def run_polling(
    settings: Settings, clock: Callable[[], dt.date] = dt.date.today, registry: Registry | None = None
) -> int:
    why = problem(settings, "polling")
    if why is not None:
        print(f"无法启动 Telegram 轮询：{why}。", flush=True)
        return 2
    registry = registry or Registry.load(settings.forms_dir, settings.templates_dir, clock())
    if not settings.demo:
        registry.hide_demo()
    return asyncio.run(_polling(settings, clock, registry))


async def _polling(settings: Settings, clock: Callable[[], dt.date], registry: Registry) -> int:
    store = Store(settings.data_dir, settings.key_file)
    intake = Intake(registry, store, clock=clock)
    service = TelegramService(settings, intake)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await service.start()
        me = service.application.bot.username
        print(
            f"Telegram 轮询已启动：@{me}（数据目录 {settings.data_dir.resolve()}；Ctrl+C 停止）", flush=True
        )
        poller = asyncio.create_task(service.poll(stop))
        poller.add_done_callback(lambda _: stop.set())
        await stop.wait()
        poller.cancel()
        failed = (await asyncio.gather(poller, return_exceptions=True))[0]
        if isinstance(failed, TelegramError):
            print(f"Telegram 轮询出错：{failed}", flush=True)
            return 1
    finally:
        await service.stop()
        intake.close()
        store.close()
    print("已停止。", flush=True)
    return 0
