"""The coordinators' filtered list of a campaign's applications: filters on clear columns (display status,
level, the facets of migration 11, dates, the duplicate flag), exact search through blind-indexed keys,
sorting, a page of ids, and counts per facet value. Nothing is decrypted here except the page shown.

The display status is `COALESCE(review_status, status)`. An application opened but never answered (still
`in_progress`, no answer ever accepted after the opening: `application_facets.answered`) is left out unless
`include_unanswered`. An application is a duplicate when another live (not abandoned) application shares
one of its duplicate-check keys, computed at query time so both sides are flagged whichever came last."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from storage import list_tally
from storage.models import Application
from storage.repository import Store

STATUS = "COALESCE(a.review_status, a.status)"
ANSWERED = (
    "(a.status != 'in_progress' OR EXISTS (SELECT 1 FROM application_facets fa WHERE fa.app_id = a.id "
    "AND fa.answered = 1))"
)
# Keys held by more than one application first (one pass over the index), then who shares them with a
# live other: evaluated once per query, not per row.
DUPLICATE_IDS = (
    "SELECT mine.app_id FROM (SELECT check_id, key_hmac FROM duplicate_keys "
    "GROUP BY check_id, key_hmac HAVING count(*) > 1) c "
    "JOIN duplicate_keys mine ON mine.check_id = c.check_id AND mine.key_hmac = c.key_hmac "
    "JOIN duplicate_keys d ON d.check_id = c.check_id AND d.key_hmac = c.key_hmac AND d.app_id != mine.app_id "
    "JOIN applications o ON o.id = d.app_id WHERE o.status != 'abandoned'"
)
DUPLICATE = f"a.id IN ({DUPLICATE_IDS})"
FROM = "FROM applications a LEFT JOIN application_facets f ON f.app_id = a.id"
BARE = "FROM applications a"  # a page needs the facets only when filtered by one of them
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
_FILTERS = {"status": "status", "level": "level", "method": "method", "occupation": "occupation",
            "eligibility": "eligibility", "duplicate": "duplicate"}  # fmt: skip


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


def ids(store: Store, q: ListQuery) -> list[str]:
    """Every matching application's id, oldest first (what an export of the filtered list covers)."""
    where, params = _where(q)
    sql = f"SELECT a.id {FROM} WHERE {where} ORDER BY a.created_at, a.rowid"
    rows = store.read(lambda: store.db.execute(sql, params).fetchall())
    return [str(app_id) for (app_id,) in rows]


@dataclass(frozen=True)
class Found:
    total: int
    items: list[Application]  # this page, decrypted


def _where(q: ListQuery, facets: bool = True) -> tuple[str, list[Any]]:
    """The SQL condition; without `facets`, only campaign, dates and search (facets filtered in Python)."""
    parts, params = ["a.campaign_id = ?"], [q.campaign_id]
    if facets and not q.include_unanswered:
        parts.append(ANSWERED)
    for name in ("status", "level", "method", "occupation", "eligibility"):
        value = getattr(q, name)
        if facets and value is not None:
            parts.append(f"{FACETS[name]} = ?")
            params.append(value)
    if facets and q.duplicate is not None:
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


def page(store: Store, q: ListQuery, limit: int, offset: int) -> list[Application]:
    """The matching applications, sorted (ties by last update, newest first), one page decrypted."""
    where, params = _where(q)
    order = "DESC" if q.descending else "ASC"
    key = SORTS.get(q.sort, SORTS["updated"])
    sql = (
        f"SELECT a.id {FROM} WHERE {where} ORDER BY {key} {order}, a.updated_at DESC, a.id DESC "
        "LIMIT ? OFFSET ?"
    )
    if not (q.method or q.occupation or q.eligibility):
        sql = sql.replace(FROM, BARE, 1)
    ids = store.read(lambda: store.db.execute(sql, [*params, limit, offset]).fetchall())
    return [app for (app_id,) in ids if (app := store.get(str(app_id))) is not None]


@dataclass(frozen=True)
class Tally:
    """How many applications have each combination of facet values (campaign, dates and search applied):
    one grouped query, from which every count of the page is summed (a few hundred rows at most)."""

    rows: list[tuple[dict[str, Any], bool, int]]  # (facet values, answered, count)

    def _matches(self, q: ListQuery, values: dict[str, Any], answered: bool, without: str | None) -> bool:
        if not answered and not q.include_unanswered:
            return False
        for name in _FILTERS:
            wanted = getattr(q, name)
            if name == without or wanted is None:
                continue
            if (values[name] == 1) != wanted if name == "duplicate" else values[name] != wanted:
                return False
        return True

    def total(self, q: ListQuery) -> int:
        return sum(n for values, answered, n in self.rows if self._matches(q, values, answered, None))

    def counts(self, q: ListQuery, facet: str) -> dict[Any, int]:
        """Per value of `facet`, the applications matching the query with that facet's own filter left out
        (so every value can be chosen, and the numbers add up to the total)."""
        out: dict[Any, int] = {}
        for values, answered, n in self.rows:
            if self._matches(q, values, answered, facet):
                out[values[facet]] = out.get(values[facet], 0) + n
        return out

    def unanswered(self, q: ListQuery) -> int:
        """The opened-but-never-answered applications the query would add with `include_unanswered`."""
        every = replace(q, include_unanswered=True)
        return sum(n for v, answered, n in self.rows if not answered and self._matches(every, v, True, None))


def tally(store: Store, q: ListQuery) -> Tally:
    """The counts of the query's campaign and dates: kept up to date in memory (storage/list_tally.py)
    rather than counted again at each page; with a search (few rows) counted each time."""
    if q.search is not None:
        return _tally(store, q)
    where, params = _where(q, facets=False)
    names = [n for n in FACETS if n != "duplicate"]
    answered = "CASE WHEN (a.status != 'in_progress' OR f.answered = 1) THEN 1 ELSE 0 END"
    rows_sql = f"SELECT a.id, {', '.join(FACETS[n] for n in names)}, {answered} {FROM} WHERE {where}"
    key = (q.campaign_id, q.date_field if q.since or q.until else "", q.since, q.until)
    counts = list_tally.current(store, key, rows_sql, params, DUPLICATE_IDS)
    return Tally(
        [
            ({**dict(zip(names, k[:-2], strict=True)), "duplicate": k[-1]}, bool(k[-2]), n)
            for k, n in counts.items()
        ]
    )


def _tally(store: Store, q: ListQuery) -> Tally:
    """Two grouped queries: every application by its facets, then the few duplicates alone (probing the
    duplicate set for each of 20,000 rows would cost more than both)."""
    where, params = _where(q, facets=False)
    names = [n for n in FACETS if n != "duplicate"]
    columns = ", ".join(FACETS[n] for n in names)
    groups = ", ".join(str(i) for i in range(1, len(names) + 2))
    answered = "CASE WHEN (a.status != 'in_progress' OR f.answered = 1) THEN 1 ELSE 0 END"
    base = f"SELECT {columns}, {answered}, count(*) {FROM} WHERE {where}"
    rows = store.read(lambda: store.db.execute(f"{base} GROUP BY {groups}", params).fetchall())
    dups = store.read(
        lambda: store.db.execute(f"{base} AND {DUPLICATE} GROUP BY {groups}", params).fetchall()
    )
    counted: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        counted.setdefault(tuple(row[:-1]), [0, 0])[0] += int(row[-1])
    for row in dups:
        counted.setdefault(tuple(row[:-1]), [0, 0])[1] += int(row[-1])
    out: list[tuple[dict[str, Any], bool, int]] = []
    for key, (every, duplicated) in counted.items():
        values = dict(zip(names, key[:-1], strict=True))
        for flag, n in ((0, every - duplicated), (1, duplicated)):
            if n:
                out.append(({**values, "duplicate": flag}, bool(key[-1]), n))
    return Tally(out)
