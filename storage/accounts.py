"""Coordinator accounts, their server-side sessions, failed-login counters and locks (migration 8).

Repository functions over the application store's connection: writes go through its group commit, reads
run under its lock. Password hashing is the caller's (bot/dashboard/passwords.py): only hashes come here.
Sessions are stored by the sha256 of their id, never the id itself. Every change that the audit log must
record takes its `AuditEntry` and appends it in the same transaction. Times come from an injectable clock
(tests move it instead of sleeping)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storage import audit
from storage.audit import AuditEntry
from storage.repository import Store

Clock = Callable[[], dt.datetime]
FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(FORMAT)


def parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, FORMAT).replace(tzinfo=dt.UTC)


def session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class DuplicateUser(ValueError):
    """An account with that username exists already."""


@dataclass(frozen=True)
class User:
    id: str
    username: str
    role: str
    institution_code: str | None
    must_change: bool
    disabled: bool
    created_at: str
    password_changed_at: str


@dataclass(frozen=True)
class Session:
    user: User
    created_at: dt.datetime
    last_seen_at: dt.datetime
    pending: bool = False  # the password was right, the second factor is still to be entered


PENDING_S = 5 * 60  # a session waiting for its second factor ends after this long


@dataclass(frozen=True)
class Attempt:
    """A login attempt as counted: `id` to take it back or mark it failed, or `locked_for` seconds when
    the attempt was refused without counting (the account or address is locked)."""

    id: str | None
    locked_for: int = 0
    locked_key: str | None = None


_USER_COLUMNS = (
    "id, username, role, institution_code, must_change, disabled_at, created_at, password_changed_at"
)


def _user(row: tuple[Any, ...]) -> User:
    return User(
        id=row[0],
        username=row[1],
        role=row[2],
        institution_code=row[3],
        must_change=bool(row[4]),
        disabled=row[5] is not None,
        created_at=row[6],
        password_changed_at=row[7],
    )


class Accounts:
    def __init__(self, store: Store, clock: Clock = utc_clock) -> None:
        self.store = store
        self.clock = clock

    def now(self) -> str:
        return stamp(self.clock())

    def audit(self, entry: AuditEntry) -> None:
        at = self.now()
        self.store.write(lambda: audit.append(self.store.db, entry, at))

    # -- users ---------------------------------------------------------------

    def add_user(
        self,
        username: str,
        role: str,
        institution_code: str | None,
        password_hash: str,
        must_change: bool,
        entry: AuditEntry | None = None,
    ) -> User:
        user_id, now = secrets.token_hex(16), self.now()

        def insert() -> None:
            self.store.db.execute(
                f"INSERT INTO users ({_USER_COLUMNS}, password_hash) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?)",
                [user_id, username, role, institution_code, int(must_change), now, now, password_hash],
            )
            if entry is not None:
                audit.append(self.store.db, entry, now)

        try:
            self.store.write(insert)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) and "username" in str(exc):
                raise DuplicateUser(username) from None
            raise
        return User(user_id, username, role, institution_code, must_change, False, now, now)

    def user(self, username: str) -> tuple[User, str] | None:
        """The account and its password hash."""
        row = self.store.read(
            lambda: self.store.db.execute(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = ?", [username]
            ).fetchone()
        )
        return None if row is None else (_user(row[:-1]), str(row[-1]))

    def users(self) -> list[User]:
        rows = self.store.read(
            lambda: self.store.db.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username").fetchall()
        )
        return [_user(r) for r in rows]

    def set_password(
        self, user_id: str, password_hash: str, must_change: bool, entry: AuditEntry | None = None
    ) -> None:
        """New password; every session of the account ends (the caller starts a new one if it wants)."""
        now = self.now()

        def update() -> None:
            self.store.db.execute(
                "UPDATE users SET password_hash = ?, must_change = ?, password_changed_at = ? WHERE id = ?",
                [password_hash, int(must_change), now, user_id],
            )
            self.store.db.execute("DELETE FROM admin_sessions WHERE user_id = ?", [user_id])
            if entry is not None:
                audit.append(self.store.db, entry, now)

        self.store.write(update)

    def disable(self, user_id: str, entry: AuditEntry | None = None) -> None:
        """The account can no longer log in; its sessions end now."""
        now = self.now()

        def update() -> None:
            self.store.db.execute(
                "UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?", [now, user_id]
            )
            self.store.db.execute("DELETE FROM admin_sessions WHERE user_id = ?", [user_id])
            if entry is not None:
                audit.append(self.store.db, entry, now)

        self.store.write(update)

    # -- sessions --------------------------------------------------------------

    def start_session(
        self,
        user_id: str,
        entry: AuditEntry | None = None,
        *,
        pending: bool = False,
        replaces: str | None = None,
    ) -> str:
        """A new session id for the account (returned once; only its hash is stored). `pending`: it waits
        for the second factor; `replaces`: the session id it takes over from (ended in the same write)."""
        session_id, now = secrets.token_urlsafe(32), self.now()

        def insert() -> None:
            if replaces is not None:
                self.store.db.execute(
                    "DELETE FROM admin_sessions WHERE id_hash = ?", [session_hash(replaces)]
                )
            self.store.db.execute(
                "INSERT INTO admin_sessions (id_hash, user_id, created_at, last_seen_at, second_factor_pending) "
                "VALUES (?, ?, ?, ?, ?)",
                [session_hash(session_id), user_id, now, now, int(pending)],
            )
            if entry is not None:
                audit.append(self.store.db, entry, now)

        self.store.write(insert)
        return session_id

    def session(
        self, session_id: str, idle_s: float, lifetime_s: float, touch_s: float = 60
    ) -> Session | None:
        """The live session with this id, or None: unknown, ended, idle for longer than `idle_s`, older than
        `lifetime_s`, or of a disabled account (an expired one is deleted). Using it keeps it alive (its
        last use is written at most every `touch_s` seconds)."""
        key = session_hash(session_id)
        row = self.store.read(
            lambda: self.store.db.execute(
                "SELECT s.created_at, s.last_seen_at, s.second_factor_pending, "
                f"{', '.join('u.' + c for c in _USER_COLUMNS.split(', '))} "
                "FROM admin_sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?",
                [key],
            ).fetchone()
        )
        if row is None:
            return None
        now = self.clock()
        created, seen, pending, user = parse(row[0]), parse(row[1]), bool(row[2]), _user(row[3:])
        if pending:
            lifetime_s = min(lifetime_s, PENDING_S)
        alive = (now - seen).total_seconds() < idle_s and (now - created).total_seconds() < lifetime_s
        if not alive or user.disabled:
            self.end_session(session_id)
            return None
        if (now - seen).total_seconds() >= touch_s:
            self.store.write(
                lambda: self.store.db.execute(
                    "UPDATE admin_sessions SET last_seen_at = ? WHERE id_hash = ?", [stamp(now), key]
                )
            )
            seen = now
        return Session(user, created, seen, pending)

    def end_session(self, session_id: str, entry: AuditEntry | None = None) -> bool:
        key, now = session_hash(session_id), self.now()

        def delete() -> bool:
            gone = self.store.db.execute("DELETE FROM admin_sessions WHERE id_hash = ?", [key]).rowcount == 1
            if gone and entry is not None:
                audit.append(self.store.db, entry, now)
            return gone

        ended: bool = self.store.write(delete)
        return ended

    # -- login throttling --------------------------------------------------------

    def begin_attempt(self, keys: list[str], limit: int, window_s: int) -> Attempt:
        """Count a login attempt for every key (an account, a client address) before the password is
        checked, so parallel attempts cannot pass the limit together. Refused without counting while a key
        is locked, or while `limit` attempts of a key are already counted in the window."""
        attempt_id, moment = secrets.token_hex(8), self.clock()
        now, cutoff = stamp(moment), stamp(moment - dt.timedelta(seconds=window_s))

        def write() -> Attempt:
            db = self.store.db
            db.execute("DELETE FROM login_attempts WHERE at < ?", [cutoff])
            db.execute("DELETE FROM login_locks WHERE until <= ?", [now])
            for key in keys:
                lock = db.execute("SELECT until FROM login_locks WHERE key = ?", [key]).fetchone()
                if lock is not None:
                    return Attempt(None, _seconds_until(parse(lock[0]), moment), key)
                counted = db.execute(
                    "SELECT count(*), min(at) FROM login_attempts WHERE key = ? AND at >= ?", [key, cutoff]
                ).fetchone()
                if int(counted[0]) >= limit:
                    wait = parse(counted[1]) + dt.timedelta(seconds=window_s)
                    return Attempt(None, _seconds_until(wait, moment), key)
            for key in keys:
                db.execute(
                    "INSERT INTO login_attempts (attempt_id, key, at) VALUES (?, ?, ?)",
                    [attempt_id, key, now],
                )
            return Attempt(attempt_id)

        result: Attempt = self.store.write(write)
        return result

    def attempt_succeeded(self, attempt: Attempt) -> None:
        """Take the attempt back: a right password is not a failure."""
        self.store.write(
            lambda: self.store.db.execute("DELETE FROM login_attempts WHERE attempt_id = ?", [attempt.id])
        )

    def attempt_failed(self, attempt: Attempt, limit: int, window_s: int) -> list[str]:
        """The attempt stays counted; each key that has now `limit` failures in the window is locked for
        `window_s` seconds from now. Returns the keys locked by this failure."""
        moment = self.clock()
        now, cutoff = stamp(moment), stamp(moment - dt.timedelta(seconds=window_s))
        until = stamp(moment + dt.timedelta(seconds=window_s))

        def write() -> list[str]:
            db = self.store.db
            locked: list[str] = []
            keys = [
                r[0] for r in db.execute("SELECT key FROM login_attempts WHERE attempt_id = ?", [attempt.id])
            ]
            for key in keys:
                count = db.execute(
                    "SELECT count(*) FROM login_attempts WHERE key = ? AND at >= ?", [key, cutoff]
                ).fetchone()[0]
                if int(count) < limit:
                    continue
                cursor = db.execute(
                    "INSERT INTO login_locks (key, locked_at, until) VALUES (?, ?, ?) "
                    "ON CONFLICT (key) DO NOTHING",
                    [key, now, until],
                )
                if cursor.rowcount == 1:
                    locked.append(key)
            return locked

        result: list[str] = self.store.write(write)
        return result


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
