import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from storage import immediate, open_db
from storage.migrations import MIGRATIONS, Migration, MigrationError, migrate
from storage.transaction import NestedTransactionError

NEXT = MIGRATIONS[-1].number + 1


def pragma(db: Database, name: str) -> object:
    return db.execute(f"PRAGMA {name}").fetchone()[0]


def test_fresh_connection_has_required_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "shenbao.db"
    for _ in range(2):  # new file, then reopening an existing one
        db = open_db(path)
        assert pragma(db, "journal_mode") == "wal"
        assert pragma(db, "synchronous") == 2  # FULL
        assert pragma(db, "busy_timeout") == 5000
        assert pragma(db, "foreign_keys") == 1
        assert db.conn.isolation_level is None
        db.conn.close()


def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute(
            "INSERT INTO files (ref, app_id, mime, size, created_at, data_enc) "
            "VALUES ('r', 'nope', 'a', 0, 't', x'')"
        )
    db.conn.close()


def test_migrations_are_recorded_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = open_db(path)
    rows = db.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
    assert [(v, n) for v, n, _ in rows] == [(m.number, m.name) for m in MIGRATIONS]
    assert rows[0][2].endswith("Z")
    assert migrate(db) == []
    db.conn.close()
    db = open_db(path)
    assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    assert {"applications", "answer_events", "files", "schema_migrations"} <= set(db.table_names())
    db.conn.close()


def test_pending_migrations_apply_in_order_once(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    calls: list[int] = []

    def add_notes(d: Database) -> None:
        calls.append(2)
        d.execute("ALTER TABLE applications ADD COLUMN notes TEXT")

    extra = (
        *MIGRATIONS,
        Migration(NEXT, "notes", add_notes),
        Migration(NEXT + 1, "t", "CREATE TABLE t (x); CREATE TABLE u (y);"),
    )
    assert migrate(db, extra) == [NEXT, NEXT + 1]
    assert migrate(db, extra) == []
    assert calls == [2]
    assert "notes" in db.table("applications").columns_dict
    assert {"t", "u"} <= set(db.table_names())
    db.conn.close()


def test_failing_migration_is_rolled_back_and_stays_pending(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    bad = (*MIGRATIONS, Migration(NEXT, "bad", "CREATE TABLE half (x); SELECT * FROM no_such_table;"))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        migrate(db, bad)
    assert "half" not in db.table_names()
    assert db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == NEXT - 1
    assert not db.conn.in_transaction
    db.conn.close()


def test_migration_list_must_be_ordered(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    with pytest.raises(MigrationError, match="strictly increasing"):
        migrate(db, (Migration(2, "b", "SELECT 1"), Migration(1, "a", "SELECT 1")))
    with pytest.raises(MigrationError, match="strictly increasing"):
        migrate(db, (Migration(1, "a", "SELECT 1"), Migration(1, "b", "SELECT 1")))
    db.conn.close()


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    db.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2099-01-01T00:00:00Z')")
    with pytest.raises(MigrationError, match="newer"):
        migrate(db)
    db.conn.close()


def test_immediate_commits_and_rolls_back(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    db.execute("CREATE TABLE t (x)")
    with immediate(db):
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(RuntimeError), immediate(db):
        db.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")
    assert not db.conn.in_transaction
    assert [r[0] for r in db.execute("SELECT x FROM t").fetchall()] == [1]
    with immediate(db), pytest.raises(NestedTransactionError), immediate(db):
        pass
    db.conn.close()


def test_immediate_takes_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    first, second = open_db(path), open_db(path)
    second.conn.execute("PRAGMA busy_timeout = 0")
    with immediate(first), pytest.raises(sqlite3.OperationalError, match="locked"), immediate(second):
        pass
    assert not second.conn.in_transaction
    first.conn.close()
    second.conn.close()
