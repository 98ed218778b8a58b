"""Text from outside (a request, a Telegram update, a terminal line) made safe to store and show.

Every channel cleans what it receives with `clean_input` before the engine or storage see it: lone
surrogates (invalid Unicode a JSON `\\ud800` escape or a badly decoded byte can produce) become U+FFFD,
line breaks become LF, and control characters other than tab and newline are removed, as are the
bidirectional embeddings, overrides and isolates that make text display in another order than it is
stored. The engine cleans answers further (`values.clean_text`)."""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE = re.compile("[\t\n]")


def clean_input(text: str) -> str:
    """Valid Unicode without control characters; tabs and newlines are kept."""
    if text.isascii() and text.isprintable():
        return text
    text = _SURROGATE.sub(REPLACEMENT, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """As `clean_input`, on one line: tabs and newlines become spaces (names, codes, ids)."""
    return _LINE.sub(" ", clean_input(text))


def clean_tree(value: Any) -> Any:
    """`clean_input` on every string of a JSON value, keys included."""
    if isinstance(value, str):
        return clean_input(value)
    if isinstance(value, dict):
        return {clean_input(str(k)): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None
