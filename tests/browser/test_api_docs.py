"""/docs in Chromium with every address but the server's blocked: the API page still draws."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Route


def test_docs_page_draws_without_internet(server: str, browser: Browser, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/sessions" in p for p in paths)
    assert outside == []  # nothing was even asked of another host
    page.screenshot(path=str(artifacts / "api-docs.png"))
    context.close()
