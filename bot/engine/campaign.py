"""A campaign (申报批次) binds a form to an institution, an address and dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, PrivateAttr

from bot.engine.spec import Ident, Strict

# The institution's short code: what a coordinator's account names (`shenbao user add --institution`).
InstitutionCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")]


class Contact(Strict):
    name: str
    phones: list[str] = Field(min_length=1)
    duty: str | None = None


class Milestone(Strict):
    name: str
    date: dt.date
    approximate: bool = False


class Courier(Strict):
    only: str | None = None
    address: str
    recipient: str | None = None
    note: str | None = None


class Campaign(Strict):
    id: Ident
    form: Ident
    title: str
    institution: str
    institution_code: InstitutionCode | None = None
    deadline: dt.date
    deadline_note: str | None = None
    milestones: list[Milestone] = Field(default_factory=list)
    courier: Courier
    contacts: list[Contact] = Field(default_factory=list)
    qq_group: str | None = Field(default=None, pattern=r"^\d{5,12}$")
    lists: dict[Ident, list[str]] = Field(default_factory=dict)
    flags: dict[Ident, bool | str | int] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    source: str | None = None
    _context: dict[str, object] | None = PrivateAttr(default=None)

    def is_closed(self, today: dt.date) -> bool:
        return today > self.deadline

    def as_context(self) -> dict[str, object]:
        """What expressions see as `campaign` (built once; treat as read-only)."""
        if self._context is None:
            object.__setattr__(self, "_context", self._build_context())
        assert self._context is not None
        return self._context

    def _build_context(self) -> dict[str, object]:
        return {
            "id": self.id,
            "institution": self.institution,
            "deadline": self.deadline.isoformat(),
            "flags": dict(self.flags),
        }
