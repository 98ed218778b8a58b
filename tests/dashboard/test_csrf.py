"""Every POST needs the session's CSRF token and a same-origin Origin (or Referer): otherwise 403 and
nothing changes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.settings import Settings
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    TODAY,
    Clock,
    accounts,
    audit_actions,
    csrf_of,
    logged_in,
    make_user,
    store_of,
)

NEW = "a brand new password"
BAD_HEADERS = [
    ({}, "no Origin or Referer"),
    ({"Origin": "https://evil.example"}, "foreign Origin"),
    ({"Origin": "null"}, "opaque Origin"),
    ({"Origin": "http://testserver.evil.example"}, "look-alike Origin"),
    ({"Referer": "https://evil.example/admin/campaigns"}, "foreign Referer"),
]


def sessions(client: TestClient) -> int:
    store = store_of(client)
    return int(store.read(lambda: store.db.execute("SELECT count(*) FROM admin_sessions").fetchone()[0]))


def password_hash(client: TestClient, name: str) -> str:
    found = accounts(client).user(name)
    assert found is not None
    return found[1]


@pytest.mark.parametrize("token", [None, "", "0" * 64, "wrong"])
def test_post_without_the_right_token_is_refused(client: TestClient, token: str | None) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    before = password_hash(client, "jiang"), sessions(client), len(audit_actions(client))
    data = {"current": PASSWORD, "new": NEW, "again": NEW}
    if token is not None:
        data["csrf"] = token
    changed = client.post("/admin/password", data=data, headers={"Origin": ORIGIN})
    assert changed.status_code == 403 and "已拒绝" in changed.text
    logout = client.post(
        "/admin/logout", data={"csrf": token} if token is not None else {}, headers={"Origin": ORIGIN}
    )
    assert logout.status_code == 403
    assert (password_hash(client, "jiang"), sessions(client), len(audit_actions(client))) == before
    assert client.get("/admin/campaigns").status_code == 200  # still logged in


def test_another_sessions_token_is_refused(client: TestClient) -> None:
    make_user(client, "jiang")
    make_user(client, "xiong")
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    foreign = logged_in(other, "xiong")
    logged_in(client, "jiang")
    response = client.post("/admin/logout", data={"csrf": foreign}, headers={"Origin": ORIGIN})
    assert response.status_code == 403
    assert client.get("/admin/campaigns").status_code == 200


@pytest.mark.parametrize(("headers", "why"), BAD_HEADERS, ids=[w for _, w in BAD_HEADERS])
def test_foreign_or_missing_origin_is_refused(client: TestClient, headers: dict[str, str], why: str) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    before = password_hash(client, "jiang"), sessions(client)
    changed = client.post(
        "/admin/password", data={"csrf": csrf, "current": PASSWORD, "new": NEW, "again": NEW}, headers=headers
    )
    assert changed.status_code == 403, why
    assert client.post("/admin/logout", data={"csrf": csrf}, headers=headers).status_code == 403
    assert (password_hash(client, "jiang"), sessions(client)) == before
    # and a login posted from elsewhere creates no session
    client.cookies.clear()
    form = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"csrf": csrf_of(form), "username": "jiang", "password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 403 and sessions(client) == before[1]


def test_login_needs_its_form_token(client: TestClient) -> None:
    make_user(client, "jiang")
    client.get("/admin/login")
    for data in (
        {"username": "jiang", "password": PASSWORD},
        {"csrf": "guessed", "username": "jiang", "password": PASSWORD},
    ):
        response = client.post("/admin/login", data=data, headers={"Origin": ORIGIN})
        assert response.status_code == 403
    client.cookies.clear()  # no login cookie at all (a form posted from another site)
    response = client.post(
        "/admin/login",
        data={"csrf": "x", "username": "jiang", "password": PASSWORD},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 403
    assert sessions(client) == 0


def test_same_origin_referer_is_enough_without_origin(client: TestClient) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    response = client.post(
        "/admin/logout", data={"csrf": csrf}, headers={"Referer": f"{ORIGIN}/admin/campaigns"}
    )
    assert response.status_code == 303 and sessions(client) == 0


def test_public_url_origin_is_accepted(settings: Settings, clock: Clock) -> None:
    app = create_app(replace(settings, public_url="https://sb.example.cn"), clock=lambda: TODAY)
    app.state.admin_clock = clock
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as c:
        make_user(c, "jiang")
        form = c.get("/admin/login")
        response = c.post(
            "/admin/login",
            data={"csrf": csrf_of(form), "username": "jiang", "password": PASSWORD},
            headers={"Origin": "https://sb.example.cn"},
        )
        assert response.status_code == 303


def test_get_changes_nothing(client: TestClient) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    assert client.get("/admin/logout").status_code in (404, 405)
    assert client.get("/admin/campaigns").status_code == 200
