"""The Telegram channel (python-telegram-bot v22): adapter, rendering, inbox, webhook route, runner."""

from bot.channels.telegram.runner import run_polling, start_webhook
from bot.channels.telegram.webhook import router

__all__ = ["router", "run_polling", "start_webhook"]
