"""The whole coordinator workflow, as the README tells it, in one run: `shenbao serve`'s app under uvicorn with
Telegram in webhook mode against the tests' fake Bot API; applicants through the web chat API and Telegram;
the accounts made with the `shenbao user` command line (a one-time password); then, in Debian's Chromium, the
coordinator logs in, changes the password, looks at the overview, filters the list, opens an application,
marks it received, returns it with a reason (seen in the applicant's web chat and sent to Telegram), sees
the correction, approves it, exports the 汇总表 `.xlsx` (opened with openpyxl) and the documents `.zip`.
Screenshots of the overview, the list and an application at 1280×800 and 390×844."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import WECHAT_UA
from tests.browser.test_admin_pages import DESKTOP, PHONE
from tests.browser.test_chat_page import idle, send
from tests.browser.test_workflow_pages import watched
from tests.channels.telegram.fake_botapi import BotApi, serve_http
from tests.channels.telegram.test_end_to_end import finish, free_port, say, serve_app
from tests.engine.transcript import COMPLETE

CAMPAIGN = "cq_hgzy_2023"
CHAT = 4242
KEY = f"shenbao:token:{CAMPAIGN}"
NAME_AT = 9  # COMPLETE[9] is the applicant's name
NEW_PASSWORD = "river stone window 2023"
REASON = "照片不清晰，请重新上传近期免冠照片。<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, BotApi]]:
    data = tmp_path_factory.mktemp("workflow-e2e")
    api = BotApi()
    with serve_http(api) as url, serve_app(data, url, free_port()) as base:
        yield base, data, api


def shenbao(data: Path, *args: str) -> str:
    """Run the command line as an admin on the server would (its own process, the same data directory)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")} | {
        "SHENBAO_DATA_DIR": str(data)
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def web_application(base: str, name: str, *, complete: bool = True) -> str:
    """An application through the web chat API: its session token."""
    answers = list(COMPLETE)
    answers[NAME_AT] = name
    with httpx.Client(base_url=base, timeout=30) as http:
        token = str(http.post("/api/sessions", json={"campaign": CAMPAIGN}).json()["token"])
        for text in [*answers, "确认"] if complete else answers[:12]:
            response = http.post(
                "/api/session/messages", headers={"Authorization": f"Bearer {token}"}, json={"text": text}
            )
            assert response.status_code == 200, response.text
        assert response.json()["state"]["status"] == ("complete" if complete else "in_progress")
    return token


def open_application(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/admin/campaigns/{CAMPAIGN}")
    page.locator("table.apps tbody tr", has_text=name).locator("a").first.click()
    expect(page.locator("h1")).to_have_text(name)


def change_status(page: Page, button: str, reason: str | None = None, to: str | None = None) -> None:
    workflow = page.locator("#workflow")
    if reason is not None:
        form = workflow.locator("form.reason-form", has=page.locator("button", has_text=button))
        form.locator("textarea").fill(reason)
        form.locator("button").click()
    else:
        workflow.locator("button", has_text=button).click()
    expect(page.locator("#workflow .notice")).to_contain_text(f"已改为“{to or button}”")


def exported(page: Page, base: str, label: str) -> bytes:
    """Click an export button on the list page, wait for the job, download the result."""
    page.click(f"form.exports button:has-text('{label}')")
    expect(page).to_have_url(re.compile(r"/admin/exports/[A-Za-z0-9_-]+$"))
    link = page.locator("a.btn-primary", has_text="下载")
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    return Path(path).read_bytes()


def test_an_admin_makes_a_coordinator_who_takes_the_campaign_through_the_workflow(
    world: tuple[str, Path, BotApi], browser: Browser, artifacts: Path
) -> None:
    base, data, api = world
    # Applicants: 张三 on the web (completes), 王五 on the web (stops half-way), 李四 in Telegram (completes).
    zhang = web_application(base, "张三")
    web_application(base, "王五", complete=False)
    say(api, CHAT, f"/start {CAMPAIGN}", *COMPLETE[:NAME_AT], "李四", *COMPLETE[NAME_AT + 1 : -1])
    finish(api, CHAT, "李四")

    # The admin, on the server: the first admin, then a coordinator with a one-time password.
    shenbao(data, "user", "add", "boss", "--role", "admin", "--one-time")
    made = shenbao(
        data, "user", "add", "jiang", "--role", "coordinator", "--institution", "cq-hgzy", "--one-time"
    )
    one_time = re.search(r"一次性密码：(\S+)", made)
    assert one_time, made

    page = browser.new_context(viewport=DESKTOP, device_scale_factor=1, accept_downloads=True).new_page()
    problems = watched(page)
    page.goto(f"{base}/admin")
    page.fill("#username", "jiang")
    page.fill("#password", one_time.group(1))
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/admin/password")  # a one-time password must be changed first
    page.fill("#current", one_time.group(1))
    page.fill("#new", NEW_PASSWORD)
    page.fill("#again", NEW_PASSWORD)
    page.click("button:has-text('保存新密码')")
    expect(page).to_have_url(re.compile(r"/admin/campaigns"))

    # Overview, then the list: three applications, two of them generated.
    page.goto(f"{base}/admin/campaigns/{CAMPAIGN}/overview")
    expect(page.locator("#total")).to_have_text("3")
    page.screenshot(path=str(artifacts / "e2e-01-overview-desktop.png"), full_page=True)
    page.click("nav.tabs a:has-text('申报列表')")
    expect(page.locator("table.apps tbody tr")).to_have_count(3)
    page.select_option("form.filters select[name=status]", "complete")
    page.click("form.filters button:has-text('筛选')")
    rows = page.locator("table.apps tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="王五")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-02-list-filtered-desktop.png"), full_page=True)

    # 张三 (web): received, returned with a reason; the applicant's chat shows it.
    open_application(page, base, "张三")
    change_status(page, "标记为已收到", to="已收到")
    change_status(page, "退回材料", REASON, to="材料退回")
    expect(page.locator("#workflow img")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-03-application-desktop.png"), full_page=True)

    applicant = browser.new_context(viewport={"width": 360, "height": 640}, user_agent=WECHAT_UA).new_page()
    chat_problems = watched(applicant)
    applicant.goto(f"{base}/chat/{CAMPAIGN}")
    idle(applicant)
    applicant.evaluate("([k, t]) => localStorage.setItem(k, t)", [KEY, zhang])
    applicant.reload()
    box = applicant.locator(".card.result [data-testid=review-status]")
    expect(box).to_contain_text("材料退回")
    expect(box.locator(".review-reason")).to_have_text(f"受理机构说明：{REASON}")
    box.scroll_into_view_if_needed()
    applicant.screenshot(path=str(artifacts / "e2e-04-chat-returned-wechat.png"))

    # 李四 (Telegram): received, returned; the reason arrives as a Telegram message, as text.
    before = len(api.sent(CHAT))
    open_application(page, base, "李四")
    change_status(page, "标记为已收到", to="已收到")
    change_status(page, "退回材料", REASON, to="材料退回")
    api.wait(lambda: any(REASON in str(s.params.get("text")) for s in api.sent(CHAT)[before:]))
    told = [s for s in api.sent(CHAT)[before:] if REASON in str(s.params.get("text"))]
    assert "材料退回" in str(told[-1].params["text"]) and "parse_mode" not in told[-1].params

    # 张三 corrects the answer the reason points at and regenerates; the coordinator sees what changed
    # and approves.
    send(applicant, "修改 姓名")
    send(applicant, "张三丰")
    send(applicant, "确认")
    expect(box).to_contain_text("已修改待复核")
    open_application(page, base, "张三丰")
    expect(page.locator("table.diff del")).to_have_text("张三")
    expect(page.locator("table.diff ins")).to_have_text("张三丰")
    change_status(page, "审核通过")
    applicant.reload()
    expect(applicant.locator(".card.result [data-testid=review-status]")).to_contain_text("审核通过")

    # Exports of the list: the 汇总表 .xlsx and every document as one .zip.
    page.goto(f"{base}/admin/campaigns/{CAMPAIGN}")
    workbook = load_workbook(io.BytesIO(exported(page, base, "汇总表 Excel")))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[3]]
    table = {
        r[header.index("姓名")]: r for r in ([c.value for c in row] for row in sheet.iter_rows(min_row=4))
    }
    assert set(table) == {"张三丰", "李四"}
    assert table["张三丰"][header.index("状态")] == "审核通过"
    assert table["李四"][header.index("状态")] == "材料退回"
    page.goto(f"{base}/admin/campaigns/{CAMPAIGN}")
    with zipfile.ZipFile(io.BytesIO(exported(page, base, "申报材料 .zip"))) as bundle:
        folders = {name.split("/", 1)[0] for name in bundle.namelist()}
        assert len(folders) == 2 and any("张三丰" in f for f in folders) and any("李四" in f for f in folders)
        assert all(name.endswith(".docx") for name in bundle.namelist() if not name.endswith("/"))

    # The same pages on a phone.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=1).new_page()
    phone_problems = watched(phone)
    phone.goto(f"{base}/admin")
    phone.fill("#username", "jiang")
    phone.fill("#password", NEW_PASSWORD)
    phone.click("button[type=submit]")
    expect(phone).to_have_url(re.compile(r"/admin/campaigns"))
    phone.goto(f"{base}/admin/campaigns/{CAMPAIGN}/overview")
    phone.screenshot(path=str(artifacts / "e2e-01-overview-phone.png"), full_page=True)
    phone.goto(f"{base}/admin/campaigns/{CAMPAIGN}")
    phone.screenshot(path=str(artifacts / "e2e-02-list-phone.png"), full_page=True)
    open_application(phone, base, "李四")
    phone.screenshot(path=str(artifacts / "e2e-03-application-phone.png"), full_page=True)
    assert problems == [] and chat_problems == [] and phone_problems == []
