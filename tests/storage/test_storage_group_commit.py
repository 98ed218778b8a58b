from __future__ import annotations

import threading
import time
from pathlib import Path

from storage import Store


def test_concurrent_turns_share_commits_and_fail_alone(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        apps = [store.create_application("f", None, "web", {}) for _ in range(8)]
        commits = []
        store.db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
        start = threading.Barrier(len(apps))
        failures: list[BaseException] = []

        def answer(index: int) -> None:
            start.wait()
            for turn in range(25):
                bad = index == 3 and turn == 10
                state = {"n": turn, "bad": object() if bad else None}
                try:
                    store.record_turn(
                        apps[index].id,
                        channel="web",
                        kind="text",
                        payload={"t": turn},
                        accepted=True,
                        state=state,
                    )
                except TypeError as exc:
                    failures.append(exc)

        threads = [threading.Thread(target=answer, args=(i,)) for i in range(len(apps))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store.db.conn.set_trace_callback(None)
        assert len(failures) == 1  # only the non-serialisable state failed
        counts = {a.id: len(store.events(a.id)) for a in apps}
        assert sorted(counts.values()) == [24] + [25] * 7
        assert store.get(apps[3].id).state["n"] == 24  # type: ignore[union-attr]
        assert len(commits) <= 8 * 25


def test_writes_queued_behind_a_commit_share_the_next_one(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        apps = [store.create_application("f", None, "web", {}) for _ in range(3)]
        commits: list[str] = []
        store.db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)

        def answer(app_id: str) -> None:
            store.record_turn(app_id, channel="web", kind="text", payload={}, accepted=True, state={"x": 1})

        with store._lock:  # a commit in progress: the three turns queue up behind it
            threads = [threading.Thread(target=answer, args=(a.id,)) for a in apps]
            for t in threads:
                t.start()
            while len(store._writes._queue) < 3:
                time.sleep(0.001)
        for t in threads:
            t.join()
        store.db.conn.set_trace_callback(None)
        assert commits == ["COMMIT"]
        assert all(len(store.events(a.id)) == 1 for a in apps)
