"""The status workflow from the coordinator's side: each change audit-logged (who, from, to; never the reason),
illegal ones refused with a message, reasons required where the applicant must be told why, POSTs checked
for origin and CSRF, other institutions' applications answered as nonexistent, bulk changes on a selection,
and finding an application by the 顺丰 waybill number its applicant reported."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from storage import review
from tests.dashboard.conftest import ORIGIN, audit_actions, logged_in, make_user, store_of
from tests.dashboard.test_applications import app_ids, say, start
from tests.engine.transcript import COMPLETE

HOSTILE = "<img src=x onerror=alert(1)>"
REASON = f"照片不清晰，请重寄 {HOSTILE} {{{{ 7*7 }}}}"


def complete_app(client: TestClient) -> tuple[str, str]:
    """A generated application: (its id, the applicant's token)."""
    store = store_of(client)
    before = {a.id for a in store.list_applications("cq_hgzy_2023")}
    token = start(client)
    assert say(client, token, *COMPLETE, "确认")["state"]["status"] == "complete"
    (new,) = {a.id for a in store.list_applications("cq_hgzy_2023")} - before
    return new, token


def status_of(client: TestClient, app_id: str) -> str | None:
    app = store_of(client).get(app_id)
    assert app is not None
    return app.review_status


def changes(client: TestClient) -> int:
    store = store_of(client)
    return int(store.read(lambda: store.db.execute("SELECT count(*) FROM status_changes").fetchone()[0]))


def move(client: TestClient, csrf: str, app_id: str, to: str, reason: str = "", **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/admin/applications/{app_id}/status",
        data={"csrf": csrf, "to": to, "reason": reason},
        headers={"Origin": ORIGIN, **headers},
    )


def test_received_returned_approved_each_logged_without_the_reason(client: TestClient) -> None:
    app_id, _ = complete_app(client)
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    page = client.get(f"/admin/applications/{app_id}").text
    assert "审核状态" in page and "已生成" in page and 'value="received"' in page
    assert 'value="approved"' not in page  # not allowed from 已生成: not offered

    response = move(client, csrf, app_id, "received")
    assert response.status_code == 303 and response.headers["location"].endswith("?changed=received")
    page = client.get(response.headers["location"]).text
    assert "已改为“已收到”" in page and 'value="returned"' in page and 'value="rejected"' in page
    assert status_of(client, app_id) == "received"

    assert move(client, csrf, app_id, "returned", REASON).status_code == 303
    page = client.get(f"/admin/applications/{app_id}").text
    assert "材料退回" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and HOSTILE not in page  # shown as text
    assert "{{ 7*7 }}" in page and ">49<" not in page
    assert "jiang：已收到 → <strong>材料退回</strong>" in page

    actions = [a for a in audit_actions(client) if a[0] == "status_changed"]
    assert [(a[1], a[2], json.loads(a[3])) for a in actions] == [
        ("jiang", app_id, {"by": "coordinator", "from": "complete", "to": "received"}),
        ("jiang", app_id, {"by": "coordinator", "from": "received", "to": "returned"}),
    ]
    everything = repr(audit_actions(client))
    assert "照片不清晰" not in everything and "onerror" not in everything and "张三" not in everything
    store = store_of(client)
    blobs = store.read(lambda: store.db.execute("SELECT reason_enc FROM status_changes").fetchall())
    assert all("照片不清晰".encode() not in bytes(b[0]) for b in blobs)  # encrypted at rest
    assert review.history(store, app_id)[-1].reason == REASON


def test_illegal_changes_are_refused_with_a_message(client: TestClient) -> None:
    app_id, _ = complete_app(client)
    partial = start(client)
    say(client, partial, "工程技术", "是")
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    refused = move(client, csrf, app_id, "approved")
    assert refused.status_code == 409
    assert "不能从“已生成”改为“审核通过”" in refused.text and "审核状态" in refused.text  # the page again
    assert move(client, csrf, app_id, "teleported").status_code == 409
    assert "没有这个状态" in move(client, csrf, app_id, "teleported").text
    assert move(client, csrf, app_id, "received").status_code == 303
    # a reason is required for a return and a rejection; whitespace is no reason
    for to in ("returned", "rejected"):
        response = move(client, csrf, app_id, to, " \n\t ")
        assert response.status_code == 409 and "须填写理由" in response.text
    too_long = move(client, csrf, app_id, "returned", "很" * 501)
    assert too_long.status_code == 409 and "理由太长（501 字）" in too_long.text
    assert "很" * 501 in too_long.text  # what was typed is kept in the form
    assert move(client, csrf, app_id, "rejected", "不符合要求").status_code == 303
    final = move(client, csrf, app_id, "approved")
    assert final.status_code == 409 and "不能从“审核不通过”改为“审核通过”" in final.text
    ids = app_ids(client.get("/admin/campaigns/cq_hgzy_2023").text)
    (partial_id,) = [i for i in ids if i != app_id]
    still = move(client, csrf, partial_id, "received")
    assert still.status_code == 409 and "不能从“填写中”改为“已收到”" in still.text
    assert status_of(client, partial_id) is None and status_of(client, app_id) == "rejected"


def test_control_characters_and_lone_surrogates_are_dropped_from_a_reason(client: TestClient) -> None:
    app_id, _ = complete_app(client)
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    move(client, csrf, app_id, "received")
    body = f"csrf={csrf}&to=returned&reason=%E7%BC%BA%01%1B%ED%A0%80%E2%80%AE%E5%B0%91".encode()
    response = client.post(
        f"/admin/applications/{app_id}/status",
        content=body,
        headers={"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303 and status_of(client, app_id) == "returned"
    reason = review.history(store_of(client), app_id)[-1].reason
    # a lone surrogate's bytes are not UTF-8: replaced; control characters and the bidi override dropped
    assert reason[0] == "缺" and reason[-1] == "少" and set(reason[1:-1]) <= {"\ufffd"}
    page = client.get(f"/admin/applications/{app_id}").text
    assert "\x01" not in page and "\u202e" not in page
    assert review.clean_reason("缺\x01\x1b\u202e\ud800少\r\n\n\n\n多") == "缺少\n\n多"


def test_no_csrf_wrong_csrf_or_foreign_origin_is_403_and_nothing_changes(client: TestClient) -> None:
    app_id, _ = complete_app(client)
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    url = f"/admin/applications/{app_id}/status"
    assert client.post(url, data={"to": "received"}, headers={"Origin": ORIGIN}).status_code == 403
    assert move(client, "x" * len(csrf), app_id, "received").status_code == 403
    assert move(client, csrf, app_id, "received", Origin="https://evil.example").status_code == 403
    assert client.post(url, data={"csrf": csrf, "to": "received"}).status_code == 403  # no Origin at all
    bulk = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": csrf, "action": "received", "ids": [app_id]},
        headers={"Origin": "https://evil.example"},
    )
    assert bulk.status_code == 403
    bulk = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": "nope", "action": "received", "ids": [app_id]},
        headers={"Origin": ORIGIN},
    )
    assert bulk.status_code == 403
    assert status_of(client, app_id) is None and changes(client) == 0
    assert not [a for a in audit_actions(client) if a[0] == "status_changed"]


def test_another_institutions_application_is_404_and_unchanged(client: TestClient) -> None:
    app_id, _ = complete_app(client)
    make_user(client, "other", institution="cq-gkb")
    csrf = logged_in(client, "other")
    response = move(client, csrf, app_id, "received")
    assert response.status_code == 404 and "没有找到，或您没有查看权限" in response.text
    nothing = move(client, csrf, "f" * 32, "received")
    assert nothing.status_code == 404 and nothing.text == response.text
    bulk = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": csrf, "action": "received", "ids": [app_id]},
        headers={"Origin": ORIGIN},
    )
    assert bulk.status_code == 404
    assert status_of(client, app_id) is None and changes(client) == 0


def test_bulk_applies_each_legal_change_and_reports_the_rest(client: TestClient) -> None:
    first, _ = complete_app(client)
    second, _ = complete_app(client)
    partial = start(client)
    say(client, partial, "工程技术", "是")
    foreign = start(client, "cq_gq_2021")
    say(client, foreign, "是")
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    listing = client.get("/admin/campaigns/cq_hgzy_2023").text
    assert 'action="/admin/campaigns/cq_hgzy_2023/bulk"' in listing and 'name="ids"' in listing
    partial_id = next(i for i in app_ids(listing) if i not in (first, second))
    foreign_id = next(a.id for a in store_of(client).list_applications("cq_gq_2021"))
    move(client, csrf, second, "received")
    ids = [first, second, partial_id, foreign_id, "0" * 32, "<script>alert(1)</script>", first]
    response = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": csrf, "action": "received", "ids": ids},
        headers={"Origin": ORIGIN},
    )
    assert response.status_code == 200, response.text
    text = response.text
    assert "1 份已完成，5 份未改" in text
    assert "不能从“已收到”改为“已收到”" in text and "不能从“填写中”改为“已收到”" in text
    assert text.count("没有找到，或您没有查看权限") == 3  # another institution's, nonexistent, malformed
    assert "<script>alert(1)</script>" not in text and foreign_id not in text
    assert status_of(client, first) == "received" and status_of(client, foreign_id) is None
    approve = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": csrf, "action": "approved", "ids": [first, second]},
        headers={"Origin": ORIGIN},
    )
    assert "2 份已完成" in approve.text
    assert status_of(client, first) == status_of(client, second) == "approved"
    listing = client.get("/admin/campaigns/cq_hgzy_2023").text
    assert listing.count("审核通过") >= 2 + 1  # two rows (and the action's option)
    for bad in ({"action": "delete", "ids": [first]}, {"action": "received"}):
        refused = client.post(
            "/admin/campaigns/cq_hgzy_2023/bulk", data={"csrf": csrf, **bad}, headers={"Origin": ORIGIN}
        )
        assert refused.status_code == 400
    too_many = client.post(
        "/admin/campaigns/cq_hgzy_2023/bulk",
        data={"csrf": csrf, "action": "received", "ids": [f"{n:032x}" for n in range(300)]},
        headers={"Origin": ORIGIN},
    )
    assert too_many.status_code == 400 and "最多 200 份" in too_many.text


def test_find_by_waybill_goes_straight_to_the_application(client: TestClient) -> None:
    app_id, token = complete_app(client)
    reply = say(client, token, "已寄出 sf 1234 5678 9012 3")
    assert reply["state"]["review"]["status"] == "sent"
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    assert 'action="/admin/waybill"' in client.get("/admin/campaigns").text
    found = client.post(
        "/admin/waybill",
        data={"csrf": csrf, "waybill": "ＳＦ１２３４５６７８９０１２３"},
        headers={"Origin": ORIGIN},
    )
    assert found.status_code == 303 and found.headers["location"] == f"/admin/applications/{app_id}"
    page = client.get(found.headers["location"]).text
    assert "申报人：已生成 → <strong>已寄出</strong>（顺丰 SF1234567890123）" in page
    wrong = client.post(
        "/admin/waybill", data={"csrf": csrf, "waybill": "SF12<b>"}, headers={"Origin": ORIGIN}
    )
    assert wrong.status_code == 400 and "运单号格式不对" in wrong.text and "SF12&lt;b&gt;" in wrong.text
    none = client.post(
        "/admin/waybill", data={"csrf": csrf, "waybill": "SF999999999999"}, headers={"Origin": ORIGIN}
    )
    assert none.status_code == 404 and "没有找到" in none.text
    assert (
        client.post(
            "/admin/waybill", data={"waybill": "SF1234567890123"}, headers={"Origin": ORIGIN}
        ).status_code
        == 403
    )
    make_user(client, "other", institution="cq-gkb")
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    other_csrf = logged_in(other, "other")
    hidden = other.post(
        "/admin/waybill", data={"csrf": other_csrf, "waybill": "SF1234567890123"}, headers={"Origin": ORIGIN}
    )
    assert hidden.status_code == 404 and app_id not in hidden.text
    store = store_of(client)
    keys = store.read(lambda: store.db.execute("SELECT kind, key_hmac FROM search_keys").fetchall())
    assert [k for k, _ in keys].count("waybill") == 1 and all("1234567890123" not in h for _, h in keys)


def test_applicant_corrects_after_a_return_and_the_coordinator_sees_what_changed(client: TestClient) -> None:
    app_id, token = complete_app(client)
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    move(client, csrf, app_id, "received")
    move(client, csrf, app_id, "returned", "姓名与身份证不符，身份证号也请核对")
    before = client.get("/api/session", headers={"Authorization": f"Bearer {token}"}).json()["state"]
    docs_before = {d["id"] for d in before["documents"]}
    say(client, token, "修改 姓名", "李四")
    body = say(client, token, "确认")
    state = body["state"]
    assert state["status"] == "complete" and state["review"]["status"] == "corrected"
    assert any("已修改待复核" in r["text"] for r in body["replies"])
    assert {d["id"] for d in state["documents"]} == docs_before  # the documents again, of the new answers
    page = client.get(f"/admin/applications/{app_id}").text
    assert "按退回意见修改的内容" in page
    assert re.search(r"<td[^>]*>姓名</td><td[^>]*><del>张三</del></td><td[^>]*><ins>李四</ins></td>", page)
    assert "50010119900101123X" not in page
    assert "申报人：材料退回 → <strong>已修改待复核</strong>" in page
    assert 'value="approved"' in page and 'value="received"' in page
    actions = [json.loads(a[3]) for a in audit_actions(client) if a[0] == "status_changed"]
    assert actions[-1] == {"by": "applicant", "from": "returned", "to": "corrected"}
    assert move(client, csrf, app_id, "approved").status_code == 303


def test_a_message_is_listed_right_after_the_change_it_told_of(client: TestClient) -> None:
    """Times are to the second: a message about 已收到 and the next change (退回) may share one. The message
    stays right after the change it tells of, not after the later change."""
    from bot.dashboard import workflow_view
    from storage.accounts import Accounts
    from storage.audit import AuditEntry

    app_id, _token = complete_app(client)
    store = store_of(client)
    book = Accounts(store, client.app.state.admin_clock)  # type: ignore[attr-defined]
    at = book.now()  # the tests' clock stands still: every row below has this very second
    review.change(store, app_id, "received", "jiang", at=at)
    review.change(store, app_id, "returned", "jiang", reason="缺少照片", at=at)
    book.audit(
        AuditEntry("jiang", "applicant_notified", app_id, {"channel": "telegram", "status": "returned"})
    )
    book.audit(
        AuditEntry("jiang", "applicant_notified", app_id, {"channel": "telegram", "status": "received"})
    )
    intake = client.app.state.intake  # type: ignore[attr-defined]
    app = store.get(app_id)
    assert app is not None
    program, _ = intake.program_for(app)
    events = workflow_view.history(intake, app, program)["events"]
    said = [e.get("message") or f"{e['from']} → {e['to']}" for e in events]
    assert said == [
        "已生成 → 已收到",
        "已通过 Telegram 通知申报人：已收到",
        "已收到 → 材料退回",
        "已通过 Telegram 通知申报人：材料退回",
    ]
