"""The web API as the hostile corpus reaches it: the only module here that knows its routes and how the
session token travels (in `Authorization: Bearer`, routes under `/api/session`). When the routes change,
change this."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

CAMPAIGN = "cq_hgzy_2023"
Body = Mapping[str, Any] | list[Any] | bytes | Iterable[bytes]


def _request(
    client: httpx.Client, method: str, url: str, body: Body | None, headers: Mapping[str, Any] | None
) -> httpx.Response:
    """A mapping or list goes as JSON (ASCII, so a lone surrogate travels as a `\\ud800` escape, as a
    browser sends it); bytes or a generator of bytes go as they are (a generator is sent chunked, without
    Content-Length); either with a JSON content type unless `headers` say otherwise."""
    if body is None:
        return client.request(method, url, headers=dict(headers or {}))
    if isinstance(body, Mapping | list):
        body = json.dumps(body).encode("ascii")
    sent = {"Content-Type": "application/json", **(headers or {})}
    return client.request(method, url, content=body, headers={k: v for k, v in sent.items() if v is not None})


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create(client: httpx.Client, body: Body, headers: Mapping[str, Any] | None = None) -> httpx.Response:
    return _request(client, "POST", "/api/sessions", body, headers)


def start(client: httpx.Client, campaign: str = CAMPAIGN) -> str:
    """A new application; its session token."""
    return str(start_body(client, campaign)["token"])


def start_body(client: httpx.Client, campaign: str = CAMPAIGN) -> dict[str, Any]:
    response = create(client, {"campaign": campaign})
    assert response.status_code == 201, response.text
    return dict(response.json())


def resume(client: httpx.Client, body: Body, headers: Mapping[str, Any] | None = None) -> httpx.Response:
    return _request(client, "POST", "/api/sessions/resume", body, headers)


def send(
    client: httpx.Client, token: str, body: Body, headers: Mapping[str, Any] | None = None
) -> httpx.Response:
    """One message (an answer or a command) for the application."""
    return _request(client, "POST", "/api/session/messages", body, {**_auth(token), **(headers or {})})


def say(client: httpx.Client, token: str, *texts: str) -> dict[str, Any]:
    """Answers that must be taken; the last reply body."""
    out: dict[str, Any] = {}
    for text in texts:
        response = send(client, token, {"text": text})
        assert response.status_code == 200, response.text
        out = response.json()
    return out


def upload(
    client: httpx.Client, token: str, data: bytes | Iterable[bytes], headers: Mapping[str, Any] | None = None
) -> httpx.Response:
    sent = {"Content-Type": "image/jpeg", "X-Filename": "photo.jpg", **_auth(token), **(headers or {})}
    return client.put(
        "/api/session/upload", content=data, headers={k: v for k, v in sent.items() if v is not None}
    )


def load(client: httpx.Client, token: str) -> httpx.Response:
    """The application as a reloaded page reads it: transcript and state."""
    return client.get("/api/session", headers=_auth(token))


def get(client: httpx.Client, token: str, url: str) -> httpx.Response:
    """A download the state links to (a document, the checklist)."""
    return client.get(url)
