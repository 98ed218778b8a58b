"""Start-up checks on real files: a missing, replaced or mistyped key file, a missing, empty or damaged
database, each refused with a message naming the file; the first start and an upgrade just work."""

import base64
import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from conftest import legacy_database, v1_key_file
from sqlite_utils import Database

from storage import KeyRing, StartupError, Store
from storage.migrations import migrate
from storage.startup import recorded


def db_of(data: Path) -> Path:
    return data / "shenbao.db"


def key_of(data: Path) -> Path:
    return data / "shenbao.key"


def with_one_application(data: Path) -> str:
    with Store(data) as store:
        app = store.create_application("f", None, "web", {"name": "张三"})
        store.record_turn(app.id, channel="web", kind="answer", payload={"v": 1}, accepted=True, state={})
    return app.id


def write_private(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, content)
    os.close(fd)


def refused(data: Path, key_file: Path | None = None) -> str:
    with pytest.raises(StartupError) as caught:
        Store(data, key_file)
    message = str(caught.value)
    assert message.startswith("无法启动：")
    return message


def test_first_start_creates_the_database_and_its_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data) as store:
        marks = recorded(store.db)
        assert {(m.purpose, m.key_id) for m in marks} == {("enc", 1), ("mac", 1)}
        assert {(m.purpose, m.key_id): m.fingerprint for m in marks} == store.keys.fingerprints()
    assert stat.S_IMODE(key_of(data).stat().st_mode) == 0o600
    raw = db_of(data).read_bytes()
    assert base64.b64decode(json.loads(key_of(data).read_text())["enc"]["1"]) not in raw
    with Store(data):  # and the next start accepts them
        pass


def test_deleted_key_file_is_refused_and_not_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app_id = with_one_application(data)
    saved = key_of(data).read_bytes()
    key_of(data).unlink()
    message = refused(data)
    assert f"找不到密钥文件 {key_of(data)}" in message and "已有 1 份申报" in message
    assert "SHENBAO_KEY_FILE" in message and "备份" in message
    assert not key_of(data).exists()  # no new key was made
    write_private(key_of(data), saved)  # the key restored: everything is there
    with Store(data) as store:
        got = store.get(app_id)
        assert got is not None and got.state == {}


def test_key_file_replaced_by_another_valid_key_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_one_application(data)
    key_of(data).unlink()
    write_private(key_of(data), KeyRing.generate().dump())
    message = refused(data)
    assert f"密钥文件 {key_of(data)} 与数据库 {db_of(data)} 不匹配" in message


def test_key_file_setting_pointing_to_a_missing_path_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_one_application(data)
    typo = tmp_path / "secrets" / "shenbao.kye"
    message = refused(data, typo)
    assert f"找不到密钥文件 {typo}" in message
    assert not typo.exists() and not typo.parent.exists()


def test_a_database_whose_key_was_recorded_is_refused_without_it_even_when_empty(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store(data).close()  # a first start: a key recorded, no application yet
    key_of(data).unlink()
    assert "找不到密钥文件" in refused(data)


@pytest.mark.parametrize("how", ["deleted", "empty"])
def test_database_deleted_or_emptied_while_its_key_exists_is_refused(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    with_one_application(data)
    for path in data.glob("shenbao.db*"):
        if path.name != "shenbao.db.lock":
            path.unlink()
    if how == "empty":
        db_of(data).touch()
    message = refused(data)
    assert f"数据库 {db_of(data)} {'是空文件' if how == 'empty' else '不存在'}" in message
    assert f"密钥文件 {key_of(data)} 已经存在" in message
    assert not db_of(data).exists() or db_of(data).stat().st_size == 0  # no empty database was made


def test_three_pages_of_garbage_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Store(data) as store:
        for n in range(200):
            store.create_application("f", None, "web", {"n": n, "pad": "x" * 300})
    raw = sqlite3.connect(db_of(data))
    page = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    assert db_of(data).stat().st_size > 6 * page
    with db_of(data).open("r+b") as fh:
        fh.seek(2 * page)
        fh.write(os.urandom(3 * page))
    message = refused(data)
    assert f"数据库 {db_of(data)} 已损坏" in message and "从最近的备份恢复" in message


def test_a_file_of_garbage_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db_of(data).write_bytes(os.urandom(3 * 4096))
    message = refused(data)
    assert "已损坏" in message and "file is not a database" in message


def test_tables_without_the_migration_ledger_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    other = sqlite3.connect(db_of(data))
    other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    other.close()
    assert "不是 shenbao 的数据库" in refused(data)


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Store(data).close()
    raw = sqlite3.connect(db_of(data))
    raw.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2099-01-01T00:00:00Z')")
    raw.commit()
    raw.close()
    assert "比这个版本的 shenbao 新" in refused(data)


def test_a_readable_key_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with_one_application(data)
    key_of(data).chmod(0o644)
    assert "chmod 600" in refused(data)


def test_an_upgraded_database_is_checked_by_opening_its_data_then_fingerprinted(tmp_path: Path) -> None:
    data, enc, mac = tmp_path / "data", os.urandom(32), os.urandom(32)
    app_id = legacy_database(data, enc, mac)
    write_private(key_of(data), v1_key_file(enc, mac))
    with Store(data) as store:
        got = store.get(app_id)
        assert got is not None and got.state == {"name": "张"}
        assert {(m.purpose, m.key_id) for m in recorded(store.db)} == {("enc", 1), ("mac", 1)}
    key_of(data).unlink()
    write_private(key_of(data), v1_key_file(os.urandom(32), mac))
    assert "不匹配" in refused(data)  # from now on the fingerprint decides


def test_an_upgraded_database_with_the_wrong_key_is_refused(tmp_path: Path) -> None:
    data, enc, mac = tmp_path / "data", os.urandom(32), os.urandom(32)
    legacy_database(data, enc, mac)
    write_private(key_of(data), v1_key_file(os.urandom(32), mac))
    message = refused(data)
    assert f"密钥文件 {key_of(data)} 解不开数据库 {db_of(data)} 中的数据" in message
    db = Database(sqlite3.connect(db_of(data)))
    assert recorded(db) == []  # nothing recorded for the wrong key
    db.conn.close()


def test_an_upgraded_database_without_its_key_is_refused(tmp_path: Path) -> None:
    data, enc, mac = tmp_path / "data", os.urandom(32), os.urandom(32)
    legacy_database(data, enc, mac)
    assert "找不到密钥文件" in refused(data)


def test_a_first_start_interrupted_before_the_key_was_made_goes_on(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = Database(sqlite3.connect(db_of(data), isolation_level=None))
    migrate(db)  # the schema, then the crash
    db.conn.close()
    with Store(data) as store:
        assert len(recorded(store.db)) == 2
    assert key_of(data).exists()


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    barrier = threading.Barrier(8)
    prints: list[dict[tuple[str, int], str]] = []
    errors: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            with Store(data) as store:
                prints.append(store.keys.fingerprints())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(prints) == 8 and all(p == prints[0] for p in prints)


def test_a_locked_database_is_waited_for_then_called_locked_not_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting while another process holds the lock (setting WAL mode does not wait for it) is not damage:
    the start waits and tries again, and if the lock stays, says the file is in use."""
    from storage import startup

    data = tmp_path / "data"
    with Store(data):
        pass
    real = startup.connect
    failures = [2]

    def flaky(path: Path) -> sqlite3.Connection:
        if failures[0]:
            failures[0] -= 1
            raise sqlite3.OperationalError("database is locked")
        return real(path)

    monkeypatch.setattr(startup, "connect", flaky)
    monkeypatch.setattr(startup, "BUSY_PAUSE_S", 0.01)
    with Store(data):
        pass
    assert failures == [0]

    def locked(_path: Path) -> sqlite3.Connection:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(startup, "connect", locked)
    with pytest.raises(StartupError) as refused:
        Store(data)
    assert "锁定" in str(refused.value) and "损坏" not in str(refused.value)
