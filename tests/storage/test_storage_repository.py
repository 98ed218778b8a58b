import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage import Application, StartupError, Store, UnknownApplication, resume_codes

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HOSTILE: dict[str, Any] = {
    "docx": "</w:t></w:r><w:r><w:t>injected",
    "jinja": "{{ 7*7 }}{% for x in y %}{{ x.__class__ }}{% endfor %}",
    "control": "a\x00b\x07c\x1b[31md\r\n\te\x7f\u200b\u2028",
    "emoji": "👩‍👩‍👧‍👦 申报 🇨🇳",
    "long": "长" * 10_000,
    "lone_surrogate": "\ud800",
    "sql": "'); DROP TABLE applications; --",
    "quotes": "\"'\\",
    "nested": {"rows": [{"学校": "重庆大学"}, None, True, 0, -1.5, 10**18]},
    "</w:t>": "key too",
}


def test_create_and_get(store: Store) -> None:
    app = store.create_application("cq_pro_to_skill", "2025-spring", "telegram", {"a": 1})
    assert len(app.id) == 32 and app.status == "in_progress" and app.event_count == 0
    assert TIMESTAMP.match(app.created_at) and app.created_at == app.updated_at
    assert resume_codes.normalize(app.resume_code) == app.resume_code
    assert store.get(app.id) == app
    assert store.get("missing") is None
    with pytest.raises(AttributeError):
        app.status = "x"  # type: ignore[misc]


def test_hostile_strings_round_trip_exactly(store: Store) -> None:
    """Exactly, but for a lone surrogate, which is not valid Unicode: it is stored as U+FFFD (valid UTF-8)."""
    kept = {**HOSTILE, "lone_surrogate": "\ufffd"}
    app = store.create_application("f", None, "web", HOSTILE)
    assert store.get(app.id).state == kept  # type: ignore[union-attr]
    store.record_turn(app.id, channel="web", kind="answer", payload=HOSTILE, accepted=True, state=HOSTILE)
    assert store.events(app.id)[0].payload == kept
    assert store.list_applications()[0].state == kept


def test_resume_code_lookup_is_tolerant(store: Store) -> None:
    app = store.create_application("f", None, "cli", {})
    code = app.resume_code
    for typed in (code, code.lower(), f"{code[:4]}-{code[4:]}".lower(), f" {code[:4]} {code[4:]} "):
        assert store.by_resume_code(typed) == app
    assert store.by_resume_code(code.replace("0", "o").replace("1", "l")) == app
    assert store.by_resume_code("") is None
    assert store.by_resume_code("UUUUUUUU") is None
    assert store.by_resume_code(code + "0") is None


def test_resume_code_normalisation() -> None:
    assert resume_codes.normalize("abcd-0o1l") == "ABCD0011"
    assert resume_codes.normalize("abcd efgh") == "ABCDEFGH"
    assert resume_codes.normalize("ABCD-EFGU") is None
    assert resume_codes.normalize("ABC") is None
    assert all(ch not in resume_codes.ALPHABET for ch in "ILOU")


def test_resume_code_collision_is_retried(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = iter(["AAAAAAAA", "AAAAAAAA", "AAAAAAAA", "BBBBBBBB"])
    monkeypatch.setattr(resume_codes, "new_code", lambda: next(codes))
    first = store.create_application("f", None, "cli", {})
    second = store.create_application("f", None, "cli", {})
    assert (first.resume_code, second.resume_code) == ("AAAAAAAA", "BBBBBBBB")


def test_record_turn_appends_and_replaces_state(store: Store) -> None:
    app = store.create_application("f", "c1", "telegram", {"step": 0})
    s1 = store.record_turn(
        app.id, channel="telegram", kind="answer", payload={"f": "name"}, accepted=True, state={"step": 1}
    )
    s2 = store.record_turn(
        app.id,
        channel="web",
        kind="answer",
        payload={"f": "id"},
        accepted=False,
        state={"step": 2},
        status="submitted",
        level="三级",
    )
    assert s2 > s1
    after = store.get(app.id)
    assert after is not None
    assert (after.state, after.event_count, after.status) == ({"step": 2}, 2, "submitted")
    assert (after.id_hmac, after.title_level, after.level) == (
        None,
        None,
        "三级",
    )  # retired columns stay empty
    assert TIMESTAMP.match(after.updated_at)
    events = store.events(app.id)
    assert [(e.seq, e.channel, e.accepted, e.payload) for e in events] == [
        (s1, "telegram", True, {"f": "name"}),
        (s2, "web", False, {"f": "id"}),
    ]
    # Omitted index columns keep their values.
    store.record_turn(app.id, channel="web", kind="command", payload={}, accepted=True, state={})
    again = store.get(app.id)
    assert again is not None and (again.status, again.level) == ("submitted", "三级")


def test_record_turn_for_unknown_application(store: Store) -> None:
    with pytest.raises(UnknownApplication):
        store.record_turn("nope", channel="c", kind="k", payload={}, accepted=True, state={})
    with pytest.raises(UnknownApplication):
        store.put_file("nope", b"x", "image/png")


def _snapshot(store: Store, app_id: str) -> tuple[Application | None, int]:
    return store.get(app_id), len(store.events(app_id))


def test_record_turn_is_atomic_when_state_cannot_be_serialised(store: Store) -> None:
    app = store.create_application("f", None, "cli", {"kept": True})
    store.record_turn(
        app.id, channel="cli", kind="answer", payload={"n": 1}, accepted=True, state={"kept": 1}
    )
    before = _snapshot(store, app.id)
    for bad in ({"x": object()}, {"x": float("inf")}):
        with pytest.raises((TypeError, ValueError)):
            store.record_turn(
                app.id, channel="cli", kind="answer", payload={"n": 2}, accepted=True, state=bad
            )
        assert _snapshot(store, app.id) == before
    assert not store.db.conn.in_transaction


def test_record_turn_is_atomic_when_the_state_update_fails(store: Store, tmp_path: Path) -> None:
    app = store.create_application("f", None, "cli", {"kept": True})
    before = _snapshot(store, app.id)
    raw = sqlite3.connect(tmp_path / "data" / "shenbao.db")
    raw.execute(
        "CREATE TRIGGER fail_update BEFORE UPDATE ON applications BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    raw.commit()
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        store.record_turn(
            app.id, channel="cli", kind="answer", payload={"n": 1}, accepted=True, state={"x": 1}
        )
    assert _snapshot(store, app.id) == before
    raw.execute("DROP TRIGGER fail_update")
    raw.commit()
    raw.close()
    store.record_turn(app.id, channel="cli", kind="answer", payload={"n": 1}, accepted=True, state={"x": 1})
    assert _snapshot(store, app.id)[1] == 1


def test_files_round_trip_and_stay_with_their_application(store: Store) -> None:
    a = store.create_application("f", None, "web", {})
    b = store.create_application("f", None, "web", {})
    data = bytes(range(256)) * 40
    ref = store.put_file(a.id, data, "image/jpeg")
    assert store.get_file(ref, a.id) == (data, "image/jpeg")
    assert store.get_file(ref, b.id) is None
    assert store.get_file("unknown", a.id) is None
    assert store.db.execute("SELECT size FROM files WHERE ref = ?", [ref]).fetchone()[0] == len(data)


def test_a_turn_stores_its_upload_and_deletes_other_files_in_one_transaction(store: Store) -> None:
    a = store.create_application("f", None, "web", {})
    b = store.create_application("f", None, "web", {})
    old, other = store.put_file(a.id, b"old photo", "image/jpeg"), store.put_file(b.id, b"b's", "image/png")
    sealed = store.seal_file(a.id, b"new photo", "image/jpeg")
    assert store.get_file(sealed.ref, a.id) is None  # sealed, not stored
    turn: dict[str, Any] = {"channel": "web", "kind": "file", "payload": {}, "accepted": True, "state": {}}
    store.record_turn(a.id, **turn, new_file=sealed, keep_files=[sealed.ref])
    assert store.get_file(sealed.ref, a.id) == (b"new photo", "image/jpeg")
    assert store.get_file(old, a.id) is None and store.get_file(other, b.id) is not None
    # nothing of a turn that fails is kept: not its file, not the deletion
    with pytest.raises(UnknownApplication):
        store.record_turn("nope", **turn, new_file=store.seal_file("nope", b"x", "image/png"), keep_files=[])
    with pytest.raises(ValueError):
        store.record_turn(b.id, **turn, new_file=store.seal_file(a.id, b"x", "image/png"))
    assert store.db.execute("SELECT count(*) FROM files").fetchone()[0] == 2
    assert store.prune_files(a.id, []) == 1 and store.prune_files(a.id, []) == 0
    assert store.get_file(other, b.id) == (b"b's", "image/png")


def test_duplicates_of(store: Store) -> None:
    def app(key: str | None, check: str = "f.same", status: str | None = None) -> str:
        new = store.create_application("f", "c", "web", {})
        turn: dict[str, Any] = {"channel": "web", "kind": "answer", "payload": {}, "accepted": True}
        store.record_turn(new.id, **turn, state={}, status=status, duplicate_keys={check: key})
        return new.id

    me, twin, _other_check, _abandoned, _other_key, _no_key = (
        app("k1"),
        app("k1"),
        app("k1", "f.other"),
        app("k1", status="abandoned"),
        app("k2"),
        app(None),
    )
    assert store.duplicates_of("f.same", "k1", exclude=me) == [twin]
    assert store.duplicates_of("f.same", "k1", exclude=twin) == [me]
    assert store.duplicates_of("f.same", "k3", exclude=me) == []
    # a key that changes or goes away is replaced, not added
    turn: dict[str, Any] = {"channel": "web", "kind": "answer", "payload": {}, "accepted": True}
    store.record_turn(twin, **turn, state={}, duplicate_keys={"f.same": "k2"})
    assert store.duplicates_of("f.same", "k1", exclude=me) == []
    store.record_turn(twin, **turn, state={}, duplicate_keys={"f.same": None})
    assert store.duplicates_of("f.same", "k2", exclude=twin) == [_other_key]


def test_list_applications(store: Store) -> None:
    a = store.create_application("f", "c1", "web", {"n": 1})
    b = store.create_application("f", "c2", "web", {"n": 2})
    c = store.create_application("f", None, "web", {"n": 3})
    assert {x.id for x in store.list_applications()} == {a.id, b.id, c.id}
    assert [x.id for x in store.list_applications("c1")] == [a.id]
    assert store.list_applications("none") == []


def test_data_survives_reopening(tmp_path: Path) -> None:
    with Store(tmp_path / "d") as s:
        app = s.create_application("f", None, "cli", {"x": "y"})
        ref = s.put_file(app.id, b"pdf", "application/pdf")
    with Store(tmp_path / "d") as s:
        assert s.get(app.id) == app
        assert s.get_file(ref, app.id) == (b"pdf", "application/pdf")


def test_another_key_file_is_refused_at_start_not_created(tmp_path: Path) -> None:
    with Store(tmp_path / "d") as s:
        s.create_application("f", None, "cli", {"x": "y"})
    with pytest.raises(StartupError, match="找不到密钥文件"):
        Store(tmp_path / "d", key_file=tmp_path / "other.key")
    assert not (tmp_path / "other.key").exists()
