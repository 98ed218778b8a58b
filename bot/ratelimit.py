"""Attempt limits per client (an address, a chat) for what can be abused without a token: guessing resume
codes (each one opens someone's application) and creating sessions in bulk. In memory, per process: enough
for the single `shenbao serve` process; counts reset on restart."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Limiter:
    """At most `limit` events per `window` seconds for each key (a sliding window)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """0 when another event is allowed now, else the whole seconds until one is."""
        with self._lock:
            return self._wait(key)

    def _wait(self, key: str) -> int:
        """As `retry_after`, with the lock held."""
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            return 0
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return 0
        if len(events) < self.limit:
            return 0
        return max(1, int(events[0] + self.window - now + 0.999))

    def acquire(self, key: str) -> int:
        """Count an attempt now if one is allowed (return 0), else count nothing and return the wait in
        seconds. Checking and counting are one step, so parallel attempts cannot all pass the check."""
        with self._lock:
            wait = self._wait(key)
            if not wait:
                self._events.setdefault(key, deque()).append(self.clock())
            return wait

    def refund(self, key: str) -> None:
        """Take back the latest attempt of `key` (it turned out not to be one to limit)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def record(self, key: str) -> None:
        with self._lock:
            self._events.setdefault(key, deque()).append(self.clock())
