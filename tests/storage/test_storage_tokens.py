from __future__ import annotations

from pathlib import Path

from storage import Store


def test_tokens_resolve_only_their_application_and_are_stored_hashed(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        a = store.create_application("f", None, "web", {})
        b = store.create_application("f", None, "web", {})
        token_a = store.issue_token(a.id, "web")
        token_b = store.issue_token(b.id, "web")
        assert token_a != token_b and len(token_a) >= 32
        assert store.app_for_token(token_a) == a.id
        assert store.app_for_token(token_b) == b.id
        for forged in ("", "x", token_a[:-1], token_a + "x", "'; DROP TABLE applications; --", "t" * 5000):
            assert store.app_for_token(forged) is None
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("shenbao.db*"))
    assert token_a.encode() not in raw
