"""`shenbao key rotate` on real files: every value re-encrypted, the old key retired, and a rotation killed
with SIGKILL at any step leaves every value readable and resumes when run again."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Sample, legacy_database, v1_key_file
from sqlite_utils import Database

from storage import DecryptionError, KeyRing, StartupError, Store
from storage.crypto import blob_key_id
from storage.rotation import RotationError, rotate, status
from storage.sealed import SEALED
from storage.startup import recorded

ROOT = Path(__file__).resolve().parents[2]

KILLER = """
import os, signal, sys
from pathlib import Path
from storage.rotation import rotate

data, stop_at, nth = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
seen = {}

def on_step(name):
    seen[name] = seen.get(name, 0) + 1
    if name == stop_at and seen[name] == nth:
        os.kill(os.getpid(), signal.SIGKILL)

rotate(data / "shenbao.db", data / "shenbao.key", batch_rows=3, on_step=on_step)
print("finished")
"""


def paths(data: Path) -> tuple[Path, Path]:
    return data / "shenbao.db", data / "shenbao.key"


def key_ids_in_use(data: Path) -> dict[str, set[int | None]]:
    db = Database(sqlite3.connect(paths(data)[0]))
    try:
        return {
            col.name: {
                blob_key_id(r[0])
                for r in db.execute(f"SELECT {col.column} FROM {col.table} WHERE {col.column} IS NOT NULL")
            }
            for col in SEALED
            if col.table in db.table_names()  # a legacy database predates later tables
        }
    finally:
        db.conn.close()


def key_file(data: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads(paths(data)[1].read_text())
    return doc


def test_rotation_reencrypts_every_column_and_retires_the_old_key(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    old = KeyRing.load(paths(data)[1])
    assert set().union(*key_ids_in_use(data).values()) == {1}

    report = rotate(*paths(data), batch_rows=4)

    assert report.key_id == 2 and report.retired == [1] and not report.resumed
    assert report.rewritten == {
        "applications.state_enc": 10,
        "answer_events.payload_enc": 30,
        "files.data_enc": 4,
        "status_changes.reason_enc": 5,
        "user_totp.secret_enc": 2,
        "telegram_inbox.payload_enc": 3,
    }
    assert key_ids_in_use(data) == {col.name: {2} for col in SEALED}
    doc = key_file(data)
    assert doc["current"] == 2 and list(doc["enc"]) == ["2"]  # type: ignore[call-overload]
    sample.check(data)  # everything opens; the blind index (MAC key) is unchanged
    with Store(data) as store:
        marks = {(m.purpose, m.key_id): m.retired for m in recorded(store.db)}
        assert marks == {("enc", 1): True, ("enc", 2): False, ("mac", 1): False}
        blob = store.db.execute("SELECT state_enc FROM applications LIMIT 1").fetchone()[0]
        with pytest.raises(DecryptionError):
            old.open(blob, b"")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the trigger is back
            store.db.execute("UPDATE answer_events SET payload_enc = x''")

    second = rotate(*paths(data))  # and again: key 3
    assert second.key_id == 3 and second.retired == [2]
    sample.check(data)


def test_old_blobs_are_not_left_in_the_database_file(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    raw = sqlite3.connect(paths(data)[0])
    before = {bytes(r[0]) for r in raw.execute("SELECT state_enc FROM applications")}
    raw.close()
    rotate(*paths(data))
    raw = b"".join(p.read_bytes() for p in data.glob("shenbao.db*"))
    assert not any(blob[5:] in raw for blob in before)  # overwritten (secure_delete), WAL truncated


@pytest.mark.parametrize(
    ("stop_at", "nth"),
    [
        ("key-added", 1),  # the new key is in the file, the database does not know it yet
        ("batch", 2),  # inside the second batch's transaction (applications)
        ("committed", 3),
        ("batch", 7),  # inside an answer_events batch: the append-only trigger is dropped, uncommitted
        ("committed", 9),
        ("retired", 1),  # retired in the database, still in the key file
    ],
)
def test_rotation_killed_at_any_step_loses_nothing_and_resumes(
    tmp_path: Path, sample: Sample, stop_at: str, nth: int
) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(data), stop_at, str(nth)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "finished" not in proc.stdout

    sample.check(data)  # every value opens with the key file as the kill left it
    with Store(data) as store:
        triggers = store.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        assert ("answer_events_no_update",) in triggers
    assert sorted(key_file(data)["enc"]) == ["1", "2"]  # type: ignore[arg-type]

    report = rotate(*paths(data))
    assert report.resumed and report.key_id == 2
    assert key_ids_in_use(data) == {col.name: {2} for col in SEALED}
    assert list(key_file(data)["enc"]) == ["2"]  # type: ignore[call-overload]
    sample.check(data)


def test_a_failure_between_batches_resumes_where_it_stopped(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    committed = 0

    def fail_after_four(step: str) -> None:
        nonlocal committed
        committed += step == "committed"
        if committed == 4:
            raise OSError("disk unplugged")

    with pytest.raises(OSError, match="unplugged"):
        rotate(*paths(data), batch_rows=5, on_step=fail_after_four)
    in_use = key_ids_in_use(data)
    assert in_use["applications.state_enc"] == {2}  # two batches of five
    assert in_use["answer_events.payload_enc"] == {1, 2}  # two of six batches
    sample.check(data)
    report = rotate(*paths(data), batch_rows=5)
    assert report.resumed and report.rewritten["applications.state_enc"] == 0
    assert report.rewritten["answer_events.payload_enc"] == 20
    sample.check(data)


def test_rotation_is_refused_while_a_store_is_open_and_a_store_while_rotating(
    tmp_path: Path, sample: Sample
) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    with Store(data), pytest.raises(StartupError, match="还有 shenbao 进程在使用"):
        rotate(*paths(data))
    assert list(key_file(data)["enc"]) == ["1"]  # type: ignore[call-overload]

    seen: list[str] = []

    def try_to_start(step: str) -> None:
        if step == "committed" and not seen:
            with pytest.raises(StartupError, match="正在轮换"):
                Store(data)
            seen.append(step)

    rotate(*paths(data), on_step=try_to_start)
    assert seen == ["committed"]


def test_a_value_that_does_not_open_stops_the_rotation_before_anything_is_retired(
    tmp_path: Path, sample: Sample
) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    raw = sqlite3.connect(paths(data)[0])
    blob = bytearray(raw.execute("SELECT state_enc FROM applications ORDER BY rowid LIMIT 1").fetchone()[0])
    blob[-1] ^= 1
    raw.execute("UPDATE applications SET state_enc = ? WHERE rowid = 1", [bytes(blob)])
    raw.commit()
    raw.close()
    with pytest.raises(RotationError, match=r"applications\.state_enc 第 1 行无法解密"):
        rotate(*paths(data))
    assert sorted(key_file(data)["enc"]) == ["1", "2"]  # type: ignore[arg-type]
    with Store(data) as store:
        assert not any(m.retired for m in recorded(store.db))


def test_status_counts_values_per_key(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    before = status(*paths(data))
    assert before.counts["answer_events.payload_enc"] == {1: 30}
    assert before.counts["telegram_inbox.payload_enc"] == {1: 3}
    rotate(*paths(data), batch_rows=7, on_step=lambda s: None)
    after = status(*paths(data))
    assert after.keys.key_ids == (2,)
    assert after.counts["files.data_enc"] == {2: 4}


def test_every_encrypted_column_is_in_the_catalogue(tmp_path: Path) -> None:
    """A migration that adds a `*_enc` column must add it to storage/sealed.py, or rotation would leave it
    under a key it then retires."""
    with Store(tmp_path / "data") as store:
        columns = {
            f"{table}.{col.name}"
            for table in store.db.table_names()
            for col in store.db[table].columns  # type: ignore[union-attr]
            if col.name.endswith("_enc")
        }
    assert columns == {col.name for col in SEALED}


def test_an_upgraded_database_with_a_version_1_key_file_rotates(tmp_path: Path) -> None:
    data, enc, mac = tmp_path / "data", os.urandom(32), os.urandom(32)
    app_id = legacy_database(data, enc, mac)
    fd = os.open(paths(data)[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, v1_key_file(enc, mac))
    os.close(fd)
    assert key_ids_in_use(data)["applications.state_enc"] == {1}
    report = rotate(*paths(data))
    assert report.key_id == 2 and report.rewritten["applications.state_enc"] == 1
    doc = key_file(data)
    assert doc["v"] == 2 and list(doc["enc"]) == ["2"]  # type: ignore[call-overload]
    with Store(data) as store:
        got = store.get(app_id)
        assert got is not None and got.state == {"name": "张"}
        assert store.db.execute("SELECT substr(state_enc, 1, 5) FROM applications").fetchone()[0] == (
            b"\x02\x00\x00\x00\x02"
        )
