"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) under a key file kept outside the db."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLOB_VERSION = b"\x01"
KEY_FILE_VERSION = 1


class KeyFileError(RuntimeError):
    """The key file is missing parts, malformed, or has unsafe permissions."""


class DecryptionError(ValueError):
    """A blob failed authentication: wrong key, tampered bytes, or a blob moved from another record."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, name: str, path: Path) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"key file {path}: {name!r} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyFileError(f"key file {path}: {name!r} must be {KEY_BYTES} bytes, found {len(raw)}")
    return raw


def _read_key_file(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileError(f"key file {path} is not a regular file")
        if st.st_mode & 0o077:
            raise KeyFileError(
                f"key file {path} has mode {stat.S_IMODE(st.st_mode):04o}: it must not be accessible "
                f"to group or others; run `chmod 600 {path}`"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def _write_new_key_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a private temp file, then link it into place; never replaces a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.link(tmp, path)  # atomic; FileExistsError if another process won the race
    finally:
        tmp.unlink(missing_ok=True)


class KeyRing:
    """Two independent keys: ``enc`` for AES-256-GCM, ``mac`` for blind indexes."""

    def __init__(self, enc_key: bytes, mac_key: bytes) -> None:
        if len(enc_key) != KEY_BYTES or len(mac_key) != KEY_BYTES:
            raise KeyFileError(f"both keys must be {KEY_BYTES} bytes")
        if hmac.compare_digest(enc_key, mac_key):
            raise KeyFileError("the encryption and MAC keys must differ")
        self._aead = AESGCM(enc_key)
        self._mac_key = mac_key

    def __repr__(self) -> str:
        return "KeyRing(<redacted>)"

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES))

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        try:
            doc = json.loads(_read_key_file(path))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeyFileError(f"key file {path} is not valid JSON") from exc
        if not isinstance(doc, dict) or doc.get("v") != KEY_FILE_VERSION:
            raise KeyFileError(f'key file {path}: expected a JSON object with "v": {KEY_FILE_VERSION}')
        return cls(_unb64(doc.get("enc"), "enc", path), _unb64(doc.get("mac"), "mac", path))

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        if not path.exists():
            enc, mac = secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES)
            doc = {"v": KEY_FILE_VERSION, "enc": _b64(enc), "mac": _b64(mac)}
            # FileExistsError: another process created it first; load theirs.
            with contextlib.suppress(FileExistsError):
                _write_new_key_file(path, json.dumps(doc).encode("ascii"))
        return cls.load(path)

    def seal(self, data: bytes, aad: bytes) -> bytes:
        """``version || nonce || ciphertext+tag``; ``aad`` binds the blob to its record."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return BLOB_VERSION + nonce + self._aead.encrypt(nonce, data, BLOB_VERSION + aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != BLOB_VERSION:
            raise DecryptionError("encrypted value is truncated or has an unknown format version")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, BLOB_VERSION + aad)
        except InvalidTag:
            raise DecryptionError(
                "encrypted value failed authentication "
                "(wrong key, tampered data, or moved from another record)"
            ) from None

    def seal_json(self, obj: Any, aad: bytes) -> bytes:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return self.seal(_utf8(text), aad)

    def open_json(self, blob: bytes, aad: bytes) -> Any:
        return json.loads(_text(self.open(blob, aad)))

    def blind_index(self, normalized: str, *, domain: str = "id_number") -> str:
        """Deterministic keyed hash for equality lookups; the caller normalises the value first."""
        if ":" in domain:
            raise ValueError("blind index domain must not contain ':'")
        message = domain.encode("utf-8") + b":" + normalized.encode("utf-8")
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> bytes:
    """Valid UTF-8 always: a lone surrogate (invalid Unicode that got past a channel) becomes U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def _text(data: bytes) -> str:
    """Read back what `_utf8` wrote, and what was written before it: lone surrogates (stored with
    surrogatepass) become U+FFFD, so an old value with one still loads and can be shown."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return _SURROGATE.sub("\ufffd", data.decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")
