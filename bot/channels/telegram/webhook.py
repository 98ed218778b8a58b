"""POST /telegram/webhook: Telegram's calls, checked by secret, stored before the 200, queued for the bot."""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.channels.telegram import updates
from bot.channels.telegram.service import TelegramService
from bot.channels.webchat.limits import TooLarge, read_limited
from bot.web.errors import error_response, request_id

PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 64 * 1024
BAD_UPDATE = "更新内容格式不正确。"

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


@router.post(PATH)
async def webhook(request: Request) -> Response:
    service: TelegramService | None = getattr(request.app.state, "telegram", None)
    secret = service.settings.telegram_secret if service is not None else None
    if service is None or not secret:
        return error_response(request, 404, "Telegram 未启用。")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
        return error_response(request, 403, "没有权限。")
    try:
        payload = updates.decode(await read_limited(request, MAX_UPDATE_BYTES))
        await service.ingest(payload)  # durable (inbox, synchronous=FULL) before the 200; repeats ignored
    except TooLarge:
        return error_response(request, 413, BAD_UPDATE)
    except updates.BadUpdate as exc:
        log.warning("request %s: Telegram update refused: %s", request_id(request.scope), exc)
        return error_response(request, 400, BAD_UPDATE)
    return Response(status_code=200)
