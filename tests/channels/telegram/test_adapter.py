"""The adapter through a real PTB Application and a recording request object (no sockets)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from docx import Document

from tests.channels.telegram.harness import CAMPAIGN, Harness, jpeg
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

    asyncio.run(main())


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
            docs = h.api.sent(CHAT, "sendDocument")
            assert len(docs) == 1
            name, data = docs[0].files["document"]
            assert name.endswith("申报表.docx") and "张三" in name
            text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
            assert text.strip()
            assert "提交清单" in h.last_text(CHAT) or "清单" in h.last_text(CHAT)
            app = h.app_for(CHAT)
            assert app.status == "complete"
            assert app.state["answers"]["photo"]["mime"] == "image/jpeg"

    asyncio.run(main())


def _photo(h: Harness, data: bytes) -> dict[str, object]:
    from tests.channels.telegram.fake_botapi import user_message

    h.api.files["ph1"] = data
    sizes = [
        {"file_id": "thumb", "file_unique_id": "t", "width": 90, "height": 120, "file_size": 10},
        {"file_id": "ph1", "file_unique_id": "ph1", "width": 300, "height": 400, "file_size": len(data)},
    ]
    return user_message(CHAT, photo=sizes)
