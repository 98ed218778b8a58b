"""The status workflow in Telegram: the applicant reports `已寄出 SF…` in the chat (the shape checked), and
when a coordinator changes the status the chat gets a plain-text message with the status and the reason
(sent after the commit, through the Bot API; recorded in the application's timeline)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from bot.app import create_app
from tests.aio import run
from tests.channels.telegram.fake_botapi import BotApi, serve_http
from tests.channels.telegram.harness import CAMPAIGN, TODAY, Harness, settings
from tests.dashboard.conftest import ORIGIN, Clock, cheap_argon2, csrf_of, logged_in, make_user
from tests.engine.transcript import COMPLETE

CHAT = 5150
__all__ = ["cheap_argon2"]  # autouse: a cheaper argon2 profile, as in tests/dashboard
HOSTILE = "<img src=x onerror=alert(1)> <b>粗</b> {{ 7*7 }}"


def applied_in_telegram(data: Path, *then: str) -> tuple[str, list[str]]:
    """An application completed in a Telegram chat (the real channel code, a recording Bot API): its id,
    and the texts the chat got after `then`."""
    result: list[tuple[str, list[str]]] = []

    async def main() -> None:
        async with Harness(data) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", *COMPLETE, "确认")
            assert h.app_for(CHAT).status == "complete"
            before = len(h.texts(CHAT))
            await h.say(CHAT, *then)
            result.append((h.app_for(CHAT).id, h.texts(CHAT)[before:]))

    run(main)
    return result[0]


def test_the_applicant_reports_the_waybill_in_telegram(tmp_path: Path) -> None:
    _, said = applied_in_telegram(tmp_path / "data", "已寄出 SF12", "/sent sf 1234 5678 9012 3")
    assert "顺丰运单号格式不对" in said[0] and "例如：已寄出 SF1234567890123" in said[0]
    assert "✓ 已记录：材料已寄出（顺丰运单号 SF1234567890123）" in said[1]


def test_a_status_change_is_sent_to_the_applicants_chat(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app_id, _ = applied_in_telegram(data, "已寄出 SF1234567890123")
    api = BotApi()
    with serve_http(api) as url:
        app = create_app(settings(data, telegram_api_url=url), clock=lambda: TODAY)  # polling mode: own Bot
        app.state.admin_clock = Clock()
        with TestClient(app, base_url=ORIGIN, follow_redirects=False) as client:
            make_user(client, "jiang")
            csrf = logged_in(client, "jiang")
            for to, reason in (("received", ""), ("returned", HOSTILE)):
                response = client.post(
                    f"/admin/applications/{app_id}/status",
                    data={"csrf": csrf, "to": to, "reason": reason},
                    headers={"Origin": ORIGIN},
                )
                assert response.status_code == 303, response.text
            sent = api.sent(CHAT)
            assert [s.params["text"].split("\n")[1] for s in sent] == [
                "您的申报状态已改为：已收到",
                "您的申报状态已改为：材料退回",
            ]
            returned = sent[-1].params
            assert f"受理机构说明：{HOSTILE}" in returned["text"]  # exactly as typed
            assert "parse_mode" not in returned  # plain text: nothing in it is markup
            assert "请发送“修改”更正相应内容" in returned["text"]
            page = client.get(f"/admin/applications/{app_id}").text
            assert (
                "已通过 Telegram 通知申报人：材料退回" in page
                and "已通过 Telegram 通知申报人：已收到" in page
            )
            assert csrf_of(client.get(f"/admin/applications/{app_id}"))
            store = client.app.state.intake.store  # type: ignore[attr-defined]
            rows = store.read(
                lambda: store.db.execute(
                    "SELECT actor, target, detail FROM audit_log WHERE action = 'applicant_notified'"
                ).fetchall()
            )
            assert [(a, t, json.loads(d)) for a, t, d in rows] == [
                (None, app_id, {"channel": "telegram", "status": "received"}),
                (None, app_id, {"channel": "telegram", "status": "returned"}),
            ]
            assert "onerror" not in repr(rows)


def test_a_failed_message_is_recorded_and_the_change_stands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    app_id, _ = applied_in_telegram(data, "已寄出 SF1234567890123")
    app = create_app(
        settings(data, telegram_api_url="http://127.0.0.1:9"), clock=lambda: TODAY
    )  # nothing there
    app.state.admin_clock = Clock()
    with TestClient(app, base_url=ORIGIN, follow_redirects=False) as client:
        make_user(client, "jiang")
        csrf = logged_in(client, "jiang")
        response = client.post(
            f"/admin/applications/{app_id}/status",
            data={"csrf": csrf, "to": "received"},
            headers={"Origin": ORIGIN},
        )
        assert response.status_code == 303
        page = client.get(f"/admin/applications/{app_id}").text
        assert "通过 Telegram 通知申报人失败：已收到" in page and "已收到" in page


def test_the_command_menu_offers_sent() -> None:
    """Applicants find the waybill report in Telegram's command menu (set with setMyCommands at start)."""
    from bot.channels.telegram.service import COMMANDS

    sent = [c for c in COMMANDS if c.command == "sent"]
    assert sent and "运单号" in sent[0].description
