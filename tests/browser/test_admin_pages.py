"""The coordinator pages in Debian's Chromium: a coordinator made through the library logs in and sees an
application made through the chat API; a hostile name stays text; screenshots at desktop and phone sizes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from bot.dashboard import users
from bot.registry import Registry
from bot.settings import ROOT
from storage import Store
from storage.accounts import Accounts
from tests.browser.conftest import serving
from tests.engine.transcript import COMPLETE

PASSWORD = "coordinator pass 2023"
HOSTILE = "<img src=x onerror=alert(1)>"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("admin-data")
    with serving(data) as base:
        yield base, data


def chat(base: str, campaign: str, *texts: str, photo: bool = False) -> dict[str, Any]:
    """A new application through the chat API: the answers, then (with `photo`) a JPEG upload and 确认."""
    with httpx.Client(base_url=base, timeout=30) as http:
        started = http.post("/api/sessions", json={"campaign": campaign})
        assert started.status_code == 201, started.text
        headers = {"Authorization": f"Bearer {started.json()['token']}"}
        body: dict[str, Any] = {}
        for text in texts:
            response = http.post("/api/session/messages", headers=headers, json={"text": text})
            assert response.status_code == 200, response.text
            body = response.json()
        if photo:
            image = io.BytesIO()
            Image.new("RGB", (300, 400), (30, 120, 200)).save(image, "JPEG")
            uploaded = http.put(
                "/api/session/upload",
                content=image.getvalue(),
                headers={**headers, "Content-Type": "image/jpeg", "X-Filename": "photo.jpg"},
            )
            assert uploaded.status_code == 200, uploaded.text
            body = http.post("/api/session/messages", headers=headers, json={"text": "确认"}).json()
        return body


def add_account(data: Path, name: str, role: str, institution: str | None) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    with Store(data) as store:
        users.add_user(Accounts(store), name, role, institution, registry.institutions(), PASSWORD)


def log_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/admin")
    expect(page).to_have_url(f"{base}/admin/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/admin/campaigns")


def test_coordinator_logs_in_and_sees_the_application(
    admin_server: tuple[str, Path], browser: Browser, artifacts: Path
) -> None:
    base, data = admin_server
    done = chat(base, "cq_hgzy_2023", *COMPLETE[:-1], photo=True)
    assert done["state"]["status"] == "complete"
    chat(base, "cq_hgzy_2023", "工程技术", "是", "是", "中级")
    chat(base, "cq_hgzy_2023")  # opened, never answered: not listed
    add_account(data, "jiang", "coordinator", "cq-hgzy")

    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/admin/login")
        expect(page.locator("h1")).to_have_text("协调人登录")
        page.screenshot(path=str(artifacts / f"admin-01-login-{tag}.png"))
        log_in(page, base, "jiang")
        expect(page.locator(".username")).to_have_text("jiang")
        expect(page.locator(".campaign")).to_have_count(1)
        expect(page.locator("#campaign-cq_hgzy_2023 .count")).to_have_text("2")
        page.screenshot(path=str(artifacts / f"admin-02-campaigns-{tag}.png"))
        page.click("#campaign-cq_hgzy_2023 h2 a")
        rows = page.locator("table.apps tbody tr")
        expect(rows).to_have_count(2)
        complete = rows.filter(has_text="张三")
        expect(complete).to_contain_text("500101********123X")
        expect(complete).to_contain_text("已生成")
        expect(complete).to_contain_text("二级/技师")
        expect(rows.filter(has_text="填写中")).to_have_count(1)
        assert "50010119900101123X" not in page.content()
        page.screenshot(path=str(artifacts / f"admin-03-applications-{tag}.png"), full_page=True)
        complete.locator("a").click()
        expect(page.locator("h1")).to_have_text("张三")
        photo = page.locator(".files img")
        expect(photo).to_have_count(1)
        photo.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.files img').naturalWidth > 0")
        page.screenshot(path=str(artifacts / f"admin-04-application-{tag}.png"), full_page=True)
        if tag == "phone":  # the header wraps on a phone; the logout button must still be reachable
            expect(page.locator("button", has_text="退出")).to_be_visible()
        page.click("button:has-text('退出')")
        expect(page).to_have_url(f"{base}/admin/login")
        page.goto(f"{base}/admin/campaigns")
        expect(page).to_have_url(f"{base}/admin/login")  # the session ended on the server
        assert errors == []
        context.close()


def test_hostile_name_does_not_run(admin_server: tuple[str, Path], browser: Browser, artifacts: Path) -> None:
    base, data = admin_server
    chat(base, "cq_yzj8_filing_2022", "是", "1", "1", HOSTILE)
    add_account(data, "boss", "admin", None)
    page = browser.new_context(viewport=DESKTOP).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    log_in(page, base, "boss")
    page.goto(f"{base}/admin/campaigns/cq_yzj8_filing_2022")
    expect(page.locator("table.apps tbody tr")).to_have_count(1)
    expect(page.locator("table.apps tbody td").first).to_have_text(HOSTILE)
    expect(page.locator("table.apps img")).to_have_count(0)
    page.screenshot(path=str(artifacts / "admin-05-hostile-name.png"))
    assert dialogs == []
