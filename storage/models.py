"""Records returned by the repository, with encrypted columns already decrypted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Application:
    id: str
    form_id: str
    campaign_id: str | None
    channel: str
    status: str
    resume_code: str
    created_at: str
    updated_at: str
    id_hmac: str | None  # retired (duplicate checks use duplicate_keys since migration 4): nothing writes
    title_level: str | None  # these two columns any more; dropping them would need a table rebuild
    level: str | None
    event_count: int
    state: dict[str, Any] = field(repr=False)
    review_status: str | None = None  # where it stands with the institution past 已生成 (storage/review.py)


@dataclass(frozen=True)
class Event:
    seq: int
    app_id: str
    at: str
    channel: str
    kind: str
    accepted: bool
    payload: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class SealedFile:
    """An upload encrypted for one application and not stored yet (`Store.record_turn` stores it with the
    turn that takes it as an answer)."""

    ref: str
    app_id: str
    mime: str
    size: int
    data_enc: bytes = field(repr=False)


@dataclass(frozen=True)
class Facets:
    """What the coordinators' list filters an application by, in clear (categories, never personal data):
    written with each turn (`Store.record_turn`)."""

    answered: bool  # this turn changed the answers (the opening `start` does not count)
    eligibility: str  # eligible / warning / ineligible, from the rules' findings
    method: str | None = None  # 评价方式, as the form's `listing.method` names it
    occupation: str | None = None  # 职业（工种）, as the form's `listing.occupation` names it
