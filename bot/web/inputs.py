"""Request bodies whose strings are cleaned at the edge (see bot/engine/sanitize.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator

from bot.engine.sanitize import clean_input


class CleanModel(BaseModel):
    """Every string field: lone surrogates replaced by U+FFFD, control characters removed (tab and
    newline kept), before the field's own checks (max_length) run."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_input(value) if isinstance(value, str) else value
