"""The chat page on a phone in WeChat (issue 12): nothing stored until the first answer, one copy of the
question after a resume, every reply kind and every part of it shown, the keyboard-open layout, tap
targets and text sizes, the toolbar and the end screen after completion."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from tests.browser.conftest import WECHAT_UA, serving
from tests.browser.test_chat_page import PHONE, answered, idle, last_question, new_phone_page, send, tap
from tests.engine.transcript import COMPLETE

CAMPAIGN = "cq_hgzy_2023"
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A server of its own, to count the applications in its database."""
    data = tmp_path_factory.mktemp("phone-data")
    with serving(data) as base:
        yield base, data / "shenbao.db"


def tall_shot(page: Page, path: Path, selector: str = "[data-testid=result]") -> None:
    """One long card in one picture: the page made as tall as its messages, then put back."""
    size = page.viewport_size or PHONE
    extra = page.evaluate(
        "(() => { const m = document.getElementById('messages'); return m.scrollHeight - m.clientHeight; })()"
    )
    page.set_viewport_size({"width": size["width"], "height": size["height"] + int(extra)})
    page.wait_for_timeout(150)
    page.locator(selector).last.screenshot(path=str(path))
    page.set_viewport_size(size)


def answer_request(request: Request) -> bool:
    return request.method == "POST" and (request.url.endswith("/api/sessions") or "/messages" in request.url)


def applications(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM applications").fetchone()[0])


# ---------------------------------------------------------------- bug 3: created at the first answer


def test_opening_the_page_or_widget_stores_nothing_and_the_first_answer_creates_one(
    own_server: tuple[str, Path], browser: Browser, artifacts: Path
) -> None:
    base, db = own_server
    before = applications(db)
    page = new_phone_page(browser)
    page.goto(f"{base}/chat/{CAMPAIGN}")
    idle(page)
    expect(page.locator("#messages .msg.bot.intro")).to_contain_text("您好")
    assert last_question(page) == "series"
    page.reload()
    idle(page)
    page.goto(f"{base}/demo?campaign={CAMPAIGN}")
    page.locator("[data-testid=shenbao-bubble]").click()
    frame = page.frame_locator("iframe[title='在线申报']")
    expect(frame.locator("#messages .msg.bot.question").last).to_have_attribute("data-key", "series")
    # 帮助 before answering is answered without storing anything either
    frame.locator("#btn-help").click()
    expect(frame.locator("#messages .msg.bot.help").last).to_contain_text("上一步")
    assert applications(db) == before
    assert page.evaluate(f"localStorage.getItem('shenbao:token:{CAMPAIGN}')") is None

    page.goto(f"{base}/chat/{CAMPAIGN}")
    idle(page)
    with page.expect_request(answer_request) as sent:
        page.locator("#messages .choice", has_text="工程技术").click()
    body = json.loads(sent.value.post_data or "{}")
    assert body["campaign"] == CAMPAIGN and body["text"] == "工程技术" and body["key"] == "series"
    idle(page)
    assert last_question(page) == "in_post"
    assert applications(db) == before + 1
    token = page.evaluate(f"localStorage.getItem('shenbao:token:{CAMPAIGN}')")
    assert token
    code = page.locator("#resume-code").inner_text()
    # said once in the conversation: the code and what it is for
    note = page.locator("[data-testid=resume-note]")
    expect(note).to_contain_text(code)
    expect(note).to_contain_text("换手机或下次继续时输入此码")

    # the page and the widget reuse the stored session: no new application, the same conversation
    page.reload()
    idle(page)
    assert last_question(page) == "in_post"
    page.goto(f"{base}/demo?campaign={CAMPAIGN}")
    page.locator("[data-testid=shenbao-bubble]").click()
    frame = page.frame_locator("iframe[title='在线申报']")
    expect(frame.locator("#messages .msg.bot.question").last).to_have_attribute("data-key", "in_post")
    expect(frame.locator("#messages .msg.user", has_text="工程技术")).to_have_count(1)
    page.screenshot(path=str(artifacts / "webphone-07-widget-reused.png"))
    assert applications(db) == before + 1
    page.context.close()


def test_every_answer_carries_the_key_of_the_question_shown(
    own_server: tuple[str, Path], browser: Browser
) -> None:
    base, _ = own_server
    page = new_phone_page(browser)
    page.goto(f"{base}/chat/{CAMPAIGN}")
    send(page, "工程技术")
    for text, key in (("是", "in_post"), ("是", "annual_review_ok")):
        with page.expect_request(answer_request) as sent:
            page.fill("#input", text)
            page.press("#input", "Enter")
        assert json.loads(sent.value.post_data or "{}")["key"] == key
        idle(page)
    # a tapped button carries it too; a toolbar command does not
    with page.expect_request(answer_request) as sent:
        page.locator("#messages .choice:visible", has_text="中级").click()
    assert json.loads(sent.value.post_data or "{}")["key"] == "title_level"
    idle(page)
    with page.expect_request(answer_request) as sent:
        page.click("#btn-review")
    assert "key" not in json.loads(sent.value.post_data or "{}")
    page.context.close()


# ---------------------------------------------------------------- bug 4: resume shows the question once


def test_resuming_with_a_code_shows_the_current_question_once(server: str, browser: Browser) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/{CAMPAIGN}")
    for text in COMPLETE[:4]:
        send(page, text)
    key = last_question(page)
    code = page.locator("#resume-code").inner_text()
    page.context.close()

    phone = new_phone_page(browser)
    phone.goto(f"{server}/chat/{CAMPAIGN}")
    idle(phone)
    phone.locator("#inapp-close").click()
    # before any answer the page offers to continue with a code (no code of its own yet)
    expect(phone.locator("#resume-have")).to_be_hidden()
    phone.click("#resume-open")
    phone.fill("#resume-input", code)
    with phone.expect_response(lambda r: r.url.endswith("/api/session")):
        phone.click("#resume-form button[type=submit]")
    idle(phone)
    assert last_question(phone) == key
    expect(phone.locator(f"#messages .msg.bot.question[data-key={key}]")).to_have_count(1)
    phone.reload()
    idle(phone)
    expect(phone.locator(f"#messages .msg.bot.question[data-key={key}]")).to_have_count(1)
    phone.context.close()


# ---------------------------------------------------------------- every reply kind (C9)

STATE: dict[str, Any] = {
    "mode": "asking",
    "status": "in_progress",
    "progress": {"n": 14, "total": 35},
    "resume_code": "K7Q2M9XD",
    "campaign": None,
    "documents": [],
    "checklist": None,
    "checklist_url": None,
    "outcomes": [],
    "findings": [],
    "id_given": True,
    "review": None,
}
SUBMIT = {
    "copies": 2,
    "courier": "顺丰",
    "address": "重庆市江北区嘉陵四村100号 重庆化工职业学院实训楼二楼鉴定办公室",
    "recipient": None,
    "deadline": "2023年10月10日（星期二）",
    "institution": "重庆化工职业学院",
    "contacts": [{"name": "蒋莉", "phones": ["13983700211", "023-67752810"], "duty": "负责宣传、组织等"}],
    "qq_group": "261487840",
}
COMPLETE_STATE: dict[str, Any] = {
    **STATE,
    "mode": "done",
    "status": "complete",
    "progress": {"n": 35, "total": 35},
    "documents": [
        {
            "id": "application",
            "title": "申报表",
            "filename": "申报表（张三）.docx",
            "url": "/api/files/DOCX-TICKET",
            "pdf_url": "/api/files/PDF-TICKET",
        }
    ],
    "pdf_available": True,
    "checklist": {
        "title": "申报表 提交清单（张三）",
        "sections": [
            {"title": "需要准备的材料", "items": ["《申报表》一式两份", "身份证复印件（正反面）"]},
            {
                "title": "签字与盖章",
                "items": ["在“本人承诺”栏亲笔签名并填写日期", "所在单位在“推荐意见”栏加盖单位公章"],
            },
            {"title": "提交方式与期限", "items": ["仅限顺丰快递寄送至：重庆市江北区嘉陵四村100号"]},
        ],
        "deadline_passed": False,
        "workdays_left": 12,
    },
    "checklist_url": "/api/files/CHECKLIST-TICKET",
    "checklist_pdf_url": "/api/files/CHECKLIST-PDF-TICKET",
    "links_expire_in": 3600,
    "outcomes": [{"name": "level", "label": "申报等级", "value": "二级/技师"}],
    "submit": SUBMIT,
}


def question(key: str, prompt: str, **data: Any) -> dict[str, Any]:
    base = {
        "key": key,
        "field": key,
        "type": "text",
        "prompt": prompt,
        "section": "基本情况",
        "choices": [],
        "multi": False,
        "optional": False,
        "progress": {"n": 14, "total": 35},
        "current": None,
        "suggested": None,
        "help": None,
        "example": None,
        "error": None,
    }
    base.update(data)
    choices = base["choices"]
    text = "\n".join([prompt, *[f"{i}. {c}" for i, c in enumerate(choices, 1)], "请回复编号或选项文字。"])
    return {"kind": "question", "text": text, "data": base}


FINDING = {
    "rule": "level_too_high",
    "outcome": "ineligible",
    "message": "中级职称可申报二级/技师，不能申报一级/高级技师。",
    "basis": "渝职鉴发〔2022〕8号 二(一)",
    "suggest": "可申报二级/技师",
    "fix": {"field": "apply_level", "value": "二级/技师", "label": "改为「二级/技师」"},
}

# (reply, state after it, texts that must be shown, selector of its node)
SAMPLES: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]] = [
    (
        "question-suggested",
        question(
            "gender",
            "性别",
            type="choice",
            choices=["男", "女"],
            suggested="男",
            suggested_from="根据您填写的“证件号码”，应为「男」。回复“是”确认，或直接输入。",
        ),
        STATE,
        ["性别", "根据您填写的“证件号码”，应为「男」", "是（男）"],
    ),
    (
        "question-example-help-present",
        question(
            "work.0.end",
            "结束年月",
            type="year_month",
            help="仍在此单位工作的，点“至今”。",
            example="2020-06",
            present=True,
            error="没看懂这个日期。",
        ),
        STATE,
        ["结束年月", "说明：仍在此单位工作的", "例如：2020-06", "至今", "没看懂这个日期"],
    ),
    (
        "question-unknown-ok",
        question(
            "post_max",
            "本单位该岗位的最高设置等级？",
            type="choice",
            choices=["一级", "二级", "三级"],
            unknown_ok=True,
        ),
        STATE,
        ["最高设置等级", "不清楚", "一级"],
    ),
    (
        "question-photo",
        question("photo", "请上传本人近期二寸免冠彩色照片", type="image", photo=True, optional=True),
        STATE,
        ["二寸免冠", "上传照片", "跳过"],
    ),
    (
        "notice-section-intro",
        {
            "kind": "notice",
            "text": "下面填写学历，从最高学历填起。",
            "data": {"section_intro": True, "section": "学历"},
        },
        STATE,
        ["学历", "从最高学历填起"],
    ),
    (
        "help",
        {"kind": "help", "text": "可用命令：\n上一步：回到上一题", "data": {}},
        STATE,
        ["可用命令", "回到上一题"],
    ),
    (
        "error",
        {
            "kind": "error",
            "text": "✗ 月份 13 不存在\n例如：2018-06",
            "data": {"key": "title_obtained", "message": "月份 13 不存在", "example": "2018-06"},
        },
        STATE,
        ["月份 13 不存在", "例如：2018-06"],
    ),
    (
        "finding-fix",
        {"kind": "finding", "text": "⚠ 请注意", "data": {**FINDING, "outcome": "warning"}},
        STATE,
        ["中级职称可申报二级/技师", "依据：渝职鉴发", "建议：可申报二级/技师", "改为「二级/技师」"],
    ),
    (
        "ineligible",
        {
            "kind": "ineligible",
            "text": "不符合",
            "data": {
                "findings": [FINDING],
                "fixes": [{"rule": "level_too_high", "label": "改为「二级/技师」"}],
                "options": ["修改", "上一步", "结束"],
            },
        },
        {**STATE, "mode": "ineligible", "status": "ineligible"},
        ["不符合申报条件", "中级职称可申报二级/技师", "改为「二级/技师」", "修改", "结束"],
    ),
    (
        "stopped",
        {
            "kind": "stopped",
            "text": "已结束：根据您的回答，目前不符合申报条件。",
            "data": {"findings": [FINDING], "options": ["修改", "重新开始"]},
        },
        {
            **STATE,
            "mode": "stopped",
            "status": "ineligible",
            "explanation_url": "/api/files/EXPLAIN-DOCX",
            "explanation_pdf_url": "/api/files/EXPLAIN-PDF",
        },
        ["目前不符合申报条件", "修改", "重新开始", "下载书面说明（PDF）", "下载书面说明（Word）"],
    ),
    (
        "edit-menu",
        {
            "kind": "edit_menu",
            "text": "要修改哪一项？请回复编号：\n— 基本情况 —\n1. 姓名：张三",
            "data": {
                "items": [
                    {"key": "name", "label": "姓名", "value": "张三", "section": "基本情况"},
                    {
                        "key": "id_number",
                        "label": "证件号码",
                        "value": "50010119900101123X",
                        "section": "基本情况",
                    },
                    {"key": "edu.0.school", "label": "毕业院校", "value": "重庆大学", "section": "学历"},
                ],
                "cancel": "返回",
            },
        },
        {**STATE, "mode": "edit_menu"},
        ["基本情况", "姓名", "张三", "50010119900101123X", "学历", "重庆大学", "返回"],
    ),
    (
        "review",
        {
            "kind": "review",
            "text": "【填写内容】",
            "data": {
                "final": True,
                "sections": [
                    {"title": "基本情况", "rows": [["姓名", "张三"], ["证件号码", "50010119900101123X"]]}
                ],
                "outcomes": {"申报等级": "二级/技师"},
                "findings": [],
            },
        },
        {**STATE, "mode": "review"},
        ["请核对填写内容", "50010119900101123X", "二级/技师", "确认", "修改"],
    ),
    (
        "confirm",
        {"kind": "confirm", "text": "确定要重新开始吗？", "data": {"options": ["是", "否"]}},
        {**STATE, "mode": "confirm_restart"},
        ["确定要重新开始吗", "是", "否"],
    ),
    (
        "done",
        {"kind": "done", "text": "申报表已生成。", "data": {"outcomes": {"申报等级": "二级/技师"}}},
        COMPLETE_STATE,
        [
            "填写完成",
            "打印申报表 2 份",
            "在“本人承诺”栏亲笔签名",
            "加盖单位公章",
            "用顺丰快递寄到",
            "嘉陵四村100号",
            "2023年10月10日",
            "蒋莉",
            "261487840",
            "复制群号",
            "下载 申报表（PDF，可直接打印）",
            "下载 申报表（Word）",
            "打开提交清单（可打印）",
            "下载提交清单（PDF）",
        ],
    ),
    (
        "documents",
        {
            "kind": "documents",
            "text": "申报表已生成，可随时下载。",
            "data": {"documents": ["application"], "checklist": True},
        },
        COMPLETE_STATE,
        ["申报表已生成，可随时下载", "下载 申报表（PDF，可直接打印）", "打开提交清单（可打印）"],
    ),
    (
        "notice-options",
        {
            "kind": "notice",
            "text": "申报表已生成。需要时可以下载、查看或修改。",
            "data": {"options": ["下载申报表", "查看", "修改"]},
        },
        COMPLETE_STATE,
        ["需要时可以下载", "下载申报表", "查看", "修改"],
    ),
]


def _inject(page: Page, bodies: list[dict[str, Any]]) -> None:
    """Answers to the page's requests (creating and messages) come from `bodies`, one per request."""
    queue = list(bodies)

    def fulfil(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(
            status=200, content_type="application/json", body=json.dumps(queue.pop(0), ensure_ascii=False)
        )

    page.route("**/api/sessions", fulfil)
    page.route("**/api/session/messages", fulfil)


def body(reply: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": "tok-sample",
        "resume_code": "K7Q2M9XD",
        "replies": [reply],
        "state": copy.deepcopy(state),
    }


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_every_reply_kind_shows_all_its_parts(
    server: str, browser: Browser, artifacts: Path, viewport: str
) -> None:
    size = PHONE if viewport == "phone" else DESKTOP
    context = browser.new_context(viewport=size, user_agent=WECHAT_UA if viewport == "phone" else None)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/chat/{CAMPAIGN}")
    idle(page)
    bodies = []
    for name, reply, state, _ in SAMPLES:
        bodies.append(body(reply, state))
        if name == "finding-fix":  # the answer to tapping its fix
            bodies.append(body({"kind": "notice", "text": "已改为「二级/技师」。", "data": {}}, STATE))
    _inject(page, bodies)
    for name, _, _, texts in SAMPLES:
        before = page.locator("#messages > *").count()
        idle(page)
        page.fill("#input", "x")
        with page.expect_response(answered):
            page.press("#input", "Enter")
        idle(page)
        shown = page.locator("#messages > *")
        new = " ".join(shown.nth(i).inner_text() for i in range(before, shown.count()))
        for text in texts:
            assert text in new, (name, text, new)
        # buttons come from data, never with the line meant for text-only channels
        assert "请回复编号" not in new, (name, new)
        page.screenshot(path=str(artifacts / f"webphone-kind-{viewport}-{name}.png"))
        if name == "question-suggested":
            page.locator("#messages .choice.suggested").wait_for()
        if name == "question-photo":
            expect(page.locator("#upload-camera")).to_have_text("上传照片")
            expect(page.locator("#upload-camera")).to_be_visible()
        if name == "finding-fix":
            fix = page.locator("#messages .choice.fix").last
            with page.expect_request(answer_request) as sent:
                fix.click()
            sent_body = json.loads(sent.value.post_data or "{}")
            assert sent_body["command"] == "apply" and sent_body["arg"] == "level_too_high"
            idle(page)
        if name == "done":
            result = page.locator("[data-testid=result]")
            tels = result.locator("a[href^='tel:']")
            assert tels.count() == 2
            assert tels.first.get_attribute("href") == "tel:13983700211"
            assert (
                page.locator(".doc-pdf").get_attribute("href", timeout=1000).endswith("/api/files/PDF-TICKET")
            )
            tall_shot(page, artifacts / f"webphone-end-screen-{viewport}.png")
            # after completion the toolbar offers 下载申报表 / 查看 / 修改 only
            visible = [b.inner_text() for b in page.locator(".toolbar button:visible").all()]
            assert visible == ["下载申报表", "修改", "查看"], visible
    assert errors == []
    context.close()


def test_links_to_documents_leave_the_page_when_the_application_is_reopened(
    server: str, browser: Browser
) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/{CAMPAIGN}")
    idle(page)
    done = SAMPLES[[s[0] for s in SAMPLES].index("done")]
    reopened = body(question("name", "姓名", section="基本情况"), STATE)
    _inject(page, [body(done[1], done[2]), reopened])
    send(page, "x")
    assert page.locator("a.doc-download").count() == 2
    send(page, "x")
    # no link to a document that no longer exists; the toolbar is back to answering
    assert page.locator("a.doc-download, a.checklist-download").count() == 0
    expect(page.locator(".stale-link").first).to_contain_text("需重新确认后生成")
    expect(page.locator("#btn-back")).to_be_visible()
    expect(page.locator("#btn-download")).to_be_hidden()
    page.context.close()


# ---------------------------------------------------------------- phone layout


def _tap_targets_too_small(page: Page) -> list[str]:
    return list(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('#app button, #app a[href], #app .choice'))
                .filter(b => b.offsetParent !== null)
                .map(b => [b.textContent.trim() || b.getAttribute('aria-label'), b.getBoundingClientRect().height])
                .filter(([, h]) => h < 44)
                .map(([t, h]) => t + ':' + h)"""
        )
    )


def test_phone_layout_header_sizes_and_keyboard(server: str, browser: Browser, artifacts: Path) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/{CAMPAIGN}")
    idle(page)
    assert _tap_targets_too_small(page) == []
    page.screenshot(path=str(artifacts / "webphone-01-opening.png"))
    for text in COMPLETE[:3]:
        send(page, text)
    tap(page, "中级")
    # answering: the header is one line and the title is in it
    header = page.locator("#header").bounding_box()
    assert header is not None and header["height"] <= 50, header
    title = page.locator(".chat-title").bounding_box()
    assert title is not None and title["height"] <= 30 and title["width"] >= 150, title
    expect(page.locator("#progress-text")).to_be_visible()
    expect(page.locator("#inapp-banner")).to_be_hidden()
    # text sizes: question ≥ 16 px, help ≥ 14 px
    prompt_px = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#messages .question:last-of-type .q-prompt')).fontSize)"
    )
    assert prompt_px >= 16
    page.screenshot(path=str(artifacts / "webphone-02-answering.png"))
    send(page, "工程师")  # title_obtained has help and an example
    help_sizes = page.evaluate(
        "Array.from(document.querySelectorAll('#messages .q-help, #messages .q-example'))"
        ".map(e => parseFloat(getComputedStyle(e).fontSize))"
    )
    assert help_sizes and min(help_sizes) >= 14, help_sizes
    expect(page.locator("#messages .question").last.locator(".q-example")).to_contain_text("例如：")
    assert _tap_targets_too_small(page) == []

    # the header opens: the 续填码 with one line saying what it is for
    page.click("#header-toggle")
    expect(page.locator("#resume-why")).to_have_text("换手机或下次继续时输入此码。")
    expect(page.locator("#resume-code")).to_be_visible()
    assert _tap_targets_too_small(page) == []
    page.screenshot(path=str(artifacts / "webphone-03-header-open.png"))
    page.click("#header-toggle")

    # the keyboard opens (the visual viewport shrinks): the question stays in sight above it
    page.locator("#input").focus()
    page.set_viewport_size({"width": 360, "height": 300})
    page.wait_for_timeout(400)
    box = page.evaluate(
        """() => {
            const q = document.querySelectorAll('#messages .msg.bot.question');
            const p = q[q.length - 1].querySelector('.q-prompt').getBoundingClientRect();
            const m = document.getElementById('messages').getBoundingClientRect();
            const i = document.getElementById('input').getBoundingClientRect();
            return {top: p.top, bottom: p.bottom, mTop: m.top, mBottom: m.bottom, iBottom: i.bottom,
                    vh: window.visualViewport.height};
        }"""
    )
    assert box["top"] >= box["mTop"] - 1 and box["bottom"] <= box["mBottom"] + 1, box
    assert box["iBottom"] <= box["vh"] + 1, box
    page.screenshot(path=str(artifacts / "webphone-04-keyboard-open.png"))
    page.set_viewport_size(PHONE)
    page.context.close()


def test_finished_on_a_phone_end_screen_and_toolbar(server: str, browser: Browser, artifacts: Path) -> None:
    page = new_phone_page(browser)
    page.goto(f"{server}/chat/{CAMPAIGN}")
    idle(page)
    page.locator("#inapp-close").click()
    for text in COMPLETE:
        send(page, text)
    tap(page, "确认")
    result = page.locator("[data-testid=result]")
    steps = page.locator("[data-testid=steps]")
    expect(steps).to_contain_text("打印申报表 2 份")
    expect(steps).to_contain_text("用顺丰快递寄到")
    expect(steps).to_contain_text("2023年10月10日")
    expect(steps).to_contain_text("本人承诺")
    expect(result.locator("a[href='tel:13983700211']")).to_be_visible()
    expect(result.locator(".qq-copy")).to_be_visible()
    visible = [b.inner_text() for b in page.locator(".toolbar button:visible").all()]
    assert visible == ["下载申报表", "修改", "查看"], visible
    assert _tap_targets_too_small(page) == []
    page.screenshot(path=str(artifacts / "webphone-05-end-screen.png"))
    tall_shot(page, artifacts / "webphone-06-end-whole.png")
    # 下载申报表 in the toolbar brings the download buttons into view
    page.locator("#messages").evaluate("m => m.scrollTop = 0")
    page.click("#btn-download")
    expect(page.locator("a.doc-download").first).to_be_in_viewport()
    page.context.close()
