"""Invalid Unicode and control characters are cleaned where they come in, in every channel, and an
application that already has them stored (written by an older version) still loads, reloads and resumes."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.channels.cli import run_chat
from bot.intake import Intake
from bot.registry import Registry
from bot.settings import ROOT
from storage import Store
from storage.clock import utc_now
from storage.repository import _aad, _event_aad
from tests.aio import run
from tests.channels.telegram.fake_botapi import user_message
from tests.channels.telegram.harness import CAMPAIGN, Harness
from tests.hostile import api
from tests.hostile.checks import clean_strings, stored_clean
from tests.hostile.server import TODAY, settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path / "data"), clock=lambda: TODAY)) as c:
        yield c


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.intake.store  # type: ignore[attr-defined]
    return store


def test_a_lone_surrogate_from_the_web_is_replaced_and_the_application_still_loads(
    client: TestClient,
) -> None:
    token = api.start(client)
    sent = api.send(client, token, b'{"text": "\\ud800\\u0000"}')
    assert sent.status_code == 200, sent.text
    loaded = api.load(client, token)
    assert loaded.status_code == 200, loaded.text
    said = [t["text"] for t in loaded.json()["transcript"] if t["who"] == "user"]
    assert said == ["\ufffd"]
    again = api.send(client, token, b'{"text": "\\u202e", "msg_id": "m\\udfff", "command": null}')
    assert again.status_code == 200, again.text
    app_id = store_of(client).app_for_token(token)
    assert app_id is not None
    stored_clean(store_of(client), app_id)
    resumed = api.resume(client, {"code": api.load(client, token).json()["resume_code"]})
    assert resumed.status_code == 200


def test_old_data_with_lone_surrogates_loads_reloads_and_resumes(client: TestClient) -> None:
    body = api.start_body(client)
    token = body["token"]
    api.say(client, token, "工程技术")
    store = store_of(client)
    app_id = store.app_for_token(token)
    assert app_id is not None
    found = store.get(app_id)
    assert found is not None
    state = found.state
    state["last_replies"][-1]["text"] += "\ud800"  # as an older version stored them: surrogatepass
    state["answers"]["note\udfff"] = "\udc80"
    state_blob = store.keys.seal(
        json.dumps(state, ensure_ascii=False).encode("utf-8", "surrogatepass"), _aad("state", app_id)
    )
    at, payload = (
        utc_now(),
        {"type": "text", "text": "工程\ud800", "replies": [{"kind": "x", "text": "\udfff"}, "odd"]},
    )
    payload_blob = store.keys.seal(
        json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass"),
        _event_aad(app_id, at, "web", "text", False),
    )

    def write() -> None:
        store.db.execute("UPDATE applications SET state_enc = ? WHERE id = ?", [state_blob, app_id])
        store.db.execute(
            "INSERT INTO answer_events (app_id, at, channel, kind, accepted, payload_enc) VALUES (?, ?, ?, ?, 0, ?)",
            [app_id, at, "web", "text", payload_blob],
        )

    store.write(write)
    loaded = api.load(client, token)
    assert loaded.status_code == 200, loaded.text
    clean_strings(loaded.json())
    transcript = loaded.json()["transcript"]
    assert [t["text"] for t in transcript if t["who"] == "user"] == ["工程技术", "工程\ufffd"]
    assert transcript[-1] == {"who": "bot", "kind": "x", "text": "\ufffd"}  # "odd" is left out
    resumed = api.resume(client, {"code": body["resume_code"]})
    assert resumed.status_code == 200, resumed.text
    assert api.send(client, token, {"text": "是"}).status_code == 200
    stored_clean(store, app_id, last_events=2)


def test_x_filename_is_cleaned(client: TestClient) -> None:
    token = api.start(client)
    api.upload(client, token, b"not an image", {"X-Filename": "%E2%80%AEgpj.exe%00%0A%ED%A0%80"})
    said = [t["text"] for t in api.load(client, token).json()["transcript"] if t["who"] == "user"]
    assert said[-1] == "［上传：gpj.exe \ufffd\ufffd\ufffd］"


def test_the_terminal_survives_bytes_that_are_not_utf8_and_control_characters(tmp_path: Path) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path / "data") as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        typed = io.TextIOWrapper(
            io.BytesIO(b"\xff\xfe\xed\xa0\x80\n\x1b[31m\x00\xe5\xb7\xa5\n" + b"x" * 5000 + b"\n"), "utf-8"
        )
        out = io.StringIO()
        assert (
            run_chat(intake, "cq_hgzy_2023\x00", None, tmp_path / "out", dt.date(2023, 9, 20), typed, out)
            == 0
        )
        (app,) = store.list_applications()
        said = [e.payload.get("text") for e in store.events(app.id) if e.kind == "text"]
        assert said == ["\ufffd\ufffd\ufffd\ufffd\ufffd", "[31m工", "x" * 5000]
        stored_clean(store, app.id)


def test_telegram_text_caption_and_file_name_are_cleaned(tmp_path: Path) -> None:
    chat = 777

    async def main() -> None:
        async with Harness(tmp_path / "data") as h:
            await h.say(chat, f"/start {CAMPAIGN}", "\ud800工程\x00技术\u202e")
            await h.send(
                h.update(
                    {
                        "message": user_message(
                            chat,
                            caption="\x1b\ud800",
                            document={
                                "file_id": "f",
                                "file_unique_id": "u",
                                "file_name": "\u202egpj.exe\ud800",
                            },
                        )
                    }
                )
            )
            app = h.app_for(chat)
            said = [e.payload for e in h.store.events(app.id)][1:]
            assert said[0]["text"] == "\ufffd工程技术"
            assert said[1]["name"] == "gpj.exe\ufffd"
            stored_clean(h.store, app.id)
            assert all("\ud800" not in t for t in h.texts(chat))

    run(main)
