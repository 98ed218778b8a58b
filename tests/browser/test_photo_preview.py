"""The web chat shows, in reply to a photo upload, the photo cropped as it will print (二寸, 35×49 mm) under
the engine's notice; the picture comes in the upload's own response as a data: URL, never in an address."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Request, expect

from tests.browser.test_chat_page import idle, last_question, new_phone_page, send
from tests.engine.transcript import COMPLETE

SHOTS = Path("/work/shots/photo-dates")
NOTICE = "照片将按二寸（3.5×4.9 厘米）居中裁剪后打印，如下图。不合适可回复“上一步”重新上传。"


def _tall_photo(path: Path) -> Path:
    """A 9:16 phone photo: red bands where the crop cuts, green where it keeps."""
    image = Image.new("RGB", (900, 1600), (220, 0, 0))
    image.paste((0, 200, 0), (0, 170, 900, 1430))
    image.save(path, "JPEG", quality=95)
    return path


def test_upload_shows_the_cropped_preview(
    server: str, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    page = new_phone_page(browser)
    errors: list[str] = []
    requests: list[Request] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda request: requests.append(request))
    page.goto(f"{server}/chat/cq_hgzy_2023")
    idle(page)
    if page.locator("#inapp-close").is_visible():
        page.locator("#inapp-close").click()
    for text in COMPLETE[:-1]:
        send(page, text)
    assert last_question(page) == "photo"
    with page.expect_response(lambda r: "/upload" in r.url):
        page.set_input_files("#upload", str(_tall_photo(tmp_path / "me.jpg")))
    idle(page)

    crop = page.locator("[data-testid=photo-crop]")
    expect(crop).to_have_count(1)
    expect(crop).to_contain_text(NOTICE)
    img = crop.locator("img.crop-preview")
    expect(img).to_be_visible()
    src = str(img.get_attribute("src"))
    assert src.startswith("data:image/jpeg;base64,")
    natural = img.evaluate("i => [i.naturalWidth, i.naturalHeight, i.complete]")
    assert natural[2] and abs(natural[0] - natural[1] * 35 / 49) <= 1, natural
    box = img.bounding_box()
    assert box is not None and abs(box["width"] / box["height"] - 35 / 49) < 0.02, box
    # the green centre kept, the red bands cut: sample the shown picture's corners
    corners = img.evaluate(
        """i => { const c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;
           const g = c.getContext('2d'); g.drawImage(i, 0, 0);
           return [[1, 1], [c.width - 2, c.height - 2]].map(([x, y]) => Array.from(g.getImageData(x, y, 1, 1).data)); }"""
    )
    assert all(green > 150 and red < 80 for red, green, *_ in corners), corners
    # the notice comes before the next question (the review here), in the order the engine gave
    assert page.locator("#messages [data-testid=photo-crop] ~ *").count() >= 1
    assert all(len(r.url) < 300 and "base64" not in r.url for r in requests)
    SHOTS.mkdir(parents=True, exist_ok=True)
    crop.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "webchat-photo-crop-phone.png"))
    page.screenshot(path=str(artifacts / "chat-photo-crop-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 800})
    crop.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "webchat-photo-crop-desktop.png"))
    assert errors == []
    page.context.close()
