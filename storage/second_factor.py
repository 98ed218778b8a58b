"""The optional second factor of coordinator accounts (migration 10): a TOTP secret (RFC 6238, 30-second
steps, 6 digits) stored encrypted and bound to its account, and ten single-use recovery codes stored as
sha256 hashes (they are random, 40 bits each, so a slow hash adds nothing).

A code is accepted once: the time step it belongs to is recorded and a code of that step or an earlier one
is refused afterwards (a code seen over someone's shoulder cannot be replayed). One step either side of
now is accepted for clock drift. A secret is `confirmed` once a code from it was entered: only then does
login ask for it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import pyotp

from storage import audit
from storage.accounts import Accounts
from storage.audit import AuditEntry
from storage.sealed import aad

STEP_S = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass(frozen=True)
class Enrolment:
    secret: str  # base32, for the authenticator app
    uri: str  # otpauth:// provisioning URI (the QR code's content)


def _aad(user_id: str) -> bytes:
    return aad("totp", user_id)


def _hash(code: str) -> str:
    return hashlib.sha256(normalize_recovery(code).encode("ascii", "replace")).hexdigest()


_FULL_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def normalize_code(text: str) -> str:
    """Digits only (spaces, dashes and full-width digits as typed are accepted)."""
    return "".join(c for c in text.translate(_FULL_WIDTH) if c in "0123456789")


def normalize_recovery(text: str) -> str:
    return "".join(c for c in text.lower() if c in _RECOVERY_ALPHABET)


def is_enabled(accounts: Accounts, user_id: str) -> bool:
    row = accounts.store.read(
        lambda: accounts.store.db.execute(
            "SELECT 1 FROM user_totp WHERE user_id = ? AND confirmed_at IS NOT NULL", [user_id]
        ).fetchone()
    )
    return row is not None


def recovery_left(accounts: Accounts, user_id: str) -> int:
    row = accounts.store.read(
        lambda: accounts.store.db.execute(
            "SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", [user_id]
        ).fetchone()
    )
    return int(row[0])


def begin(accounts: Accounts, user_id: str, username: str, issuer: str = "申报管理") -> Enrolment:
    """A new, unconfirmed secret (replacing an unconfirmed one); refused while one is confirmed."""
    secret = pyotp.random_base32()
    sealed = accounts.store.keys.seal(secret.encode("ascii"), _aad(user_id))
    now = accounts.now()

    def write() -> None:
        db = accounts.store.db
        if db.execute(
            "SELECT 1 FROM user_totp WHERE user_id = ? AND confirmed_at IS NOT NULL", [user_id]
        ).fetchone():
            raise ValueError("已开启双重验证；请先关闭再重新设置。")
        db.execute(
            "INSERT INTO user_totp (user_id, secret_enc, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, "
            "created_at = excluded.created_at, last_step = 0",
            [user_id, sealed, now],
        )

    accounts.store.write(write)
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer))


def pending(accounts: Accounts, user_id: str, username: str, issuer: str = "申报管理") -> Enrolment | None:
    """The unconfirmed secret being set up, if any."""
    secret = _secret(accounts, user_id, confirmed=False)
    if secret is None:
        return None
    return Enrolment(secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer))


def _secret(accounts: Accounts, user_id: str, *, confirmed: bool) -> str | None:
    condition = "IS NOT NULL" if confirmed else "IS NULL"
    row = accounts.store.read(
        lambda: accounts.store.db.execute(
            f"SELECT secret_enc FROM user_totp WHERE user_id = ? AND confirmed_at {condition}", [user_id]
        ).fetchone()
    )
    return None if row is None else accounts.store.keys.open(row[0], _aad(user_id)).decode("ascii")


def _matching_step(secret: str, code: str, now_s: float) -> int | None:
    totp, current = pyotp.TOTP(secret), int(now_s // STEP_S)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            return step
    return None


def _use_step(accounts: Accounts, user_id: str, step: int, confirm: bool, entry: AuditEntry | None) -> bool:
    """Record the step as used if it is newer than the last one (one transaction: a code is used once)."""
    now = accounts.now()

    def write() -> bool:
        db = accounts.store.db
        done = db.execute(
            "UPDATE user_totp SET last_step = ?, confirmed_at = coalesce(confirmed_at, ?) "
            "WHERE user_id = ? AND last_step < ?",
            [step, now if confirm else None, user_id, step],
        ).rowcount
        if done and entry is not None:
            audit.append(db, entry, now)
        return bool(done)

    used: bool = accounts.store.write(write)
    return used


def confirm(accounts: Accounts, user_id: str, code: str, entry: AuditEntry | None = None) -> list[str] | None:
    """Confirm the secret being set up with a code from it; returns the new recovery codes (shown once),
    or None when the code is wrong."""
    secret = _secret(accounts, user_id, confirmed=False)
    digits = normalize_code(code)
    if secret is None or len(digits) != 6:
        return None
    step = _matching_step(secret, digits, accounts.clock().timestamp())
    if step is None or not _use_step(accounts, user_id, step, True, entry):
        return None
    return new_recovery_codes(accounts, user_id)


def check(accounts: Accounts, user_id: str, code: str) -> str | None:
    """At login: "totp" or "recovery" when `code` is a current TOTP code (not used before) or an unused
    recovery code (now used up); None otherwise."""
    digits = normalize_code(code)
    if len(digits) == 6 and not any(c.isalpha() for c in code):
        secret = _secret(accounts, user_id, confirmed=True)
        if secret is None:
            return None
        step = _matching_step(secret, digits, accounts.clock().timestamp())
        return "totp" if step is not None and _use_step(accounts, user_id, step, False, None) else None
    given, now = normalize_recovery(code), accounts.now()
    if len(given) != 10:
        return None
    used = accounts.store.write(
        lambda: (
            accounts.store.db.execute(
                "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
                [now, user_id, _hash(given)],
            ).rowcount
        )
    )
    return "recovery" if used else None


def new_recovery_codes(accounts: Accounts, user_id: str) -> list[str]:
    """Ten new codes (the old ones stop working), formatted `abcde-fghjk`."""
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]

    def write() -> None:
        db = accounts.store.db
        db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
        for code in codes:
            db.execute(
                "INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", [user_id, _hash(code)]
            )

    accounts.store.write(write)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def remove(accounts: Accounts, user_id: str, entry: AuditEntry | None = None) -> bool:
    """Turn the second factor off (the account logs in with its password alone again)."""
    now = accounts.now()

    def write() -> bool:
        db = accounts.store.db
        gone = db.execute("DELETE FROM user_totp WHERE user_id = ?", [user_id]).rowcount
        db.execute("DELETE FROM recovery_codes WHERE user_id = ?", [user_id])
        if gone and entry is not None:
            audit.append(db, entry, now)
        return bool(gone)

    removed: bool = accounts.store.write(write)
    return removed
