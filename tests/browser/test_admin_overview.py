"""The campaign overview and the document page preview in Debian's Chromium, with a dozen applications made
through the chat API over ten days (the store's clock set for each): charts drawn, no script errors, a
hostile value stays text; screenshots at 1280×800 and 390×844 in tests/artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bot.engine.identifiers import id_check_char
from storage import repository
from tests.browser.conftest import serving
from tests.browser.test_admin_pages import DESKTOP, PHONE, add_account, chat, log_in
from tests.engine.transcript import BASIC, EDUCATION, ELIGIBLE, TAIL, WORK

JUNIOR = ["工程技术", "是", "是", "助理级", "助理工程师", "2019-06", "三级/高级工", "否", "无"]
NAMES = ["刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴敏", "徐峰", "孙悦", "马超"]


def answers(name: str, number: int, eligible: list[str] = ELIGIBLE) -> list[str]:
    body = f"500101198{number % 10}0{1 + number % 9}1{number % 10}{300 + number:03d}"[:17]
    basic = [name, BASIC[1], body + id_check_char(body), *BASIC[3:]]
    return [*eligible, *basic, *EDUCATION, *WORK, *TAIL]


@pytest.fixture(scope="module")
def overview_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("overview-data")
    moment = ["2023-09-11T02:00:00Z"]
    original = repository.utc_now
    repository.utc_now = lambda: moment[0]  # type: ignore[assignment]
    try:
        with serving(data) as base:
            plan = [  # (Beijing day in September, name index, level, complete?)
                (11, 0, ELIGIBLE, True),
                (11, 1, JUNIOR, True),
                (12, 2, ELIGIBLE, True),
                (13, 3, ELIGIBLE, False),
                (14, 4, ELIGIBLE, True),
                (14, 5, JUNIOR, True),
                (15, 6, ELIGIBLE, True),
                (18, 7, ELIGIBLE, True),
                (18, 8, JUNIOR, False),
                (19, 9, ELIGIBLE, True),
            ]
            for day, n, eligible, complete in plan:
                moment[0] = f"2023-09-{day:02d}T0{n % 8 + 1}:00:00Z"
                texts = answers(NAMES[n], n, eligible)
                chat(base, "cq_hgzy_2023", *(texts[:-1] if complete else texts[:14]), photo=complete)
            moment[0] = "2023-09-20T01:00:00Z"
            chat(base, "cq_hgzy_2023", *answers(NAMES[0], 0)[:14])  # 刘洋 again: a duplicate
            chat(base, "cq_hgzy_2023", "工程技术", "是", "是", "员级", "结束")  # ineligible
            chat(base, "cq_hgzy_2023")  # only opened the link
            chat(base, "cq_hgzy_2023", "/help")  # only asked for help
            chat(base, "cq_yzj8_filing_2022", "是", "1", "1", "<img src=x onerror=alert(1)>")
            add_account(data, "jiang", "coordinator", "cq-hgzy")
            add_account(data, "root", "admin", None)
            yield base, data
    finally:
        repository.utc_now = original  # type: ignore[assignment]


def test_overview_charts(overview_server: tuple[str, Path], browser: Browser, artifacts: Path) -> None:
    base, _ = overview_server
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        log_in(page, base, "jiang")
        page.click("#campaign-cq_hgzy_2023 h2 a")
        page.click("nav.tabs >> text=批次概况")
        expect(page).to_have_url(f"{base}/admin/campaigns/cq_hgzy_2023/overview")
        expect(page.locator("#total")).to_have_text("12")
        expect(page.locator("#never-answered")).to_contain_text("另有 2 人只打开过链接")
        expect(page.locator("#workdays-left")).to_have_text("10")
        expect(page.locator("#quota-done")).to_have_text("8")
        expect(page.locator("#quota-target")).to_have_text("130")
        expect(page.locator("#duplicates li")).to_have_count(2)
        expect(page.locator("svg.days .started-bar")).to_have_count(8)  # eight days with applications
        expect(page.locator("svg.hbars").first).to_be_visible()
        # the bars are drawn with a size (CSS and attributes applied, no script)
        box = page.locator("svg.progress .progress-fill").first.bounding_box()
        assert box is not None and box["width"] > 0
        widest = page.locator(".status-bar-complete").bounding_box()
        assert widest is not None and widest["width"] > 20
        # a phone has no horizontal scroll on the page itself (the day chart scrolls in its box)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, overflow
        page.screenshot(path=str(artifacts / f"admin-06-overview-{tag}.png"), full_page=True)
        assert errors == []
        context.close()


def test_campaign_without_quota_and_hostile_name(
    overview_server: tuple[str, Path], browser: Browser, artifacts: Path
) -> None:
    base, _ = overview_server
    page = browser.new_context(viewport=PHONE).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, base, "root")
    page.goto(f"{base}/admin/campaigns/cq_yzj8_filing_2022/overview")
    expect(page.locator("#no-quota")).to_contain_text("未设定名额")
    expect(page.locator("svg.progress")).to_have_count(0)
    expect(page.locator("#total")).to_have_text("1")
    expect(page.locator(".overview img")).to_have_count(0)
    page.screenshot(path=str(artifacts / "admin-07-overview-no-quota-phone.png"), full_page=True)
    assert dialogs == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by scripts/test")
def test_document_preview(overview_server: tuple[str, Path], browser: Browser, artifacts: Path) -> None:
    base, _ = overview_server
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        log_in(page, base, "jiang")
        page.goto(f"{base}/admin/campaigns/cq_hgzy_2023")
        expect(page.locator("form.exports button", has_text="申报材料 .zip（含 PDF）")).to_be_visible()
        expect(page.locator("form.exports button", has_text="汇总表 PDF")).to_be_visible()
        page.locator("form.exports").screenshot(path=str(artifacts / f"admin-10-exports-{tag}.png"))
        page.locator("table.apps a", has_text="陈静").click()
        expect(page.locator("h1")).to_have_text("陈静")
        expect(page.locator(".documents a", has_text="页面预览")).to_be_visible()
        pdf_link = page.locator(".documents a", has_text="PDF")
        expect(pdf_link).to_be_visible()
        with page.expect_download() as download:
            pdf_link.click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
        page.screenshot(path=str(artifacts / f"admin-08-application-{tag}.png"))
        page.click("text=页面预览")
        expect(page.locator("h1")).to_contain_text("页面预览")
        pages = page.locator(".preview-pages img")
        assert pages.count() >= 1
        for i in range(pages.count()):
            pages.nth(i).scroll_into_view_if_needed()
            page.wait_for_function(
                "i => document.querySelectorAll('.preview-pages img')[i].naturalWidth > 0", arg=i
            )
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(artifacts / f"admin-09-preview-{tag}.png"), full_page=True)
        context.close()
