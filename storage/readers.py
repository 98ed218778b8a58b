"""Read connections: in WAL mode a reader sees the last commit without waiting for the writer, so reads
(token look-ups, loading an application, files) do not queue behind a commit's fsync on the one write
connection."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from storage.db import BUSY_TIMEOUT_MS


class ReadPool:
    """Query-only connections, lent to one thread at a time and kept for reuse (at most as many as were
    ever in use at once). Each statement runs in autocommit mode, so it reads the latest commit."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            str(self._path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False, isolation_level=None
        )
        conn.execute("PRAGMA query_only = ON")
        with self._lock:
            if self._closed:
                conn.close()
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            self._all.append(conn)
        return conn

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            if conn.in_transaction:  # a half-read cursor keeps a read snapshot open: end it
                conn.execute("ROLLBACK")
            self._idle.put(conn)

    def fetchone(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        with self.connection() as conn:
            row: tuple[Any, ...] | None = conn.execute(sql, params).fetchone()
            return row

    def fetchall(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self.connection() as conn:
            return list(conn.execute(sql, params).fetchall())

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
