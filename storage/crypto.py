"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256) under a key file kept outside the db.

The key file holds one MAC key and one or more numbered encryption keys, one of them current. A blob names
the key that sealed it, so `shenbao key rotate` can re-encrypt row by row while old rows stay readable.
Each key has a fingerprint (an HMAC of a fixed label under the key: it tells keys apart and reveals nothing
about them) that the database records, so a wrong key is caught at start (storage/startup.py)."""

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLOB_V1 = b"\x01"  # v1 || nonce || ct: sealed with key 1 (before keys had numbers)
BLOB_V2 = b"\x02"  # v2 || key id (4 bytes, big-endian) || nonce || ct
BLOB_VERSION = BLOB_V2
KEY_ID_BYTES = 4
HEADER_BYTES = 1 + KEY_ID_BYTES  # of a v2 blob; storage/rotation.py compares it in SQL
KEY_FILE_VERSION = 2
_FINGERPRINT_LABEL = b"shenbao key fingerprint v1:"


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


def read_key_file(path: Path) -> bytes:
    """The key file's bytes; refused unless it is a regular file that only its owner can read."""
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


def fsync_dir(path: Path) -> None:
    """Make a new or renamed directory entry durable (a key file must not vanish in a power cut)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_temp(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    return tmp


def write_new_file(path: Path, content: bytes) -> None:
    """Write ``content`` to a private temp file, then link it into place; never replaces a file."""
    tmp = _private_temp(path, content)
    try:
        os.link(tmp, path)  # atomic; FileExistsError if another process won the race
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def replace_file(path: Path, content: bytes) -> None:
    """Atomically replace ``path`` (mode 0600): a reader sees the old file or the new one, never a mix."""
    tmp = _private_temp(path, content)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fingerprint(purpose: str, key: bytes) -> str:
    """A public name for a key: HMAC-SHA256 of a fixed label under the key, first 128 bits in hex."""
    return hmac.new(key, _FINGERPRINT_LABEL + purpose.encode("ascii"), hashlib.sha256).hexdigest()[:32]


def blob_key_id(blob: bytes) -> int | None:
    """The number of the key that sealed ``blob`` (None: not a blob this code knows)."""
    if blob[:1] == BLOB_V1:
        return 1
    if blob[:1] == BLOB_V2 and len(blob) >= HEADER_BYTES:
        return int.from_bytes(blob[1:HEADER_BYTES], "big")
    return None


def blob_header(key_id: int) -> bytes:
    return BLOB_V2 + key_id.to_bytes(KEY_ID_BYTES, "big")


class KeyRing:
    """Numbered AES-256-GCM keys (``enc_key`` is the current one, sealing new blobs; ``older`` ones only
    open blobs sealed before a rotation) and one ``mac`` key for blind indexes."""

    def __init__(
        self, enc_key: bytes, mac_key: bytes, *, key_id: int = 1, older: Mapping[int, bytes] | None = None
    ) -> None:
        keys = {**(older or {}), key_id: enc_key}
        if any(len(k) != KEY_BYTES for k in (*keys.values(), mac_key)):
            raise KeyFileError(f"every key must be {KEY_BYTES} bytes")
        if any(hmac.compare_digest(k, mac_key) for k in keys.values()):
            raise KeyFileError("the encryption and MAC keys must differ")
        if len({bytes(k) for k in keys.values()}) != len(keys):
            raise KeyFileError("two encryption keys in the key file are the same key")
        if any(not 0 < n < 2 ** (8 * KEY_ID_BYTES) for n in keys):
            raise KeyFileError("key numbers must be between 1 and 2**32 - 1")
        self.current_id = key_id
        self._raw = dict(sorted(keys.items()))
        self._aeads = {n: AESGCM(k) for n, k in self._raw.items()}
        self._mac_key = mac_key

    def __repr__(self) -> str:
        return f"KeyRing(<redacted>, current={self.current_id}, keys={self.key_ids})"

    @property
    def key_ids(self) -> tuple[int, ...]:
        return tuple(self._raw)

    @property
    def header(self) -> bytes:
        """How every blob sealed with the current key begins."""
        return blob_header(self.current_id)

    def fingerprints(self) -> dict[tuple[str, int], str]:
        """``("enc", number)`` for each encryption key and ``("mac", 1)``, to their fingerprints."""
        found = {("enc", n): fingerprint("enc", k) for n, k in self._raw.items()}
        found[("mac", 1)] = fingerprint("mac", self._mac_key)
        return found

    def with_new_key(self, key_id: int) -> KeyRing:
        """This ring plus a fresh encryption key numbered ``key_id``, which becomes the current one."""
        return KeyRing(secrets.token_bytes(KEY_BYTES), self._mac_key, key_id=key_id, older=self._raw)

    def only_current(self) -> KeyRing:
        """This ring without the older encryption keys (once no blob uses them)."""
        return KeyRing(self._raw[self.current_id], self._mac_key, key_id=self.current_id)

    def dump(self) -> bytes:
        """The key file's content."""
        doc = {
            "v": KEY_FILE_VERSION,
            "current": self.current_id,
            "enc": {str(n): _b64(k) for n, k in self._raw.items()},
            "mac": _b64(self._mac_key),
        }
        return json.dumps(doc, indent=1).encode("ascii") + b"\n"

    @classmethod
    def generate(cls) -> KeyRing:
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES))

    @classmethod
    def parse(cls, content: bytes, path: Path) -> KeyRing:
        try:
            doc = json.loads(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeyFileError(f"key file {path} is not valid JSON") from exc
        if not isinstance(doc, dict) or doc.get("v") not in (1, KEY_FILE_VERSION):
            raise KeyFileError(f'key file {path}: expected a JSON object with "v": {KEY_FILE_VERSION}')
        mac = _unb64(doc.get("mac"), "mac", path)
        if doc["v"] == 1:  # one key, written before keys had numbers: it is key 1
            return cls(_unb64(doc.get("enc"), "enc", path), mac)
        enc, current = doc.get("enc"), doc.get("current")
        if not isinstance(enc, dict) or not enc or not all(str(n).isdigit() for n in enc):
            raise KeyFileError(f'key file {path}: "enc" must map key numbers to keys')
        keys = {int(n): _unb64(v, f"enc {n}", path) for n, v in enc.items()}
        if not isinstance(current, int) or current not in keys:
            raise KeyFileError(f'key file {path}: "current" must be one of the key numbers {sorted(keys)}')
        return cls(keys.pop(current), mac, key_id=current, older=keys)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        return cls.parse(read_key_file(path), path)

    @classmethod
    def load_or_create(cls, path: Path) -> KeyRing:
        """Load the key file, creating it first if there is none. Only for a new database: storage/startup.py
        decides when that is."""
        if not path.exists():
            # FileExistsError: another process created it first; load theirs.
            with contextlib.suppress(FileExistsError):
                write_new_file(path, cls.generate().dump())
        return cls.load(path)

    def seal(self, data: bytes, aad: bytes) -> bytes:
        """``v2 || key id || nonce || ciphertext+tag`` under the current key; ``aad`` binds the blob to its
        record."""
        header = self.header
        nonce = secrets.token_bytes(NONCE_BYTES)
        return header + nonce + self._aeads[self.current_id].encrypt(nonce, data, header + aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        key_id = blob_key_id(blob)
        header = BLOB_V1 if blob[:1] == BLOB_V1 else blob[:HEADER_BYTES]
        if key_id is None or len(blob) < len(header) + NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("encrypted value is truncated or has an unknown format version")
        aead = self._aeads.get(key_id)
        if aead is None:
            raise DecryptionError(
                f"encrypted value was sealed with key {key_id}, which the key file does not hold "
                "(restore the key file that belongs to this database)"
            )
        nonce, body = blob[len(header) : len(header) + NONCE_BYTES], blob[len(header) + NONCE_BYTES :]
        try:
            return aead.decrypt(nonce, body, header + aad)
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
