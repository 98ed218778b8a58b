"""After a photo is taken, the bot sends it back cropped as it will print (35×49 mm, 二寸), with the
engine's notice as the caption; the next question follows as usual."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from tests.aio import run
from tests.channels.telegram.harness import CAMPAIGN, Harness
from tests.channels.telegram.test_adapter import _photo
from tests.engine.transcript import COMPLETE

CHAT = 4242  # the chat `_photo` sends from
CAPTION = "照片将按二寸（3.5×4.9 厘米）居中裁剪后打印，如下图。不合适可回复“上一步”重新上传。"


def _tall_photo() -> bytes:
    """A 9:16 phone photo: red bands where the crop cuts, green where it keeps."""
    image = Image.new("RGB", (900, 1600), (220, 0, 0))
    image.paste((0, 200, 0), (0, 170, 900, 1430))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def test_the_cropped_preview_is_sent_with_the_notice_as_caption(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            await h.tap(CHAT, "工程技术")
            await h.say(CHAT, *COMPLETE[1:-1])
            assert not h.api.sent(CHAT, "sendPhoto")
            await h.send(h.update({"message": _photo(h, _tall_photo())}))
            (sent,) = h.api.sent(CHAT, "sendPhoto")
            assert sent.params["caption"] == CAPTION
            picture = Image.open(io.BytesIO(sent.files["photo"][1]))
            assert picture.format == "JPEG"
            assert abs(picture.width - picture.height * 35 / 49) <= 1  # the box's proportions
            for corner in ((1, 1), (picture.width - 2, picture.height - 2)):
                red, green, _ = picture.getpixel(corner)  # type: ignore[misc]
                assert green > 150 and red < 80  # the centre kept, the red bands cut
            assert all(CAPTION not in t for t in h.texts(CHAT))  # said once, under the picture
            assert "【填写内容】" in h.last_text(CHAT)  # and the conversation goes on
            stored_ref = h.app_for(CHAT).state["answers"]["photo"]["ref"]
            stored, _ = h.store.get_file(stored_ref, h.app_for(CHAT).id)  # type: ignore[misc]
            assert Image.open(io.BytesIO(stored)).size == (900, 1600)  # the upload itself is not cropped

    run(main)


def test_a_refused_upload_sends_no_preview(tmp_path: Path) -> None:
    async def main() -> None:
        async with Harness(tmp_path) as h:
            await h.say(CHAT, f"/start {CAMPAIGN}")
            await h.tap(CHAT, "工程技术")
            await h.say(CHAT, *COMPLETE[1:-1])
            await h.send(h.update({"message": _photo(h, b"<script>alert(1)</script>")}))
            assert not h.api.sent(CHAT, "sendPhoto")
            assert "photo" not in h.app_for(CHAT).state["answers"]
            assert "无法识别" in "\n".join(h.texts(CHAT))

    run(main)
