"""The print path on a phone: finish in the chat page (360×640, WeChat user agent), download the PDF from the
end screen, render its first page with pdftoppm and read the applicant's name in it; open the printable
checklist from the same screen."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.browser.test_chat_page import idle, new_phone_page, send, tap
from tests.engine.transcript import COMPLETE

needs_tools = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftoppm") and shutil.which("pdftotext")),
    reason="LibreOffice and poppler-utils are installed by ./scripts/test",
)


@needs_tools
def test_pdf_from_the_end_screen_prints_the_applicants_name(
    server: str, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/cq_hgzy_2023")
    idle(page)
    page.locator("#inapp-close").click()
    for text in COMPLETE:
        send(page, text)
    tap(page, "确认")
    pdf_link = page.locator("a.doc-pdf").first
    expect(pdf_link).to_be_visible(timeout=30000)
    with page.expect_download(timeout=120000) as caught:
        pdf_link.click()
    saved = tmp_path / "form.pdf"
    caught.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(saved), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    first = next(tmp_path.glob("page*.png"))
    with Image.open(first) as image:
        assert image.width > 300 and image.height > image.width  # an A4 page, upright
        colours = image.convert("L").getextrema()
        assert colours[0] < 100 < colours[1]  # ink on paper, not a blank page
    shutil.copy(first, artifacts / "print-path-pdf-page1.png")
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(saved), "-"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "张三" in text and "重庆某化工有限公司" in text
    checklist = page.locator("a.checklist-download:not(.checklist-pdf)").first
    with page.context.expect_page() as opened:
        checklist.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    expect(sheet.locator("body")).to_contain_text("提交清单")
    expect(sheet.locator("input[type=checkbox]").first).to_be_visible()
    sheet.screenshot(path=str(artifacts / "print-path-checklist-page.png"), full_page=True)
    page.context.close()
