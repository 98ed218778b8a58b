"""Answers as text, and `{name}` placeholders in author-written text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def as_text(value: Any) -> str:
    """None is empty, yes/no in words, lists joined with 、."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def fill(text: str, values: Mapping[str, Any]) -> str:
    """Replace {name} with a value; nothing else is interpreted, and inserted values are not re-read."""
    return _PLACEHOLDER.sub(lambda match: as_text(values.get(match.group(1))), text)


def placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text)


def cn_date(day: dt.date) -> str:
    """A date as the engine writes it everywhere: 2021年7月23日 (no zero padding)."""
    return f"{day.year}年{day.month}月{day.day}日"
