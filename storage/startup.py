"""Opening the data safely: the database is whole, is ours, and the key file is the one its data needs.

Every check runs before the first write. A key is created only together with a new database (no key
fingerprint recorded and no encrypted data yet); a key file without its database, a database without its
key, a key that does not match the recorded fingerprints, and a damaged database file are refused with a
`StartupError` whose message (Chinese first, then English) names the file and what to do."""

from __future__ import annotations

import fcntl
import hmac
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from storage.clock import utc_now
from storage.crypto import DecryptionError, KeyFileError, KeyRing
from storage.db import DatabaseSetupError, connect
from storage.migrations import MigrationError, migrate
from storage.sealed import SEALED
from storage.transaction import immediate

GUIDE = "README.md “Backup, restore and the key”"


class StartupError(RuntimeError):
    """The database or key file is not in a state to start from; the message says which file and why."""


def _refuse(zh: str, en: str) -> StartupError:
    return StartupError(f"无法启动：{zh}\n({en})")


class DataLock:
    """Each process using a database holds a shared lock on ``<db>.lock``; `shenbao key rotate` holds it
    exclusively, so it never runs beside a process that would go on sealing with the old key."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def take(cls, db_path: Path, *, exclusive: bool) -> DataLock:
        path = db_path.with_name(db_path.name + ".lock")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if exclusive:
                raise StartupError(
                    f"无法轮换密钥：还有 shenbao 进程在使用数据库 {db_path}（serve、telegram、chat、export "
                    "或 backup）。请先停止它们，再运行 shenbao key rotate。\n"
                    f"(Another shenbao process is using {db_path}: stop it before rotating the key.)"
                ) from None
            raise _refuse(
                f"正在轮换数据库 {db_path} 的密钥（shenbao key rotate 持有 {path}）。请等轮换结束后再启动。",
                f"a key rotation holds {path}; start again once it has finished",
            ) from None
        return cls(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None


@dataclass
class Opened:
    db: Database
    keys: KeyRing
    lock: DataLock

    def close(self) -> None:
        self.db.conn.close()
        self.lock.release()


@dataclass(frozen=True)
class Recorded:
    purpose: str
    key_id: int
    fingerprint: str
    retired: bool


def open_checked(db_path: Path, key_path: Path, *, exclusive: bool = False, create: bool = True) -> Opened:
    """Open the database (migrated) and its key ring once every check has passed; raise StartupError.
    ``create=False`` (backup, key commands): a missing database is an error rather than a new one."""
    if not create and not _has_content(db_path):
        raise StartupError(
            f"数据库 {db_path} 不存在或是空文件。请检查 SHENBAO_DATA_DIR。\n({db_path} is missing or empty)"
        )
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock = DataLock.take(db_path, exclusive=exclusive)
    db: Database | None = None
    try:
        # The key's presence is read before the database's: a first start creates the database before the
        # key, so a concurrent first start never sees a key without its database.
        key_found = key_path.exists()
        if key_found and not _has_content(db_path):
            raise _database_gone(db_path, key_path)
        db = _connect(db_path)
        check_integrity(db, db_path)
        _check_ledger(db, db_path)
        keys: KeyRing | None = None
        if key_found:
            keys = _load_keys(key_path)
            verify_keys(db, keys, db_path, key_path)
        elif recorded(db) or has_data(db):
            raise _key_gone(db, db_path, key_path)
        try:
            migrate(db)
        except MigrationError as exc:
            raise _refuse(
                f"数据库 {db_path} 的结构比这个版本的 shenbao 新（{exc}）。请使用写入它的那个版本或更新的版本。",
                str(exc),
            ) from exc
        if keys is None:  # a new database: its key is made now (or loaded, if a concurrent start made it)
            keys = _load_keys(key_path, create=True)
            verify_keys(db, keys, db_path, key_path)
        record_fingerprints(db, keys)
        return Opened(db, keys, lock)
    except BaseException:
        if db is not None:
            db.conn.close()
        lock.release()
        raise


def _has_content(db_path: Path) -> bool:
    return db_path.exists() and db_path.stat().st_size > 0


BUSY_TRIES = 50  # a database locked by another process starting at the same moment: wait, then say so
BUSY_PAUSE_S = 0.1


def _busy(exc: BaseException) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock (setting WAL mode does not wait
    for it); the file is not damaged."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _connect(db_path: Path) -> Database:
    for attempt in range(BUSY_TRIES):
        try:
            return Database(connect(db_path))
        except (sqlite3.DatabaseError, DatabaseSetupError) as exc:
            if _busy(exc) and attempt < BUSY_TRIES - 1:
                time.sleep(BUSY_PAUSE_S)
                continue
            raise (_in_use(db_path) if _busy(exc) else _damaged(db_path, str(exc))) from exc
    raise AssertionError("unreachable")


def check_integrity(db: Database, db_path: Path) -> None:
    """`PRAGMA quick_check`: the b-trees and pages are sound (O(file size); run once at start)."""
    for attempt in range(BUSY_TRIES):
        try:
            rows = db.execute("PRAGMA quick_check").fetchall()
            break
        except sqlite3.DatabaseError as exc:
            if _busy(exc) and attempt < BUSY_TRIES - 1:
                time.sleep(BUSY_PAUSE_S)
                continue
            raise (_in_use(db_path) if _busy(exc) else _damaged(db_path, str(exc))) from exc
    problems = [str(r[0]) for r in rows if r[0] != "ok"]
    if problems:
        raise _damaged(db_path, "; ".join(problems[:3]))


def _check_ledger(db: Database, db_path: Path) -> None:
    tables = {
        str(r[0])
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    }
    ledger = "schema_migrations" in tables
    versions = db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] if ledger else 0
    if tables - {"schema_migrations"} and not versions:
        raise _refuse(
            f"{db_path} 不是 shenbao 的数据库（有数据表，但没有迁移记录 schema_migrations）。"
            "请检查 SHENBAO_DATA_DIR 是否指错了目录，或从备份恢复数据库。",
            f"{db_path} has tables but no schema_migrations ledger: not a shenbao database",
        )


def _load_keys(key_path: Path, *, create: bool = False) -> KeyRing:
    try:
        return KeyRing.load_or_create(key_path) if create else KeyRing.load(key_path)
    except (KeyFileError, OSError) as exc:
        raise _refuse(
            f"密钥文件 {key_path} 无法使用：{exc}", f"the key file {key_path} cannot be used: {exc}"
        ) from exc


def _table_exists(db: Database, name: str) -> bool:
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone()
    return row is not None


def recorded(db: Database) -> list[Recorded]:
    """The key fingerprints this database records ([] before migration 5, or before the first start)."""
    if not _table_exists(db, "key_fingerprints"):
        return []
    rows = db.execute(
        "SELECT purpose, key_id, fingerprint, retired_at FROM key_fingerprints ORDER BY purpose, key_id"
    ).fetchall()
    return [Recorded(str(p), int(k), str(f), r is not None) for p, k, f, r in rows]


def has_data(db: Database) -> bool:
    """Whether any encrypted value is stored (an application, a Telegram update, ...)."""
    for col in SEALED:
        if _table_exists(db, col.table):
            sql = f"SELECT 1 FROM {col.table} WHERE {col.column} IS NOT NULL LIMIT 1"
            if db.execute(sql).fetchone() is not None:
                return True
    return False


def _applications(db: Database) -> int:
    return (
        int(db.execute("SELECT count(*) FROM applications").fetchone()[0])
        if _table_exists(db, "applications")
        else 0
    )


def verify_keys(db: Database, keys: KeyRing, db_path: Path, key_path: Path) -> None:
    """The key ring holds every key the database still needs, each with its recorded fingerprint. A
    database from before fingerprints were recorded is checked by opening one stored value per column."""
    marks = recorded(db)
    have = keys.fingerprints()
    for mark in marks:
        if mark.retired:
            continue
        mine = have.get((mark.purpose, mark.key_id))
        if mine is None:
            raise _refuse(
                f"数据库 {db_path} 需要{_key_name(mark)}（指纹 {mark.fingerprint}），密钥文件 {key_path} "
                f"里没有它（文件中的密钥：{_listed(have)}）。这个密钥文件不属于这个数据库，或者比数据库旧。"
                f"请恢复与数据库同一次备份的密钥文件（见 {GUIDE}），或把 SHENBAO_KEY_FILE 指向正确的文件。",
                f"the database needs {mark.purpose} key {mark.key_id} (fingerprint {mark.fingerprint}), "
                f"which {key_path} does not hold: restore the key file backed up with the database",
            )
        if not hmac.compare_digest(mine, mark.fingerprint):
            raise _refuse(
                f"密钥文件 {key_path} 与数据库 {db_path} 不匹配：数据库记录的{_key_name(mark)}指纹是 "
                f"{mark.fingerprint}，文件中的是 {mine}。密钥文件可能被替换了，或 SHENBAO_KEY_FILE 指向了"
                f"别的密钥。请恢复与数据库同一次备份的密钥文件（见 {GUIDE}），或把 SHENBAO_KEY_FILE "
                "指向正确的文件。不要删除任何一个密钥文件。",
                f"{key_path} is not this database's key: fingerprint of {mark.purpose} key {mark.key_id} is "
                f"{mine}, the database recorded {mark.fingerprint}",
            )
    if not marks:
        _open_one_of_each(db, keys, db_path, key_path)


def _open_one_of_each(db: Database, keys: KeyRing, db_path: Path, key_path: Path) -> None:
    for col in SEALED:
        if not _table_exists(db, col.table):
            continue
        row = db.execute(
            f"SELECT {', '.join(col.row)}, {col.column} FROM {col.table} "
            f"WHERE {col.column} IS NOT NULL LIMIT 1"
        ).fetchone()
        if row is None:
            continue
        try:
            keys.open(row[-1], col.aad_of(tuple(row[:-1])))
        except DecryptionError as exc:
            raise _refuse(
                f"密钥文件 {key_path} 解不开数据库 {db_path} 中的数据（{col.name}）。密钥文件可能被替换了，"
                f"或 SHENBAO_KEY_FILE 指向了别的密钥。请恢复与数据库同一次备份的密钥文件（见 {GUIDE}）。",
                f"{key_path} does not open the data in {db_path} ({col.name}): {exc}",
            ) from exc


def record_fingerprints(db: Database, keys: KeyRing) -> None:
    """Record the fingerprints of keys the database does not know yet (a new database, the first start
    after an upgrade, or a rotation's new key); never changes a recorded one."""
    known = {(m.purpose, m.key_id) for m in recorded(db)}
    new = [(p, k, f) for (p, k), f in keys.fingerprints().items() if (p, k) not in known]
    if not new:
        return
    with immediate(db):
        for purpose, key_id, fp in new:
            db.execute(
                "INSERT INTO key_fingerprints (purpose, key_id, fingerprint, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (purpose, key_id) DO NOTHING",
                [purpose, key_id, fp, utc_now()],
            )


def _key_name(mark: Recorded) -> str:
    return "盲索引（MAC）密钥" if mark.purpose == "mac" else f"加密密钥 {mark.key_id}"


def _listed(have: dict[tuple[str, int], str]) -> str:
    return "、".join(f"{'MAC' if p == 'mac' else f'加密密钥 {k}'} {f}" for (p, k), f in have.items())


def _database_gone(db_path: Path, key_path: Path) -> StartupError:
    state = "是空文件（0 字节）" if db_path.exists() else "不存在"
    return _refuse(
        f"数据库 {db_path} {state}，但密钥文件 {key_path} 已经存在，说明这里原本有数据。没有新建空数据库。"
        f"请从备份恢复数据库（连同与它同一次备份的密钥文件，见 {GUIDE}），或把 SHENBAO_DATA_DIR 指向"
        "数据库所在的目录。如果确实要从一个空数据库重新开始，请先把密钥文件移走保存（旧备份还需要它），"
        "再启动：新数据库会配一个新密钥。",
        f"the database {db_path} is {'empty' if db_path.exists() else 'missing'} but the key file "
        f"{key_path} exists: restore the database from a backup, or move the key file aside to start anew",
    )


def _key_gone(db: Database, db_path: Path, key_path: Path) -> StartupError:
    count = _applications(db)
    held = f"已有 {count} 份申报" if count else "已有数据"
    return _refuse(
        f"找不到密钥文件 {key_path}。数据库 {db_path} {held}，是用那个密钥加密的；新建密钥会让这些数据"
        f"再也打不开，所以没有新建。请把密钥文件从与数据库同一次的备份中恢复到 {key_path}（见 {GUIDE}），"
        "或把 SHENBAO_KEY_FILE 设为密钥文件所在的路径。",
        f"the key file {key_path} is missing but {db_path} holds data encrypted under it: restore the key "
        "file from the backup taken with the database, or set SHENBAO_KEY_FILE to where it is",
    )


def _in_use(db_path: Path) -> StartupError:
    return _refuse(
        f"数据库 {db_path} 一直被其他进程锁定。请稍后再试；如果没有其他 shenbao 进程在运行，"
        "请检查是否有别的程序打开了它。",
        f"the database {db_path} stayed locked by another process: try again later",
    )


def _damaged(db_path: Path, detail: str) -> StartupError:
    return _refuse(
        f"数据库 {db_path} 已损坏（{detail}）。请停止所有 shenbao 进程，把这个文件留作分析，"
        f"然后从最近的备份恢复数据库和它的密钥文件（见 {GUIDE}）。",
        f"the database {db_path} is damaged ({detail}): restore it and its key file from the latest backup",
    )
