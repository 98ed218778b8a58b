"""Reads go to their own connections: they see every commit and never wait for a write in progress."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storage import Store, UnknownApplication


def _turn(store: Store, app_id: str, n: int) -> None:
    store.record_turn(
        app_id,
        channel="web",
        kind="text",
        payload={"n": n},
        accepted=True,
        state={"n": n},
        status="in_progress",
    )


def test_reads_do_not_wait_for_a_write_in_progress(store: Store) -> None:
    app = store.create_application("f", None, "web", {"n": 0})
    token = store.issue_token(app.id, "web")
    _turn(store, app.id, 1)
    inside, release = threading.Event(), threading.Event()

    def slow_write() -> None:  # holds the write connection and its transaction open
        store.db.execute("UPDATE applications SET updated_at = 'x' WHERE id = ?", [app.id])
        inside.set()
        assert release.wait(10)

    with ThreadPoolExecutor(2) as pool:
        writing = pool.submit(store.write, slow_write)
        assert inside.wait(10)
        try:
            reading = pool.submit(
                lambda: (store.app_for_token(token), store.get(app.id), store.events(app.id))
            )
            found, loaded, events = reading.result(timeout=5)  # would time out behind the write lock
        finally:
            release.set()
        writing.result(timeout=10)
    assert found == app.id
    assert loaded is not None and loaded.state == {"n": 1} and loaded.updated_at != "x"  # last commit only
    assert [e.payload for e in events] == [{"n": 1}]
    assert store.get(app.id).updated_at == "x"  # type: ignore[union-attr]


def test_a_read_right_after_a_commit_sees_it(store: Store) -> None:
    app = store.create_application("f", None, "web", {})
    assert store.get(app.id) == app  # what create returns is what is stored
    for n in range(1, 30):
        _turn(store, app.id, n)
        loaded = store.get(app.id)
        assert loaded is not None and loaded.state == {"n": n} and loaded.event_count == n


def test_writes_to_an_unknown_application_fail_and_leave_nothing(store: Store) -> None:
    with pytest.raises(UnknownApplication):
        _turn(store, "nope", 1)
    with pytest.raises(UnknownApplication):
        store.put_file("nope", b"x", "image/png")
    assert store.events("nope") == []
    assert store.db.execute("SELECT count(*) FROM answer_events").fetchone()[0] == 0


def test_read_connections_are_reused_and_closed(tmp_path: Path) -> None:
    store = Store(tmp_path)
    app = store.create_application("f", None, "web", {})
    for _ in range(20):
        store.get(app.id)
    assert store._reads.opened == 1  # one thread, one connection, reused
    store.close()
    with pytest.raises(Exception, match="closed"):
        store.get(app.id)


def test_closing_the_pool_leaves_a_lent_connection_to_its_borrower(tmp_path: Path) -> None:
    from storage.readers import ReadPool

    Store(tmp_path).close()  # creates the database
    pool = ReadPool(tmp_path / "shenbao.db")
    pool.fetchone("SELECT 1", [])  # one idle connection
    with pool._connection() as lent:
        pool.close()  # (another thread reading right now must not have its connection closed under it)
        assert lent.execute("SELECT count(*) FROM applications").fetchone() == (0,)
    with pytest.raises(Exception, match="closed"):
        lent.execute("SELECT 1")  # closed by its borrower on the way back
    with pytest.raises(Exception, match="closed"):
        pool.fetchone("SELECT 1", [])
