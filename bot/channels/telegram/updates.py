"""Checking an update before it is stored: JSON of a bounded depth, the shape the adapter relies on, and a
python-telegram-bot Update that can be built from it. Its strings are cleaned (bot/engine/sanitize.py).

Telegram only ever sends well-formed updates; a malformed one comes from somebody who has the webhook
secret, or from a broken proxy. It is refused (the webhook answers 400, polling skips it) and logged with
the reason, which names keys and types only, never a value."""

from __future__ import annotations

import json
import math
from typing import Any

from telegram import Bot, Update

from bot.engine.sanitize import clean_tree

MAX_DEPTH = 32  # real updates nest about 10 deep (a message, its reply, a keyboard's rows and buttons)
INT64 = 2**63
MESSAGES = (
    "message", "edited_message", "channel_post", "edited_channel_post",
    "business_message", "edited_business_message",
)  # fmt: skip


class BadUpdate(ValueError):
    """Not an update this bot can store and handle; the message says why without quoting values."""


def decode(raw: bytes) -> Any:
    """The JSON of a webhook body; BadUpdate for anything else (NaN and Infinity included)."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadUpdate("JSON nested too deeply") from None
    except BadUpdate:
        raise
    except ValueError:  # not UTF-8, not JSON, an integer of thousands of digits
        raise BadUpdate("not JSON") from None


def _no_constant(name: str) -> Any:
    raise BadUpdate(f"JSON constant {name} is not allowed")


def checked(payload: Any, bot: Bot) -> tuple[dict[str, Any], Update]:
    """The update cleaned and checked, and PTB's Update of it; BadUpdate when it cannot be one."""
    if not isinstance(payload, dict):
        raise BadUpdate(f"an update is a JSON object, not {_kind(payload)}")
    _bounded(payload, 1, "update")
    update_id = payload.get("update_id")
    if type(update_id) is not int or not 0 <= update_id < INT64:
        raise BadUpdate(f"update_id must be a non-negative integer, not {_kind(update_id)}")
    clean: dict[str, Any] = clean_tree(payload)
    for key in MESSAGES:
        if key in clean:
            _message(clean[key], key)
    if "callback_query" in clean:
        _callback_query(clean["callback_query"])
    try:
        update = Update.de_json(clean, bot)
    except Exception as exc:  # PTB's own checks: whatever it cannot build, we cannot handle
        raise BadUpdate(f"not a Telegram update ({type(exc).__name__})") from None
    return clean, update


def _bounded(value: Any, depth: int, where: str) -> None:
    """No deeper than MAX_DEPTH; integers within 64 bits; no NaN or infinite numbers."""
    if depth > MAX_DEPTH:
        raise BadUpdate(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            named = isinstance(key, str) and key.isascii() and key.isidentifier() and len(key) <= 40
            _bounded(item, depth + 1, f"{where}.{key}" if named else where)
    elif isinstance(value, list):
        for item in value:
            _bounded(item, depth + 1, where)
    elif type(value) is int and not -INT64 <= value < INT64:
        raise BadUpdate(f"{where}: integer out of range")
    elif isinstance(value, float) and not math.isfinite(value):
        raise BadUpdate(f"{where}: number out of range")


def _message(value: Any, where: str) -> None:
    obj = _object(value, where)
    _field(obj, "message_id", int, where)
    _field(obj, "date", int, where)
    chat = _object(obj.get("chat"), f"{where}.chat")
    _field(chat, "id", int, f"{where}.chat")
    _field(chat, "type", str, f"{where}.chat")
    if "from" in obj:
        _field(_object(obj["from"], f"{where}.from"), "id", int, f"{where}.from")
    for key in ("text", "caption"):
        _field(obj, key, str, where, optional=True)
    if "document" in obj:
        document = _object(obj["document"], f"{where}.document")
        _field(document, "file_id", str, f"{where}.document")
        for key in ("file_name", "mime_type"):
            _field(document, key, str, f"{where}.document", optional=True)
        _field(document, "file_size", int, f"{where}.document", optional=True)
    if "photo" in obj:
        if not isinstance(obj["photo"], list):
            raise BadUpdate(f"{where}.photo must be a list, not {_kind(obj['photo'])}")
        for size in obj["photo"]:
            _field(_object(size, f"{where}.photo[]"), "file_id", str, f"{where}.photo[]")
            _field(size, "file_size", int, f"{where}.photo[]", optional=True)


def _callback_query(value: Any) -> None:
    obj = _object(value, "callback_query")
    _field(obj, "id", str, "callback_query")
    _field(_object(obj.get("from"), "callback_query.from"), "id", int, "callback_query.from")
    _field(obj, "data", str, "callback_query", optional=True)
    if "message" in obj:
        chat = _object(
            _object(obj["message"], "callback_query.message").get("chat"), "callback_query.message.chat"
        )
        _field(chat, "id", int, "callback_query.message.chat")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadUpdate(f"{where} must be an object, not {_kind(value)}")
    return value


def _field(obj: dict[str, Any], key: str, kind: type, where: str, *, optional: bool = False) -> None:
    if key not in obj:
        if optional:
            return
        raise BadUpdate(f"{where}.{key} is missing")
    value = obj[key]
    if type(value) is not kind:
        raise BadUpdate(f"{where}.{key} must be {kind.__name__}, not {_kind(value)}")


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value)) or {int: "an integer", float: "a number"}.get(type(value), "another value")
