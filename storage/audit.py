"""The audit log (migration 8): append-only, each row chained to the one before by a hash.

A row's `hash` is sha256(previous row's hash + the row in canonical form): a row edited, deleted or inserted
in the middle breaks the chain from there on, and `verify` names the first row that does not fit. Triggers
refuse UPDATE and DELETE through SQL. Removing rows at the end leaves a shorter chain that still verifies:
comparing the last hash with one kept elsewhere (a backup, a printout) detects that. No personal values of
applicants go into a row: actors and targets are usernames, institution codes and application ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    actor: str | None  # the username acting, None for the system or an unknown account
    action: str  # login_ok, login_failed, login_locked, logout, password_changed, user_added, user_disabled
    target: str | None = None  # what was acted on: a username, an application id
    detail: dict[str, Any] | None = None  # small facts: the client address, a role; never personal values


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    actor: str | None
    action: str
    target: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    rows: int  # rows checked
    bad_seq: int | None  # the first row that does not fit the chain, or None
    reason: str = ""


def canonical(seq: int, at: str, actor: str | None, action: str, target: str | None, detail: str) -> str:
    return json.dumps([seq, at, actor, action, target, detail], ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, row: str) -> str:
    return hashlib.sha256((prev_hash + row).encode("utf-8")).hexdigest()


def detail_text(detail: dict[str, Any] | None) -> str:
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def append(db: Database, entry: AuditEntry, at: str) -> int:
    """Append one row; call inside a write transaction (the next seq and the previous hash are read in it)."""
    last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    detail = detail_text(entry.detail)
    digest = chain_hash(prev, canonical(seq, at, entry.actor, entry.action, entry.target, detail))
    db.execute(
        "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, entry.actor, entry.action, entry.target, detail, prev, digest],
    )
    return seq


def rows(db: Database, after: int = 0, limit: int | None = None) -> list[AuditRow]:
    sql = "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq"
    params: list[Any] = [after]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        AuditRow(int(r[0]), r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])
        for r in db.execute(sql, params).fetchall()
    ]


def verify(raw: Iterable[tuple[Any, ...]]) -> Verification:
    """Check rows (seq, at, actor, action, target, detail text, prev_hash, hash) in seq order."""
    prev, expected_seq, count = GENESIS, 1, 0
    for seq, at, actor, action, target, detail, prev_hash, digest in raw:
        count += 1
        if seq != expected_seq:
            return Verification(count, int(seq), f"序号应为 {expected_seq}，实际为 {seq}（前面有记录被删除）")
        if prev_hash != prev:
            return Verification(count, int(seq), "prev_hash 与上一条记录的 hash 不符")
        if chain_hash(prev, canonical(int(seq), at, actor, action, target, detail)) != digest:
            return Verification(count, int(seq), "内容与 hash 不符（记录被修改）")
        prev, expected_seq = str(digest), expected_seq + 1
    return Verification(count, None)


def verify_db(db: Database) -> Verification:
    """Check the whole chain as stored."""
    cursor = db.execute(
        "SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_log ORDER BY seq"
    )
    return verify(cursor)
