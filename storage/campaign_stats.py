"""Counts for a campaign's overview page, from the plaintext columns only (nothing is decrypted here).

The same rule as the lists (`listing.ANSWERED`): an application opened but never answered is not counted,
only reported as a number of its own. Days are Beijing days (UTC+8) of the stored UTC times. The status
counted is the one a coordinator sees: `COALESCE(review_status, status)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from storage.listing import ANSWERED
from storage.repository import Store

BEIJING = "'+8 hours'"  # SQLite modifier: stored UTC time → Beijing time


@dataclass(frozen=True)
class CampaignStats:
    statuses: dict[str, int]  # display status → applications
    never_answered: int  # opened, never answered: not in any other number
    started: dict[dt.date, int]  # Beijing day → applications started that day
    completed: dict[dt.date, int]  # Beijing day → applications completed (documents generated) that day
    levels: dict[str, tuple[int, int]]  # 申报等级 → (applications, of them complete); not abandoned
    complete_levels: dict[str, int] = field(default_factory=dict)  # 申报等级 → complete applications
    duplicates: list[str] = field(default_factory=list)  # ids sharing a duplicate key with another live one

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def complete(self) -> int:
        return sum(self.complete_levels.values())


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def campaign_stats(store: Store, campaign_id: str) -> CampaignStats:
    def read() -> CampaignStats:
        db = store.db
        where = f"a.campaign_id = ? AND {ANSWERED}"
        statuses = {
            str(s): int(n)
            for s, n in db.execute(
                f"SELECT COALESCE(a.review_status, a.status), count(*) FROM applications a WHERE {where} "
                "GROUP BY 1 ORDER BY 1",
                [campaign_id],
            )
        }
        (never,) = db.execute(
            f"SELECT count(*) FROM applications a WHERE a.campaign_id = ? AND NOT {ANSWERED}", [campaign_id]
        ).fetchone()
        started = {
            _day(d): int(n)
            for d, n in db.execute(
                f"SELECT date(a.created_at, {BEIJING}), count(*) FROM applications a WHERE {where} GROUP BY 1",
                [campaign_id],
            )
            if d
        }
        # Completed: the last accepted turn of a complete application is the one that completed it (after
        # that nothing changes its answers without taking it back to 填写中).
        completed: dict[dt.date, int] = {}
        for (d,) in db.execute(
            f"SELECT date(max(e.at), {BEIJING}) FROM applications a JOIN answer_events e ON e.app_id = a.id "
            "AND e.accepted = 1 WHERE a.campaign_id = ? AND a.status = 'complete' GROUP BY a.id",
            [campaign_id],
        ):
            if d:
                completed[_day(d)] = completed.get(_day(d), 0) + 1
        levels = {
            str(level): (int(n), int(done or 0))
            for level, n, done in db.execute(
                "SELECT a.level, count(*), sum(a.status = 'complete') FROM applications a "
                f"WHERE {where} AND a.status != 'abandoned' AND a.level IS NOT NULL AND a.level != '' "
                "GROUP BY 1 ORDER BY 1",
                [campaign_id],
            )
        }
        complete_levels = {
            str(level or ""): int(n)
            for level, n in db.execute(
                "SELECT a.level, count(*) FROM applications a WHERE a.campaign_id = ? AND a.status = 'complete' "
                "GROUP BY 1",
                [campaign_id],
            )
        }
        duplicates = [
            str(app_id)
            for (app_id,) in db.execute(
                "SELECT DISTINCT a.id FROM applications a JOIN duplicate_keys mine ON mine.app_id = a.id "
                "JOIN duplicate_keys d ON d.check_id = mine.check_id AND d.key_hmac = mine.key_hmac "
                "AND d.app_id != a.id JOIN applications b ON b.id = d.app_id "
                f"WHERE {where} AND a.status != 'abandoned' AND b.status != 'abandoned' "
                "ORDER BY a.created_at, a.id",
                [campaign_id],
            )
        ]
        return CampaignStats(statuses, int(never), started, completed, levels, complete_levels, duplicates)

    return store.read(read)


def complete_ids(store: Store, campaign_id: str) -> list[str]:
    """The campaign's applications whose documents were generated (whatever their review status)."""
    rows = store.read(
        lambda: store.db.execute(
            "SELECT id FROM applications WHERE campaign_id = ? AND status = 'complete' ORDER BY created_at, id",
            [campaign_id],
        ).fetchall()
    )
    return [str(app_id) for (app_id,) in rows]
