"""The coordinators' filtered list of a campaign's applications: filters on clear columns (display status,
level, the facets of migration 11, dates, the duplicate flag), exact search through blind-indexed keys,
sorting, a page of ids, and counts per facet value. Nothing is decrypted here except the page shown.

The display status is `COALESCE(review_status, status)`. An application opened but never answered (still
`in_progress`, no answer ever accepted after the opening: `application_facets.answered`) is left out unless
`include_unanswered`. An application is a duplicate when another live (not abandoned) application shares
one of its duplicate-check keys, computed at query time so both sides are flagged whichever came last."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from storage.models import Application
from storage.repository import Store

STATUS = "COALESCE(a.review_status, a.status)"
ANSWERED = "(a.status != 'in_progress' OR f.answered = 1)"
DUPLICATE = (
    "EXISTS (SELECT 1 FROM duplicate_keys mine JOIN duplicate_keys d ON d.check_id = mine.check_id "
    "AND d.key_hmac = mine.key_hmac AND d.app_id != mine.app_id JOIN applications o ON o.id = d.app_id "
    "WHERE mine.app_id = a.id AND o.status != 'abandoned')"
)
FROM = "FROM applications a LEFT JOIN application_facets f ON f.app_id = a.id"
SORTS = {
    "updated": "a.updated_at",
    "created": "a.created_at",
    "status": STATUS,
    "level": "COALESCE(a.level, '')",
}
FACETS = {  # facet name → its SQL expression
    "status": STATUS,
    "level": "a.level",
    "method": "f.method",
    "occupation": "f.occupation",
    "eligibility": "f.eligibility",
    "duplicate": f"CASE WHEN {DUPLICATE} THEN 1 ELSE 0 END",
}


@dataclass(frozen=True)
class ListQuery:
    campaign_id: str
    status: str | None = None
    level: str | None = None
    method: str | None = None
    occupation: str | None = None
    eligibility: str | None = None
    duplicate: bool | None = None  # True: only duplicates; False: none
    date_field: str = "created"  # created | updated
    since: str | None = None  # UTC ISO, inclusive
    until: str | None = None  # UTC ISO, exclusive
    search: tuple[tuple[str, str], ...] | None = None  # (kind, key hmac) pairs; () matches nothing
    include_unanswered: bool = False
    sort: str = "updated"
    descending: bool = True
    without: frozenset[str] = field(default_factory=frozenset)  # facets whose filter is left out (counts)


@dataclass(frozen=True)
class Found:
    total: int
    items: list[Application]  # this page, decrypted


def _where(q: ListQuery) -> tuple[str, list[Any]]:
    parts, params = ["a.campaign_id = ?"], [q.campaign_id]
    if not q.include_unanswered:
        parts.append(ANSWERED)
    for name in ("status", "level", "method", "occupation", "eligibility"):
        value = getattr(q, name)
        if value is not None and name not in q.without:
            parts.append(f"{FACETS[name]} = ?")
            params.append(value)
    if q.duplicate is not None and "duplicate" not in q.without:
        parts.append(DUPLICATE if q.duplicate else f"NOT {DUPLICATE}")
    column = "a.updated_at" if q.date_field == "updated" else "a.created_at"
    if q.since is not None:
        parts.append(f"{column} >= ?")
        params.append(q.since)
    if q.until is not None:
        parts.append(f"{column} < ?")
        params.append(q.until)
    if q.search is not None:
        if not q.search:
            parts.append("0 = 1")
        else:
            pairs = " OR ".join("(s.kind = ? AND s.key_hmac = ?)" for _ in q.search)
            parts.append(f"a.id IN (SELECT s.app_id FROM search_keys s WHERE {pairs})")
            params += [v for pair in q.search for v in pair]
    return " AND ".join(parts), params


def total(store: Store, q: ListQuery) -> int:
    where, params = _where(q)
    row = store.read(lambda: store.db.execute(f"SELECT count(*) {FROM} WHERE {where}", params).fetchone())
    return int(row[0])


def page(store: Store, q: ListQuery, limit: int, offset: int) -> list[Application]:
    """The matching applications, sorted (ties by last update, newest first), one page decrypted."""
    where, params = _where(q)
    order = "DESC" if q.descending else "ASC"
    key = SORTS.get(q.sort, SORTS["updated"])
    sql = (
        f"SELECT a.id {FROM} WHERE {where} ORDER BY {key} {order}, a.updated_at DESC, a.id DESC "
        "LIMIT ? OFFSET ?"
    )
    ids = store.read(lambda: store.db.execute(sql, [*params, limit, offset]).fetchall())
    return [app for (app_id,) in ids if (app := store.get(str(app_id))) is not None]


def counts(store: Store, q: ListQuery, facet: str) -> dict[Any, int]:
    """How many applications have each value of `facet` under the current filter, that facet's own filter
    left out (so every value can be chosen and the numbers add up to the total)."""
    where, params = _where(replace(q, without=q.without | {facet}))
    expr = FACETS[facet]
    sql = f"SELECT {expr}, count(*) {FROM} WHERE {where} GROUP BY {expr}"
    rows = store.read(lambda: store.db.execute(sql, params).fetchall())
    return {value: int(n) for value, n in rows}


def unanswered(store: Store, q: ListQuery) -> int:
    """How many opened-but-never-answered applications the other filters would add."""
    where, params = _where(replace(q, include_unanswered=True))
    sql = f"SELECT count(*) {FROM} WHERE {where} AND NOT {ANSWERED}"
    row = store.read(lambda: store.db.execute(sql, params).fetchone())
    return int(row[0])
