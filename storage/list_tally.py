"""The list's counts kept up to date: per campaign and date range, each listed application's facet values
(held in memory), brought up to date at each page from what changed since: the applications named by
answer events and status changes written after the version the tally was made at, and those whose
duplicate flag flipped. Every write that changes what the list counts (status, level, facets, duplicate
keys: `Store.record_turn`; review status: `status_changes`) appends to one of those two tables."""

from __future__ import annotations

import threading
import weakref
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.repository import Store

VERSION = "SELECT (SELECT max(seq) FROM answer_events), (SELECT max(seq) FROM status_changes)"
CHANGED = (
    "SELECT app_id FROM answer_events WHERE seq > ? UNION SELECT app_id FROM status_changes WHERE seq > ?"
)
REBUILD_OVER = 2000  # more changed applications than this: counted again from scratch
KEPT = 8  # tallies kept per store (campaign × date range), least recently used dropped
CHUNK = 500


@dataclass
class Live:
    version: tuple[int, int]
    apps: dict[str, tuple[Any, ...]]  # app id → (facet values…, answered, duplicate)
    duplicates: set[str]
    counts: Counter[tuple[Any, ...]]


_LIVE: weakref.WeakKeyDictionary[Store, OrderedDict[tuple[Any, ...], Live]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _version(store: Store) -> tuple[int, int]:
    row = store.read(lambda: store.db.execute(VERSION).fetchone())
    return int(row[0] or 0), int(row[1] or 0)


def current(
    store: Store, key: tuple[Any, ...], rows_sql: str, params: list[Any], duplicates_sql: str
) -> Counter[tuple[Any, ...]]:
    """The counts of (facet values…, answered, duplicate) for the applications `rows_sql` selects (its
    rows: id, facet values…, answered; `params` its parameters; an `a.id IN (…)` is appended to it)."""
    with _LOCK:
        kept = _LIVE.setdefault(store, OrderedDict())
        live = kept.pop(key, None)  # taken out while updated: a concurrent page builds its own
    version = _version(store)
    if live is not None and live.version != version:
        since = list(live.version)
        changed = store.read(lambda: [r[0] for r in store.db.execute(CHANGED, since).fetchall()])
        if len(changed) > REBUILD_OVER:
            live = None
        else:
            dups = {str(r[0]) for r in store.read(lambda: store.db.execute(duplicates_sql).fetchall())}
            _update(store, live, set(changed) | (dups ^ live.duplicates), rows_sql, params, dups)
            live.version = version
    if live is None:
        dups = {str(r[0]) for r in store.read(lambda: store.db.execute(duplicates_sql).fetchall())}
        rows = store.read(lambda: store.db.execute(rows_sql, params).fetchall())
        apps = {str(r[0]): (*r[1:], int(str(r[0]) in dups)) for r in rows}
        live = Live(version, apps, dups, Counter(apps.values()))
    counts = Counter(live.counts)  # a copy: the kept one changes under later pages (a few hundred keys)
    with _LOCK:
        kept[key] = live
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return counts


def _update(
    store: Store, live: Live, ids: Iterable[str], rows_sql: str, params: list[Any], dups: set[str]
) -> None:
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        sql = f"{rows_sql} AND a.id IN ({marks})"
        args = [*params, *chunk]

        def fetch(sql: str = sql, args: list[Any] = args) -> list[Any]:
            return list(store.db.execute(sql, args).fetchall())

        rows = store.read(fetch)
        found = {str(r[0]): (*r[1:], int(str(r[0]) in dups)) for r in rows}
        for app_id in chunk:
            old = live.apps.pop(app_id, None)
            if old is not None:
                live.counts[old] -= 1
                if not live.counts[old]:
                    del live.counts[old]
            new = found.get(app_id)
            if new is not None:
                live.apps[app_id] = new
                live.counts[new] += 1
    live.duplicates = dups
