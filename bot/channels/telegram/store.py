"""Telegram's own tables (migration 3): the update inbox and the chat → application map.

Blocking (SQLite): call from a worker thread. Update payloads are encrypted like answer events (they hold
what applicants typed) and cleared once processed; the row stays so a repeated update_id is ignored, for
KEEP_HANDLED_DAYS — far longer than Telegram keeps or resends an update (24 hours) — and is then deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

from storage import Store
from storage.clock import utc_now
from storage.sealed import telegram_update_aad as _aad

KEEP_HANDLED_DAYS = 7


class TelegramStore:
    def __init__(self, store: Store, bot_id: int) -> None:
        self.store = store
        self.bot_id = bot_id

    # -- inbox ----------------------------------------------------------------

    def receive(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Store an update durably; False when this update_id was received before (then nothing changes)."""
        sealed = self.store.keys.seal_json(payload, _aad(self.bot_id, update_id))

        def write() -> bool:
            cursor = self.store.db.execute(
                "INSERT OR IGNORE INTO telegram_inbox (bot_id, update_id, received_at, payload_enc) "
                "VALUES (?, ?, ?, ?)",
                [self.bot_id, update_id, utc_now(), sealed],
            )
            return cursor.rowcount == 1

        return self.store.write(write)

    def done(self, update_id: int) -> None:
        def write() -> None:
            self.store.db.execute(
                "UPDATE telegram_inbox SET done_at = ?, payload_enc = NULL WHERE bot_id = ? AND update_id = ?",
                [utc_now(), self.bot_id, update_id],
            )

        self.store.write(write)

    def prune(self, now: dt.datetime | None = None) -> int:
        """Delete handled updates older than KEEP_HANDLED_DAYS; return how many went."""
        now = now or dt.datetime.now(dt.UTC)
        cutoff = (now - dt.timedelta(days=KEEP_HANDLED_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def write() -> int:
            cursor = self.store.db.execute(
                "DELETE FROM telegram_inbox WHERE bot_id = ? AND done_at IS NOT NULL AND done_at < ?",
                [self.bot_id, cutoff],
            )
            return int(cursor.rowcount)

        return self.store.write(write)

    def pending(self) -> list[dict[str, Any]]:
        """Updates stored but not processed (the process stopped in between), oldest first."""
        rows = self.store.read(
            lambda: self.store.db.execute(
                "SELECT update_id, payload_enc FROM telegram_inbox WHERE bot_id = ? AND done_at IS NULL "
                "ORDER BY update_id",
                [self.bot_id],
            ).fetchall()
        )
        out: list[dict[str, Any]] = []
        for update_id, blob in rows:
            if blob is not None:
                out.append(self.store.keys.open_json(blob, _aad(self.bot_id, update_id)))
        return out

    def counts(self) -> tuple[int, int]:
        """(received, processed) update counts."""
        row = self.store.read(
            lambda: self.store.db.execute(
                "SELECT count(*), count(done_at) FROM telegram_inbox WHERE bot_id = ?", [self.bot_id]
            ).fetchone()
        )
        return int(row[0]), int(row[1])

    # -- chats ----------------------------------------------------------------

    def current(self, chat_id: int) -> str | None:
        """The application this chat is working on (the one last started or resumed)."""
        row = self.store.read(
            lambda: self.store.db.execute(
                "SELECT app_id FROM telegram_chats WHERE bot_id = ? AND chat_id = ? "
                "ORDER BY active_seq DESC LIMIT 1",
                [self.bot_id, chat_id],
            ).fetchone()
        )
        return None if row is None else str(row[0])

    def for_campaign(self, chat_id: int, campaign_id: str) -> str | None:
        row = self.store.read(
            lambda: self.store.db.execute(
                "SELECT app_id FROM telegram_chats WHERE bot_id = ? AND chat_id = ? AND campaign_id = ?",
                [self.bot_id, chat_id, campaign_id],
            ).fetchone()
        )
        return None if row is None else str(row[0])

    def bind(self, chat_id: int, campaign_id: str, app_id: str) -> None:
        """Make `app_id` this chat's application for the campaign, and the chat's current one."""
        self.store.write(lambda: self.bind_in_write(chat_id, campaign_id, app_id))

    def bind_in_write(self, chat_id: int, campaign_id: str, app_id: str) -> None:
        """As `bind`, inside a write already open (`Store.write`, or the one creating the application)."""
        self.store.db.execute(
            "INSERT INTO telegram_chats (bot_id, chat_id, campaign_id, app_id, active_seq, updated_at) "
            "VALUES (?, ?, ?, ?, (SELECT coalesce(max(active_seq), 0) + 1 FROM telegram_chats "
            "WHERE bot_id = ? AND chat_id = ?), ?) "
            "ON CONFLICT (bot_id, chat_id, campaign_id) DO UPDATE SET app_id = excluded.app_id, "
            "active_seq = excluded.active_seq, updated_at = excluded.updated_at, shown_key = NULL",
            [self.bot_id, chat_id, campaign_id, app_id, self.bot_id, chat_id, utc_now()],
        )

    def shown(self, chat_id: int, app_id: str) -> tuple[str | None, int | None]:
        """(key of the question this chat was last shown, id of its last message with a keyboard) for
        `app_id`: (None, None) when nothing is recorded."""
        row = self.store.read(
            lambda: self.store.db.execute(
                "SELECT shown_key, keyboard_message_id FROM telegram_chats "
                "WHERE bot_id = ? AND chat_id = ? AND app_id = ? ORDER BY active_seq DESC LIMIT 1",
                [self.bot_id, chat_id, app_id],
            ).fetchone()
        )
        if row is None:
            return None, None
        return (None if row[0] is None else str(row[0])), (None if row[1] is None else int(row[1]))

    def set_shown(self, chat_id: int, app_id: str, key: str | None, keyboard_message_id: int | None) -> None:
        """Record what this chat now shows of `app_id` (see `shown`)."""

        def write() -> None:
            self.store.db.execute(
                "UPDATE telegram_chats SET shown_key = ?, keyboard_message_id = ? "
                "WHERE bot_id = ? AND chat_id = ? AND app_id = ?",
                [key, keyboard_message_id, self.bot_id, chat_id, app_id],
            )

        self.store.write(write)
