"""A full disk is recognised whether SQLite or the operating system says so, also behind another error."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from storage import Store
from storage.errors import is_storage_full


def test_sqlite_full_from_a_real_database(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        try:
            for i in range(200):
                store.create_application("f", None, "test", {"pad": "x" * 4000, "i": i})
        except sqlite3.OperationalError as exc:
            assert is_storage_full(exc)
        else:
            raise AssertionError("the database did not fill up")


def test_os_errors_and_causes() -> None:
    assert is_storage_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_storage_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not is_storage_full(OSError(errno.EACCES, "Permission denied"))
    assert not is_storage_full(sqlite3.OperationalError("database is locked"))
    try:
        try:
            raise OSError(errno.ENOSPC, "full")
        except OSError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_storage_full(outer)
