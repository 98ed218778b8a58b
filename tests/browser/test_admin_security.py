"""The admin's own pages in Debian's Chromium: the audit log, and turning the TOTP second factor on (QR code
drawn on the server), then logging in with a code. Screenshots at desktop and phone sizes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import serving
from tests.browser.test_admin_pages import DESKTOP, PASSWORD, PHONE, add_account, log_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("admin-security")
    with serving(data) as base:
        yield base, data


def test_audit_log_page(server: tuple[str, Path], browser: Browser, artifacts: Path) -> None:
    base, data = server
    add_account(data, "boss", "admin", None)
    add_account(data, "jiang", "coordinator", "cq-hgzy")
    for size, tag in ((DESKTOP, "desktop"), (PHONE, "phone")):
        context = browser.new_context(viewport=size, device_scale_factor=1)
        page = context.new_page()
        log_in(page, base, "boss")
        page.click("a:has-text('审计日志')")
        expect(page.locator("h1")).to_have_text("审计日志")
        expect(page.locator(".chain-ok")).to_contain_text("哈希链完整")
        page.select_option("select[name=action]", "user_added")
        page.click("button:has-text('筛选')")
        expect(page.locator("table.audit tbody tr")).to_have_count(2)
        page.screenshot(path=str(artifacts / f"admin-06-audit-{tag}.png"), full_page=True)
        context.close()


def test_turning_on_the_second_factor_and_logging_in_with_it(
    server: tuple[str, Path], browser: Browser, artifacts: Path
) -> None:
    base, data = server
    add_account(data, "chief", "admin", None)
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    log_in(page, base, "chief")
    page.click("a:has-text('账号安全')")
    expect(page.locator(".card")).to_contain_text("未开启")
    page.click("button:has-text('开启双重验证')")
    expect(page.locator(".qr svg")).to_be_visible()
    page.screenshot(path=str(artifacts / "admin-07-second-factor-setup-phone.png"), full_page=True)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button:has-text('确认开启')")
    expect(page.locator(".codes li")).to_have_count(10)
    page.screenshot(path=str(artifacts / "admin-08-recovery-codes-phone.png"), full_page=True)
    page.click("button:has-text('退出')")

    page.fill("#username", "chief")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/admin/login/code")
    page.screenshot(path=str(artifacts / "admin-09-code-phone.png"))
    page.fill("#code", "000000")
    page.click("button:has-text('验证并登录')")
    expect(page.locator(".error")).to_contain_text("验证码不正确")
    # The code used to turn it on may still be current (a code is accepted once): the next step's code, as
    # an app a little ahead of the server's clock shows it (one step of drift is allowed).
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))
    page.click("button:has-text('验证并登录')")
    expect(page).to_have_url(f"{base}/admin/campaigns")
    context.close()
