"""Opening the chat stores nothing (GET /api/sessions/opening); the first answer creates the application
(POST /api/sessions carrying it); every answer carries the key of the question shown (contract C1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from storage import Store
from tests.hostile import api
from tests.hostile.server import TODAY, settings

CAMPAIGN = "cq_hgzy_2023"
HOSTILE = ["<script>alert(1)</script>", "</w:t>", "{{ 7*7 }}", "\ud800", "a\x00b\x1bc"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path / "data"), clock=lambda: TODAY)) as c:
        yield c


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.intake.store  # type: ignore[attr-defined]
    return store


def count(client: TestClient) -> int:
    return len(store_of(client).list_applications())


def test_the_opening_is_shown_and_nothing_is_stored(client: TestClient) -> None:
    for _ in range(3):
        r = client.get("/api/sessions/opening", params={"campaign": CAMPAIGN})
        assert r.status_code == 200
        body = r.json()
        kinds = [x["kind"] for x in body["replies"]]  # the greeting, the first section's intro, the question
        assert kinds == ["notice", "notice", "question"], kinds
        assert body["replies"][-1]["data"]["key"] == "series"
        assert body["token"] is None and body["resume_code"] is None
        assert body["state"]["progress"] == {"n": 1, "total": 35}
    helped = client.get("/api/sessions/opening", params={"campaign": CAMPAIGN, "command": "help"}).json()
    assert helped["replies"][0]["kind"] == "help" and helped["replies"][-1]["data"]["key"] == "series"
    assert count(client) == 0


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"campaign": "nope"}, 404),
        ({"campaign": "<script>alert(1)</script>"}, 404),
        ({"campaign": "x" * 101}, 422),
        ({}, 422),
        ({"campaign": CAMPAIGN, "command": "restart"}, 422),
        ({"campaign": CAMPAIGN, "command": "{{ 7*7 }}"}, 422),
    ],
)
def test_a_bad_opening_request_is_refused(client: TestClient, params: dict[str, str], status: int) -> None:
    r = client.get("/api/sessions/opening", params=params)
    assert r.status_code == status
    assert "7*7" not in r.text or status == 422
    assert count(client) == 0


def test_the_first_answer_creates_the_application_and_is_taken(client: TestClient) -> None:
    r = api.create(client, {"campaign": CAMPAIGN, "text": "工程技术", "key": "series", "msg_id": "m1"})
    assert r.status_code == 201
    body = r.json()
    assert [x["kind"] for x in body["replies"]] == ["question"]
    assert body["replies"][0]["data"]["key"] == "in_post"
    assert body["token"] and body["resume_code"]
    assert count(client) == 1
    store = store_of(client)
    app = store.list_applications()[0]
    assert app.state["answers"]["series"] == "工程技术"
    events = store.events(app.id)
    assert [e.kind for e in events] == ["start", "text"]
    assert events[-1].payload["key"] == "series"
    # the next answer, with its key, goes on as usual
    sent = api.send(client, body["token"], {"text": "是", "key": "in_post"})
    assert sent.status_code == 200 and sent.json()["replies"][-1]["data"]["key"] == "annual_review_ok"
    assert store.events(app.id)[-1].payload["key"] == "in_post"
    assert count(client) == 1


def test_a_first_command_creates_it_too_and_without_an_answer_the_opening_is_the_reply(
    client: TestClient,
) -> None:
    r = api.create(client, {"campaign": CAMPAIGN, "command": "review"})
    assert r.status_code == 201 and r.json()["replies"]
    plain = api.create(client, {"campaign": CAMPAIGN})
    assert [x["kind"] for x in plain.json()["replies"]] == ["notice", "notice", "question"]
    assert count(client) == 2


@pytest.mark.parametrize(
    "body",
    [
        {"campaign": CAMPAIGN, "text": "x" * 2001},
        {"campaign": CAMPAIGN, "command": "nope"},
        {"campaign": CAMPAIGN, "text": "是", "key": "k" * 201},
        {"campaign": CAMPAIGN, "text": 5},
        {"campaign": CAMPAIGN, "text": "是", "msg_id": "m" * 101},
    ],
)
def test_a_malformed_first_answer_creates_nothing(client: TestClient, body: dict[str, object]) -> None:
    r = api.create(client, body)
    assert r.status_code == 422
    assert count(client) == 0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_keys_and_answers_are_kept_as_text(client: TestClient, hostile: str) -> None:
    r = api.create(client, {"campaign": CAMPAIGN, "text": hostile, "key": hostile})
    assert r.status_code == 201
    # `{{ 7*7 }}` is never evaluated (only the replies: the token and code are random and may hold "49")
    assert not any("49" in reply["text"] for reply in r.json()["replies"])
    token = r.json()["token"]
    sent = api.send(client, token, {"text": hostile, "key": hostile})
    assert sent.status_code == 200
    for event in store_of(client).events(store_of(client).list_applications()[-1].id)[1:]:
        key = event.payload["key"]
        assert isinstance(key, str) and "\x00" not in key and "\ud800" not in key


def test_creating_with_an_answer_counts_against_the_limit(tmp_path: Path) -> None:
    config = settings(tmp_path / "data", sessions_per_minute=1)
    with TestClient(create_app(config, clock=lambda: TODAY)) as client:
        assert api.create(client, {"campaign": CAMPAIGN, "text": "工程技术"}).status_code == 201
        refused = api.create(client, {"campaign": CAMPAIGN, "text": "工程技术"})
        assert refused.status_code == 429
        assert count(client) == 1
        # the opening is not an application: it is not limited
        assert client.get("/api/sessions/opening", params={"campaign": CAMPAIGN}).status_code == 200


def test_a_browser_holding_a_session_keeps_its_owner_key(client: TestClient) -> None:
    first = api.create(client, {"campaign": CAMPAIGN, "text": "工程技术"}).json()["token"]
    second = api.create(
        client, {"campaign": CAMPAIGN, "text": "工程技术"}, {"Authorization": f"Bearer {first}"}
    ).json()["token"]
    store = store_of(client)
    a, b = (store.app_for_token(t) for t in (first, second))
    assert a and b and a != b
    assert store.owner_key(a) == store.owner_key(b) is not None


def test_a_first_answer_sent_again_continues_the_application_it_created(client: TestClient) -> None:
    sent = {"campaign": CAMPAIGN, "text": "工程技术", "key": "series", "msg_id": "first-1"}
    one = api.create(client, sent).json()
    again = api.create(client, sent).json()  # the reply to the first was lost: the page retries
    assert count(client) == 1
    assert again["resume_code"] == one["resume_code"] and again["replies"] == one["replies"]
    assert again["token"] != one["token"]
    app = store_of(client).list_applications()[0]
    assert [e.kind for e in store_of(client).events(app.id)] == ["start", "text"]
    # another first answer (another msg_id) is another application
    api.create(client, {**sent, "msg_id": "first-2"})
    assert count(client) == 2
