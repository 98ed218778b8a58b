"""`shenbao backup`: a consistent copy of the live database (SQLite's online backup API) and its key file.

The copy is taken from one read snapshot, so it may run while `shenbao serve` is answering. It is written
under a temporary name, switched to a single-file journal, integrity-checked and checked against the key
file's fingerprints before it gets its final name; the key file is copied byte for byte (mode 0600).
Existing files are never overwritten."""

from __future__ import annotations

import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from storage.crypto import KeyRing, fsync_dir, read_key_file, write_new_file
from storage.startup import open_checked, verify_keys

DB_COPY = "shenbao.db"
KEY_COPY = "shenbao.key"


class BackupError(RuntimeError):
    """The backup could not be written or did not check out; nothing was left under the final names."""


@dataclass(frozen=True)
class Backup:
    database: Path
    key_file: Path
    applications: int


def backup(db_path: Path, key_path: Path, out_dir: Path) -> Backup:
    db_out, key_out = out_dir / DB_COPY, out_dir / KEY_COPY
    taken = [str(p) for p in (db_out, key_out) if p.exists()]
    if taken:
        raise BackupError(f"{'、'.join(taken)} 已存在，不会覆盖。请换一个空目录。")
    opened = open_checked(db_path, key_path, create=False)
    try:
        out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_bytes = read_key_file(key_path)
        keys = KeyRing.parse(key_bytes, key_path)
        verify_keys(opened.db, keys, db_path, key_path)  # the bytes copied are the keys checked
        applications = _copy(opened.db.conn, keys, db_out, key_out)
        write_new_file(key_out, key_bytes)
    finally:
        opened.close()
    return Backup(db_out, key_out, applications)


def _copy(source: sqlite3.Connection, keys: KeyRing, db_out: Path, key_out: Path) -> int:
    tmp = db_out.with_name(f".{db_out.name}.{secrets.token_hex(8)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private before any page is in it
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            source.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file (the live db is WAL)
            problems = [str(r[0]) for r in dst.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            if problems:
                raise BackupError(f"备份副本未通过完整性检查：{'; '.join(problems[:3])}")
            copy = Database(dst)
            verify_keys(copy, keys, db_out, key_out)
            applications = int(dst.execute("SELECT count(*) FROM applications").fetchone()[0])
        finally:
            dst.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, db_out)
        except FileExistsError:
            raise BackupError(f"{db_out} 已存在，不会覆盖。请换一个空目录。") from None
        fsync_dir(db_out.parent)
        return applications
    finally:
        tmp.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            tmp.with_name(tmp.name + suffix).unlink(missing_ok=True)
