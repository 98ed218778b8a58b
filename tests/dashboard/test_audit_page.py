"""The audit log page: admins only (anyone else 404), newest first, filters, malformed filters answered with a
message, hostile values shown as text, the chain's state (a row edited behind the triggers' back is named),
and paging."""

from __future__ import annotations

from fastapi.testclient import TestClient

from storage.accounts import Accounts
from storage.audit import AuditEntry
from tests.dashboard.conftest import Clock, accounts, logged_in, login, make_user, store_of


def test_only_admins_see_it(client: TestClient) -> None:
    make_user(client, "jiang")
    logged_in(client, "jiang")
    page = client.get("/admin/campaigns")
    assert "审计日志" not in page.text
    assert client.get("/admin/audit").status_code == 404


def test_admin_sees_the_entries_newest_first_with_the_chain_intact(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    make_user(client, "jiang")
    login(client, "jiang", "wrong password 1")
    logged_in(client, "boss")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "哈希链完整" in page.text
    text = page.text.split("<table", 1)[1]  # the rows (the filter's choices name the actions too)
    assert text.index("登录失败") > text.index(">登录<")  # the admin's login (newest) comes first
    assert "添加账号" in text and "wrong password" not in text


def test_filters_by_action_account_and_date(client: TestClient, clock: Clock) -> None:
    make_user(client, "boss", role="admin", institution=None)
    make_user(client, "jiang")
    login(client, "jiang", "wrong password 1")
    clock.advance(days=2)
    login(client, "jiang", "wrong password 2")
    logged_in(client, "boss")
    failed = client.get("/admin/audit", params={"action": "login_failed"})
    rows = failed.text.split("<table", 1)[1]
    assert rows.count(">登录失败<") == 2 and "添加账号" not in rows
    assert "共 <strong>2</strong> 条" in failed.text
    by_actor = client.get("/admin/audit", params={"actor": "boss"})
    assert "登录失败" not in by_actor.text.split("<table", 1)[-1]
    # Beijing dates: the first failure was on 2023-09-20 (16:00 Beijing), the second two days later.
    day = client.get(
        "/admin/audit", params={"action": "login_failed", "from": "2023-09-22", "to": "2023-09-22"}
    )
    assert "共 <strong>1</strong> 条" in day.text


def test_malformed_and_hostile_filters_are_answered_not_crashed(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    logged_in(client, "boss")
    for params in [
        {"from": "昨天"},
        {"to": "2023-13-45"},
        {"actor": "<script>alert(1)</script>"},
        {"target": "{{ 7*7 }}\x00\x1b"},
        {"action": "x" * 10_000},
        {"page": "99999999999999999999"},
        {"page": "-3"},
    ]:
        response = client.get("/admin/audit", params=params)
        assert response.status_code == 200, params
        assert "<script>alert" not in response.text  # escaped where echoed
        assert 'value="49"' not in response.text  # echoed literally, never evaluated
    assert "不是日期" in client.get("/admin/audit", params={"from": "昨天"}).text


def test_an_edited_row_is_named(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    make_user(client, "jiang")
    store = store_of(client)

    def tamper() -> None:
        store.db.execute("DROP TRIGGER audit_log_no_update")
        store.db.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2")

    store.write(tamper)
    logged_in(client, "boss")
    page = client.get("/admin/audit")
    assert "哈希链有问题：第 2 条" in page.text and "记录被修改" in page.text


def test_pages_of_a_hundred(client: TestClient) -> None:
    make_user(client, "boss", role="admin", institution=None)
    book: Accounts = accounts(client)
    for n in range(150):
        book.audit(AuditEntry("cli", "user_disabled", f"user{n}"))
    logged_in(client, "boss")
    first = client.get("/admin/audit")
    assert "第 1 / 2 页" in first.text and "user149" in first.text and "user10<" not in first.text
    second = client.get("/admin/audit", params={"page": "2"})
    assert "user10<" in second.text and "第 2 / 2 页" in second.text
    filtered = client.get("/admin/audit", params={"action": "user_disabled", "page": "2"})
    assert "action=user_disabled&amp;page=1" in filtered.text  # paging keeps the filter


def test_every_action_the_code_writes_has_a_chinese_name() -> None:
    import re

    from bot.dashboard.audit_page import ACTION_NAMES
    from bot.settings import ROOT

    written: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "storage").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'AuditEntry\(\s*[^,()]+,\s*"([a-z_]+)"', text))
        written |= set(re.findall(r'^[A-Z_]+ = "(applicant_[a-z_]+)"', text, re.M))
        written |= set(re.findall(r'action = "([a-z_]+)"', text))
    assert len(written) > 15
    assert written - set(ACTION_NAMES) == set()
