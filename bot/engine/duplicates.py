"""Duplicate checks (`duplicates:` in a form): the keyed blind index that identifies "the same answers".

The key of an application for a check is an HMAC (the store's blind index) of the form, the check, the
campaign when the check is scoped to it, and the answers named in `same` — ID numbers normalised first — so
equal answers meet in storage without ever being stored in clear. An application missing any of those
answers has no key for that check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.engine.identifiers import normalize_id_number
from bot.engine.program import FormProgram
from bot.engine.spec import DuplicateCheck, IdNumberField
from bot.engine.text import as_text

SEPARATOR = "\x1f"


def check_key(program: FormProgram, check: DuplicateCheck) -> str:
    """The stored name of a check: form and check id."""
    return f"{program.id}.{check.id}"


def duplicate_keys(
    program: FormProgram, app: Any, answers: dict[str, Any], blind_index: Callable[[str], str]
) -> dict[str, str | None]:
    """Each check's key for these answers (None when an answer it compares is missing)."""
    out: dict[str, str | None] = {}
    for check in program.spec.duplicates:
        parts = [program.id, check.id]
        if check.scope == "campaign":
            parts.append(str(getattr(app, "campaign_id", None) or ""))
        values = [_normalised(program, name, answers.get(name)) for name in check.same]
        out[check_key(program, check)] = (
            None
            if any(v is None for v in values)
            else blind_index(SEPARATOR.join([*parts, *map(str, values)]))
        )
    return out


def _normalised(program: FormProgram, name: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    info = program.fields.get(name)
    if info is not None and isinstance(info.field, IdNumberField) and isinstance(value, str):
        return normalize_id_number(value)
    return as_text(value)
