"""Search terms kept out of URLs: a search is POSTed, and the list's address carries only an opaque handle to
it, kept in this process's memory for a while and bound to the session that made it (names in addresses
end up in proxy and browser logs). A handle held by another session, expired, or forgotten at a restart is
answered as no search, with a message to search again. Nothing here is written to disk."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

TTL_S = 30 * 60
MAX_HANDLES = 2000


@dataclass(frozen=True)
class Search:
    session_id: str
    campaign_id: str
    term: str  # as typed (shown again in the search box of the page, never in an address)
    keys: tuple[tuple[str, str], ...]  # (kind, blind-index key) pairs to look up
    expires: float


class SearchHandles:
    def __init__(self, ttl_s: float = TTL_S, limit: int = MAX_HANDLES) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Search] = OrderedDict()

    def add(self, session_id: str, campaign_id: str, term: str, keys: tuple[tuple[str, str], ...]) -> str:
        handle = secrets.token_urlsafe(12)
        with self._lock:
            self._items[handle] = Search(session_id, campaign_id, term, keys, time.monotonic() + self.ttl_s)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return handle

    def get(self, handle: str, session_id: str, campaign_id: str) -> Search | None:
        with self._lock:
            found = self._items.get(handle)
            if found is None:
                return None
            if found.expires < time.monotonic():
                del self._items[handle]
                return None
        if not secrets.compare_digest(found.session_id, session_id) or found.campaign_id != campaign_id:
            return None
        return found


HANDLES = SearchHandles()
