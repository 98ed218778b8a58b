"""Numbered schema migrations, each applied once in its own ``BEGIN IMMEDIATE`` transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from storage.clock import utc_now
from storage.transaction import immediate

Step = str | Callable[[Database], None]


class MigrationError(RuntimeError):
    """The migration list or the database's recorded schema version is inconsistent."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    step: Step


INITIAL = """
CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    form_id TEXT NOT NULL,
    campaign_id TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'in_progress',
    resume_code TEXT UNIQUE NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_enc BLOB NOT NULL,
    id_hmac TEXT,
    title_level TEXT,
    level TEXT,
    event_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX applications_campaign_status ON applications (campaign_id, status);
CREATE INDEX applications_id_hmac_title ON applications (id_hmac, title_level);

CREATE TABLE answer_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL REFERENCES applications (id),
    at TEXT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    accepted INTEGER NOT NULL,
    payload_enc BLOB NOT NULL
);
CREATE INDEX answer_events_app ON answer_events (app_id, seq);
CREATE TRIGGER answer_events_no_update BEFORE UPDATE ON answer_events
BEGIN
    SELECT RAISE(ABORT, 'answer_events is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER answer_events_no_delete BEFORE DELETE ON answer_events
BEGIN
    SELECT RAISE(ABORT, 'answer_events is append-only: DELETE is not allowed');
END;

CREATE TABLE files (
    ref TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id),
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    data_enc BLOB NOT NULL
);
CREATE INDEX files_app ON files (app_id);
"""

SESSION_TOKENS = """
CREATE TABLE session_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES applications (id),
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX session_tokens_app ON session_tokens (app_id);
"""

# Telegram (bot/channels/telegram/): every update is written here, keyed by bot and update_id, before it is
# acknowledged; its payload (encrypted) is cleared once processed. Chats map to applications per campaign.
TELEGRAM = """
CREATE TABLE telegram_inbox (
    bot_id INTEGER NOT NULL,
    update_id INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    payload_enc BLOB,
    done_at TEXT,
    PRIMARY KEY (bot_id, update_id)
);
CREATE INDEX telegram_inbox_pending ON telegram_inbox (bot_id, update_id) WHERE done_at IS NULL;

CREATE TABLE telegram_chats (
    bot_id INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    campaign_id TEXT NOT NULL,
    app_id TEXT NOT NULL REFERENCES applications (id),
    active_seq INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (bot_id, chat_id, campaign_id)
);
CREATE INDEX telegram_chats_active ON telegram_chats (bot_id, chat_id, active_seq);
"""

# Duplicate checks declared by forms (`duplicates:`): per application and check, a keyed blind index of the
# answers that must not repeat (never the answers themselves). Replaces the flagship-only id_hmac/title_level
# pair, which stays in `applications` unused.
DUPLICATE_KEYS = """
CREATE TABLE duplicate_keys (
    app_id TEXT NOT NULL REFERENCES applications (id),
    check_id TEXT NOT NULL,
    key_hmac TEXT NOT NULL,
    PRIMARY KEY (app_id, check_id)
);
CREATE INDEX duplicate_keys_lookup ON duplicate_keys (check_id, key_hmac);
"""

# The keys this database's blobs and blind indexes were made with, by fingerprint (never the keys): checked
# at start against the key file (storage/startup.py). `enc` keys are numbered; `shenbao key rotate` adds one
# and sets `retired_at` on the older ones once no blob uses them. `mac` (blind indexes) is key 1, never rotated.
KEY_FINGERPRINTS = """
CREATE TABLE key_fingerprints (
    purpose TEXT NOT NULL CHECK (purpose IN ('enc', 'mac')),
    key_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    added_at TEXT NOT NULL,
    retired_at TEXT,
    PRIMARY KEY (purpose, key_id)
);
"""

# Who an application belongs to, for telling an applicant only about their own applications (a duplicate
# check names another application only when it shares an owner key): the key of the browser or chat that
# started it, and of each one that resumed it with its resume code. Session tokens expire after inactivity.
OWNERS_AND_TOKEN_USE = """
CREATE TABLE application_owners (
    app_id TEXT NOT NULL REFERENCES applications (id),
    owner_key TEXT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (app_id, owner_key)
);
CREATE INDEX application_owners_key ON application_owners (owner_key);
INSERT INTO application_owners (app_id, owner_key, added_at) SELECT id, id, created_at FROM applications;
ALTER TABLE session_tokens ADD COLUMN last_used_at TEXT;
UPDATE session_tokens SET last_used_at = created_at;
"""

# Coordinator side (bot/dashboard/, storage/accounts.py, storage/audit.py): accounts with a role and an
# institution code, server-side sessions (only a hash of the session id), failed-login counters and locks,
# and the append-only audit log whose rows are chained by sha256.
ACCOUNTS_AND_AUDIT = """
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    institution_code TEXT,
    password_hash TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 0,
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
);

CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX admin_sessions_user ON admin_sessions (user_id);

CREATE TABLE login_attempts (
    attempt_id TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (attempt_id, key)
);
CREATE INDEX login_attempts_key ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

CREATE TABLE login_locks (
    key TEXT PRIMARY KEY,
    locked_at TEXT NOT NULL,
    until TEXT NOT NULL
);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE is not allowed');
END;
"""

# Coordinator workflow and search (bot/dashboard/): where a generated application stands with the
# institution (`review_status`: NULL until it moves past 已生成; see storage/review.py), every change of it
# (who, when, from, to; the reason encrypted, it is written to the applicant), and blind-indexed search
# keys (name, unit, phone tail, waybill number: an HMAC of the normalised value, never the value).
REVIEW_AND_SEARCH = """
ALTER TABLE applications ADD COLUMN review_status TEXT;
CREATE INDEX applications_campaign_review ON applications (campaign_id, review_status);

CREATE TABLE status_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL REFERENCES applications (id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason_enc BLOB
);
CREATE INDEX status_changes_app ON status_changes (app_id, seq);
CREATE TRIGGER status_changes_no_update BEFORE UPDATE ON status_changes
BEGIN
    SELECT RAISE(ABORT, 'status_changes is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER status_changes_no_delete BEFORE DELETE ON status_changes
BEGIN
    SELECT RAISE(ABORT, 'status_changes is append-only: DELETE is not allowed');
END;

CREATE TABLE search_keys (
    app_id TEXT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL,
    key_hmac TEXT NOT NULL,
    PRIMARY KEY (app_id, kind, key_hmac)
);
CREATE INDEX search_keys_lookup ON search_keys (kind, key_hmac);
"""

# The optional second factor of coordinator accounts (storage/second_factor.py): a TOTP secret (encrypted,
# bound to its account), the last time step used (a code is accepted once), hashed recovery codes, and
# sessions that have passed the password but not yet the code.
SECOND_FACTOR = """
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    secret_enc BLOB NOT NULL,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    last_step INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at TEXT,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE admin_sessions ADD COLUMN second_factor_pending INTEGER NOT NULL DEFAULT 0;
"""

# The coordinators' list (bot/dashboard/listing_page.py, storage/list_query.py): per application the facets
# it is filtered by without decrypting anything, written with each turn (bot/intake.py): whether an answer
# was ever accepted (an application opened but never answered is not listed), the eligibility outcome
# (eligible / warning / ineligible, from the rules), and the evaluation method and occupation the form's
# `listing:` names (categories, not personal data). Existing applications get `answered` here; their other
# facets are filled at the next start (`Intake.backfill_facets`). One index covers what the list reads of
# `applications`, so counting a campaign's applications never reads their (large) encrypted states.
LIST_FACETS = """
CREATE TABLE application_facets (
    app_id TEXT PRIMARY KEY REFERENCES applications (id),
    answered INTEGER NOT NULL DEFAULT 0,
    eligibility TEXT,
    method TEXT,
    occupation TEXT
) WITHOUT ROWID;
CREATE INDEX applications_list ON applications
    (campaign_id, updated_at, id, created_at, status, review_status, level);
INSERT INTO application_facets (app_id, answered)
SELECT a.id, CASE WHEN EXISTS (SELECT 1 FROM answer_events e WHERE e.app_id = a.id AND e.accepted = 1
    AND e.kind != 'start') THEN 1 ELSE 0 END FROM applications a;
"""

# What each Telegram chat was last shown: the key of the question (a typed answer carries it, so an answer
# meant for a question another device has already moved past is refused) and the message whose keyboard is
# taken off when the next turn is sent.
TELEGRAM_CHAT_VIEW = """
ALTER TABLE telegram_chats ADD COLUMN shown_key TEXT;
ALTER TABLE telegram_chats ADD COLUMN keyboard_message_id INTEGER;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", INITIAL),
    Migration(2, "session tokens for web and other channels", SESSION_TOKENS),
    Migration(3, "telegram inbox and chat-to-application map", TELEGRAM),
    Migration(4, "blind-indexed keys of the forms' duplicate checks", DUPLICATE_KEYS),
    Migration(5, "fingerprints of the encryption and MAC keys", KEY_FINGERPRINTS),
    Migration(7, "application owners; session tokens expire after inactivity", OWNERS_AND_TOKEN_USE),
    Migration(8, "coordinator accounts, sessions, login throttling, audit log", ACCOUNTS_AND_AUDIT),
    Migration(9, "review status and its changes; blind-indexed search keys", REVIEW_AND_SEARCH),
    Migration(10, "TOTP second factor and recovery codes of coordinator accounts", SECOND_FACTOR),
    Migration(11, "facets of the coordinators' list", LIST_FACETS),
    Migration(12, "the question and keyboard each Telegram chat was last shown", TELEGRAM_CHAT_VIEW),
)

_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


def _check_order(migrations: Sequence[Migration]) -> None:
    numbers = [m.number for m in migrations]
    if numbers != sorted(set(numbers)) or any(n < 1 for n in numbers):
        raise MigrationError(f"migration numbers must be positive and strictly increasing, got {numbers}")


def applied_versions(db: Database) -> list[int]:
    rows = db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    return [int(row[0]) for row in rows]


def _apply(db: Database, migration: Migration) -> bool:
    with immediate(db):
        if db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [migration.number]).fetchone():
            return False  # another process applied it first
        if isinstance(migration.step, str):
            db.executescript(migration.step)
        else:
            migration.step(db)
        db.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            [migration.number, migration.name, utc_now()],
        )
    return True


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply pending migrations in order; return the numbers applied by this call."""
    _check_order(migrations)
    db.execute(_LEDGER)
    done = set(applied_versions(db))
    known = {m.number for m in migrations}
    if done and max(done) > max(known, default=0):
        raise MigrationError(
            f"database schema version {max(done)} is newer than this code knows ({max(known, default=0)})"
        )
    return [m.number for m in migrations if m.number not in done and _apply(db, m)]
