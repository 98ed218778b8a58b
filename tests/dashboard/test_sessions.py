"""Logging in and out: cookie flags, a new session id at every login, logout and timeouts end the session on
the server, a one-time password must be changed before anything else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.dashboard import auth
from storage.accounts import session_hash
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    Clock,
    audit_actions,
    csrf_of,
    logged_in,
    login,
    make_user,
    store_of,
)


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/admin", "/admin/campaigns", "/admin/campaigns/cq_hgzy_2023", "/admin/password"):
        response = client.get(path, follow_redirects=True)
        assert response.url.path == "/admin/login", path
        assert "协调人登录" in response.text


def test_login_sets_a_server_side_session_cookie(client: TestClient) -> None:
    make_user(client, "jiang")
    response = login(client, "jiang")
    assert response.status_code == 303 and response.headers["location"] == "/admin/campaigns"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(auth.COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    session_id = cookie.split(";")[0].split("=", 1)[1]
    store = store_of(client)
    stored = store.read(lambda: store.db.execute("SELECT id_hash FROM admin_sessions").fetchall())
    assert stored == [(session_hash(session_id),)]  # only the hash is kept
    page = client.get("/admin/campaigns")
    assert page.status_code == 200 and "jiang" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no scripts
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_cookie_is_secure_over_https(settings: object, clock: Clock) -> None:
    from bot.app import create_app
    from tests.dashboard.conftest import TODAY

    app = create_app(settings, clock=lambda: TODAY)  # type: ignore[arg-type]
    app.state.admin_clock = clock
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        make_user(c, "jiang")
        form = c.get("/admin/login")
        assert "Secure" in form.headers["set-cookie"]
        response = c.post(
            "/admin/login",
            data={"csrf": csrf_of(form), "username": "jiang", "password": PASSWORD},
            headers={"Origin": "https://testserver"},
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


def test_every_login_gets_a_new_session_id(client: TestClient) -> None:
    make_user(client, "jiang")
    client.cookies.set(auth.COOKIE, "chosen-by-an-attacker", path="/admin")
    first = login(client, "jiang").cookies[auth.COOKIE]
    client.cookies.clear()
    second = login(client, "jiang").cookies[auth.COOKIE]
    assert first != second and "chosen-by-an-attacker" not in (first, second)
    assert client.get("/admin/login").headers["location"] == "/admin/campaigns"  # already logged in


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    session_id = client.cookies[auth.COOKIE]
    response = client.post("/admin/logout", data={"csrf": csrf}, headers={"Origin": ORIGIN})
    assert response.status_code == 303 and response.headers["location"] == "/admin/login"
    # the old cookie, replayed, opens nothing
    client.cookies.clear()
    client.cookies.set(auth.COOKIE, session_id, path="/admin")
    replay = client.get("/admin/campaigns")
    assert replay.status_code == 303 and replay.headers["location"] == "/admin/login"
    assert [a for a, *_ in audit_actions(client)] == ["user_added", "login_ok", "logout"]


def test_idle_session_ends(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    clock.advance(minutes=29)
    assert client.get("/admin/campaigns").status_code == 200  # use keeps it alive
    clock.advance(minutes=29)
    assert client.get("/admin/campaigns").status_code == 200
    clock.advance(minutes=31)
    replay = client.get("/admin/campaigns")
    assert replay.status_code == 303 and replay.headers["location"] == "/admin/login"
    store = store_of(client)
    assert store.read(lambda: store.db.execute("SELECT count(*) FROM admin_sessions").fetchone()[0]) == 0


def test_session_ends_after_its_lifetime_even_when_used(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    for _ in range(12 * 3):  # every 20 minutes for 12 hours
        assert client.get("/admin/campaigns").status_code == 200
        clock.advance(minutes=20)
    assert client.get("/admin/campaigns").headers["location"] == "/admin/login"


def test_settings_set_the_timeouts(tmp_path: object, clock: Clock) -> None:
    from bot.settings import Settings

    settings = Settings.from_env({"SHENBAO_ADMIN_IDLE_MINUTES": "5", "SHENBAO_ADMIN_SESSION_HOURS": "1"})
    assert (settings.admin_idle_minutes, settings.admin_session_hours) == (5, 1)
    defaults = Settings.from_env({})
    assert (defaults.admin_idle_minutes, defaults.admin_session_hours) == (30, 12)


def test_disabling_an_account_ends_its_sessions(client: TestClient) -> None:
    from bot.dashboard import users
    from tests.dashboard.conftest import accounts

    make_user(client, "jiang")
    logged_in(client, "jiang")
    users.disable(accounts(client), "jiang", actor="admin")
    assert client.get("/admin/campaigns").headers["location"] == "/admin/login"
    assert login(client, "jiang").status_code == 401


def test_one_time_password_must_be_changed_first(client: TestClient) -> None:
    _, one_time = make_user(client, "xiong", password=None)
    assert len(one_time) == 19
    response = login(client, "xiong", one_time)
    assert response.headers["location"] == "/admin/password"
    for path in ("/admin/campaigns", "/admin/campaigns/cq_hgzy_2023", "/admin"):
        got = client.get(path, follow_redirects=True)
        assert got.url.path == "/admin/password", path
    page = client.get("/admin/password")
    assert "一次性密码" in page.text
    csrf = csrf_of(page)
    new = "my own pass 2023"
    # wrong current password, mismatch, too short: refused, still forced
    for current, a, b, message in (
        ("nope", new, new, "当前密码不正确"),
        (one_time, new, new + "x", "不一致"),
        (one_time, "short", "short", "至少 10 个字符"),
        (one_time, "xiong12345678", "xiong12345678", "不能包含用户名"),
    ):
        bad = client.post(
            "/admin/password",
            data={"csrf": csrf, "current": current, "new": a, "again": b},
            headers={"Origin": ORIGIN},
        )
        assert bad.status_code == 400 and message in bad.text
    assert client.get("/admin/campaigns").headers["location"] == "/admin/password"
    old_session = client.cookies[auth.COOKIE]
    done = client.post(
        "/admin/password",
        data={"csrf": csrf, "current": one_time, "new": new, "again": new},
        headers={"Origin": ORIGIN},
    )
    assert done.status_code == 303
    assert client.cookies[auth.COOKIE] != old_session  # a new session after the change
    assert client.get("/admin/campaigns").status_code == 200
    client.cookies.clear()
    assert login(client, "xiong", one_time).status_code == 401  # the one-time password is gone
    assert login(client, "xiong", new).headers["location"] == "/admin/campaigns"
    actions = [a for a, *_ in audit_actions(client)]
    assert actions[:4] == ["user_added", "login_ok", "password_check_failed", "password_changed"]


def test_password_change_ends_other_sessions(client: TestClient, settings: object) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    logged_in(other, "jiang")
    assert other.get("/admin/campaigns").status_code == 200
    new = "another good one"
    done = client.post(
        "/admin/password",
        data={"csrf": csrf, "current": PASSWORD, "new": new, "again": new},
        headers={"Origin": ORIGIN},
    )
    assert done.status_code == 303
    assert client.get("/admin/campaigns").status_code == 200
    assert other.get("/admin/campaigns").headers["location"] == "/admin/login"


def test_cookie_is_secure_when_a_trusted_proxy_forwarded_https(settings: object, clock: Clock) -> None:
    from dataclasses import replace

    from bot.app import create_app
    from tests.dashboard.conftest import TODAY

    app = create_app(replace(settings, forwarded_allow_ips="*"), clock=lambda: TODAY)  # type: ignore[type-var]
    app.state.admin_clock = clock
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as c:
        make_user(c, "jiang")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.9"}
        form = c.get("/admin/login", headers=proxied)
        assert "Secure" in form.headers["set-cookie"]
        secret = form.headers["set-cookie"].split(";")[0]  # a Secure cookie: httpx keeps it off plain http
        response = c.post(
            "/admin/login",
            data={"csrf": csrf_of(form), "username": "jiang", "password": PASSWORD},
            headers={**proxied, "Origin": "https://testserver", "Cookie": secret},
        )
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
        assert '"address":"198.51.100.9"' in audit_actions(c)[-1][3]  # the client as the proxy forwarded it
