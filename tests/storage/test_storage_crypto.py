import base64
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
    assert doc["v"] == 2 and set(doc) == {"v", "current", "enc", "mac"}
    assert doc["current"] == 1 and list(doc["enc"]) == ["1"] and doc["enc"]["1"] != doc["mac"]
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
    [
        b"not json",
        b"[]",
        b'{"v": 3, "enc": "", "mac": ""}',
        b'{"v": 1, "enc": "AAAA", "mac": "AAAA"}',
        b'{"v": 2, "current": 1, "enc": {}, "mac": "AAAA"}',
        b'{"v": 2, "current": 2, "enc": {"1": "' + b"A" * 43 + b'="}, "mac": "' + b"B" * 43 + b'="}',
    ],
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
    assert a[:5] == b"\x02\x00\x00\x00\x01" and len(a) == 5 + 12 + 5 + 16  # v2, key 1, nonce, ct, tag
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
        keys.open(b"\x03" + blob[1:], b"app1")
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


def write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)


def test_a_version_1_key_file_and_its_blobs_still_open(tmp_path: Path) -> None:
    """Key files and blobs written before keys had numbers: the key is key 1."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    enc, mac = os.urandom(32), os.urandom(32)
    path = tmp_path / "k"
    write_private(
        path,
        json.dumps(
            {"v": 1, "enc": base64.b64encode(enc).decode(), "mac": base64.b64encode(mac).decode()}
        ).encode(),
    )
    nonce = os.urandom(12)
    old_blob = b"\x01" + nonce + AESGCM(enc).encrypt(nonce, b"old", b"\x01" + b"aad")
    keys = KeyRing.load(path)
    assert keys.open(old_blob, b"aad") == b"old"
    assert keys.key_ids == (1,) and keys.current_id == 1
    with pytest.raises(DecryptionError):
        keys.open(old_blob, b"other")


def test_a_ring_opens_blobs_of_every_key_it_holds_and_seals_with_the_current_one(tmp_path: Path) -> None:
    first = KeyRing.generate()
    old_blob = first.seal(b"old", b"a")
    second = first.with_new_key(2)
    assert second.current_id == 2 and second.key_ids == (1, 2)
    new_blob = second.seal(b"new", b"a")
    assert new_blob[:5] == b"\x02\x00\x00\x00\x02"
    assert second.open(old_blob, b"a") == b"old" and second.open(new_blob, b"a") == b"new"
    with pytest.raises(DecryptionError, match="key 2, which the key file does not hold"):
        first.open(new_blob, b"a")
    only = second.only_current()
    assert only.key_ids == (2,) and only.open(new_blob, b"a") == b"new"
    with pytest.raises(DecryptionError, match="key 1"):
        only.open(old_blob, b"a")
    assert second.blind_index("x") == first.blind_index("x") == only.blind_index("x")  # the MAC key stays
    path = tmp_path / "k"
    write_private(path, second.dump())
    again = KeyRing.load(path)
    assert again.fingerprints() == second.fingerprints() and again.current_id == 2


def test_fingerprints_name_keys_without_revealing_them() -> None:
    keys = KeyRing.generate()
    prints = keys.fingerprints()
    assert set(prints) == {("enc", 1), ("mac", 1)}
    assert all(len(f) == 32 and int(f, 16) >= 0 for f in prints.values())
    assert prints[("enc", 1)] != KeyRing.generate().fingerprints()[("enc", 1)]
    raw = keys.dump().decode()
    assert all(f not in raw for f in prints.values())
