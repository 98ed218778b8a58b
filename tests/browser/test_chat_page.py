"""The chat page in Debian's Chromium: a phone with WeChat completes the flagship application."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from PIL import Image
from playwright.sync_api import Browser, Page, Response, expect

from tests.browser.conftest import WECHAT_UA
from tests.engine.transcript import COMPLETE

PHONE = {"width": 360, "height": 640}


def idle(page: Page) -> None:
    expect(page.locator("#app")).to_have_attribute("aria-busy", "false", timeout=15000)


def answered(response: Response) -> bool:
    """An answer's response: the first one creates the application (POST /api/sessions), later ones are
    messages."""
    return response.request.method == "POST" and (
        response.url.endswith("/api/sessions") or "/messages" in response.url
    )


def send(page: Page, text: str) -> None:
    """Type an answer and press Enter, as a person would; wait until the reply is shown."""
    idle(page)
    page.fill("#input", text)
    with page.expect_response(answered):
        page.press("#input", "Enter")
    idle(page)


def tap(page: Page, name: str) -> None:
    idle(page)
    with page.expect_response(lambda r: "/api/" in r.url):
        page.locator("#messages .choice:visible", has_text=name).last.click()
    idle(page)


def last_question(page: Page) -> str:
    return str(page.locator("#messages .msg.bot.question").last.get_attribute("data-key"))


def photo(path: Path) -> Path:
    image = Image.new("RGB", (300, 400), (30, 120, 200))
    image.save(path, "JPEG")
    return path


def new_phone_page(browser: Browser) -> Page:
    context = browser.new_context(
        viewport=PHONE, user_agent=WECHAT_UA, accept_downloads=True, device_scale_factor=2
    )
    return context.new_page()


def test_complete_flagship_on_a_phone_in_wechat(
    server: str, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    page = new_phone_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/chat/cq_hgzy_2023")
    idle(page)
    expect(page.locator("#inapp-banner")).to_be_visible()
    page.screenshot(path=str(artifacts / "chat-01-start-wechat.png"))
    page.locator("#inapp-close").click()

    tap(page, "工程技术")  # a choice button
    send(page, "是")
    send(page, "是")
    tap(page, "中级")
    send(page, "工程师")
    send(page, "2018-13")  # a validation error: the reason and an example, the question stays
    expect(page.locator("#messages .msg.bot.error").last).to_contain_text("月份 13 不存在")
    page.screenshot(path=str(artifacts / "chat-02-validation-error.png"))
    send(page, "2018-06")

    # 上一步 back to the title date, then the same answer again
    idle(page)
    with page.expect_response(lambda r: "/messages" in r.url):
        page.click("#btn-back")
    idle(page)
    assert last_question(page) == "title_obtained"
    send(page, "2018-06")

    for text in COMPLETE[6:12]:
        send(page, text)
    assert last_question(page) == "gender"
    expect(page.locator("#messages .choice.suggested").last).to_contain_text("是（男）")
    tap(page, "是（男）")

    # 修改 an earlier answer from the menu, then back where we were
    idle(page)
    with page.expect_response(lambda r: "/messages" in r.url):
        page.click("#btn-edit")
    idle(page)
    page.screenshot(path=str(artifacts / "chat-03-edit-menu.png"))
    tap(page, "现专业技术职称名称")
    send(page, "高级工程师")
    assert last_question(page) == "birth_month"

    # reload: the token in localStorage brings the conversation back
    page.reload()
    idle(page)
    assert last_question(page) == "birth_month"
    expect(page.locator("#messages .msg.user", has_text="高级工程师")).to_have_count(1)

    for text in COMPLETE[13:-1]:
        send(page, text)
    assert last_question(page) == "photo"
    with page.expect_response(lambda r: "/upload" in r.url):
        page.set_input_files("#upload", str(photo(tmp_path / "me.jpg")))
    idle(page)
    page.screenshot(path=str(artifacts / "chat-04-review.png"), full_page=True)
    tap(page, "确认")
    result = page.locator("[data-testid=result]")
    expect(result).to_contain_text("二级/技师")
    expect(page.locator("#checklist")).to_contain_text("顺丰")
    page.screenshot(path=str(artifacts / "chat-05-done.png"), full_page=True)

    with page.expect_download() as info:
        page.locator(".doc-download:not(.doc-pdf)").first.click()  # the Word file (the PDF comes first)
    saved = tmp_path / "application.docx"
    info.value.save_as(saved)
    document = Document(str(saved))
    cells = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert "张三" in cells and "高级工程师" in cells and "二级/技师" in cells
    assert len(document.inline_shapes) == 1
    assert errors == []
    page.context.close()


def test_hostile_text_is_shown_as_text(server: str, browser: Browser) -> None:
    page = new_phone_page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/chat/cq_hgzy_2023")
    for text in COMPLETE[:9]:
        send(page, text)
    hostile = "<img src=x onerror=alert(1)>"
    send(page, hostile)
    expect(page.locator("#messages .msg.user", has_text=hostile)).to_have_count(1)
    assert page.locator("#messages img[src=x]").count() == 0
    assert dialogs == []
    page.context.close()


def test_keyboard_only(server: str, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server}/chat/cq_hgzy_2023")
    idle(page)
    # focus lands on something that answers the question; Tab reaches the choices, Enter presses one
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement && document.activeElement.textContent")
    assert focused
    page.locator("#input").focus()
    page.keyboard.type("工程技术")
    with page.expect_response(answered):
        page.keyboard.press("Enter")
    idle(page)
    assert last_question(page) == "in_post"
    # after a reply the focus is on the first answer button; Tab moves on to the next, Enter presses it
    assert page.evaluate("document.activeElement.textContent") == "是"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "否"
    page.keyboard.press("Shift+Tab")
    with page.expect_response(lambda r: "/messages" in r.url):
        page.keyboard.press("Enter")
    idle(page)
    assert last_question(page) == "annual_review_ok"
    page.screenshot(path=str(artifacts / "chat-06-desktop-keyboard.png"))
    context.close()


def test_campaign_page_and_widget(server: str, browser: Browser, artifacts: Path) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{server}/")
    expect(page.locator("body")).to_contain_text("重庆化工职业学院")
    expect(page.locator("img[src$='cq_hgzy_2023.svg']")).to_be_visible()
    page.screenshot(path=str(artifacts / "index.png"), full_page=True)

    page.goto(f"{server}/demo?campaign=cq_hgzy_2023")
    bubble = page.locator("[data-testid=shenbao-bubble]")
    expect(bubble).to_be_visible()
    page.screenshot(path=str(artifacts / "widget-01-bubble.png"))
    bubble.click()
    frame = page.frame_locator("iframe[title='在线申报']")
    expect(frame.locator("#messages .msg.bot.question").last).to_contain_text("职称", timeout=15000)
    page.screenshot(path=str(artifacts / "widget-02-open.png"))
    frame.locator("#input").fill("工程技术")
    frame.locator("#input").press("Enter")
    expect(frame.locator("#messages .msg.bot.question").last).to_have_attribute("data-key", "in_post")
    page.keyboard.press("Escape")
    page.close()
    _ = io


def test_no_token_in_the_address_and_another_phone_continues_with_code_and_last_four(
    server: str, browser: Browser, artifacts: Path
) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/cq_hgzy_2023")
    for text in COMPLETE[:12]:  # up to the ID number 50010119900101123X
        send(page, text)
    token = page.evaluate("localStorage.getItem('shenbao:token:cq_hgzy_2023')")
    assert token and token not in page.url and "t=" not in page.url
    code = page.locator("#resume-code").inner_text()
    page.context.close()

    other = new_phone_page(browser)
    other.goto(f"{server}/chat/cq_hgzy_2023?t={token}")  # an old or planted link: dropped, never used
    idle(other)
    assert "t=" not in other.url
    assert other.evaluate("localStorage.getItem('shenbao:token:cq_hgzy_2023')") != token
    expect(other.locator("#messages .msg.user")).to_have_count(0)  # not the first phone's application
    other.context.close()

    phone = new_phone_page(browser)
    phone.goto(f"{server}/chat/cq_hgzy_2023")
    idle(phone)
    phone.locator("#inapp-close").click()
    phone.click("#resume-open")
    phone.fill("#resume-input", code)
    phone.click("#resume-form button[type=submit]")
    expect(phone.locator("#resume-last4")).to_be_visible()
    expect(phone.locator("#resume-error")).to_contain_text("后四位")
    phone.screenshot(path=str(artifacts / "chat-07-resume-needs-last4.png"))
    phone.fill("#resume-last4", "123x")
    with phone.expect_response(lambda r: r.url.endswith("/api/session")):
        phone.click("#resume-form button[type=submit]")
    idle(phone)
    expect(phone.locator("#messages .msg.user", has_text="50010119900101123X")).to_have_count(1)
    assert last_question(phone) == "gender"
    assert "t=" not in phone.url
    phone.context.close()
