"""The status workflow in Chromium: the applicant reports the waybill in the web chat, the coordinator finds
the application by it, marks it received and returns it with a reason (hostile text, shown as text), and
the applicant's chat, opened again, shows the return and its reason and offers 修改. Screenshots at desktop
and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import serving
from tests.browser.test_admin_pages import DESKTOP, PHONE, add_account, log_in
from tests.browser.test_chat_page import idle, send
from tests.engine.transcript import COMPLETE

REASON = "照片不清晰，请重新上传近期免冠照片。<img src=x onerror=alert(1)>"
KEY = "shenbao:token:cq_hgzy_2023"


@pytest.fixture(scope="module")
def workflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("workflow-data")
    with serving(data) as base:
        yield base, data


def completed(base: str) -> str:
    """An application completed through the chat API: the token the applicant's browser keeps."""
    with httpx.Client(base_url=base, timeout=30) as http:
        token = str(http.post("/api/sessions", json={"campaign": "cq_hgzy_2023"}).json()["token"])
        for text in [*COMPLETE, "确认"]:
            response = http.post(
                "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
            )
            assert response.status_code == 200, response.text
        assert response.json()["state"]["status"] == "complete"
        return token


def watched(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append("dialog: " + d.message), d.dismiss()))
    return problems


def test_waybill_received_returned_and_the_applicant_sees_the_reason(
    workflow_server: tuple[str, Path], browser: Browser, artifacts: Path
) -> None:
    base, data = workflow_server
    token = completed(base)
    add_account(data, "jiang", "coordinator", "cq-hgzy")

    # the applicant, on a phone, reports the waybill in the chat
    applicant = browser.new_context(viewport=PHONE, device_scale_factor=1).new_page()
    problems = watched(applicant)
    applicant.goto(f"{base}/chat/cq_hgzy_2023")
    idle(applicant)  # its own new session started first: replaced by the completed one
    applicant.evaluate("([k, t]) => localStorage.setItem(k, t)", [KEY, token])
    applicant.reload()
    expect(applicant.locator(".card.result")).to_be_visible()
    send(applicant, "已寄出 SF12")
    expect(applicant.locator("#messages .msg.bot").last).to_contain_text("顺丰运单号格式不对")
    send(applicant, "已寄出 sf 1234 5678 9012 3")
    expect(applicant.locator(".card.result [data-testid=review-status]")).to_contain_text("已寄出")
    expect(applicant.locator(".card.result")).to_contain_text("SF1234567890123")

    second = completed(base)  # another one, only generated: for the bulk action below
    assert second

    # the coordinator finds it by the waybill, marks it received, returns it with a reason
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser.new_context(viewport=size, device_scale_factor=1).new_page()
        coordinator_problems = watched(page)
        log_in(page, base, "jiang")
        page.screenshot(path=str(artifacts / f"workflow-04-campaigns-{tag}.png"))
        page.fill("#waybill", "SF1234567890123")
        page.click(".waybill-form button")
        expect(page.locator("h1")).to_have_text("张三")
        workflow = page.locator("#workflow")
        if tag == "desktop":
            expect(workflow.locator("h2")).to_contain_text("已寄出")
            expect(workflow).to_contain_text("申报人：已生成 → 已寄出（顺丰 SF1234567890123）")
            workflow.locator("button", has_text="标记为已收到").click()
            expect(page.locator("#workflow .notice")).to_have_text("已改为“已收到”。")
            for width, name in ((DESKTOP, "desktop"), (PHONE, "phone")):  # the controls, at both sizes
                page.set_viewport_size(width)
                page.locator("#workflow").scroll_into_view_if_needed()
                page.screenshot(path=str(artifacts / f"workflow-00-controls-{name}.png"))
            page.set_viewport_size(DESKTOP)
            workflow.locator("button", has_text="退回材料").click()  # no reason: the browser asks for one
            expect(workflow.locator("h2")).to_contain_text("已收到")
            page.fill("#reason-returned", REASON)
            workflow.locator("button", has_text="退回材料").click()
            expect(page.locator("#workflow h2")).to_contain_text("材料退回")
            expect(page.locator(".status-timeline .reason").last).to_have_text(f"理由：{REASON}")
            expect(page.locator("#workflow img")).to_have_count(0)
        else:
            expect(workflow.locator("h2")).to_contain_text("材料退回")
        workflow.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"workflow-01-application-{tag}.png"))
        page.screenshot(path=str(artifacts / f"workflow-02-application-full-{tag}.png"), full_page=True)
        page.goto(f"{base}/admin/campaigns/cq_hgzy_2023")
        rows = page.locator("table.apps tbody tr")
        expect(rows).to_have_count(2)
        page.screenshot(path=str(artifacts / f"workflow-05-list-{tag}.png"), full_page=True)
        if (
            tag == "desktop"
        ):  # both ticked, 标记为已收到: the generated one moves, the returned one is refused
            rows.nth(0).locator("input[type=checkbox]").check()
            rows.nth(1).locator("input[type=checkbox]").check()
            page.select_option("#bulk-action", "received")
            page.click(".bulk-bar button")
            expect(page.locator("h1")).to_have_text("批量标记为已收到")
            expect(page.locator("main p[role=status]")).to_have_text("1 份已完成，1 份未改。")
            expect(page.locator(".bulk-results .refused")).to_contain_text("不能从“材料退回”改为“已收到”")
            page.screenshot(path=str(artifacts / "workflow-06-bulk-desktop.png"))
        assert coordinator_problems == []
        page.context.close()

    # the applicant opens the chat again: the return, its reason as text, and 修改
    applicant.reload()
    box = applicant.locator(".card.result [data-testid=review-status]")
    expect(box).to_contain_text("材料退回")
    expect(box.locator(".review-reason")).to_have_text(f"受理机构说明：{REASON}")
    expect(box.locator("img")).to_have_count(0)
    box.scroll_into_view_if_needed()
    applicant.screenshot(path=str(artifacts / "workflow-03-chat-returned-phone.png"))
    with applicant.expect_response(lambda r: "/messages" in r.url):
        box.locator("button", has_text="修改").click()
    expect(applicant.locator("#messages .msg.bot").last).to_contain_text("修改")

    # corrected and regenerated: 已修改待复核, and the coordinator sees what changed
    send(applicant, "修改 姓名")
    send(applicant, "李四")
    send(applicant, "确认")
    expect(applicant.locator(".card.result [data-testid=review-status]")).to_contain_text("已修改待复核")
    applicant.locator(".card.result").scroll_into_view_if_needed()
    applicant.screenshot(path=str(artifacts / "workflow-07-chat-corrected-phone.png"))
    assert problems == []
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = browser.new_context(viewport=size, device_scale_factor=1).new_page()
        log_in(page, base, "jiang")
        page.fill("#waybill", "SF1234567890123")
        page.click(".waybill-form button")
        expect(page.locator("#workflow h2")).to_contain_text("已修改待复核")
        diff = page.locator("table.diff tbody tr")
        expect(diff).to_have_count(1)
        expect(diff).to_contain_text("姓名")
        expect(diff.locator("del")).to_have_text("张三")
        expect(diff.locator("ins")).to_have_text("李四")
        page.locator("#workflow").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"workflow-08-corrected-{tag}.png"))
        page.context.close()
