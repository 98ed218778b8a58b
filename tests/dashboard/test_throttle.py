"""Login throttling: 10 failures per account or per client address in 15 minutes lock it for 15 minutes (the
right password refused too); attempts are counted before the password is checked; locks are logged."""

from __future__ import annotations

import logging
import threading

import pytest
from fastapi.testclient import TestClient

from bot.dashboard import auth
from tests.dashboard.conftest import PASSWORD, Clock, accounts, audit_actions, login, make_user


def test_eleven_wrong_passwords_lock_the_account(
    client: TestClient, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(client, "jiang")
    caplog.set_level(logging.INFO, logger="shenbao.admin")
    for n in range(10):
        response = login(client, "jiang", f"wrong password {n}")
        assert response.status_code == 401 and "用户名或密码不正确" in response.text
        clock.advance(seconds=30)
    eleventh = login(client, "jiang", "wrong again")
    assert eleventh.status_code == 429 and "已暂时锁定" in eleventh.text
    right = login(client, "jiang", PASSWORD)
    assert right.status_code == 429 and auth.COOKIE not in right.cookies
    clock.advance(minutes=14)  # the lock runs 15 minutes from the tenth failure, 30 seconds ago
    assert login(client, "jiang", PASSWORD).status_code == 429
    clock.advance(seconds=31)
    assert login(client, "jiang", PASSWORD).status_code == 303
    messages = [r.getMessage() for r in caplog.records]
    assert any("admin login locked: account after 10 failures" in m and "jiang" in m for m in messages)
    assert any("admin login refused: account locked" in m for m in messages)
    assert not any(PASSWORD in m or "wrong password" in m for m in messages)  # no password is ever logged
    actions = [(a, actor) for a, actor, _, _ in audit_actions(client)]
    assert actions.count(("login_failed", "jiang")) == 10
    assert ("login_locked", "jiang") in actions
    assert actions[-1] == ("login_ok", "jiang")


def test_lock_holds_until_the_window_ends(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    for n in range(10):
        login(client, "jiang", f"wrong {n}")
    clock.advance(minutes=14, seconds=59)
    assert login(client, "jiang", PASSWORD).status_code == 429
    clock.advance(seconds=2)
    assert login(client, "jiang", PASSWORD).status_code == 303


def test_failures_by_address_lock_the_address(client: TestClient, clock: Clock) -> None:
    make_user(client, "jiang")
    for n in range(10):  # ten different (unknown) accounts from one address
        assert login(client, f"guess{n}", "whatever pass").status_code == 401
    assert login(client, "jiang", PASSWORD).status_code == 429  # the address is locked
    # the account itself is not: from another address the right password works
    result = auth.log_in(accounts(client), "jiang", PASSWORD, "198.51.100.7")
    assert result.session_id is not None
    actions = audit_actions(client)
    locked = [row for row in actions if row[0] == "login_locked"]
    assert len(locked) == 1 and '"locked":"address"' in locked[0][3]
    assert all(row[1] is None for row in actions if row[0] == "login_failed")  # unknown names are not kept


def test_a_success_is_not_counted(client: TestClient) -> None:
    make_user(client, "jiang")
    for n in range(9):
        login(client, "jiang", f"wrong {n}")
    for _ in range(5):
        client.cookies.clear()
        assert login(client, "jiang", PASSWORD).status_code == 303
    client.cookies.clear()
    assert login(client, "jiang", "wrong 10").status_code == 401  # the tenth failure: now locked
    assert login(client, "jiang", PASSWORD).status_code == 429


def test_parallel_attempts_cannot_pass_the_limit(client: TestClient) -> None:
    make_user(client, "jiang")
    acc = accounts(client)
    results: list[auth.LoginResult] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        result = auth.log_in(acc, "jiang", f"wrong {n}", f"203.0.113.{n}")
        with lock:
            results.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = [r for r in results if not r.locked]
    assert len(checked) == 10 and len(results) == 30
    assert [a for a, *_ in audit_actions(client)].count("login_failed") == 10
    assert auth.log_in(acc, "jiang", PASSWORD, "203.0.113.200").locked


def test_locks_are_kept_in_the_database(client: TestClient, clock: Clock) -> None:
    """A restart (a new Accounts over the same file) keeps the lock."""
    make_user(client, "jiang")
    for n in range(10):
        login(client, "jiang", f"wrong {n}")
    from storage.accounts import Accounts

    fresh = Accounts(client.app.state.intake.store, clock)  # type: ignore[attr-defined]
    assert auth.log_in(fresh, "jiang", PASSWORD, "192.0.2.1").locked


def test_password_page_guesses_are_counted_too(client: TestClient) -> None:
    """A session left open must not let anyone try current passwords without limit."""
    from tests.dashboard.conftest import ORIGIN, logged_in

    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    new = "a brand new password"
    for n in range(10):
        response = client.post(
            "/admin/password",
            data={"csrf": csrf, "current": f"guess {n}", "new": new, "again": new},
            headers={"Origin": ORIGIN},
        )
        assert response.status_code == 400 and "当前密码不正确" in response.text
    right = client.post(
        "/admin/password",
        data={"csrf": csrf, "current": PASSWORD, "new": new, "again": new},
        headers={"Origin": ORIGIN},
    )
    assert right.status_code == 400 and "已暂时锁定" in right.text
    actions = [a for a, *_ in audit_actions(client)]
    assert actions.count("password_check_failed") == 10 and "login_locked" in actions
    assert "password_changed" not in actions
