"""Export results on disk, encrypted with a key that lives only in this process's memory.

A result is written as it is made (a zip of thousands of documents is never held in memory whole), in
chunks of at most CHUNK bytes, each sealed with AES-GCM under the job's own random key: the nonce is the
chunk's number, and the associated data says whether it is the last chunk, so a file cut short or with
chunks swapped does not open. The key is never written anywhere: after a restart the files are unreadable
noise (and deleted at start-up)."""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 1 << 20
_LENGTH = struct.Struct(">I")
_MORE, _LAST = b"more", b"last"


class BrokenFile(Exception):
    """The file does not open with this key (cut short, changed, or from before a restart)."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def private_file(path: Path) -> io.BufferedWriter:
    """A new file only its owner can read (0600 from the start, not chmod-ed afterwards)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


class SealedWriter(io.RawIOBase):
    """A write-only, unseekable stream (zipfile and csv can write to it) that seals what it is given."""

    def __init__(self, path: Path, key: bytes) -> None:
        super().__init__()
        self._file = private_file(path)
        self._aead = AESGCM(key)
        self._buffer = bytearray()
        self._number = 0
        self._written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        self._written += len(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def tell(self) -> int:
        return self._written

    def close(self) -> None:
        if not self.closed:
            try:
                self._seal(bytes(self._buffer), last=True)
                self._file.close()
            finally:
                super().close()

    def abandon(self) -> None:
        """Close without the last chunk (the file will not open)."""
        if not self.closed:
            self._file.close()
            super().close()

    def _seal(self, plain: bytes, last: bool) -> None:
        nonce = self._number.to_bytes(12, "big")
        sealed = self._aead.encrypt(nonce, plain, _LAST if last else _MORE)
        self._file.write(_LENGTH.pack(len(sealed)) + sealed)
        self._number += 1


def read_sealed(path: Path, key: bytes) -> Iterator[bytes]:
    """The plain bytes, chunk by chunk. Raises BrokenFile (possibly after some chunks) if it does not open."""
    aead = AESGCM(key)
    with path.open("rb") as f:
        number = 0
        while True:
            head = f.read(_LENGTH.size)
            if len(head) != _LENGTH.size:
                raise BrokenFile()
            (size,) = _LENGTH.unpack(head)
            sealed = f.read(size)
            if len(sealed) != size or size > CHUNK + 64:
                raise BrokenFile()
            nonce = number.to_bytes(12, "big")
            for flag in (_MORE, _LAST):
                try:
                    plain = aead.decrypt(nonce, sealed, flag)
                except InvalidTag:
                    continue
                yield plain
                if flag == _LAST:
                    if f.read(1):
                        raise BrokenFile()
                    return
                break
            else:
                raise BrokenFile()
            number += 1
