"""Bearer tokens that let a browser (or another channel) continue one application; only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

from storage.clock import utc_now

TOKEN_BYTES = 24
MAX_TOKEN_CHARS = 200


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new(app_id: str, channel: str) -> tuple[str, list[str]]:
    """A fresh token and its `session_tokens` row (token_hash, app_id, channel, created_at)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, [_hash(token), app_id, channel, utc_now()]


def lookup_hash(token: str) -> str | None:
    """The hash to look a token up by, or None for one that cannot be ours (empty, oversized)."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return _hash(token)


TOUCH_EVERY_S = 3600  # a token's last use is written at most this often
