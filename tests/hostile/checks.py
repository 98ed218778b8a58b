"""What every hostile input must leave behind: no 500, the error shape, valid UTF-8 at rest."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi import FastAPI

from bot.engine.sanitize import clean_input
from storage import Store
from storage.repository import _aad, _event_aad

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers.get("x-request-id"), "every response has a request id"


def error_shape(response: httpx.Response) -> dict[str, Any]:
    """A 4xx is JSON with a Chinese `error` and the request id of the X-Request-Id header."""
    no_server_error(response)
    return shaped(response)


def shaped(response: httpx.Response) -> dict[str, Any]:
    """An error (4xx or 5xx) in the one shape: JSON, a Chinese `error`, the request id of the header."""
    assert response.status_code >= 400, response.status_code
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str), body
    assert CHINESE.search(body["error"]), body["error"]
    assert body["request_id"] == response.headers["x-request-id"], body
    return body


def answered(response: httpx.Response) -> None:
    """Below 500; a 4xx has the error shape; a success body is valid UTF-8 JSON."""
    no_server_error(response)
    if response.status_code >= 400:
        error_shape(response)
    elif response.headers.get("content-type", "").startswith("application/json"):
        response.content.decode("utf-8")  # strict: no encoded surrogates
        response.json()


def stored_clean(store: Store, app_id: str, last_events: int | None = None) -> None:
    """The application's state and (the last) answer events decrypt to strict UTF-8: no lone surrogates,
    no NUL."""
    sql = "SELECT at, channel, kind, accepted, payload_enc FROM answer_events WHERE app_id = ? ORDER BY seq DESC"
    sql += f" LIMIT {int(last_events)}" if last_events else ""
    row = store.read(
        lambda: store.db.execute("SELECT state_enc FROM applications WHERE id = ?", [app_id]).fetchone()
    )
    events = store.read(lambda: store.db.execute(sql, [app_id]).fetchall())
    blobs = [(row[0], _aad("state", app_id))]
    blobs += [(blob, _event_aad(app_id, at, ch, kind, bool(acc))) for at, ch, kind, acc, blob in events]
    for blob, aad in blobs:
        clean_strings(json.loads(store.keys.open(blob, aad).decode("utf-8")))  # strict: no surrogates


def clean_strings(value: Any) -> None:
    """Every string (and key) in a JSON value is as the edge leaves it: no lone surrogate, no control
    character but tab and newline, no bidirectional override."""
    if isinstance(value, str):
        assert clean_input(value) == value, repr(value[:200])
    elif isinstance(value, dict):
        for key, item in value.items():
            clean_strings(key)
            clean_strings(item)
    elif isinstance(value, list):
        for item in value:
            clean_strings(item)


def store_of(app: FastAPI) -> Store:
    store: Store = app.state.intake.store
    return store


def asked(body: dict[str, Any]) -> str | None:
    questions = [r for r in body.get("replies") or [] if r.get("kind") == "question"]
    return str(questions[-1]["data"]["key"]) if questions else None
