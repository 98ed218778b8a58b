"""Passwords: argon2id hashes (argon2-cffi, its RFC 9106 low-memory profile: 64 MiB, 3 passes), the rules a
new password must meet, and one-time passwords for a first login or a reset."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()  # argon2id; tests swap in a cheaper one (tests/dashboard/conftest.py)
MIN_LENGTH = 10
MAX_LENGTH = 256
ONE_TIME_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out or copied by hand


class PasswordRejected(ValueError):
    """A new password that does not meet the rules; the message says which, in Chinese."""


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


_DUMMY: list[str] = []


def verify_nobody(password: str) -> None:
    """Spend the time a real check takes, for an unknown or disabled account (the answer is the same)."""
    if not _DUMMY:
        _DUMMY.append(HASHER.hash(secrets.token_hex(16)))
    verify(_DUMMY[0], password)


def check_new(password: str, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"密码至少 {MIN_LENGTH} 个字符。")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"密码最多 {MAX_LENGTH} 个字符。")
    if len(set(password)) < 4:
        raise PasswordRejected("密码太简单：至少要有 4 个不同的字符。")
    if username.lower() in password.lower():
        raise PasswordRejected("密码不能包含用户名。")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise PasswordRejected("密码不能包含控制字符。")


def one_time() -> str:
    """16 characters in four groups (about 79 bits): `K7Q2-M9XD-...`."""
    chars = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))
