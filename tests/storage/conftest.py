import base64
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlite_utils import Database

from bot.channels.telegram.store import TelegramStore
from storage import Store, second_factor
from storage.accounts import Accounts
from storage.migrations import MIGRATIONS, migrate
from storage.sealed import aad, status_reason_aad


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data") as s:
        yield s


@dataclass
class Sample:
    """What `fill` stored: every encrypted column has rows (the Telegram inbox too)."""

    states: dict[str, Any] = field(default_factory=dict)
    events: dict[str, list[Any]] = field(default_factory=dict)
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    totp: dict[str, str] = field(default_factory=dict)  # user id -> TOTP secret
    index: str = ""  # a blind index, to show the MAC key did not change

    def fill(self, data_dir: Path, apps: int = 10) -> None:
        with Store(data_dir) as store:
            for n in range(apps):
                state = {"n": n, "name": f"申报人{n}", "id_number": f"50010119900101{n:04d}"}
                app = store.create_application("f", "c", "web", {})
                events = []
                for turn in range(3):
                    payload = {"field": "x", "value": f"{n}-{turn}"}
                    store.record_turn(
                        app.id, channel="web", kind="answer", payload=payload, accepted=True, state=state
                    )
                    events.append(payload)
                self.states[app.id], self.events[app.id] = state, events
                if n % 2 == 0:
                    self.reasons[app.id] = f"材料退回原因{n}"
                    _status_change(store, app.id, self.reasons[app.id])
                if n % 3 == 0:
                    data = f"photo {n}".encode() * 50
                    self.files[(store.put_file(app.id, data, "image/jpeg"), app.id)] = data
            book = Accounts(store)
            for name in ("amy", "bob"):
                user = book.add_user(name, "admin", None, "not-a-real-hash", False)
                self.totp[user.id] = second_factor.begin(book, user.id, name).secret
            inbox = TelegramStore(store, bot_id=42)
            for update_id in range(5):
                update = {"update_id": update_id, "message": {"text": f"第{update_id}条"}}
                inbox.receive(update_id, update)
                if update_id < 2:
                    inbox.done(update_id)  # payload cleared (NULL): nothing to re-encrypt
                else:
                    self.updates.append(update)
            self.index = store.keys.blind_index("50010119900101123X")

    def check(self, data_dir: Path, key_file: Path | None = None) -> None:
        """Every stored value opens and is what was stored."""
        with Store(data_dir, key_file) as store:
            apps = store.list_applications()
            assert {a.id: a.state for a in apps if a.id in self.states} == self.states
            for app_id, payloads in self.events.items():
                assert [e.payload for e in store.events(app_id)] == payloads
            for (ref, app_id), data in self.files.items():
                assert store.get_file(ref, app_id) == (data, "image/jpeg")
            assert TelegramStore(store, bot_id=42).pending() == self.updates
            assert store.keys.blind_index("50010119900101123X") == self.index
            rows = store.db.execute(
                "SELECT app_id, at, from_status, to_status, reason_enc FROM status_changes"
            )
            opened = {r[0]: store.keys.open(r[4], status_reason_aad(*r[:4])).decode() for r in rows}
            assert opened == self.reasons
            book = Accounts(store)
            for user_id, secret in self.totp.items():
                found = second_factor.pending(book, user_id, "x")
                assert found is not None and found.secret == secret


def _status_change(store: Store, app_id: str, reason: str) -> None:
    at = "2023-09-20T08:00:00Z"
    sealed = store.keys.seal(reason.encode(), status_reason_aad(app_id, at, "received", "returned"))
    store.write(
        lambda: store.db.execute(
            "INSERT INTO status_changes (app_id, at, actor, from_status, to_status, reason_enc) "
            "VALUES (?, ?, 'tester', 'received', 'returned', ?)",
            [app_id, at, sealed],
        )
    )


@pytest.fixture
def sample() -> Sample:
    return Sample()


def legacy_database(data: Path, enc: bytes, mac: bytes) -> str:
    """What the code before key fingerprints left: migrations 1-4, a version-1 key file, version-1 blobs."""
    data.mkdir()
    db = Database(sqlite3.connect(data / "shenbao.db", isolation_level=None))
    migrate(db, MIGRATIONS[:4])
    nonce = os.urandom(12)
    blob = (
        b"\x01" + nonce + AESGCM(enc).encrypt(nonce, b'{"name":"\xe5\xbc\xa0"}', b"\x01" + aad("state", "a1"))
    )
    db.execute(
        "INSERT INTO applications (id, form_id, channel, resume_code, created_at, updated_at, state_enc) "
        "VALUES ('a1', 'f', 'web', 'ABCDEFGH', 'now', 'now', ?)",
        [blob],
    )
    db.conn.close()
    return "a1"


def v1_key_file(enc: bytes, mac: bytes) -> bytes:
    return json.dumps(
        {"v": 1, "enc": base64.b64encode(enc).decode(), "mac": base64.b64encode(mac).decode()}
    ).encode()
