"""What is sealed is valid UTF-8, and what was sealed before with lone surrogates still opens."""

from __future__ import annotations

from pathlib import Path

from storage import KeyRing, Store
from storage.repository import _aad


def test_json_with_lone_surrogates_is_stored_and_read_as_valid_utf8() -> None:
    keys = KeyRing.generate()
    blob = keys.seal_json({"text": "张\ud800三"}, b"aad")
    assert keys.open(blob, b"aad").decode("utf-8") == '{"text":"张\ufffd三"}'  # strict UTF-8 at rest
    old = keys.seal('{"text":"\ud800","r":["\udfff"]}'.encode("utf-8", "surrogatepass"), b"aad")  # as before
    assert keys.open_json(old, b"aad") == {"text": "\ufffd", "r": ["\ufffd"]}
    assert keys.open_json(keys.seal(b'{"t":"\xff"}', b"aad"), b"aad") == {"t": "\ufffd"}


def test_an_application_stored_with_a_lone_surrogate_loads(tmp_path: Path) -> None:
    with Store(tmp_path / "data") as store:
        app = store.create_application("f", None, "test", {})
        raw = '{"answers":{"name":"张\ud800"}}'.encode("utf-8", "surrogatepass")
        blob = store.keys.seal(raw, _aad("state", app.id))
        store.write(
            lambda: store.db.execute("UPDATE applications SET state_enc = ? WHERE id = ?", [blob, app.id])
        )
        found = store.get(app.id)
        assert found is not None and found.state == {"answers": {"name": "张\ufffd"}}
