"""The optional TOTP second factor: turning it on from the 账号安全 page (QR code, secret, confirmation, recovery
codes shown once), logging in with a code or a recovery code, codes used once, the waiting session that
opens nothing else and ends after five minutes, the shared failure limit, turning it off, and the command
line reset for a lost phone."""

from __future__ import annotations

import re

import pyotp
import pytest
from fastapi.testclient import TestClient

from bot.cli import main
from storage import second_factor
from storage.accounts import Accounts
from tests.dashboard.conftest import (
    ORIGIN,
    PASSWORD,
    Clock,
    accounts,
    audit_actions,
    csrf_of,
    logged_in,
    login,
    make_user,
    store_of,
)

SECRET = re.compile(r'<code class="mono secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")
HOSTILE = ["<script>alert(1)</script>", "{{ 7*7 }}", "\x00\x1b[31m", "1" * 10_000, "１２３４５６", ""]


def post(client: TestClient, url: str, csrf: str, **fields: str) -> object:
    return client.post(url, data={"csrf": csrf, **fields}, headers={"Origin": ORIGIN})


def enable(client: TestClient, clock: Clock, name: str = "jiang") -> tuple[str, list[str]]:
    """Turn the second factor on for the logged-in account; return its secret and recovery codes."""
    csrf = csrf_of(client.get("/admin/security"))
    assert post(client, "/admin/security/totp/begin", csrf).status_code == 303  # type: ignore[attr-defined]
    page = client.get("/admin/security")
    assert page.status_code == 200 and "<svg" in page.text and "确认开启" in page.text
    found = SECRET.search(page.text)
    assert found, page.text
    secret = found.group(1).replace(" ", "")
    done = client.post(
        "/admin/security/totp/confirm",
        data={"csrf": csrf, "code": pyotp.TOTP(secret).at(clock.now)},
        headers={"Origin": ORIGIN},
    )
    assert done.status_code == 200, done.text
    codes = CODES.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "已开启双重验证" in done.text
    return secret, codes


def log_out(client: TestClient) -> None:
    page = client.get("/admin/campaigns")
    client.post("/admin/logout", data={"csrf": csrf_of(page)}, headers={"Origin": ORIGIN})
    client.cookies.clear()


def code_step(client: TestClient, code: str) -> object:
    page = client.get("/admin/login/code")
    assert page.status_code == 200, page.text
    return client.post(
        "/admin/login/code", data={"csrf": csrf_of(page), "code": code}, headers={"Origin": ORIGIN}
    )


def test_turning_it_on_shows_a_qr_code_and_recovery_codes_once(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    assert "未开启" in client.get("/admin/security").text
    secret, _codes = enable(client, clock)
    page = client.get("/admin/security")
    assert "已开启" in page.text and "剩余未用的恢复码：<strong>10</strong>" in page.text
    assert not CODES.findall(page.text) and secret not in page.text.replace(" ", "")  # shown once only
    assert ("second_factor_enabled", "jiang", "jiang", "{}") in audit_actions(client)
    # The secret is stored encrypted, bound to the account.
    store = store_of(client)
    blob = store.read(lambda: store.db.execute("SELECT secret_enc FROM user_totp").fetchone()[0])
    assert secret.encode() not in blob


def test_a_wrong_confirmation_code_leaves_it_off(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    post(client, "/admin/security/totp/begin", csrf)
    for bad in ["000000", *HOSTILE]:
        response = client.post(
            "/admin/security/totp/confirm", data={"csrf": csrf, "code": bad}, headers={"Origin": ORIGIN}
        )
        assert response.status_code == 400 and "验证码不正确" in response.text
        assert "<script>alert" not in response.text
    surrogate = client.post(  # a lone surrogate, percent-encoded as a browser would send its UTF-8 bytes
        "/admin/security/totp/confirm",
        content=f"csrf={csrf}&code=%ED%A0%80".encode(),
        headers={"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert surrogate.status_code == 400 and "验证码不正确" in surrogate.text
    user = accounts(client).user("jiang")
    assert user is not None and not second_factor.is_enabled(accounts(client), user[0].id)
    log_out(client)
    assert login(client, "jiang").headers["location"] == "/admin/campaigns"  # still password only


def test_login_asks_for_the_code_and_the_waiting_session_opens_nothing_else(
    client: TestClient, clock: Clock
) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    clock.advance(seconds=60)

    response = login(client, "jiang")
    assert response.headers["location"] == "/admin/login/code"
    waiting = client.cookies.get("shenbao_admin")
    for url in ["/admin/campaigns", "/admin/password", "/admin/security", "/admin/audit"]:
        blocked = client.get(url)
        assert blocked.status_code == 303 and blocked.headers["location"] == "/admin/login/code", url
    assert ("login_password_ok", "jiang") in [a[:2] for a in audit_actions(client)]

    done = code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert done.status_code == 303 and done.headers["location"] == "/admin/campaigns"  # type: ignore[attr-defined]
    assert client.cookies.get("shenbao_admin") != waiting  # a new session id once logged in
    assert client.get("/admin/campaigns").status_code == 200
    assert any(
        a[:2] == ("login_ok", "jiang") and '"second_factor":"totp"' in a[3] for a in audit_actions(client)
    )
    # The waiting session ended with the promotion: its cookie opens nothing.
    client.cookies.clear()
    client.cookies.set("shenbao_admin", waiting or "")
    assert client.get("/admin/campaigns").headers["location"] == "/admin/login"


def test_a_code_is_accepted_once(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now)
    login(client, "jiang")
    assert code_step(client, code).status_code == 303  # type: ignore[attr-defined]
    log_out(client)
    login(client, "jiang")
    replay = code_step(client, code)
    assert replay.status_code == 401 and "已用过" in replay.text  # type: ignore[attr-defined]
    clock.advance(seconds=30)
    assert code_step(client, pyotp.TOTP(secret).at(clock.now)).status_code == 303  # type: ignore[attr-defined]


def test_codes_one_step_either_side_are_accepted_but_not_older(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    clock.advance(minutes=5)
    totp = pyotp.TOTP(secret)
    login(client, "jiang")
    assert code_step(client, totp.at(clock.now.timestamp() - 90)).status_code == 401  # type: ignore[attr-defined]
    assert code_step(client, totp.at(clock.now.timestamp() - 30)).status_code == 303  # type: ignore[attr-defined]


def test_a_recovery_code_works_once(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    _, codes = enable(client, clock)
    log_out(client)
    login(client, "jiang")
    typed = codes[3].upper().replace("-", " ")  # as read out loud and typed: case and separator do not matter
    assert code_step(client, typed).status_code == 303  # type: ignore[attr-defined]
    assert "剩余未用的恢复码：<strong>9</strong>" in client.get("/admin/security").text
    assert any('"second_factor":"recovery"' in a[3] for a in audit_actions(client))
    log_out(client)
    login(client, "jiang")
    assert code_step(client, codes[3]).status_code == 401  # type: ignore[attr-defined]


def test_the_waiting_session_ends_after_five_minutes(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    login(client, "jiang")
    page = client.get("/admin/login/code")
    clock.advance(minutes=5, seconds=1)
    late = client.post(
        "/admin/login/code",
        data={"csrf": csrf_of(page), "code": pyotp.TOTP(secret).at(clock.now)},
        headers={"Origin": ORIGIN},
    )
    assert late.status_code == 303 and late.headers["location"] == "/admin/login"


def test_wrong_codes_count_towards_the_lock(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    clock.advance(seconds=60)
    login(client, "jiang")
    for n, bad in enumerate(["000000"] * 4 + HOSTILE):
        response = code_step(client, bad)
        assert response.status_code == 401, n  # type: ignore[attr-defined]
        assert "<script>alert" not in response.text  # type: ignore[attr-defined]
    locked = code_step(client, pyotp.TOTP(secret).at(clock.now))
    assert locked.status_code == 429 and "锁定" in locked.text  # type: ignore[attr-defined]
    actions = [a[0] for a in audit_actions(client)]
    assert actions.count("second_factor_failed") == 10 and "login_locked" in actions


def test_code_page_needs_csrf_and_our_origin(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    log_out(client)
    clock.advance(seconds=60)
    login(client, "jiang")
    code = pyotp.TOTP(secret).at(clock.now)
    page = client.get("/admin/login/code")
    assert (
        client.post("/admin/login/code", data={"code": code}, headers={"Origin": ORIGIN}).status_code == 403
    )
    foreign = client.post(
        "/admin/login/code",
        data={"csrf": csrf_of(page), "code": code},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert client.get("/admin/campaigns").headers["location"] == "/admin/login/code"  # still waiting


def test_turning_it_off_needs_the_password_and_a_code(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    secret, _ = enable(client, clock)
    clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(clock.now)
    wrong = post(client, "/admin/security/totp/off", csrf, password="not the password", code=code)
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.text  # type: ignore[attr-defined]
    off = post(client, "/admin/security/totp/off", csrf, password=PASSWORD, code=code)
    assert off.status_code == 200 and "已关闭双重验证" in off.text  # type: ignore[attr-defined]
    assert "second_factor_disabled" in [a[0] for a in audit_actions(client)]
    log_out(client)
    assert login(client, "jiang").headers["location"] == "/admin/campaigns"


def test_renewing_recovery_codes_voids_the_old_ones(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    secret, old = enable(client, clock)
    clock.advance(seconds=30)
    renewed = post(
        client, "/admin/security/recovery", csrf, password=PASSWORD, code=pyotp.TOTP(secret).at(clock.now)
    )
    new = CODES.findall(renewed.text)  # type: ignore[attr-defined]
    assert len(new) == 10 and not set(new) & set(old)
    log_out(client)
    login(client, "jiang")
    assert code_step(client, old[0]).status_code == 401  # type: ignore[attr-defined]
    assert code_step(client, new[0]).status_code == 303  # type: ignore[attr-defined]


def test_command_line_reset_for_a_lost_phone(
    client: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    enable(client, clock)
    log_out(client)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("SHENBAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("SHENBAO_KEY_FILE", raising=False)
    user = Accounts(store_of(client)).user("jiang")
    assert user is not None
    store_of(client).close()  # the command opens the database itself, as on a server
    assert main(["user", "list"]) == 0
    assert "双重验证" in capsys.readouterr().out
    assert main(["user", "reset-2fa", "jiang"]) == 0
    assert "已关闭 jiang 的双重验证" in capsys.readouterr().out
    assert main(["user", "reset-2fa", "jiang"]) == 0
    assert "没有开启" in capsys.readouterr().out
