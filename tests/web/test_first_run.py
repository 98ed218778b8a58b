"""What a newcomer running shenbao meets: the demonstration campaign, /demo, and /docs without internet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.engine.yamlsource import SpecErrors
from bot.intake import Intake
from bot.registry import Registry, UnknownTarget
from bot.settings import ROOT, Settings
from storage import Store

TODAY = dt.date(2023, 9, 20)
DEMO = "demo_guantong"


def _client(tmp_path: Path, *, demo: bool, today: dt.date = TODAY) -> TestClient:
    settings = dataclasses.replace(
        Settings(tmp_path / "data", ROOT / "forms", ROOT / "doc_templates", None), demo=demo
    )
    return TestClient(create_app(settings, clock=lambda: today))


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, demo=False) as c:
        yield c


def test_docs_page_uses_only_local_assets(plain: TestClient) -> None:
    html = plain.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/swagger-ui/") for a in assets), assets
    assert "cdn" not in html.lower() and "https://" not in html
    js = plain.get("/static/swagger-ui/swagger-ui-bundle.js")
    css = plain.get("/static/swagger-ui/swagger-ui.css")
    assert js.status_code == 200 and "SwaggerUIBundle" in js.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert plain.get("/static/swagger-ui/favicon-32x32.png").status_code == 200


def test_demo_campaign_is_offered_only_when_switched_on(tmp_path: Path, plain: TestClient) -> None:
    assert DEMO not in plain.get("/").text
    assert plain.get(f"/chat/{DEMO}").status_code == 404
    assert plain.post("/api/sessions", json={"campaign": DEMO}).status_code == 404
    with _client(tmp_path / "on", demo=True, today=dt.date(2026, 12, 3)) as on:
        index = on.get("/").text
        open_part = index.split("最近截止")[0]
        assert DEMO in open_part, "the demonstration campaign is listed as open"
        page = on.get(f"/chat/{DEMO}")
        assert page.status_code == 200 and "【演示】" in page.text
        created = on.post("/api/sessions", json={"campaign": DEMO})
        assert created.status_code == 201, created.text
        intro = created.json()["replies"][0]["text"]
        assert "演示机构" in intro and "2027年1月2日" in intro.replace("01月02日", "1月2日")


def test_demo_deadline_rolls_from_the_day_the_forms_load() -> None:
    one = Registry.load(ROOT / "forms", ROOT / "doc_templates", dt.date(2026, 12, 3))
    other = Registry.load(ROOT / "forms", ROOT / "doc_templates", dt.date(2030, 1, 1))
    assert one.campaigns[DEMO].deadline == dt.date(2027, 1, 2)
    assert other.campaigns[DEMO].deadline == dt.date(2030, 1, 31)
    assert one.campaigns["cq_hgzy_2023"].deadline == dt.date(2023, 10, 10)  # real campaigns: as written


def test_hidden_demo_refuses_new_applications_but_opens_old_ones(tmp_path: Path) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates", TODAY)
    with Store(tmp_path / "data", None) as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        try:
            app, _ = intake.start(DEMO, "web")
            registry.hide_demo()
            assert DEMO not in registry.campaigns
            with pytest.raises(UnknownTarget):
                intake.start(DEMO, "web")
            replies = intake.handle(app.id, {"type": "command", "name": "status"}, "web")
            assert replies and "题" in replies[0].text  # the application started before still opens
        finally:
            intake.close()


def test_open_days_needs_demo(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    (forms / "campaigns").mkdir(parents=True)
    for path in (ROOT / "forms").glob("*.yaml"):
        (forms / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (forms / "catalogs").symlink_to(ROOT / "forms" / "catalogs")
    text = (ROOT / "forms" / "campaigns" / f"{DEMO}.yaml").read_text(encoding="utf-8")
    (forms / "campaigns" / "x.yaml").write_text(text.replace("demo: true\n", ""), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        Registry.load(forms, ROOT / "doc_templates", TODAY)
    message = str(caught.value)
    assert "x.yaml" in message and "open_days" in message and "demo: true" in message


def test_demo_page_describes_the_campaign_it_embeds(plain: TestClient) -> None:
    page = plain.get("/demo").text
    # 2023-09-20: the open campaign closing first is the 贯通 one; the page's text names its institution.
    assert 'data-campaign="cq_hgzy_2023"' in page and "重庆化工职业学院" in page
    other = plain.get("/demo?campaign=cq_gq_2021").text
    assert 'data-campaign="cq_gq_2021"' in other and "工勤" in other and "贯通" not in other
    hostile = plain.get("/demo", params={"campaign": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in hostile and 'data-campaign="cq_hgzy_2023"' in hostile


def test_demo_page_after_every_campaign_closed_shows_the_last_one(tmp_path: Path) -> None:
    with _client(tmp_path, demo=False, today=dt.date(2026, 12, 3)) as late:
        assert 'data-campaign="cq_hgzy_2023"' in late.get("/demo").text
