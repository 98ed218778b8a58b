import json
import os
import stat
from pathlib import Path

import pytest

from storage import DecryptionError, KeyFileError, KeyRing


def test_key_file_created_private_even_with_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "shenbao.key"
    old = os.umask(0)
    try:
        KeyRing.load_or_create(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["v"] == 1 and set(doc) == {"v", "enc", "mac"} and doc["enc"] != doc["mac"]
    assert os.listdir(path.parent) == ["shenbao.key"]  # no temp file left behind


def test_key_file_is_reused(tmp_path: Path) -> None:
    path = tmp_path / "k"
    blob = KeyRing.load_or_create(path).seal(b"secret", b"aad")
    again = KeyRing.load_or_create(path)
    assert again.open(blob, b"aad") == b"secret"
    assert again.blind_index("x") == KeyRing.load(path).blind_index("x")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_readable_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k"
    KeyRing.load_or_create(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=r"chmod 600"):
        KeyRing.load_or_create(path)


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'{"v": 2, "enc": "", "mac": ""}', b'{"v": 1, "enc": "AAAA", "mac": "AAAA"}'],
)
def test_malformed_key_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "k"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)
    with pytest.raises(KeyFileError):
        KeyRing.load(path)


def test_seal_layout_and_round_trip() -> None:
    keys = KeyRing.generate()
    a, b = keys.seal(b"hello", b"app1"), keys.seal(b"hello", b"app1")
    assert a != b  # random nonce
    assert a[0] == 1 and len(a) == 1 + 12 + 5 + 16
    assert keys.open(a, b"app1") == b"hello"
    assert "redacted" in repr(keys)


def test_wrong_aad_tampering_and_wrong_key_fail_clearly() -> None:
    keys = KeyRing.generate()
    blob = keys.seal_json({"id": "x"}, b"app1")
    with pytest.raises(DecryptionError, match="failed authentication"):
        keys.open_json(blob, b"app2")
    flipped = bytearray(blob)
    flipped[-1] ^= 1
    with pytest.raises(DecryptionError):
        keys.open(bytes(flipped), b"app1")
    with pytest.raises(DecryptionError, match="format version"):
        keys.open(b"\x02" + blob[1:], b"app1")
    with pytest.raises(DecryptionError, match="truncated"):
        keys.open(blob[:20], b"app1")
    with pytest.raises(DecryptionError):
        KeyRing.generate().open(blob, b"app1")


def test_seal_json_rejects_non_json_values() -> None:
    keys = KeyRing.generate()
    with pytest.raises(TypeError):
        keys.seal_json({"x": object()}, b"a")
    with pytest.raises(ValueError):
        keys.seal_json({"x": float("nan")}, b"a")


def test_blind_index_is_keyed_and_domain_separated() -> None:
    keys = KeyRing.generate()
    value = "11010519491231002X"
    assert keys.blind_index(value) == keys.blind_index(value)
    assert len(keys.blind_index(value)) == 64
    assert keys.blind_index(value) != keys.blind_index(value, domain="phone")
    assert keys.blind_index(value) != KeyRing.generate().blind_index(value)
    with pytest.raises(ValueError):
        keys.blind_index(value, domain="a:b")
