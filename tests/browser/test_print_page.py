"""The printable checklist page in Debian's Chromium, on a 360×640 phone with WeChat and on a desktop:
checkboxes only on actions, tap-to-call links, the QQ group number copied by its button, no CSP
violations, and an A4 print of the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import WECHAT_UA
from tests.engine.transcript import COMPLETE

SHOTS = Path("/work/shots/printing")


def completed_state(server: str) -> dict[str, Any]:
    with httpx.Client(base_url=server, timeout=60) as client:
        token = client.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).json()["token"]
        body: dict[str, Any] = {}
        for text in [*COMPLETE, "确认"]:
            body = client.post(
                "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
            ).json()
    state: dict[str, Any] = body["state"]
    assert state["status"] == "complete"
    return state


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name), full_page=True)
    if SHOTS.parent.is_dir():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


def open_page(browser: Browser, url: str, **context: Any) -> tuple[Page, list[str]]:
    page = browser.new_context(**context).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    return page, problems


def test_checklist_page_on_a_phone_in_wechat(server: str, browser: Browser, artifacts: Path) -> None:
    state = completed_state(server)
    page, problems = open_page(
        browser,
        server + state["checklist_url"],
        viewport={"width": 360, "height": 640},
        user_agent=WECHAT_UA,
        device_scale_factor=2,
    )
    expect(page.locator("h1")).to_contain_text("提交清单（张三）")
    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text("打印 2 份")
    expect(summary).to_contain_text("只用顺丰快递，寄到")
    expect(summary).to_contain_text("2023年10月10日")
    actions = [i for s in state["checklist"]["sections"] for i in s["items"] if i["action"]]
    expect(page.locator("input[type=checkbox]")).to_have_count(len(actions))
    expect(page.locator("li.info input")).to_have_count(0)
    call = page.locator("a[href='tel:13983700211']")
    expect(call).to_be_visible()
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44  # a tap target
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('li.action span')).fontSize)")
    assert size >= 16
    shot(page, artifacts, "checklist-phone-wechat.png")
    # The copy button: the clipboard may be refused in a headless browser; the fallback then copies, or
    # the button says to long-press. Either way it answers.
    copy = page.locator("button.copy")
    expect(copy).to_have_attribute("data-copy", "261487840")
    copy.click()
    expect(copy).not_to_have_text("复制群号")
    assert (copy.text_content() or "") in ("已复制", "请长按群号复制")
    page.locator("li.action input").first.check()
    expect(page.locator("li.action input").first).to_be_checked()
    assert problems == []


def test_checklist_page_on_a_desktop_and_printed_to_a4(
    server: str, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    state = completed_state(server)
    page, problems = open_page(
        browser, server + state["checklist_url"], viewport={"width": 1280, "height": 900}
    )
    expect(page.locator("#print-page")).to_be_visible()
    shot(page, artifacts, "checklist-desktop.png")
    page.emulate_media(media="print")
    expect(page.locator("#print-page")).to_be_hidden()  # buttons are not printed
    expect(page.locator("button.copy")).to_be_hidden()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF-")
    out = tmp_path / "printed.pdf"
    out.write_bytes(pdf)
    if SHOTS.parent.is_dir():
        (SHOTS / "checklist-printed-from-browser.pdf").write_bytes(pdf)
    assert problems == []
