"""Handled inbox rows are kept long enough to ignore any repeat of their update, then deleted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.channels.telegram.service import bot_id
from bot.channels.telegram.store import KEEP_HANDLED_DAYS, TelegramStore
from storage import Store
from tests.aio import run
from tests.channels.telegram.fake_botapi import TOKEN
from tests.channels.telegram.harness import Harness


def _age(inbox: TelegramStore, update_id: int, days: float) -> None:
    """Make a handled update look handled `days` ago."""
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    inbox.store.write(
        lambda: inbox.store.db.execute(
            "UPDATE telegram_inbox SET done_at = ? WHERE bot_id = ? AND update_id = ?",
            [at, inbox.bot_id, update_id],
        )
    )


def _ids(store: Store) -> list[int]:
    return [r[0] for r in store.db.execute("SELECT update_id FROM telegram_inbox ORDER BY update_id")]


def test_prune_deletes_only_handled_rows_older_than_the_window(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        inbox = TelegramStore(store, bot_id=1)
        other_bot = TelegramStore(store, bot_id=2)
        for update_id in (1, 2, 3, 4):
            assert inbox.receive(update_id, {"update_id": update_id})
        assert other_bot.receive(1, {"update_id": 1})
        for update_id in (1, 2, 3):
            inbox.done(update_id)
        _age(inbox, 1, KEEP_HANDLED_DAYS + 1)  # handled long ago: goes
        _age(inbox, 2, KEEP_HANDLED_DAYS - 1)  # handled, but inside the window: stays
        other_bot.done(1)
        _age(other_bot, 1, KEEP_HANDLED_DAYS + 1)  # another bot's: not this bot's to delete
        assert inbox.prune() == 1
        assert _ids(store) == [1, 2, 3, 4]  # bot 2's update 1 and bot 1's 2, 3 (recent) and 4 (not handled)
        assert not inbox.receive(2, {"update_id": 2})  # a repeat inside the window is still ignored
        assert [p["update_id"] for p in inbox.pending()] == [4]
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=KEEP_HANDLED_DAYS + 1)
        assert inbox.prune(now=later) == 2  # 2 and 3; 4 is not handled yet
        assert inbox.pending() and other_bot.prune() == 1


def test_the_service_prunes_at_start(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        inbox = TelegramStore(store, bot_id(TOKEN))
        inbox.receive(7, {"update_id": 7})
        inbox.done(7)
        _age(inbox, 7, KEEP_HANDLED_DAYS + 2)

    async def main() -> None:
        async with Harness(tmp_path / "data") as h:
            assert _ids(h.store) == []

    run(main)
