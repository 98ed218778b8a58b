"""Every encrypted column, with the associated data that binds its blobs to their rows.

Storage and the channels seal and open blobs with these functions; the start-up check (a sample row) and
`shenbao key rotate` (every row) read this catalogue. A migration that adds an encrypted column (named
``*_enc``) adds it here too: tests/storage/test_key_rotate.py fails until it does."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def aad(*parts: str) -> bytes:
    """Associated data binding a ciphertext to its purpose and record."""
    return json.dumps(parts, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def event_aad(app_id: str, at: str, channel: str, kind: str, accepted: bool) -> bytes:
    return aad("event", app_id, at, channel, kind, "1" if accepted else "0")


def status_reason_aad(app_id: str, at: str, from_status: str, to_status: str) -> bytes:
    return aad("status-reason", app_id, at, from_status, to_status)


def telegram_update_aad(bot_id: int, update_id: int) -> bytes:
    return aad("tg-update", str(bot_id), str(update_id))


@dataclass(frozen=True)
class SealedColumn:
    table: str
    column: str
    row: tuple[str, ...]  # the columns `aad_of` reads, in order
    aad_of: Callable[[tuple[Any, ...]], bytes]
    guards: tuple[str, ...] = ()  # triggers forbidding UPDATE, lifted for a re-encryption only

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


SEALED: tuple[SealedColumn, ...] = (
    SealedColumn("applications", "state_enc", ("id",), lambda r: aad("state", r[0])),
    SealedColumn(
        "answer_events",
        "payload_enc",
        ("app_id", "at", "channel", "kind", "accepted"),
        lambda r: event_aad(r[0], r[1], r[2], r[3], bool(r[4])),
        guards=("answer_events_no_update",),
    ),
    SealedColumn("files", "data_enc", ("ref", "app_id", "mime"), lambda r: aad("file", r[0], r[1], r[2])),
    SealedColumn(
        "status_changes",
        "reason_enc",
        ("app_id", "at", "from_status", "to_status"),
        lambda r: status_reason_aad(r[0], r[1], r[2], r[3]),
        guards=("status_changes_no_update",),
    ),
    SealedColumn("user_totp", "secret_enc", ("user_id",), lambda r: aad("totp", r[0])),
    SealedColumn(
        "telegram_inbox", "payload_enc", ("bot_id", "update_id"), lambda r: telegram_update_aad(r[0], r[1])
    ),
)
