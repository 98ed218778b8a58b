"""The one formatter for dates on paper: every date and year-month that reaches a document, written the
way the form's official paper writes them (the form's `date_style`, docs/spec-reference.md).

| style     | year-month | date         |
|-----------|------------|--------------|
| `dots`    | 2012.07    | 2021.07.01   |
| `chinese` | 2012年7月  | 2021年7月1日 |

Values are stored as ISO text (2012-07, 2021-07-01); "至今" and any other text pass through as they are."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# An ISO date or year-month standing on its own (not part of a longer number such as 2012-07-015).
_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})(?:-(\d{2}))?(?![\d-])")
_WHOLE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def _spell(year: str, month: str, day: str | None, style: str) -> str:
    if style == "chinese":
        return f"{int(year)}年{int(month)}月" + (f"{int(day)}日" if day else "")
    return f"{year}.{month}" + (f".{day}" if day else "")


def paper_date(value: Any, style: str) -> Any:
    """A date (ISO text or `datetime.date`) or year-month in the style; anything else unchanged."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        value = value.isoformat()
    if not isinstance(value, str):
        return value
    found = _WHOLE.fullmatch(value.strip())
    if found is None or not _valid(found.group(1), found.group(2), found.group(3)):
        return value
    year, month, day = found.groups()
    return _spell(year, month, day, style)


def paper_dates_in(text: str, style: str) -> str:
    """Every ISO date and year-month inside a text (a computed 「2020-09-07 至 2020-09-11」) in the style."""

    def one(match: re.Match[str]) -> str:
        year, month, day = match.groups()
        return _spell(year, month, day, style) if _valid(year, month, day) else match.group(0)

    return _ISO.sub(one, text)


def _valid(year: str, month: str, day: str | None) -> bool:
    try:
        dt.date(int(year), int(month), int(day) if day else 1)
    except ValueError:
        return False
    return True
