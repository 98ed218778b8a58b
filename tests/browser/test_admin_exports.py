"""Exports in Debian's Chromium: from the applications page a coordinator starts an export, the job page
reloads itself (no JavaScript) until the file is ready, the .xlsx downloaded opens in openpyxl; screenshots of
the job page running and ready, at desktop and phone sizes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from bot.dashboard.export_jobs import ExportJobs
from tests.browser.conftest import serving
from tests.browser.test_admin_pages import DESKTOP, PHONE, add_account, chat, log_in
from tests.engine.transcript import COMPLETE

CAMPAIGN = "cq_hgzy_2023"


@pytest.fixture(scope="module")
def export_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("export-data")
    with serving(data) as base:
        yield base, data


def test_export_from_the_list_page_and_download_the_xlsx(
    export_server: tuple[str, Path], browser: Browser, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, data = export_server
    assert chat(base, CAMPAIGN, *COMPLETE, "确认")["state"]["status"] == "complete"
    chat(base, CAMPAIGN, "工程技术", "是")
    add_account(data, "jiang", "coordinator", "cq-hgzy")

    gate = threading.Event()  # holds the .zip job at its first application, to see the page running
    original = ExportJobs.documents_of

    def held(self: ExportJobs, app: Any, today: Any) -> Any:
        gate.wait(30)
        return original(self, app, today)

    monkeypatch.setattr(ExportJobs, "documents_of", held)
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        gate.clear()
        context = browser.new_context(viewport=size, device_scale_factor=1, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        log_in(page, base, "jiang")
        page.goto(f"{base}/admin/campaigns/{CAMPAIGN}?size=50")
        page.screenshot(path=str(artifacts / f"admin-exports-01-list-{tag}.png"), full_page=True)

        page.click("button[value=zip]")
        expect(page.locator("h1")).to_have_text("导出全部申报材料（.zip）")
        expect(page.locator(".export-state")).to_contain_text("0 / 2")
        expect(page.locator("progress")).to_be_visible()
        page.screenshot(path=str(artifacts / f"admin-exports-02-running-{tag}.png"), full_page=True)
        gate.set()
        expect(page.locator(".export-state")).to_contain_text("已完成", timeout=15_000)  # reloaded itself
        expect(page.locator("a.btn-primary")).to_contain_text(".zip")
        page.screenshot(path=str(artifacts / f"admin-exports-03-ready-{tag}.png"), full_page=True)

        page.goto(f"{base}/admin/campaigns/{CAMPAIGN}?size=50")
        page.click("button[value=xlsx]")
        link = page.locator("a.btn-primary")
        expect(link).to_contain_text(".xlsx", timeout=15_000)
        with page.expect_download() as info:
            link.click()
        saved = artifacts / f"admin-exports-summary-{tag}.xlsx"
        info.value.save_as(saved)
        assert info.value.suggested_filename.endswith(".xlsx")
        ws = load_workbook(saved).worksheets[0]
        assert ws["B3"].value == "姓名" and ws["B4"].value == "张三" and ws["L4"].value == "已生成"
        assert ws["A5"].value is None  # the one in progress is not in the summary
        assert errors == []
        context.close()
