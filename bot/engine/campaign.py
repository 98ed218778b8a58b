"""A campaign (申报批次) binds a form to an institution, an address and dates."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, PrivateAttr, model_validator

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
    handover: bool = False  # the applicant hands the papers to `address` (e.g. their unit), not by post
    recipient: str | None = None
    note: str | None = None


class QuotaPart(Strict):
    """A part of the target counted by 申报等级: the applications whose level is one of `levels`."""

    name: str = Field(min_length=1)
    levels: list[str] = Field(min_length=1)
    target: int = Field(ge=1, le=1_000_000)


class Quota(Strict):
    """The institution's target for the campaign (e.g. 获证人次 of a yearly plan), shown as progress on the
    coordinators' overview. `source` cites the plan and clause it comes from."""

    total: int | None = Field(default=None, ge=1, le=1_000_000)
    label: str = "获证人次"
    by_level: list[QuotaPart] = Field(default_factory=list)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Quota:
        if self.total is None and not self.by_level:
            raise ValueError("quota 至少需要 total（总目标）或 by_level（按申报等级的目标）之一")
        for part in self.by_level:
            if self.total is not None and part.target > self.total:
                raise ValueError(f"by_level 中“{part.name}”的目标 {part.target} 大于总目标 {self.total}")
        names = [p.name for p in self.by_level]
        if len(set(names)) != len(names):
            raise ValueError("by_level 中的 name 不能重复")
        return self


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
    quota: Quota | None = None
    # A demonstration campaign (forms/campaigns/demo_*.yaml): offered to applicants only when the server runs
    # with SHENBAO_DEMO=1; its deadline is `open_days` days after the day the forms are loaded.
    demo: bool = False
    open_days: int | None = Field(default=None, ge=1, le=365)
    _context: dict[str, object] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _demo_days(self) -> Campaign:
        if self.open_days is not None and not self.demo:
            raise ValueError("open_days 只用于演示批次：请同时写 demo: true，或删去 open_days 写明 deadline")
        return self

    def rolled(self, today: dt.date) -> Campaign:
        """A demonstration campaign with its deadline `open_days` after `today`; any other as it is."""
        if self.open_days is None:
            return self
        return self.model_copy(update={"deadline": today + dt.timedelta(days=self.open_days)})

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
