"""The applications list in Chromium: filter and search with the form (no JavaScript), the search term
never in the address, the full ID number shown on request; screenshots at desktop and phone sizes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import serving
from tests.browser.test_admin_pages import DESKTOP, PHONE, add_account, chat, log_in
from tests.engine.transcript import COMPLETE

FULL_ID = "50010119900101123X"


@pytest.fixture(scope="module")
def list_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("list-data")
    with serving(data) as base:
        yield base, data


def test_filter_search_and_reveal(list_server: tuple[str, Path], browser: Browser, artifacts: Path) -> None:
    base, data = list_server
    assert chat(base, "cq_hgzy_2023", *COMPLETE, "确认")["state"]["status"] == "complete"
    chat(base, "cq_hgzy_2023", "工程技术", "是", "是", "中级")
    chat(base, "cq_hgzy_2023", "其他")
    chat(base, "cq_hgzy_2023")  # opened, never answered
    add_account(data, "jiang", "coordinator", "cq-hgzy")

    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        log_in(page, base, "jiang")
        page.goto(f"{base}/admin/campaigns/cq_hgzy_2023")
        rows = page.locator("table.apps tbody tr")
        expect(rows).to_have_count(3)
        expect(page.locator(".status-counts")).to_contain_text("填写中 1")  # opened, never answered
        expect(page.locator(".status-counts")).to_contain_text("不符合条件 1")  # stopped on a rule
        expect(page.locator(".status-counts")).to_contain_text("已生成 1")
        page.screenshot(path=str(artifacts / f"admin-06-list-{tag}.png"), full_page=True)

        page.select_option("select[name=status]", "ineligible")
        page.select_option("select[name=eligibility]", "ineligible")
        page.click("button:has-text('筛选')")
        expect(rows).to_have_count(1)
        assert "status=ineligible" in page.url and "eligibility=ineligible" in page.url
        page.screenshot(path=str(artifacts / f"admin-07-list-filtered-{tag}.png"), full_page=True)

        page.click("a:has-text('清除筛选和搜索')")
        page.fill("#f-term", "张 三")
        page.click("button:has-text('筛选')")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("张三")
        assert "张" not in unquote(page.url) and "q=" in page.url
        expect(page.locator("#f-term")).to_have_value("张 三")
        expect(page.locator(".notice")).to_contain_text("找到 1 份")
        page.screenshot(path=str(artifacts / f"admin-08-list-search-{tag}.png"), full_page=True)

        page.check("input[name=all]")
        page.fill("#f-term", "")
        page.click("button:has-text('筛选')")
        expect(rows).to_have_count(4)

        page.goto(f"{base}/admin/campaigns/cq_hgzy_2023")
        rows.filter(has_text="张三").locator("a").click()
        expect(page.locator("h1")).to_have_text("张三")
        assert FULL_ID not in page.content()
        page.click("button:has-text('显示完整身份证号')")
        expect(page.locator(".revealed")).to_have_text(FULL_ID)
        assert FULL_ID not in page.url
        page.screenshot(path=str(artifacts / f"admin-09-id-revealed-{tag}.png"))
        page.goto(page.url.removesuffix("/id-number"))  # opened again: masked
        expect(page.locator(".revealed")).to_have_count(0)
        assert errors == []
        context.close()
