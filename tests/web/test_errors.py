"""Every error in one JSON shape with a request id that the log has too; a full disk is 507 with its own
message; an unexpected failure is a JSON 500 whose log line names the route template, not the path."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.web.errors import FAILED, STORAGE_FULL
from storage import Store
from tests.hostile import api
from tests.hostile.checks import error_shape, shaped
from tests.hostile.server import TODAY, settings

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("errors") / "data"
    with TestClient(create_app(settings(data), clock=lambda: TODAY)) as c:
        yield c


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.intake.store  # type: ignore[attr-defined]
    return store


def logged(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if request_id in r.getMessage()]


def test_a_full_database_is_507_in_chinese_and_nothing_is_lost(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shenbao.web")
    token = api.start(client)
    api.say(client, token, "工程技术")
    store = store_of(client)
    pages = store.read(lambda: store.db.execute("PRAGMA page_count").fetchone()[0])
    store.read(lambda: store.db.execute(f"PRAGMA max_page_count = {pages}").fetchone())
    statuses = []
    for _ in range(20):  # the free pages the file still has fill up first
        response = api.send(client, token, {"text": "是" if not statuses else "否"})
        statuses.append(response.status_code)
        if response.status_code != 200:
            break
    assert statuses[-1] == 507, statuses
    body = shaped(response)
    assert body["error"] == STORAGE_FULL
    (line,) = logged(caplog, body["request_id"])
    message = line.getMessage()
    assert line.levelno == logging.ERROR and "full" in message and "SQLITE_FULL" in message
    assert "POST /api/session/messages" in message and token not in message

    store.read(lambda: store.db.execute("PRAGMA max_page_count = 1073741823").fetchone())
    accepted = statuses.count(200)
    transcript = api.load(client, token).json()["transcript"]
    said = [t["text"] for t in transcript if t["who"] == "user"]
    assert len(said) == 1 + accepted  # the refused answer left nothing behind
    assert api.send(client, token, {"text": "是"}).status_code == 200


def test_no_space_left_on_device_is_507(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    token = api.start(client)

    def full(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_of(client), "record_turn", full)
    response = api.send(client, token, {"text": "工程技术"})
    assert response.status_code == 507
    assert shaped(response)["error"] == STORAGE_FULL


def test_an_unexpected_failure_is_a_json_500_logged_without_personal_values(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="shenbao.web")
    token = api.start(client)

    def broken(_app_id: str) -> list[dict[str, Any]]:
        raise RuntimeError("张三 50010119900101123X")

    monkeypatch.setattr(client.app.state.intake, "transcript", broken)  # type: ignore[attr-defined]
    response = api.load(client, token)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {"error": FAILED, "request_id": response.headers["x-request-id"]}
    (line,) = logged(caplog, body["request_id"])
    message = line.getMessage() + (line.exc_text or "")
    assert "GET /api/session -> 500: builtins.RuntimeError" in message
    assert "webchat/api.py" in message and " in load" in message  # the frames
    for secret in (token, "张三", "50010119900101123X"):
        assert secret not in message


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("GET", "/api/nothing", {}, 404),
        ("DELETE", "/api/sessions", {}, 405),
        ("POST", "/api/sessions", {"json": {"campaign": 1}}, 422),
        ("POST", "/api/sessions", {"json": {"campaign": "nope"}}, 404),
        ("POST", "/api/sessions/resume", {"json": {"code": "ZZZZZZZZ"}}, 404),
        ("POST", "/api/sessions", {"content": b"{", "headers": JSON}, 422),
        ("POST", "/api/sessions", {"content": b"[" * 30_000 + b"]" * 30_000, "headers": JSON}, 400),
        ("POST", "/api/sessions", {"content": b"x" * 70_000}, 413),
        ("POST", "/telegram/webhook", {"json": {"update_id": 1}}, 404),
        ("GET", "/static/nothing.js", {}, 404),
    ],
)
def test_every_error_has_the_shape(
    client: TestClient, method: str, url: str, kwargs: dict[str, Any], status: int
) -> None:
    response = client.request(method, url, **kwargs)
    assert response.status_code == status
    error_shape(response)


def test_api_errors_of_a_session_have_the_shape(client: TestClient) -> None:
    token = api.start(client)
    error_shape(api.send(client, token, {"command": "shutdown"}))
    refused = api.upload(client, token, b"<html></html>")
    assert refused.status_code == 415
    body = error_shape(refused)
    assert body["replies"] and body["token"] == token  # the route's own keys are kept
    error_shape(api.send(client, "x" * 32, {"text": "工程技术"}))
    assert client.delete("/api/sessions").headers["allow"] == "POST"


def test_rate_limit_keeps_retry_after(tmp_path: Path) -> None:
    config = settings(tmp_path / "data", sessions_per_minute=1)
    with TestClient(create_app(config, clock=lambda: TODAY)) as client:
        api.start(client)
        refused = api.create(client, {"campaign": "cq_hgzy_2023"})
        assert refused.status_code == 429
        body = error_shape(refused)
        assert body["retry_after"] > 0 and refused.headers["retry-after"] == str(body["retry_after"])


def test_every_response_has_its_own_request_id(client: TestClient) -> None:
    ids = {client.get("/").headers["x-request-id"], client.get("/api/nothing").headers["x-request-id"]}
    ids.add(client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).headers["x-request-id"])
    assert len(ids) == 3 and all(len(i) == 16 for i in ids)
