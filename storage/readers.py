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
    """Query-only connections, lent to one thread at a time and kept for reuse. Each statement runs in
    autocommit mode and its cursor is closed before the connection goes back, so every read sees the
    latest commit."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self.opened = 0  # connections made so far (they are reused: as many as were ever in use at once)
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
            self.opened += 1
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._lock:
                keep = not self._closed
                if keep:
                    self._idle.put(conn)
            if not keep:  # the pool was closed while this one was lent out: close it here
                conn.close()

    def fetchone(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        with self._connection() as conn:
            cursor = conn.execute(sql, params)
            try:
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
            finally:
                cursor.close()  # ends the statement, so no read snapshot stays open on the connection

    def fetchall(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            cursor = conn.execute(sql, params)
            try:
                return list(cursor.fetchall())
            finally:
                cursor.close()

    def close(self) -> None:
        """Close the idle connections now; one lent out is closed by its borrower when it comes back."""
        with self._lock:
            self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
