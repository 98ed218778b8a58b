import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage import DecryptionError, Store

ID_NUMBER = "11010519491231002X"
PHONE = "13912345678"


def raw_db_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("shenbao.db*")))


def test_sensitive_values_are_not_stored_in_plaintext(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store(data_dir) as store:
        personal = {"id_number": ID_NUMBER, "phone": PHONE, "name": "张三"}
        app = store.create_application("f", None, "web", personal)
        store.record_turn(
            app.id,
            channel="web",
            kind="answer",
            payload={"field": "id_number", "value": ID_NUMBER, "phone": PHONE},
            accepted=True,
            state=personal,
        )
        store.put_file(app.id, f"ID card {ID_NUMBER} tel {PHONE}".encode(), "image/png")
        wal = data_dir / "shenbao.db-wal"
        assert wal.exists() and wal.stat().st_size > 0
        checks = [raw_db_bytes(data_dir)]
    checks.append(raw_db_bytes(data_dir))  # after close: WAL checkpointed into the main file
    key_text = (data_dir / "shenbao.key").read_bytes()
    for raw in checks:
        for secret in (ID_NUMBER, PHONE, "张三"):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                assert secret.encode(encoding) not in raw
        assert key_text not in raw


def swap(
    db_file: Path, table: str, key: str, column: str, a: object, b: object, unlock: bool = False
) -> None:
    raw = sqlite3.connect(db_file)
    if unlock:  # an attacker with write access to the file can drop the append-only triggers
        raw.execute("DROP TRIGGER answer_events_no_update")
    blob_a = raw.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", [a]).fetchone()[0]
    blob_b = raw.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", [b]).fetchone()[0]
    raw.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [blob_b, a])
    raw.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [blob_a, b])
    raw.commit()
    raw.close()


def test_swapped_state_blobs_fail_to_decrypt(store: Store, tmp_path: Path) -> None:
    a = store.create_application("f", None, "web", {"who": "a"})
    b = store.create_application("f", None, "web", {"who": "b"})
    swap(tmp_path / "data" / "shenbao.db", "applications", "id", "state_enc", a.id, b.id)
    for app_id in (a.id, b.id):
        with pytest.raises(DecryptionError, match="failed authentication"):
            store.get(app_id)


def test_swapped_event_payloads_fail_to_decrypt(store: Store, tmp_path: Path) -> None:
    a = store.create_application("f", None, "web", {})
    b = store.create_application("f", None, "web", {})
    sa = store.record_turn(a.id, channel="web", kind="answer", payload={"v": "a"}, accepted=True, state={})
    sb = store.record_turn(b.id, channel="web", kind="answer", payload={"v": "b"}, accepted=True, state={})
    swap(tmp_path / "data" / "shenbao.db", "answer_events", "seq", "payload_enc", sa, sb, unlock=True)
    with pytest.raises(DecryptionError):
        store.events(a.id)


def test_event_metadata_is_bound_to_the_payload(store: Store, tmp_path: Path) -> None:
    app = store.create_application("f", None, "web", {})
    store.record_turn(app.id, channel="web", kind="answer", payload={"v": 1}, accepted=False, state={})
    raw = sqlite3.connect(tmp_path / "data" / "shenbao.db")
    raw.execute("DROP TRIGGER answer_events_no_update")
    raw.execute("UPDATE answer_events SET accepted = 1")
    raw.commit()
    raw.close()
    with pytest.raises(DecryptionError):
        store.events(app.id)


def test_swapped_files_fail_to_decrypt(store: Store, tmp_path: Path) -> None:
    app = store.create_application("f", None, "web", {})
    ra, rb = store.put_file(app.id, b"front", "image/png"), store.put_file(app.id, b"back", "image/png")
    swap(tmp_path / "data" / "shenbao.db", "files", "ref", "data_enc", ra, rb)
    with pytest.raises(DecryptionError):
        store.get_file(ra, app.id)


def test_tampered_ciphertext_fails_to_decrypt(store: Store, tmp_path: Path) -> None:
    app = store.create_application("f", None, "web", {"x": 1})
    raw = sqlite3.connect(tmp_path / "data" / "shenbao.db")
    blob = bytearray(raw.execute("SELECT state_enc FROM applications").fetchone()[0])
    blob[20] ^= 0x01
    raw.execute("UPDATE applications SET state_enc = ?", [bytes(blob)])
    raw.commit()
    raw.close()
    with pytest.raises(DecryptionError, match="failed authentication"):
        store.get(app.id)


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("UPDATE answer_events SET kind = 'forged'", "UPDATE"),
        ("UPDATE answer_events SET payload_enc = x''", "UPDATE"),
        ("DELETE FROM answer_events", "DELETE"),
    ],
)
def test_answer_events_are_append_only(store: Store, sql: str, verb: str) -> None:
    app = store.create_application("f", None, "web", {})
    store.record_turn(app.id, channel="web", kind="answer", payload={"v": 1}, accepted=True, state={})
    run: Callable[[], object] = lambda: store.db.execute(sql)  # noqa: E731
    with pytest.raises(sqlite3.IntegrityError, match=f"append-only: {verb}"):
        run()
    assert [e.payload for e in store.events(app.id)] == [{"v": 1}]
