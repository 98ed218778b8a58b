"""`shenbao backup` on real files: an online copy taken while answers are being written restores, with
its key file, to a store where everything opens; either file alone is refused."""

import shutil
import stat
import threading
from pathlib import Path

import pytest
from conftest import Sample

from storage import StartupError, Store
from storage.backup import BackupError, backup
from storage.rotation import rotate


def paths(data: Path) -> tuple[Path, Path]:
    return data / "shenbao.db", data / "shenbao.key"


def restore(copy: Path, to: Path, *, db: bool = True, key: bool = True) -> Path:
    to.mkdir(parents=True)
    for name, wanted in (("shenbao.db", db), ("shenbao.key", key)):
        if wanted:
            shutil.copy2(copy / name, to / name)
    return to


def test_a_backup_taken_while_answers_are_written_restores_whole(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data)
    stop = threading.Event()
    turns = 0
    with Store(data) as live:  # a running server
        app = live.create_application("f", None, "web", {})

        def answer() -> None:
            nonlocal turns
            while not stop.is_set():
                turns += 1
                live.record_turn(
                    app.id,
                    channel="web",
                    kind="answer",
                    payload={"i": turns},
                    accepted=True,
                    state={"i": turns},
                )

        writer = threading.Thread(target=answer)
        writer.start()
        try:
            while turns < 20:
                stop.wait(0.01)
            done = backup(*paths(data), tmp_path / "backup")
        finally:
            stop.set()
            writer.join()
    assert turns > 20 and done.applications == 11
    assert done.database == tmp_path / "backup" / "shenbao.db"
    for path in (done.database, done.key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in done.database.parent.iterdir()) == ["shenbao.db", "shenbao.key"]
    assert done.key_file.read_bytes() == paths(data)[1].read_bytes()

    restored = restore(tmp_path / "backup", tmp_path / "restored")
    sample.check(restored)
    with Store(restored) as store:
        copy = store.get(app.id)
        assert copy is not None and 0 < copy.event_count <= turns
        assert [e.payload["i"] for e in store.events(app.id)] == list(range(1, copy.event_count + 1))
        assert copy.state == {"i": copy.event_count}  # one snapshot: state and events agree


def test_a_backup_never_overwrites(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data, apps=1)
    backup(*paths(data), tmp_path / "b")
    before = (tmp_path / "b" / "shenbao.db").read_bytes()
    with pytest.raises(BackupError, match="已存在，不会覆盖"):
        backup(*paths(data), tmp_path / "b")
    assert (tmp_path / "b" / "shenbao.db").read_bytes() == before


def test_a_restore_needs_both_files(tmp_path: Path, sample: Sample) -> None:
    data = tmp_path / "data"
    sample.fill(data, apps=2)
    backup(*paths(data), tmp_path / "b")
    with pytest.raises(StartupError, match="找不到密钥文件"):
        Store(restore(tmp_path / "b", tmp_path / "db-only", key=False))
    with pytest.raises(StartupError, match="不存在"):
        Store(restore(tmp_path / "b", tmp_path / "key-only", db=False))


def test_after_a_rotation_an_old_backup_opens_only_with_its_own_key_file(
    tmp_path: Path, sample: Sample
) -> None:
    data = tmp_path / "data"
    sample.fill(data, apps=3)
    backup(*paths(data), tmp_path / "before")
    rotate(*paths(data))
    mixed = restore(tmp_path / "before", tmp_path / "mixed", key=False)
    shutil.copy2(paths(data)[1], mixed / "shenbao.key")
    with pytest.raises(StartupError, match="需要加密密钥 1"):
        Store(mixed)
    sample.check(restore(tmp_path / "before", tmp_path / "old"))
    backup(*paths(data), tmp_path / "after")
    sample.check(restore(tmp_path / "after", tmp_path / "new"))


def test_nothing_to_back_up_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="不存在或是空文件"):
        backup(*paths(tmp_path / "nowhere"), tmp_path / "b")
    assert not (tmp_path / "nowhere").exists()
