"""Telling the applicant that the status changed, on the channel they used, after the change is committed.

Telegram: each chat bound to the application (table telegram_chats, this bot's) gets one plain-text message
(no parse mode: a reason is shown exactly as typed, `<img …>` as text) through the running service's bot,
or, when the bot runs in another process (`shenbao telegram`), a Bot object of its own. Each message sent
(or failed) is an audit entry (`applicant_notified`: the channel and the new status, never the text), which
the application's timeline shows. The web chat needs no message: it shows the status and the reason when it
is opened again (bot/channels/webchat/views.py)."""

from __future__ import annotations

import contextlib
import logging

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from telegram import Bot
from telegram.error import TelegramError

from bot.dashboard import auth
from bot.dashboard.http import intake_of
from bot.settings import Settings
from storage import Application, review
from storage.audit import AuditEntry

log = logging.getLogger(__name__)
MAX_CHARS = 3500


def message(campaign_title: str, change: review.Change) -> str:
    lines = [f"【申报状态更新】{campaign_title}", f"您的申报状态已改为：{review.name(change.to_status)}"]
    if change.reason:
        lines.append(f"受理机构说明：{change.reason}")
    if change.to_status == "returned":
        lines.append("请发送“修改”更正相应内容，确认后会重新生成申报表；再按要求寄出材料。")
    elif change.to_status == "rejected":
        lines.append("如有疑问，请联系受理机构。")
    return "\n".join(lines)[:MAX_CHARS]


async def applicant(request: Request, app: Application, change: review.Change) -> None:
    """Send the change to the applicant's Telegram chats (if any); never raises for a failed send."""
    settings: Settings = request.app.state.settings
    token = settings.telegram_token
    if not token:
        return
    intake = intake_of(request)
    bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 0
    chats = await run_in_threadpool(
        lambda: intake.store.read(
            lambda: intake.store.db.execute(
                "SELECT DISTINCT chat_id FROM telegram_chats WHERE bot_id = ? AND app_id = ?",
                [bot_id, app.id],
            ).fetchall()
        )
    )
    if not chats:
        return
    campaign = intake.registry.campaigns.get(app.campaign_id or "")
    text = message(campaign.title if campaign else "", change)
    service = getattr(request.app.state, "telegram", None)
    own = service is None
    bot: Bot = (
        Bot(token, base_url=f"{settings.telegram_api_url}/bot")
        if service is None
        else service.application.bot
    )
    accounts = auth.accounts_of(request)
    try:
        if own:
            await bot.initialize()
        for (chat_id,) in chats:
            try:
                await bot.send_message(int(chat_id), text)
                action = "applicant_notified"
            except TelegramError as exc:
                log.warning("status message to a Telegram chat failed: %s", type(exc).__name__)
                action = "applicant_notify_failed"
            entry = AuditEntry(None, action, app.id, {"channel": "telegram", "status": change.to_status})
            await run_in_threadpool(accounts.audit, entry)
    except TelegramError as exc:
        log.warning("status message: the Telegram bot could not start: %s", type(exc).__name__)
        entry = AuditEntry(
            None, "applicant_notify_failed", app.id, {"channel": "telegram", "status": change.to_status}
        )
        await run_in_threadpool(accounts.audit, entry)
    finally:
        if own:
            with contextlib.suppress(TelegramError):
                await bot.shutdown()
