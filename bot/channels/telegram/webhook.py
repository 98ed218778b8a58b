"""POST /telegram/webhook: Telegram's calls, checked by secret, stored before the 200, queued for the bot."""

from __future__ import annotations

import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.channels.telegram.service import TelegramService
from bot.channels.webchat.limits import TooLarge, read_limited

PATH = "/telegram/webhook"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
MAX_UPDATE_BYTES = 64 * 1024

router = APIRouter(include_in_schema=False)


@router.post(PATH)
async def webhook(request: Request) -> Response:
    service: TelegramService | None = getattr(request.app.state, "telegram", None)
    secret = service.settings.telegram_secret if service is not None else None
    if service is None or not secret:
        return JSONResponse({"error": "Telegram 未启用。"}, status_code=404)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8")):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    try:
        payload: Any = json.loads(await read_limited(request, MAX_UPDATE_BYTES))
    except (TooLarge, ValueError):
        return JSONResponse({"error": "bad update"}, status_code=400)
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        return JSONResponse({"error": "bad update"}, status_code=400)
    await service.ingest(payload)  # durable (inbox, synchronous=FULL) before the 200; repeats ignored
    return Response(status_code=200)
