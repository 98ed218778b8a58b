"""The hostile corpus against the web JSON API, over real HTTP (uvicorn on 127.0.0.1, a client timeout per
request): no 500, no hang, the error shape on every 4xx, and afterwards the application still loads and
what it stored is clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.engine.transcript import COMPLETE, ELIGIBLE
from tests.hostile import api
from tests.hostile.checks import answered, asked, clean_strings, error_shape, store_of, stored_clean
from tests.hostile.corpus import (
    CAMPAIGNS,
    CODES,
    CONTENT_TYPES,
    MESSAGE_BODIES,
    RAW_BODIES,
    TEXTS,
    chunked_json,
)
from tests.hostile.server import serve, settings

Served = tuple[FastAPI, httpx.Client]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data: Path = tmp_path_factory.mktemp("hostile-api") / "data"
    with serve(settings(data)) as pair:
        yield pair


@pytest.fixture(scope="module")
def targets(served: Served) -> dict[str, str]:
    """Applications waiting at a choice question, at the name (a text with a pattern), at the achievements
    (a long text), and one for bodies of the wrong shape."""
    _, client = served
    out = {where: api.start(client) for where in ("choice", "name", "long-text", "bodies")}
    api.say(client, out["name"], *ELIGIBLE)
    api.say(client, out["long-text"], *COMPLETE[:-2])
    return out


def still_loads(app: FastAPI, client: httpx.Client, token: str) -> dict[str, Any]:
    """GET of the application answers 200 with valid UTF-8 and clean strings; its stored state and last
    answer events are clean."""
    response = api.load(client, token)
    assert response.status_code == 200, response.text[:300]
    body: dict[str, Any] = response.json()
    clean_strings(body["transcript"])
    app_id = store_of(app).app_for_token(token)
    assert app_id is not None
    stored_clean(store_of(app), app_id, last_events=3)
    return body


@pytest.mark.parametrize("where", ["choice", "name", "long-text"])
@pytest.mark.parametrize("text", list(TEXTS.values()), ids=list(TEXTS))
def test_hostile_text(served: Served, targets: dict[str, str], where: str, text: str) -> None:
    app, client = served
    token = targets[where]
    before = asked(api.load(client, token).json())
    response = api.send(client, token, {"text": text})
    answered(response)
    if len(text) > 2000:
        assert response.status_code in (413, 422)  # too long, or (escaped) over the 64 KB cap
    if response.status_code == 200:
        clean_strings(response.json()["replies"])
        if asked(response.json()) != before:  # taken: step back, so the next input meets the same question
            answered(api.send(client, token, {"command": "back"}))
    assert asked(still_loads(app, client, token)) == before


@pytest.mark.parametrize("body", list(MESSAGE_BODIES.values()), ids=list(MESSAGE_BODIES))
def test_message_of_the_wrong_shape(served: Served, targets: dict[str, str], body: Any) -> None:
    app, client = served
    token = targets["bodies"]
    if body is None or isinstance(body, str | int):
        response = api.send(client, token, json.dumps(body).encode())
    else:
        response = api.send(client, token, body)
    answered(response)
    still_loads(app, client, token)


@pytest.mark.parametrize("raw", list(RAW_BODIES.values()), ids=list(RAW_BODIES))
def test_raw_body(served: Served, targets: dict[str, str], raw: bytes) -> None:
    app, client = served
    token = targets["bodies"]
    response = api.send(client, token, raw)
    answered(response)
    if len(raw) > 64 * 1024:
        assert response.status_code == 413
    still_loads(app, client, token)


@pytest.mark.parametrize(("raw", "kind"), list(CONTENT_TYPES.values()), ids=list(CONTENT_TYPES))
def test_wrong_content_type(served: Served, targets: dict[str, str], raw: bytes, kind: str | None) -> None:
    app, client = served
    token = targets["bodies"]
    answered(api.send(client, token, raw, {"Content-Type": kind}))
    still_loads(app, client, token)


@pytest.mark.parametrize(
    ("pad", "status"), [(100, 200), (60 * 1024, 200), (65 * 1024, 413), (8 * 1024 * 1024, 413)]
)
def test_chunked_body(served: Served, targets: dict[str, str], pad: int, status: int) -> None:
    app, client = served
    token = targets["bodies"]
    response = api.send(client, token, chunked_json("工程技术", pad))
    answered(response)
    assert response.status_code == status
    still_loads(app, client, token)


@pytest.mark.parametrize("code", list(CODES.values()), ids=list(CODES))
def test_resume_code(served: Served, code: Any) -> None:
    _, client = served
    error_shape(api.resume(client, {"code": code}))


@pytest.mark.parametrize("campaign", list(CAMPAIGNS.values()), ids=list(CAMPAIGNS))
def test_campaign(served: Served, campaign: Any) -> None:
    _, client = served
    response = api.create(client, {"campaign": campaign})
    answered(response)  # 201 for the NUL case: the campaign id once its control character is removed
    assert response.status_code == (
        201
        if campaign == "cq_hgzy_2023\x00"
        else 404
        if isinstance(campaign, str) and len(campaign) <= 100
        else 422
    )


@pytest.mark.parametrize("raw", list(RAW_BODIES.values())[:12], ids=list(RAW_BODIES)[:12])
def test_session_bodies(served: Served, raw: bytes) -> None:
    _, client = served
    error_shape(api.create(client, raw))
    error_shape(api.resume(client, raw))


AUTHORIZATIONS = {
    "none": None,
    "empty": "",
    "basic": "Basic eDp5",
    "bearer-only": "Bearer",
    "bearer-tab": "Bearer \t x",
    "forged": "Bearer " + "A" * 32,
    "long": "Bearer " + "x" * 5000,
    "traversal": "Bearer ../../etc/passwd",
    "script": "Bearer <script>alert(1)</script>",
    "template": "Bearer {{ 7*7 }}",
    "latin1": "Bearer \xe9\xe8",
    "two": "Bearer a, Bearer b",
}


@pytest.mark.parametrize("header", list(AUTHORIZATIONS.values()), ids=list(AUTHORIZATIONS))
@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/api/session"), ("POST", "/api/session/messages"), ("POST", "/api/session/resume-code")],
)
def test_session_authorization(served: Served, header: str | None, method: str, url: str) -> None:
    _, client = served
    headers = {"Authorization": header.encode("latin-1")} if header is not None else {}
    response = client.request(method, url, json={"text": "x"} if method == "POST" else None, headers=headers)
    assert error_shape(response) and response.status_code in (401, 404)


TICKETS = {
    "empty-ish": ".",
    "no-dot": "abc",
    "dots": "a.b.c",
    "bad-base64": "!!!.0123456789abcdef0123456789abcdef",
    "forged": "YXBwfGRvYzphcHBsaWNhdGlvbnw5OTk5OTk5OTk5.0123456789abcdef0123456789abcdef",
    "long": "a" * 1000 + ".b",
    "unicode": "%E4%B8%AD.%E6%96%87",
    "nul": "%00.%00",
    "script": "%3Cscript%3E.x",
}


@pytest.mark.parametrize("ticket", list(TICKETS.values()), ids=list(TICKETS))
def test_download_ticket(served: Served, ticket: str) -> None:
    _, client = served
    response = client.get(f"/api/files/{ticket}")
    assert error_shape(response) and response.status_code == 404


@pytest.mark.parametrize("last4", ["", " ", "123X" * 3, "<sc", "\ud800", "\x00\x01", 1234, None, ["1"]])
def test_resume_with_hostile_last_four(served: Served, last4: Any) -> None:
    _, client = served
    error_shape(api.resume(client, {"code": "ZZZZZZZZ", "id_last4": last4}))


def test_every_target_completes_afterwards(served: Served, targets: dict[str, str]) -> None:
    """After the whole corpus the long-text application still finishes, with the corpus' own answers."""
    app, client = served
    token = targets["long-text"]
    body = api.say(client, token, COMPLETE[-2], COMPLETE[-1], "确认")
    assert body["state"]["status"] == "complete", body["replies"]
    still_loads(app, client, token)
