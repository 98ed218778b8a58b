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
        now = self.clock()
        with self._lock:
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

    def record(self, key: str) -> None:
        with self._lock:
            self._events.setdefault(key, deque()).append(self.clock())
