"""Opening the SQLite database: connection settings, pragmas, migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from storage.migrations import migrate
from storage.transaction import immediate

__all__ = ["BUSY_TIMEOUT_MS", "immediate", "open_db"]

BUSY_TIMEOUT_MS = 5000


class DatabaseSetupError(RuntimeError):
    """The database could not be put into the required mode."""


def connect(path: Path) -> sqlite3.Connection:
    """A raw connection with the project's pragmas and no implicit transactions."""
    conn = sqlite3.connect(
        str(path),
        timeout=BUSY_TIMEOUT_MS / 1000,
        check_same_thread=False,
        isolation_level=None,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise DatabaseSetupError(f"could not enable WAL journal mode on {path} (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_db(path: Path) -> Database:
    """Open (creating if needed) the database at ``path`` and apply pending migrations."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(connect(path))
    migrate(db)
    return db
