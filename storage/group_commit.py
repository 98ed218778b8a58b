"""Group commit: writes that arrive while another commit is syncing share the next commit.

With `synchronous=FULL` every COMMIT waits for the disk. A caller still returns only after its own write
is committed, but when many applicants answer at once, one sync carries all the answers that queued up
behind the previous one. Each write runs in its own SAVEPOINT, so a failing write rolls back alone and
its caller gets the exception."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from storage.transaction import immediate


@dataclass
class _Write:
    work: Callable[[], Any]
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class GroupCommit:
    def __init__(self, db: Database, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock  # the store's connection lock: one flusher at a time
        self._queue: list[_Write] = []
        self._queue_lock = threading.Lock()

    def run(self, work: Callable[[], Any]) -> Any:
        """Run `work` inside a write transaction; return once that transaction is committed."""
        item = _Write(work)
        with self._queue_lock:
            self._queue.append(item)
        with self._lock:
            if not item.done.is_set():
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._flush(batch)
        if item.error is not None:
            raise item.error
        return item.result

    def _flush(self, batch: list[_Write]) -> None:
        if len(batch) == 1:  # alone in its transaction: no savepoint needed to fail alone
            self._flush_one(batch[0])
            return
        try:
            with immediate(self._db):
                for index, item in enumerate(batch):
                    name = f"w{index}"
                    self._db.execute(f"SAVEPOINT {name}")
                    try:
                        item.result = item.work()
                    except BaseException as exc:  # the write fails alone; others in the batch go on
                        item.error = exc
                        self._db.execute(f"ROLLBACK TO {name}")
                    self._db.execute(f"RELEASE {name}")
        except BaseException as exc:  # the commit itself failed: nothing in the batch was written
            for item in batch:
                if item.error is None:
                    item.error = exc
        finally:
            for item in batch:
                item.done.set()

    def _flush_one(self, item: _Write) -> None:
        try:
            with immediate(self._db):
                item.result = item.work()
        except BaseException as exc:
            item.error = exc
        finally:
            item.done.set()
