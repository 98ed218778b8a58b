"""Explicit write transactions on a connection opened with ``isolation_level=None``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


class NestedTransactionError(RuntimeError):
    """``immediate()`` was entered while a transaction was already open on the connection."""


@contextmanager
def immediate(db: Database) -> Iterator[Database]:
    """Run the block inside ``BEGIN IMMEDIATE``; commit on success, roll back on any error.

    Taking the write lock up front makes read-then-write blocks atomic and lets
    ``busy_timeout`` handle contention instead of failing with "database is locked"
    on a lock upgrade half-way through.
    """
    conn = db.conn
    if conn.in_transaction:
        raise NestedTransactionError("immediate() cannot be nested inside an open transaction")
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
