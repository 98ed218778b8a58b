"""The adapter through a real PTB Application and a recording request object (no sockets)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from docx import Document
from PIL import Image

from tests.aio import run
from tests.channels.telegram.harness import CAMPAIGN, Harness, jpeg
from tests.documents.image_bytes import ALLOWED_JPEG, jpeg_segments
from tests.engine.transcript import COMPLETE

CHAT = 4242


def test_start_deep_link_asks_first_question_with_keyboard_and_progress(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            texts = h.texts(CHAT)
            assert texts[0].startswith("续填码：")
            assert "第 1/35 题" in texts[-1]
            keyboard = h.last_keyboard(CHAT)["reply_markup"]["inline_keyboard"]
            labels = [b["text"] for row in keyboard for b in row]
            assert "工程技术" in labels
            for row in keyboard:
                for button in row:
                    assert len(button["callback_data"].encode()) <= 64

    run(main)


def test_full_flagship_application_with_taps_photo_document_and_checklist(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            await h.tap(CHAT, "工程技术")
            answered = [c for c in h.api.calls if c.method == "answerCallbackQuery"]
            edited = [c for c in h.api.calls if c.method == "editMessageText"]
            assert len(answered) == 1 and len(edited) == 1 and edited[0].params["text"].endswith("» 工程技术")
            await h.say(CHAT, *COMPLETE[1:-1])
            await h.send(h.update({"message": _photo(h, jpeg())}))
            assert "【填写内容】" in h.last_text(CHAT)
            await h.tap(CHAT, "确认")
            docs = [d for d in h.api.sent(CHAT, "sendDocument") if d.files["document"][0].endswith(".docx")]
            assert len(docs) == 1  # (the checklist may follow as a PDF)
            name, data = docs[0].files["document"]
            assert name.endswith("申报表.docx") and "张三" in name
            text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
            assert text.strip()
            assert "提交清单" in h.last_text(CHAT) or "清单" in h.last_text(CHAT)
            app = h.app_for(CHAT)
            assert app.status == "complete"
            assert app.state["answers"]["photo"]["mime"] == "image/jpeg"

    run(main)


def _photo(h: Harness, data: bytes) -> dict[str, object]:
    from tests.channels.telegram.fake_botapi import user_message

    h.api.files["ph1"] = data
    sizes = [
        {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 120, "file_size": 10},
        {"file_id": "ph1", "file_unique_id": "ph1", "width": 300, "height": 400, "file_size": len(data)},
    ]
    return user_message(CHAT, photo=sizes)


def _events(h: Harness) -> int:
    app = h.app_for(CHAT)
    return len(h.store.events(app.id))


def _files(h: Harness) -> int:
    return int(h.store.db.execute("SELECT count(*) FROM files").fetchone()[0])


def test_stickers_voice_location_contact_get_chinese_replies_and_store_nothing(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    kinds = {
        "sticker": {
            "file_id": "s", "file_unique_id": "s", "width": 1, "height": 1, "is_animated": False,
            "is_video": False, "type": "regular",
        },
        "voice": {"file_id": "v", "file_unique_id": "v", "duration": 2},
        "location": {"latitude": 29.5, "longitude": 106.5},
        "contact": {"phone_number": "13800138000", "first_name": "李"},
    }  # fmt: skip

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            before = _events(h)
            for kind, value in kinds.items():
                await h.send(h.update({"message": user_message(CHAT, **{kind: value})}))
                reply = h.last_text(CHAT)
                assert "请用文字" in reply, (kind, reply)
            assert _events(h) == before

    run(main)


def test_document_where_photo_expected_and_30mb_file_refused_without_download(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", *COMPLETE[:-1])
            assert "照片" in h.last_text(CHAT)
            pdf = {
                "file_id": "doc1",
                "file_unique_id": "d1",
                "file_name": "证书.pdf",
                "mime_type": "application/pdf",
            }
            await h.send(h.update({"message": user_message(CHAT, document={**pdf, "file_size": 2048})}))
            assert "这一题需要照片" in h.last_text(CHAT)
            big = {**pdf, "file_id": "big", "file_name": "大.jpg", "mime_type": "image/jpeg"}
            await h.send(
                h.update({"message": user_message(CHAT, document={**big, "file_size": 30 * 1048576})})
            )
            assert "文件太大（30.0 MB）" in h.last_text(CHAT)
            assert not [c for c in h.api.calls if c.method == "getFile"]
            assert _files(h) == 0
            # a photo as a document (uncompressed) is fine: re-encoded like a photo
            h.api.files["img"] = jpeg()
            good = {
                **pdf,
                "file_id": "img",
                "file_name": "me.jpg",
                "mime_type": "image/jpeg",
                "file_size": 999,
            }
            await h.send(h.update({"message": user_message(CHAT, document=good)}))
            assert "【填写内容】" in h.last_text(CHAT)
            assert _files(h) == 1

    run(main)


def test_phone_mpo_with_a_comment_goes_through_the_same_checks(tmp_path: Path) -> None:
    """A multi-picture JPEG sent as a file: its first picture is kept, without its comment; sent again
    after 上一步, it replaces the first one."""
    from tests.channels.telegram.fake_botapi import user_message

    frames = [Image.new("RGB", (300, 400), c) for c in ((200, 0, 0), (0, 200, 0))]
    out = io.BytesIO()
    frames[0].save(out, "MPO", save_all=True, append_images=frames[1:], comment=b"<script>x</script>")
    data = out.getvalue()
    assert b"<script>" in data

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", *COMPLETE[:-1])
            h.api.files["mpo"] = data
            doc = {
                "file_id": "mpo",
                "file_unique_id": "m",
                "file_name": "IMG_1.JPG",
                "mime_type": "image/jpeg",
            }
            message = {"message": user_message(CHAT, document={**doc, "file_size": len(data)})}
            await h.send(h.update(message))
            assert "【填写内容】" in h.last_text(CHAT) and _files(h) == 1
            await h.say(CHAT, "上一步")
            await h.send(h.update(message))
            assert "【填写内容】" in h.last_text(CHAT) and _files(h) == 1
            app = h.app_for(CHAT)
            stored, mime = h.store.get_file(app.state["answers"]["photo"]["ref"], app.id)  # type: ignore[misc]
            assert mime == "image/jpeg" and b"<script>" not in stored
            assert {m for m, _ in jpeg_segments(stored)} <= ALLOWED_JPEG

    run(main)


def test_photo_where_text_expected_is_refused_by_the_engine(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            await h.send(h.update({"message": _photo(h, jpeg())}))
            assert "需要文字回答" in h.last_text(CHAT)
            assert _files(h) == 0 and not [c for c in h.api.calls if c.method == "getFile"]

    run(main)


def test_edited_message_and_group_chat_change_nothing(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", "工程技术")
            before = _events(h)
            edited = {**user_message(CHAT, text="农业技术"), "edit_date": 1695168100}
            await h.send(h.update({"edited_message": edited}))
            assert "不会更改答案" in h.last_text(CHAT)
            assert h.app_for(CHAT).state["answers"]["series"] == "工程技术"
            group = {"id": -100, "type": "group", "title": "申报群"}
            await h.send(h.update({"message": {**user_message(CHAT, text="你好"), "chat": group}}))
            assert h.texts(-100) == []
            await h.send(
                h.update({"message": {**user_message(CHAT, text=f"/start {CAMPAIGN}"), "chat": group}})
            )
            assert "私聊" in h.texts(-100)[0]
            assert h.service.chats.current(-100) is None
            assert _events(h) == before
            count = h.store.db.execute("SELECT count(*) FROM applications").fetchone()[0]
            assert count == 1

    run(main)


def test_callback_from_an_old_keyboard_is_refused(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            first = h.last_keyboard(CHAT)
            await h.tap(CHAT, "工程技术", first)
            await h.say(CHAT, "/back")  # the answer is being changed: the same question again
            before = _events(h)
            await h.tap(CHAT, "工程技术", first)  # a tap on the keyboard of the first asking
            answers = [c for c in h.api.calls if c.method == "answerCallbackQuery"]
            assert "过期" in str(answers[-1].params.get("text"))
            assert _events(h) == before
            await h.tap(CHAT, "农业")  # the current keyboard works
            assert h.app_for(CHAT).state["answers"]["series"] == "农业"

    run(main)


def test_same_update_three_times_concurrently_is_applied_once(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            before, sent = _events(h), len(h.texts(CHAT))
            update = h.update({"message": user_message(CHAT, text="工程技术")})
            results = await asyncio.gather(*(h.service.ingest(update) for _ in range(3)))
            await h.settle()
            assert sorted(results) == [False, False, True]
            assert _events(h) == before + 1
            assert len(h.texts(CHAT)) == sent + 1

    run(main)


def test_chats_processed_in_order_each_and_concurrently_across(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    chats = [7001, 7002, 7003]

    async def main() -> None:
        async with Harness(tmp_path) as h:
            for chat in chats:
                await h.say(chat, f"/start {CAMPAIGN}")
            batch = [
                h.update({"message": user_message(chat, text=text)})
                for text in COMPLETE[:12]
                for chat in chats
            ]
            for update in batch:  # all queued at once, interleaved across chats
                await h.service.ingest(update)
            await h.settle()
            for chat in chats:
                app = h.app_for(chat)
                assert app.state["answers"]["name"] == "张三"
                assert app.state["answers"]["title_level"] == "中级"

    run(main)


def test_commands_help_back_review_restart_cancel(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", "工程技术")
            await h.say(CHAT, "/help")
            assert "/back" in "\n".join(h.texts(CHAT)[-1:])
            await h.say(CHAT, "/back")
            assert "第 1/" in h.last_text(CHAT)
            await h.say(CHAT, "工程技术", "/review")
            assert "【填写内容】" in h.last_text(CHAT)
            await h.say(CHAT, "/edit")
            assert "要修改哪一项" in h.last_text(CHAT)
            await h.tap(CHAT, h.last_keyboard(CHAT)["reply_markup"]["inline_keyboard"][0][0]["text"])
            await h.say(CHAT, "/restart")
            await h.tap(CHAT, "是")
            assert h.app_for(CHAT).state["answers"] == {}
            await h.say(CHAT, "/cancel")
            assert "已保存" in h.last_text(CHAT)
            await h.say(CHAT, "/start")  # no payload: continue where the chat is
            assert "第 1/" in h.last_text(CHAT)

    run(main)


def test_no_application_yet_and_unknown_campaign(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, "你好")
            assert "/resume" in h.last_text(CHAT)
            await h.say(CHAT, "/start nope_2099")
            assert "没有这个申报批次" in h.last_text(CHAT)
            await h.say(CHAT, "/resume ZZZZZZZZ")
            assert "续填码或身份证号码后四位不对" in h.last_text(CHAT)

    run(main)


def test_resume_an_application_begun_on_the_web(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            app, _ = h.intake.start(CAMPAIGN, "web")
            for text in COMPLETE[:4]:
                h.intake.handle(app.id, {"type": "text", "text": text}, "web")
            await h.say(CHAT, f"/resume {app.resume_code.lower()}")
            assert "从上次的位置继续" in h.texts(CHAT)[-2]
            assert (
                "工程师" in h.last_text(CHAT)
                or "职称名称" in h.last_text(CHAT)
                or "第 5/" in h.last_text(CHAT)
            )
            await h.say(CHAT, COMPLETE[4])
            events = h.store.events(app.id)
            assert events[-1].channel == "telegram" and events[1].channel == "web"
            assert h.store.get(app.id).state["answers"]["title_name"] == "工程师"

    run(main)


def test_resume_after_the_id_number_needs_its_last_four(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            app, _ = h.intake.start(CAMPAIGN, "web")
            for text in COMPLETE[:12]:  # up to the ID number 50010119900101123X
                h.intake.handle(app.id, {"type": "text", "text": text}, "web")
            await h.say(CHAT, f"/resume {app.resume_code}")
            assert "后四位" in h.last_text(CHAT) and "123X" not in h.last_text(CHAT)
            await h.say(CHAT, f"/resume {app.resume_code} 1234")
            assert "后四位不对" in h.last_text(CHAT)  # the same answer as for an unknown code
            assert [e.channel for e in h.store.events(app.id)] == ["web"] * 13
            await h.say(CHAT, f"/resume {app.resume_code} 123x")
            assert "从上次的位置继续" in h.texts(CHAT)[-2]
            assert h.store.events(app.id)[-1].channel == "telegram"

    run(main)


def test_stored_but_unprocessed_updates_are_processed_at_start(tmp_path: Path) -> None:
    """A crash after the 200: the update is in the inbox, not handled. The next start handles it."""
    from tests.channels.telegram.fake_botapi import user_message

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
        h2 = Harness(tmp_path)
        update = h2.update({"update_id": 500, "message": user_message(CHAT, text="工程技术")})
        assert h2.service.chats.receive(500, update)  # stored; the process "died" before the queue
        async with h2:
            await h2.settle()
            assert h2.app_for(CHAT).state["answers"]["series"] == "工程技术"
            assert "第 2/" in h2.last_text(CHAT)
            assert h2.service.chats.pending() == []

    run(main)


def test_serve_without_token_runs_without_telegram_and_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from bot.settings import ROOT, Settings

    settings = Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None)
    with TestClient(create_app(settings)) as client:
        assert client.post("/telegram/webhook", json={"update_id": 1}).status_code == 404
        assert client.post("/api/sessions", json={"campaign": CAMPAIGN}).status_code == 201
    assert capsys.readouterr().out.count("Telegram：未启用（未设置 SHENBAO_TELEGRAM_TOKEN）") == 1


def test_guessing_resume_codes_is_limited_per_chat(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            app, _ = h.intake.start(CAMPAIGN, "web")
            for guess in range(10):
                await h.say(CHAT, f"/resume ZZZZZZ{guess:02d}")
                assert "续填码或身份证号码后四位不对" in h.last_text(CHAT)
            await h.say(CHAT, f"/resume {app.resume_code}")
            assert "尝试次数太多" in h.last_text(CHAT)
            assert [e.channel for e in h.store.events(app.id)] == ["web"]

    run(main)


def test_multi_choice_is_ticked_on_the_keyboard_then_sent_once(tmp_path: Path) -> None:
    from tests.engine.transcript import ELIGIBLE

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", *ELIGIBLE[:-1])
            question = h.last_keyboard(CHAT)
            labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
            assert labels[-1] == "完成选择" and "无" in labels
            app = h.app_for(CHAT)
            events = len(h.store.events(app.id))
            await h.tap(CHAT, "完成选择", question)  # nothing ticked yet
            assert len(h.store.events(app.id)) == events
            first = labels[0]
            await h.tap(CHAT, first, question)
            ticked = h.api.sent(CHAT, "editMessageReplyMarkup")[-1].message
            assert ticked is not None
            now = [b["text"] for row in ticked["reply_markup"]["inline_keyboard"] for b in row]
            assert now[0] == f"✓ {first}" and now[1:] == labels[1:]
            assert len(h.store.events(app.id)) == events  # a tick is not an answer
            await h.tap(CHAT, labels[2], ticked)
            both = h.api.sent(CHAT, "editMessageReplyMarkup")[-1].message
            await h.tap(CHAT, "完成选择", both)
            answers = h.store.get(app.id).state["answers"]
            assert answers["direct_awards"] == [first, labels[2]]
            assert len(h.store.events(app.id)) == events + 1

    run(main)


def test_a_new_application_is_bound_to_its_chat_in_the_same_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure (or a crash) right after the application is created cannot leave it without its chat: the
    repeated /start finds and continues it instead of creating a second, unreachable one."""
    from bot.channels.telegram.service import FAILED
    from bot.intake import Intake

    async def main() -> None:
        async with Harness(tmp_path) as h:
            real_step = Intake._step

            def crash(self: Intake, *args: object, **kwargs: object) -> object:
                raise RuntimeError("stopped between creating the application and its first turn")

            monkeypatch.setattr(Intake, "_step", crash)
            await h.say(CHAT, f"/start {CAMPAIGN}")
            assert h.last_text(CHAT) == FAILED
            monkeypatch.setattr(Intake, "_step", real_step)
            (created,) = h.store.list_applications()
            assert h.service.chats.for_campaign(CHAT, CAMPAIGN) == created.id

            await h.say(CHAT, f"/start {CAMPAIGN}")
            assert [a.id for a in h.store.list_applications()] == [created.id]
            assert "第 1/35 题" in h.last_text(CHAT)

    run(main)
