"""Bearer tokens that let a browser (or another channel) continue one application; only hashes are stored."""

from __future__ import annotations

import hashlib
import secrets

from sqlite_utils import Database

from storage.clock import utc_now
from storage.transaction import immediate

TOKEN_BYTES = 24


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(db: Database, app_id: str, channel: str) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with immediate(db):
        db.execute(
            "INSERT INTO session_tokens (token_hash, app_id, channel, created_at) VALUES (?, ?, ?, ?)",
            [_hash(token), app_id, channel, utc_now()],
        )
    return token


def resolve(db: Database, token: str) -> str | None:
    """The application a token belongs to, or None for an unknown, forged or malformed token."""
    if not token or len(token) > 200:
        return None
    row = db.execute("SELECT app_id FROM session_tokens WHERE token_hash = ?", [_hash(token)]).fetchone()
    return str(row[0]) if row else None
