"""`shenbao key rotate`: every encrypted value re-sealed under a new key, safe to kill at any moment.

1. A new numbered key is added to the key file as the current one (the file is replaced atomically; the
   old keys stay in it), and its fingerprint is recorded in the database.
2. Each column in storage/sealed.py is re-encrypted in batches, each batch its own committed transaction.
   A row is rewritten only if its blob names an older key, so a rerun skips what is done. The append-only
   trigger of answer_events is lifted and restored inside the batch's transaction: no other writer ever
   sees it missing.
3. Once no blob names an older key (checked in the same transaction), the older keys are marked retired in
   the database, then removed from the key file.

Killed anywhere, every value still opens (the key file holds every key a blob may name), and running the
command again resumes. The rotation holds the data lock exclusively (storage/startup.py), so no server is
running with the old key in memory. The MAC key (blind indexes of duplicate checks) is not rotated.
Old blobs are overwritten with zeros (`secure_delete`) and the WAL is truncated at the end; backups taken
before the rotation still need the old key file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from storage.clock import utc_now
from storage.crypto import BLOB_V1, HEADER_BYTES, DecryptionError, KeyRing, blob_key_id, replace_file
from storage.sealed import SEALED, SealedColumn
from storage.startup import Recorded, open_checked, record_fingerprints, recorded
from storage.transaction import immediate

BATCH_ROWS = 500
BATCH_BYTES = 32 * 1024 * 1024  # uploads are large: a batch stops at this many bytes of ciphertext

Step = Callable[[str], None]


class RotationError(RuntimeError):
    """A stored value could not be re-encrypted; nothing was retired."""


@dataclass
class Rotation:
    key_id: int
    resumed: bool
    rewritten: dict[str, int] = field(default_factory=dict)
    retired: list[int] = field(default_factory=list)


def rotate(
    db_path: Path,
    key_path: Path,
    *,
    batch_rows: int = BATCH_ROWS,
    batch_bytes: int = BATCH_BYTES,
    say: Callable[[str], None] = lambda _: None,
    on_step: Step = lambda _: None,
) -> Rotation:
    """Rotate (or resume rotating) the encryption key. ``on_step`` is called at "key-added", "batch"
    (inside a batch's transaction), "committed" and "retired": the tests kill the process there."""
    opened = open_checked(db_path, key_path, exclusive=True, create=False)
    try:
        db, keys = opened.db, opened.keys
        db.execute("PRAGMA secure_delete = ON")
        resumed = len(keys.key_ids) > 1
        if resumed:
            say(f"继续上次未完成的轮换：当前密钥 {keys.current_id}，旧密钥 {_older(keys)}。")
        else:
            known = [m.key_id for m in recorded(db) if m.purpose == "enc"]
            keys = keys.with_new_key(max([*keys.key_ids, *known]) + 1)
            replace_file(key_path, keys.dump())
            on_step("key-added")
            record_fingerprints(db, keys)
            say(f"新密钥 {keys.current_id} 已加入 {key_path}（旧密钥 {_older(keys)} 暂时保留）。")
        report = Rotation(keys.current_id, resumed)
        for col in SEALED:
            count = _reencrypt(db, keys, col, batch_rows, batch_bytes, on_step)
            report.rewritten[col.name] = count
            say(f"  {col.name}：重新加密 {count} 条")
        report.retired = _retire(db, keys)
        on_step("retired")
        if len(keys.key_ids) > 1:
            replace_file(key_path, keys.only_current().dump())
        busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:  # a reader outside shenbao kept the WAL (with old page images) from being emptied
            say(
                f"注意：{db_path}-wal 未能清空（有其他程序正在读数据库），旧密文可能仍留在其中，请稍后再运行一次。"
            )
        return report
    finally:
        opened.close()


def _older(keys: KeyRing) -> str:
    return "、".join(str(n) for n in keys.key_ids if n != keys.current_id)


def _reencrypt(
    db: Database, keys: KeyRing, col: SealedColumn, batch_rows: int, batch_bytes: int, on_step: Step
) -> int:
    select = (
        f"SELECT rowid, {', '.join(col.row)}, {col.column} FROM {col.table} WHERE rowid > ? "
        f"AND {col.column} IS NOT NULL AND substr({col.column}, 1, {HEADER_BYTES}) IS NOT ? ORDER BY rowid"
    )
    done, last = 0, 0
    while True:
        with immediate(db):
            batch = _next_batch(db, select, [last, keys.header], batch_rows, batch_bytes)
            if not batch:
                return done
            guards = _lift_guards(db, col)
            for row in batch:
                rowid, values, blob = row[0], tuple(row[1:-1]), row[-1]
                aad = col.aad_of(values)
                try:
                    plain = keys.open(blob, aad)
                except DecryptionError as exc:
                    raise RotationError(
                        f"{col.name} 第 {rowid} 行无法解密，轮换已停止，没有停用任何密钥：{exc}"
                    ) from exc
                db.execute(
                    f"UPDATE {col.table} SET {col.column} = ? WHERE rowid = ?", [keys.seal(plain, aad), rowid]
                )
            for sql in guards:
                db.execute(sql)
            on_step("batch")
        done += len(batch)
        last = batch[-1][0]
        on_step("committed")


def _next_batch(
    db: Database, sql: str, params: list[object], batch_rows: int, batch_bytes: int
) -> list[tuple[Any, ...]]:
    batch: list[tuple[Any, ...]] = []
    size = 0
    cursor: sqlite3.Cursor = db.execute(sql, params)
    try:
        for row in cursor:
            batch.append(tuple(row))
            size += len(row[-1])
            if len(batch) >= batch_rows or size >= batch_bytes:
                break
    finally:
        cursor.close()  # read the whole batch before writing to the table
    return batch


def _lift_guards(db: Database, col: SealedColumn) -> list[str]:
    """Drop the column's append-only triggers (inside the caller's transaction); return their SQL."""
    restore: list[str] = []
    for name in col.guards:
        row = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]
        ).fetchone()
        if row is not None:
            restore.append(str(row[0]))
            db.execute(f"DROP TRIGGER {name}")
    return restore


def _retire(db: Database, keys: KeyRing) -> list[int]:
    """Mark every older key retired, in the transaction that finds no blob still naming one."""
    with immediate(db):
        for col in SEALED:
            left = db.execute(
                f"SELECT count(*) FROM {col.table} WHERE {col.column} IS NOT NULL "
                f"AND substr({col.column}, 1, {HEADER_BYTES}) IS NOT ?",
                [keys.header],
            ).fetchone()[0]
            if left:
                raise RotationError(
                    f"{col.name} 中还有 {left} 条不是用密钥 {keys.current_id} 加密的，没有停用旧密钥"
                )
        old = [
            m.key_id
            for m in recorded(db)
            if m.purpose == "enc" and not m.retired and m.key_id != keys.current_id
        ]
        db.execute(
            "UPDATE key_fingerprints SET retired_at = ? WHERE purpose = 'enc' AND key_id != ? "
            "AND retired_at IS NULL",
            [utc_now(), keys.current_id],
        )
    return old


@dataclass
class KeyStatus:
    keys: KeyRing
    marks: list[Recorded]
    counts: dict[str, dict[int, int]]  # column -> key id -> values


def status(db_path: Path, key_path: Path) -> KeyStatus:
    """The keys in the file and the database, and how many values each key sealed."""
    opened = open_checked(db_path, key_path, create=False)
    try:
        db = opened.db
        counts: dict[str, dict[int, int]] = {}
        for col in SEALED:
            rows = db.execute(
                f"SELECT CASE WHEN substr({col.column}, 1, 1) = ? THEN ? "
                f"ELSE substr({col.column}, 1, {HEADER_BYTES}) END AS h, count(*) FROM {col.table} "
                f"WHERE {col.column} IS NOT NULL GROUP BY h",
                [BLOB_V1, BLOB_V1],
            ).fetchall()
            per_key: dict[int, int] = {}
            for header, n in rows:
                key_id = blob_key_id(bytes(header)) or 0
                per_key[key_id] = per_key.get(key_id, 0) + int(n)
            counts[col.name] = per_key
        return KeyStatus(opened.keys, recorded(db), counts)
    finally:
        opened.close()
