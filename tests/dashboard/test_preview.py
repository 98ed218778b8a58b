"""The page preview of a generated document: real LibreOffice and pdftoppm; pages are PNGs with content,
another institution's answer 404, each page viewed is audit-logged without personal values, and without
LibreOffice the page says so and offers the download only."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageStat

from bot.documents import page_images
from tests.dashboard.conftest import ORIGIN, audit_actions, logged_in, make_user
from tests.dashboard.test_applications import say, start
from tests.dashboard.test_detail import only_app
from tests.engine.transcript import COMPLETE

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="LibreOffice (libreoffice-writer-nogui) and poppler-utils are installed by scripts/test",
)


def complete_application(client: TestClient) -> tuple[str, str]:
    """A complete application seen by coordinator jiang: (its id, its document's preview URL)."""
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    page = client.get(f"/admin/applications/{app_id}").text
    found = re.search(rf'href="(/admin/applications/{app_id}/documents/[a-z_]+/preview)"', page)
    assert found, page
    return app_id, found.group(1)


@pytest.fixture
def converter(pdf_converter: page_images.PageImages) -> page_images.PageImages:
    """The tests' shared warm converter, its caches emptied for each test."""
    return pdf_converter


@needs_libreoffice
def test_pages_are_pngs_with_content_and_audited(
    client: TestClient, converter: page_images.PageImages
) -> None:
    app_id, url = complete_application(client)
    page = client.get(url)
    assert page.status_code == 200, page.text
    images = re.findall(r'<img src="([^"]+/pages/(\d+)\.png)"', page.text)
    assert images, page.text
    assert [int(n) for _, n in images] == list(range(1, len(images) + 1))
    for src, _ in images:
        response = client.get(src)
        assert response.status_code == 200 and response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "no-store"
        picture = Image.open(io.BytesIO(response.content))
        assert picture.format == "PNG" and picture.width > 300 and picture.height > picture.width
        grey = picture.convert("L")
        dark = sum(grey.histogram()[:128])
        assert dark > 500, "a blank page"  # text and table lines
        assert ImageStat.Stat(grey).stddev[0] > 10
    assert converter.conversions == 1  # one conversion for the page and all its pictures
    actions = [a for a in audit_actions(client) if a[0] == "document_previewed"]
    assert len(actions) == len(images)
    assert all(a[1] == "jiang" and a[2] == app_id for a in actions)
    assert json.loads(actions[0][3]) == {"document": "application", "page": 1}
    everything = repr(audit_actions(client))
    assert "50010119900101123X" not in everything and "张三" not in everything
    # out of range and malformed pages
    base = src.rsplit("/", 1)[0]
    for bad in ("999.png", "0.png", "1.jpg", "-1.png", "%3Cscript%3E.png", "1.png%00", "01.png"):
        assert client.get(f"{base}/{bad}").status_code == 404, bad


@needs_libreoffice
def test_another_institution_gets_404(client: TestClient, converter: page_images.PageImages) -> None:
    app_id, url = complete_application(client)
    picture = url.replace("/preview", "/pages/1.png")
    make_user(client, "other", institution="cq-zjzx")
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    logged_in(other, "other")
    before = len(audit_actions(client))
    for target in (url, picture, f"/admin/applications/{app_id}"):
        response = other.get(target)
        assert response.status_code == 404 and "没有找到，或您没有查看权限" in response.text
    assert not [a for a in audit_actions(client)[before:] if a[0] == "document_previewed"]
    assert client.get(url.replace("/documents/application/", "/documents/nothing/")).status_code == 404
    assert converter.conversions == 0  # nothing was converted for the refused requests


def test_without_libreoffice_only_the_download(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = page_images.PageImages(soffice="/nonexistent/libreoffice/soffice")
    monkeypatch.setattr(page_images, "CONVERTER", missing)
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    page = client.get(f"/admin/applications/{app_id}").text
    assert "/preview" not in page and 'id="no-preview">页面预览需要在服务器上安装 LibreOffice' in page
    assert f"/admin/applications/{app_id}/documents/application" in page  # the download stays
    preview = client.get(f"/admin/applications/{app_id}/documents/application/preview")
    assert preview.status_code == 200
    assert 'id="preview-unavailable">页面预览需要在服务器上安装 LibreOffice' in preview.text
    assert "<img" not in preview.text and "下载 申报表" in preview.text
    assert client.get(f"/admin/applications/{app_id}/documents/application/pages/1.png").status_code == 404


def test_a_failing_conversion_is_a_message(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "soffice"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    monkeypatch.setattr(page_images, "CONVERTER", page_images.PageImages(soffice=str(broken)))
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is installed by scripts/test")
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    preview = client.get(f"/admin/applications/{app_id}/documents/application/preview")
    assert preview.status_code == 200 and "生成预览失败，请下载文件查看。" in preview.text
    picture = client.get(f"/admin/applications/{app_id}/documents/application/pages/1.png")
    assert picture.status_code == 503 and "Traceback" not in picture.text


def test_a_conversion_that_hangs_is_stopped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    hanging = tmp_path / "soffice"
    hanging.write_text("#!/bin/sh\nsleep 30 &\nwait\n")
    hanging.chmod(0o755)
    converter = page_images.PageImages(
        soffice=str(hanging), pdftoppm="/bin/true", timeout=1, uno_python="off"
    )
    with pytest.raises(page_images.PreviewError, match="超时"):
        converter.pages("app", "doc", b"not a docx")
