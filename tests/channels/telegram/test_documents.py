"""A finished application's documents in Telegram: again at any time (下载申报表, /download), also when it
was finished on the web; a failed send retried; regenerated documents named apart; the checklist as a PDF
when the print path offers one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.channels.telegram import handlers, render
from bot.intake import Intake
from tests.aio import run
from tests.channels.telegram.harness import CAMPAIGN, Harness, jpeg
from tests.channels.telegram.test_adapter import _photo
from tests.engine.transcript import COMPLETE

CHAT = 4242  # the chat `_photo` sends from


async def finished(h: Harness) -> None:
    h.service.channel.send_delays = (0.01, 0.02, 0.04)
    await h.say(CHAT, f"/start {CAMPAIGN}", *COMPLETE[:-1])
    await h.send(h.update({"message": _photo(h, jpeg())}))
    await h.tap(CHAT, "确认")
    assert h.app_for(CHAT).status == "complete"


def documents(h: Harness) -> list[tuple[str, str]]:
    """(file name, caption) of every filled document (.docx) sent to the chat; not the checklist PDF."""
    sent = [(s.files["document"][0], str(s.params.get("caption"))) for s in h.api.sent(CHAT, "sendDocument")]
    return [(name, caption) for name, caption in sent if name.endswith(".docx")]


def test_download_again_by_command_word_and_the_button_on_the_done_message(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}", "工程技术")
            await h.say(CHAT, "/download")
            assert "请先完成填写" in h.last_text(CHAT) or "完成填写" in h.last_text(CHAT)
            assert documents(h) == []
            await h.say(CHAT, *COMPLETE[1:-1])
            await h.send(h.update({"message": _photo(h, jpeg())}))
            await h.tap(CHAT, "确认")
            first = documents(h)
            assert len(first) == 1 and first[0][0].endswith("申报表.docx")
            done = h.last_keyboard(CHAT)
            assert "填写完成" in done["text"]
            assert [b["text"] for row in done["reply_markup"]["inline_keyboard"] for b in row] == [
                "下载申报表"
            ]

            await h.say(CHAT, "/status")  # some turns later
            await h.say(CHAT, "/download")
            assert documents(h) == first * 2  # the same version: the same name
            await h.say(CHAT, "下载申报表")
            assert len(documents(h)) == 3
            await h.tap(CHAT, "下载申报表", done)  # the button on the done message
            assert len(documents(h)) == 4
            assert "提交清单" in h.last_text(CHAT) or "清单" in h.last_text(CHAT)

    run(main)


def test_finished_on_the_web_then_resumed_in_telegram_gets_the_documents(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            app, _ = h.intake.start(CAMPAIGN, "web")
            for text in COMPLETE[:-1]:
                h.intake.handle(app.id, {"type": "text", "text": text}, "web")
            h.intake.upload(app.id, jpeg(), "web", "me.jpg")
            h.intake.handle(app.id, {"type": "text", "text": "确认"}, "web")
            assert h.store.get(app.id).status == "complete"
            await h.say(CHAT, f"/resume {app.resume_code} 123X")
            found = next(c.message for c in h.api.sent(CHAT) if "已找到您的填写" in str(c.params["text"]))
            assert found is not None and "申报表已生成" in found["text"]
            await h.say(CHAT, "/download")
            (doc,) = documents(h)
            assert "张三" in doc[0]
            await h.tap(CHAT, "下载申报表", found)  # the button on the resume message
            assert len(documents(h)) == 2

    run(main)


def test_hostile_download_inputs_change_nothing(tmp_path: Path) -> None:
    from tests.channels.telegram.fake_botapi import user_message

    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            app = h.app_for(CHAT)
            events = len(h.store.events(app.id))
            await h.say(CHAT, "/download <script>alert(1)</script>", "/download@shenbao_test_bot {{ 7*7 }}")
            said = h.texts(CHAT)[-2:]
            assert all("完成" in t and "<script>" not in t and "49" not in t for t in said)
            # the engine answers (and logs) them as inputs: nothing in the application changes
            assert h.app_for(CHAT).state.get("answers") == app.state.get("answers")
            events = len(h.store.events(app.id))
            user = {"id": CHAT, "is_bot": False, "first_name": "张"}
            group = {"id": -100, "type": "group", "title": "群"}
            for data in ("dl", "dl\u0000", "k:../../:1:1", "x" * 64):
                message = {**user_message(CHAT, text="旧消息"), "chat": group}
                query = {"id": f"q{data[:4]}", "from": user, "message": message, "chat_instance": "c"}
                await h.send(h.update({"callback_query": {**query, "data": data}}))
            assert documents(h) == [] and h.texts(-100) == []
            assert len(h.store.events(app.id)) == events

    run(main)


def test_a_send_that_fails_once_with_a_network_error_is_retried(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            h.api.fail("sendDocument")
            await finished(h)
            assert h.api.failed == ["sendDocument"]
            assert len(documents(h)) == 1  # delivered by the second attempt
            assert handlers.SEND_FAILED not in h.texts(CHAT)

    run(main)


def test_a_send_that_keeps_failing_asks_to_tap_download_again(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            h.api.fail("sendDocument", times=4)  # the first attempt and every retry
            await finished(h)
            assert h.api.failed == ["sendDocument"] * 4 and documents(h) == []
            assert h.last_text(CHAT) == handlers.SEND_FAILED
            button = h.last_keyboard(CHAT)
            assert button["text"] == handlers.SEND_FAILED
            await h.say(CHAT, "/status")  # the button still works later: it is not tied to a turn
            await h.tap(CHAT, "下载申报表", button)
            assert len(documents(h)) == 1

    run(main)


def test_a_regenerated_document_is_named_and_captioned_apart(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await finished(h)
            await h.say(CHAT, "修改 籍贯")
            await h.say(CHAT, "重庆渝北")
            assert "【填写内容】" in h.last_text(CHAT)
            await h.tap(CHAT, "确认")
            (first, _), (second, caption) = documents(h)
            assert second != first and second.endswith("_第2版.docx")
            assert "第2版" in caption and "更新" in caption
            await h.say(CHAT, "/download")
            assert documents(h)[-1][0] == second

    run(main)


def test_the_checklist_goes_as_a_pdf_when_the_print_path_offers_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: Intake, app_id: str, fmt: str) -> bytes:
        raise RuntimeError("PDF is unavailable (no LibreOffice)")

    async def main() -> None:
        with monkeypatch.context() as patched:
            patched.setattr(Intake, "checklist_document", unavailable)
            async with Harness(tmp_path / "plain") as h:
                await finished(h)
                sent = h.api.sent(CHAT, "sendDocument")
                assert len(sent) == 1 and sent[0].files["document"][0].endswith(".docx")  # no checklist PDF
                assert "提交清单" in h.last_text(CHAT)  # the checklist as text
        if not shutil.which("soffice"):
            pytest.skip("LibreOffice is installed by ./scripts/test")
        async with Harness(tmp_path / "pdf") as h:  # the real print path: LibreOffice makes the PDF
            await finished(h)
            sent = h.api.sent(CHAT, "sendDocument")
            name, data = sent[-1].files["document"]
            assert name.endswith(".pdf") and data.startswith(b"%PDF")
            assert sent[-1].params["caption"] == handlers.CHECKLIST_CAPTION

    run(main)


def test_the_download_words_are_the_engines_once_it_knows_them() -> None:
    """C2: 下载 / /download are the engine's command; the channel has no answer of its own for them."""
    from bot.engine.commands import parse_command

    assert getattr(parse_command("/download"), "name", None) == "download"
    assert render.DOWNLOAD in render.DOWNLOAD_WORDS
