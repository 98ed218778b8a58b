"""The status workflow from the applicant's side: `已寄出 SF…` reported in the chat (checked for shape; too
early: finish first), the status and the coordinator's reason shown when the chat is opened again, the
same command in the terminal channel, and `进度` telling where the application stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.intake import Intake
from bot.registry import Registry
from bot.settings import ROOT, Settings
from storage import Store, review
from tests.engine.transcript import COMPLETE

TODAY = dt.date(2023, 9, 20)
HOSTILE = "<img src=x onerror=alert(1)> {{ 7*7 }}"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(
        Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None), clock=lambda: TODAY
    )
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def start(client: TestClient) -> str:
    response = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"})
    assert response.status_code == 201
    return str(response.json()["token"])


def say(client: TestClient, token: str, *texts: str) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for text in texts:
        response = client.post(
            "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
        )
        assert response.status_code == 200, response.text
        body = response.json()
    return body


def reopened(client: TestClient, token: str) -> dict[str, Any]:
    response = client.get("/api/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return dict(response.json())


def store_of(client: TestClient) -> Store:
    store: Store = client.app.state.intake.store  # type: ignore[attr-defined]
    return store


def only_app(client: TestClient) -> str:
    (app,) = store_of(client).list_applications()
    return app.id


def texts(body: dict[str, Any]) -> str:
    return "\n".join(r["text"] for r in body["replies"])


def test_sent_before_the_form_is_generated_says_to_finish_first(client: TestClient) -> None:
    token = start(client)
    body = say(client, token, "工程技术", "已寄出 SF1234567890123")
    assert "申报表还没有生成，请先完成填写" in texts(body) and "例如：已寄出 SF1234567890123" in texts(body)
    assert "您是否在职在岗" in texts(body) or body["replies"][-1]["kind"] == "question"  # the question again
    assert body["state"]["review"] is None and store_of(client).get(only_app(client)).review_status is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "typed",
    [
        "已寄出",
        "已寄出 SF123",
        "已寄出 SF12345678901234567",
        "已寄出 JD1234567890123",
        "已寄出 1234567890123",
        "已寄出 <script>alert(1)</script>",
        "已寄出 SF\x00123",
        "已寄出 SF１２３４５６７８９０１２x",
    ],
)
def test_a_waybill_in_the_wrong_shape_gets_a_clear_message(client: TestClient, typed: str) -> None:
    token = start(client)
    say(client, token, *COMPLETE, "确认")
    body = say(client, token, typed)
    (reply,) = body["replies"]
    assert reply["kind"] == "error" and "SF 加 12–15 位数字" in reply["text"]
    assert "例如：已寄出 SF1234567890123" in reply["text"]
    assert body["state"]["review"] is None
    assert review.history(store_of(client), only_app(client)) == []


@pytest.mark.parametrize(
    "typed",
    [
        "已寄出 SF1234567890123",
        "已寄出SF1234567890123",
        "已寄出：sf 1234 5678 9012 3",
        "已寄出 ＳＦ１２３４５６７８９０１２３",
        "/sent SF-1234-5678-9012-3",
    ],
)
def test_the_waybill_is_accepted_in_its_usual_spellings(client: TestClient, typed: str) -> None:
    token = start(client)
    say(client, token, *COMPLETE, "确认")
    body = say(client, token, typed)
    assert "✓ 已记录：材料已寄出（顺丰运单号 SF1234567890123）" in texts(body)
    review_view = body["state"]["review"]
    assert review_view["status"] == "sent" and review_view["name"] == "已寄出"
    assert review_view["waybill"] == "SF1234567890123"
    assert reopened(client, token)["state"]["review"]["status"] == "sent"
    corrected = say(client, token, "已寄出 SF999888777666")  # a mistyped number corrected
    assert (
        "SF999888777666" in texts(corrected) and corrected["state"]["review"]["waybill"] == "SF999888777666"
    )
    store = store_of(client)
    assert review.find_by_waybill(store, "SF1234567890123", ["cq_hgzy_2023"]) == [only_app(client)]
    assert review.find_by_waybill(store, "SF999888777666", ["cq_hgzy_2023"]) == [only_app(client)]


def test_the_status_and_the_reason_are_shown_when_the_chat_is_opened_again(client: TestClient) -> None:
    token = start(client)
    say(client, token, *COMPLETE, "确认", "已寄出 SF1234567890123")
    app_id = only_app(client)
    store = store_of(client)
    review.change(store, app_id, "received", "jiang")
    assert reopened(client, token)["state"]["review"]["name"] == "已收到"
    after = say(client, token, "已寄出 SF1234567890123")
    assert "当前状态为“已收到”，不需要再报告寄出" in texts(after)
    review.change(store, app_id, "returned", "jiang", reason=HOSTILE)
    state = reopened(client, token)["state"]
    assert state["review"]["status"] == "returned" and state["review"]["reason"] == HOSTILE
    assert state["review"]["can_correct"] is True and state["status"] == "complete"
    progress = say(client, token, "进度")
    assert f"审核状态：材料退回\n受理机构说明：{HOSTILE}" in texts(progress)
    editing = say(client, token, "修改 姓名")
    assert editing["state"]["review"]["status"] == "returned"  # still returned while being corrected
    regenerated = say(client, token, "李四", "确认")
    assert regenerated["state"]["review"]["status"] == "corrected" and regenerated["state"]["documents"]
    assert regenerated["state"]["review"]["returned_reason"] == HOSTILE
    (change,) = [c for c in review.history(store, app_id) if c.to_status == "corrected"]
    assert change.answers is not None and change.answers["name"] == "李四"
    review.change(store, app_id, "rejected", "jiang", reason="不符合要求")
    final = reopened(client, token)["state"]["review"]
    assert final["name"] == "审核不通过" and final["reason"] == "不符合要求" and not final["can_correct"]


def test_the_terminal_channel_takes_the_same_command(tmp_path: Path) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(tmp_path) as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        try:
            app, _ = intake.start("cq_hgzy_2023", "cli")
            early = intake.handle(app.id, {"type": "text", "text": "已寄出 SF1234567890123"}, "cli")
            assert "申报表还没有生成" in early[0].text
            for text in [*COMPLETE, "确认"]:
                intake.handle(app.id, {"type": "text", "text": text}, "cli")
            wrong = intake.handle(app.id, {"type": "text", "text": "已寄出 SF12"}, "cli")
            assert wrong[0].kind == "error" and "例如：已寄出 SF1234567890123" in wrong[0].text
            ok = intake.handle(app.id, {"type": "text", "text": "已寄出 sf1234567890123"}, "cli")
            assert "已记录" in ok[0].text
            assert store.get(app.id).review_status == "sent"  # type: ignore[union-attr]
        finally:
            intake.close()


def test_a_correction_through_the_edit_menu_also_counts(client: TestClient) -> None:
    """The 修改 button opens the edit menu first (the engine then keeps the status `complete` while the
    answer is changed): the regenerated form still moves the application to 已修改待复核."""
    token = start(client)
    say(client, token, *COMPLETE, "确认")
    app_id = only_app(client)
    review.change(store_of(client), app_id, "received", "jiang")
    review.change(store_of(client), app_id, "returned", "jiang", reason="姓名有误")
    menu = client.post(
        "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"command": "edit"}
    )
    assert menu.json()["state"]["mode"] == "edit_menu"
    body = say(client, token, "修改 姓名", "李四", "确认")
    assert body["state"]["review"]["status"] == "corrected"
    unchanged = say(client, token, "修改 姓名", "李四", "确认")  # a second regeneration: nothing to move
    assert unchanged["state"]["review"]["status"] == "corrected"
    assert [c.to_status for c in review.history(store_of(client), app_id)][-1] == "corrected"
