"""The application store: encrypted state snapshots, an append-only answer log, uploaded files."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from storage import resume_codes, search, tokens
from storage.clock import utc_ago, utc_now
from storage.group_commit import GroupCommit
from storage.models import Application, Event, Facets, SealedFile
from storage.readers import ReadPool
from storage.sealed import aad as _aad
from storage.sealed import event_aad as _event_aad
from storage.startup import open_checked

DB_NAME = "shenbao.db"
KEY_NAME = "shenbao.key"
_CREATE_ATTEMPTS = 20

T = TypeVar("T")

_APP_FIELDS = (
    "id", "form_id", "campaign_id", "channel", "status", "resume_code", "created_at", "updated_at",
    "id_hmac", "title_level", "level", "event_count", "review_status",
)  # fmt: skip
_APP_COLUMNS = ", ".join((*_APP_FIELDS, "state_enc"))


class UnknownApplication(LookupError):
    """No application has the given id."""


class Store:
    """Synchronous and thread-safe; call it off the event loop. One write connection under one lock, every
    write through group commit; reads on a pool of read connections (see storage/readers.py)."""

    def __init__(self, data_dir: Path, key_file: Path | None = None) -> None:
        """Checks the database and the key file first (storage/startup.py): raises StartupError, naming the
        file and what to do, rather than starting on a wrong, missing or damaged one."""
        self._opened = open_checked(data_dir / DB_NAME, key_file or data_dir / KEY_NAME)
        self.keys = self._opened.keys
        self.db = self._opened.db
        self._lock = threading.RLock()
        self._writes = GroupCommit(self.db, self._lock)
        self._reads = ReadPool(data_dir / DB_NAME)

    def close(self) -> None:
        self._reads.close()
        with self._lock:
            self._opened.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def write(self, work: Callable[[], T]) -> T:
        """Run `work` (SQL on `self.db`) in a write transaction, sharing the commit with concurrent writes
        (group commit); return its result once committed. For channel tables kept outside this module."""
        result: T = self._writes.run(work)
        return result

    def read(self, work: Callable[[], T]) -> T:
        """Run `work` (reads on `self.db`) under the connection lock."""
        with self._lock:
            return work()

    def _application(self, row: tuple[Any, ...]) -> Application:
        """Build from a row selected with ``_APP_COLUMNS`` (state_enc last)."""
        state = self.keys.open_json(row[-1], _aad("state", row[0]))
        return Application(**dict(zip(_APP_FIELDS, row[:-1], strict=True)), state=state)

    def create_application(
        self,
        form_id: str,
        campaign_id: str | None,
        channel: str,
        state: dict[str, Any],
        also: Callable[[str], None] | None = None,
        owner_key: str | None = None,
    ) -> Application:
        """A new application with a fresh id and resume code. `also(app_id)` runs in the same transaction
        (a channel records whose application it is: both are committed, or neither). `owner_key` names
        the browser or chat it belongs to (see `add_owner`); without one the application is its own."""
        for _ in range(_CREATE_ATTEMPTS):
            app_id, code, now = secrets.token_hex(16), resume_codes.new_code(), utc_now()
            state_enc = self.keys.seal_json(state, _aad("state", app_id))
            row = [app_id, form_id, campaign_id, channel, code, now, now, state_enc]

            def insert(row: list[Any] = row) -> None:
                self.db.execute(
                    "INSERT INTO applications (id, form_id, campaign_id, channel, resume_code, "
                    "created_at, updated_at, state_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                self.db.execute(
                    "INSERT INTO application_owners (app_id, owner_key, added_at) VALUES (?, ?, ?)",
                    [row[0], owner_key or row[0], row[5]],
                )
                if also is not None:
                    also(row[0])

            try:
                self._writes.run(insert)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                continue  # id or resume code collision: draw again
            return Application(
                id=app_id, form_id=form_id, campaign_id=campaign_id, channel=channel, status="in_progress",
                resume_code=code, created_at=now, updated_at=now, id_hmac=None, title_level=None, level=None,
                event_count=0, state=state,
            )  # fmt: skip
        raise RuntimeError("could not allocate a unique resume code")

    def get(self, app_id: str) -> Application | None:
        row = self._reads.fetchone(f"SELECT {_APP_COLUMNS} FROM applications WHERE id = ?", [app_id])
        return None if row is None else self._application(row)

    def by_resume_code(self, code: str) -> Application | None:
        canonical = resume_codes.normalize(code)
        if canonical is None:
            return None
        row = self._reads.fetchone(
            f"SELECT {_APP_COLUMNS} FROM applications WHERE resume_code = ?", [canonical]
        )
        return None if row is None else self._application(row)

    def list_applications(self, campaign_id: str | None = None) -> list[Application]:
        """All applications, or those of one campaign, oldest first (as stored when started together)."""
        sql = f"SELECT {_APP_COLUMNS} FROM applications"
        params: list[Any] = []
        if campaign_id is not None:
            sql += " WHERE campaign_id = ?"
            params.append(campaign_id)
        rows = self._reads.fetchall(sql + " ORDER BY created_at, rowid", params)
        return [self._application(row) for row in rows]

    def record_turn(
        self,
        app_id: str,
        *,
        channel: str,
        kind: str,
        payload: dict[str, Any],
        accepted: bool,
        state: dict[str, Any],
        status: str | None = None,
        level: str | None = None,
        duplicate_keys: dict[str, str | None] | None = None,
        new_file: SealedFile | None = None,
        keep_files: Collection[str] | None = None,
        facets: Facets | None = None,
        search_keys: dict[str, set[str]] | None = None,
    ) -> int:
        """Append one answer event and replace the state snapshot in one transaction; return its seq
        once it is committed (concurrent turns may share a commit: see group_commit). In the same
        transaction: `new_file` (the upload this turn answered with) is stored, and with `keep_files`
        the application's other files are deleted (see `prune_files`); the list's `facets` are written
        (a page only when one changed) and, per kind in `search_keys`, the blind-indexed search keys
        replaced (pass only the kinds whose value changed)."""

        if new_file is not None and new_file.app_id != app_id:
            raise ValueError("the file was sealed for another application")
        at = utc_now()  # sealed before the write: encryption is CPU work and needs no connection lock
        state_enc = self.keys.seal_json(state, _aad("state", app_id))
        payload_enc = self.keys.seal_json(payload, _event_aad(app_id, at, channel, kind, accepted))

        def write() -> int:
            updated = self.db.execute(
                "UPDATE applications SET state_enc = ?, event_count = event_count + 1, updated_at = ?, "
                "status = coalesce(?, status), level = coalesce(?, level) WHERE id = ?",
                [state_enc, at, status, level, app_id],
            )
            if updated.rowcount == 0:
                raise UnknownApplication(app_id)
            cursor = self.db.execute(
                "INSERT INTO answer_events (app_id, at, channel, kind, accepted, payload_enc) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [app_id, at, channel, kind, int(accepted), payload_enc],
            )
            seq = cursor.lastrowid
            assert seq is not None
            if new_file is not None:
                self._insert_file(new_file)
            if keep_files is not None:
                self._delete_files_except(app_id, keep_files)
            for check_id, key in (duplicate_keys or {}).items():  # every turn: the table follows the state
                if key is None:
                    self.db.execute(
                        "DELETE FROM duplicate_keys WHERE app_id = ? AND check_id = ?", [app_id, check_id]
                    )
                else:  # an unchanged key is left as it is (no page written)
                    self.db.execute(
                        "INSERT INTO duplicate_keys (app_id, check_id, key_hmac) VALUES (?, ?, ?) "
                        "ON CONFLICT (app_id, check_id) DO UPDATE SET key_hmac = excluded.key_hmac "
                        "WHERE key_hmac IS NOT excluded.key_hmac",
                        [app_id, check_id, key],
                    )
            if facets is not None:
                self._write_facets(app_id, facets)
            for search_kind, hmacs in (search_keys or {}).items():
                for sql, params in search.replace_sql(app_id, search_kind, hmacs):
                    self.db.execute(sql, params)
            return seq

        seq: int = self._writes.run(write)
        return seq

    def _write_facets(self, app_id: str, facets: Facets) -> None:
        self.db.execute(
            "INSERT INTO application_facets (app_id, answered, eligibility, method, occupation) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app_id) DO UPDATE SET "
            "answered = CASE WHEN excluded.answered = 1 THEN 1 ELSE application_facets.answered END, "
            "eligibility = excluded.eligibility, method = excluded.method, occupation = excluded.occupation "
            "WHERE (excluded.answered = 1 AND application_facets.answered = 0) "
            "OR application_facets.eligibility IS NOT excluded.eligibility "
            "OR application_facets.method IS NOT excluded.method "
            "OR application_facets.occupation IS NOT excluded.occupation",
            [app_id, int(facets.answered), facets.eligibility, facets.method, facets.occupation],
        )

    def without_facets(self, limit: int) -> list[str]:
        """Applications whose list facets were never computed (stored before migration 11)."""
        rows = self._reads.fetchall(
            "SELECT a.id FROM applications a LEFT JOIN application_facets f ON f.app_id = a.id "
            "WHERE f.eligibility IS NULL ORDER BY a.id LIMIT ?",
            [limit],
        )
        return [str(r[0]) for r in rows]

    def set_facets(self, rows: list[tuple[str, Facets, dict[str, set[str]]]]) -> None:
        """Write the facets and search keys of applications outside a turn (the backfill after migration
        11); `answered` is only ever raised, never cleared."""

        def write() -> None:
            for app_id, facets, keys in rows:
                self._write_facets(app_id, facets)
                for kind, hmacs in keys.items():
                    for sql, params in search.replace_sql(app_id, kind, hmacs):
                        self.db.execute(sql, params)

        self._writes.run(write)

    def events(self, app_id: str) -> list[Event]:
        rows = self._reads.fetchall(
            "SELECT seq, app_id, at, channel, kind, accepted, payload_enc FROM answer_events "
            "WHERE app_id = ? ORDER BY seq",
            [app_id],
        )
        return [
            Event(
                seq,
                app,
                at,
                channel,
                kind,
                bool(accepted),
                self.keys.open_json(blob, _event_aad(app, at, channel, kind, bool(accepted))),
            )
            for seq, app, at, channel, kind, accepted, blob in rows
        ]

    def seal_file(self, app_id: str, data: bytes, mime: str) -> SealedFile:
        """Encrypt an (already validated) upload under a new random reference, without storing it."""
        ref = secrets.token_hex(16)
        return SealedFile(ref, app_id, mime, len(data), self.keys.seal(data, _aad("file", ref, app_id, mime)))

    def put_file(self, app_id: str, data: bytes, mime: str) -> str:
        """Store an (already validated) upload encrypted; return its random reference."""
        sealed = self.seal_file(app_id, data, mime)

        def insert() -> None:
            if self.db.execute("SELECT 1 FROM applications WHERE id = ?", [app_id]).fetchone() is None:
                raise UnknownApplication(app_id)
            self._insert_file(sealed)

        self._writes.run(insert)
        return sealed.ref

    def prune_files(self, app_id: str, keep: Collection[str]) -> int:
        """Delete the application's files other than `keep` (the references its state still holds);
        return how many were deleted."""
        deleted: int = self._writes.run(lambda: self._delete_files_except(app_id, keep))
        return deleted

    def _insert_file(self, sealed: SealedFile) -> None:
        self.db.execute(
            "INSERT INTO files (ref, app_id, mime, size, created_at, data_enc) VALUES (?, ?, ?, ?, ?, ?)",
            [sealed.ref, sealed.app_id, sealed.mime, sealed.size, utc_now(), sealed.data_enc],
        )

    def _delete_files_except(self, app_id: str, keep: Collection[str]) -> int:
        refs = sorted(set(keep))
        others = f" AND ref NOT IN ({', '.join('?' * len(refs))})" if refs else ""
        return int(self.db.execute(f"DELETE FROM files WHERE app_id = ?{others}", [app_id, *refs]).rowcount)

    def get_file(self, ref: str, app_id: str) -> tuple[bytes, str] | None:
        """The file's bytes and MIME type, or None if ``ref`` does not belong to ``app_id``."""
        row = self._reads.fetchone(
            "SELECT mime, data_enc FROM files WHERE ref = ? AND app_id = ?", [ref, app_id]
        )
        if row is None:
            return None
        mime, blob = row
        return self.keys.open(blob, _aad("file", ref, app_id, mime)), mime

    def issue_token(self, app_id: str, channel: str) -> str:
        """A new secret token for the application (a browser keeps it; only its hash is stored)."""
        token, row = tokens.new(app_id, channel)
        self._writes.run(
            lambda: self.db.execute(
                "INSERT INTO session_tokens (token_hash, app_id, channel, created_at, last_used_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [*row, row[-1]],
            )
        )
        return token

    def app_for_token(self, token: str, idle_days: float | None = None) -> str | None:
        """The application a token opens, or None: unknown, revoked, or unused for more than `idle_days`.
        Using a token keeps it alive (its last use is written at most once an hour)."""
        token_hash = tokens.lookup_hash(token)
        if token_hash is None:
            return None
        row = self._reads.fetchone(
            "SELECT app_id, last_used_at FROM session_tokens WHERE token_hash = ?", [token_hash]
        )
        if row is None:
            return None
        app_id, last_used = str(row[0]), str(row[1] or "")
        now = utc_now()
        if idle_days is not None and last_used < utc_ago(idle_days * 86400, now):
            return None
        if last_used < utc_ago(tokens.TOUCH_EVERY_S, now):
            self._writes.run(
                lambda: self.db.execute(
                    "UPDATE session_tokens SET last_used_at = ? WHERE token_hash = ?", [now, token_hash]
                )
            )
        return app_id

    def revoke_tokens(self, app_id: str, keep: str | None = None) -> int:
        """End every session of the application but the one holding `keep`, and every Telegram chat's
        binding to it; return how many ended."""
        keep_hash = tokens.lookup_hash(keep) if keep else None

        def delete() -> int:
            cursor = self.db.execute(
                "DELETE FROM session_tokens WHERE app_id = ? AND token_hash IS NOT ?", [app_id, keep_hash]
            )
            chats = self.db.execute("DELETE FROM telegram_chats WHERE app_id = ?", [app_id])
            return int(cursor.rowcount) + int(chats.rowcount)

        revoked: int = self._writes.run(delete)
        return revoked

    def new_resume_code(self, app_id: str) -> str:
        """Replace the application's resume code with a fresh one (the old one stops working)."""
        for _ in range(_CREATE_ATTEMPTS):
            code = resume_codes.new_code()

            def update(code: str = code) -> None:
                cursor = self.db.execute(
                    "UPDATE applications SET resume_code = ? WHERE id = ?", [code, app_id]
                )
                if cursor.rowcount == 0:
                    raise UnknownApplication(app_id)

            try:
                self._writes.run(update)
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):
                    raise
                continue
            return code
        raise RuntimeError("could not allocate a unique resume code")

    # -- owners: who may be told about an application -----------------------

    def owner_key(self, app_id: str) -> str | None:
        """The key of the browser or chat that started the application (the first owner)."""
        row = self._reads.fetchone(
            "SELECT owner_key FROM application_owners WHERE app_id = ? ORDER BY added_at, owner_key LIMIT 1",
            [app_id],
        )
        return str(row[0]) if row else None

    def add_owner(self, app_id: str, owner_key: str) -> None:
        """Record that `owner_key` (a browser or chat that resumed with the resume code) owns it too."""
        self._writes.run(
            lambda: self.db.execute(
                "INSERT INTO application_owners (app_id, owner_key, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT (app_id, owner_key) DO NOTHING",
                [app_id, owner_key, utc_now()],
            )
        )

    def all_owned_together(self, app_id: str, others: list[str]) -> bool:
        """True when every application in `others` shares an owner key with `app_id`."""
        if not others:
            return True
        marks = ", ".join("?" for _ in others)
        row = self._reads.fetchone(
            "SELECT count(DISTINCT o.app_id) FROM application_owners o JOIN application_owners mine "
            f"ON mine.owner_key = o.owner_key AND mine.app_id = ? WHERE o.app_id IN ({marks})",
            [app_id, *others],
        )
        return row is not None and int(row[0]) == len(set(others))

    def duplicates_of(self, check_id: str, key_hmac: str, exclude: str) -> list[str]:
        """Other live applications with the same blind-indexed key for a duplicate check, oldest first."""
        rows = self._reads.fetchall(
            "SELECT d.app_id FROM duplicate_keys d JOIN applications a ON a.id = d.app_id "
            "WHERE d.check_id = ? AND d.key_hmac = ? AND d.app_id != ? AND a.status != 'abandoned' "
            "ORDER BY a.created_at, a.id",
            [check_id, key_hmac, exclude],
        )
        return [str(r[0]) for r in rows]
