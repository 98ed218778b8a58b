"""PDFs for coordinators, with the real LibreOffice (the tests' shared warm converter): the PDF of an
application's document next to its .docx download (checked and audit-logged like it; another institution
gets 404; without LibreOffice no link and a message), the summary as PDF, and the .zip of documents with a
PDF beside each .docx (bounded: a selection over the limit is refused with a message)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.dashboard import export_jobs
from bot.documents import page_images
from tests.dashboard.conftest import ORIGIN, audit_actions, logged_in, make_user
from tests.dashboard.test_applications import say, start
from tests.dashboard.test_detail import only_app
from tests.dashboard.test_exports import CAMPAIGN, complete, export, finished, rewrite
from tests.engine.transcript import COMPLETE

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by scripts/test",
)
HOSTILE = "</w:t><script>alert(1)</script>{{ 7*7 }}"


def text_of(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "got.pdf"
    path.write_bytes(data)
    found = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60)
    return "".join(found.stdout.decode("utf-8").split())


@needs_libreoffice
def test_the_document_as_pdf_for_its_coordinator_only(
    client: TestClient, pdf_converter: page_images.PageImages, tmp_path: Path
) -> None:
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    page = client.get(f"/admin/applications/{app_id}").text
    found = re.search(rf'href="(/admin/applications/{app_id}/documents/([a-z_]+)/pdf)"', page)
    assert found, page
    url, doc_id = found.group(1), found.group(2)
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith(".pdf")
    assert response.content.startswith(b"%PDF-")
    text = text_of(response.content, tmp_path)
    assert "张三" in text and "50010119900101123X" in text
    entries = [a for a in audit_actions(client) if a[0] == "document_downloaded"]
    assert len(entries) == 1 and entries[0][1:3] == ("jiang", app_id)
    assert json.loads(entries[0][3]) == {"document": doc_id, "format": "pdf"}
    assert "张三" not in repr(audit_actions(client))
    # the same version again: no second conversion (cached per application version and content)
    conversions = pdf_converter.conversions
    assert client.get(url).content == response.content
    assert pdf_converter.conversions == conversions == 1
    # the preview page offers the PDF too
    preview = client.get(f"/admin/applications/{app_id}/documents/{doc_id}/preview").text
    assert f'href="{url}"' in preview

    # Another institution's coordinator: 404, as for the .docx; nothing converted, nothing audited.
    make_user(client, "other", institution="cq-zjzx")
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    logged_in(other, "other")
    before = len(audit_actions(client))
    for target in (url, url.removesuffix("/pdf")):
        refused = other.get(target)
        assert refused.status_code == 404 and "没有找到，或您没有查看权限" in refused.text
    assert len(audit_actions(client)) == before
    for bad in ("nothing", "%3Cscript%3E", "x" * 300):
        assert client.get(f"/admin/applications/{app_id}/documents/{bad}/pdf").status_code == 404
    assert client.get(f"/admin/applications/nope/documents/{doc_id}/pdf").status_code == 404
    assert pdf_converter.conversions == 1


def test_an_application_in_progress_has_no_pdf(client: TestClient) -> None:
    say(client, start(client), "工程技术", "是")
    make_user(client, "jiang")
    logged_in(client, "jiang")
    app_id = only_app(client)
    assert client.get(f"/admin/applications/{app_id}/documents/application/pdf").status_code == 404


def test_without_libreoffice_no_pdf_link_and_a_message(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_images, "CONVERTER", page_images.PageImages(soffice="/nonexistent/soffice"))
    assert say(client, start(client), *COMPLETE, "确认")["state"]["status"] == "complete"
    make_user(client, "jiang")
    csrf = logged_in(client, "jiang")
    app_id = only_app(client)
    page = client.get(f"/admin/applications/{app_id}").text
    assert "/pdf" not in page and f"/admin/applications/{app_id}/documents/application" in page
    response = client.get(f"/admin/applications/{app_id}/documents/application/pdf")
    assert response.status_code == 503 and "本机没有安装 PDF 转换程序" in response.text
    listing = client.get(f"/admin/campaigns/{CAMPAIGN}").text
    assert 'value="zip_pdf"' not in listing and 'value="pdf"' not in listing and 'value="zip"' in listing
    refused = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports",
        data={"csrf": csrf, "kind": "zip_pdf", "query": ""},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 400 and "没有安装 LibreOffice" in refused.text


@needs_libreoffice
def test_exports_with_pdfs(client: TestClient, pdf_converter: page_images.PageImages, tmp_path: Path) -> None:
    first = complete(client)
    rewrite(client, complete(client), name="李四" + HOSTILE)
    make_user(client, "jiang", institution="cq-hgzy")
    csrf = logged_in(client, "jiang")
    listing = client.get(f"/admin/campaigns/{CAMPAIGN}").text
    assert 'value="zip_pdf"' in listing and 'value="pdf"' in listing

    # the .zip: every .docx with its PDF beside it, made at background priority
    location = export(client, csrf, "zip_pdf")
    page = finished(client, location)
    assert "已完成" in page.text and "每份文件附 PDF" in page.text, page.text
    assert 'id="pdf-missing"' not in page.text
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"{location}/download").content))
    names = archive.namelist()
    docx = sorted(n for n in names if n.endswith(".docx"))
    pdfs = sorted(n for n in names if n.endswith(".pdf"))
    assert len(docx) == 2, "\n".join(names)
    assert [n.removesuffix(".pdf") for n in pdfs] == [n.removesuffix(".docx") for n in docx]
    plain, hostile = (text_of(archive.read(n), tmp_path) for n in pdfs)
    assert "张三" in plain and pdfs[0].startswith("0001_张三/")
    assert (
        pdfs[1].startswith("0002_李四") and "李四" + "".join(HOSTILE.split()) in hostile
    )  # printed literally
    assert pdf_converter.conversions == 2

    # the summary as PDF
    location = export(client, csrf, "pdf")
    page = finished(client, location)
    assert "已完成" in page.text and ".pdf" in page.text, page.text
    response = client.get(f"{location}/download")
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].endswith(".pdf")
    summary = text_of(response.content, tmp_path)
    assert "张三" in summary and "李四" in summary
    kinds = [json.loads(a[3])["kind"] for a in audit_actions(client) if a[0] == "export_downloaded"]
    assert kinds == ["zip_pdf", "pdf"]
    assert first


def test_a_pdf_zip_over_the_limit_is_refused(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is installed by scripts/test")
    monkeypatch.setattr(export_jobs, "MAX_PDF_APPLICATIONS", 1)
    from bot.dashboard import exports

    monkeypatch.setattr(exports, "MAX_PDF_APPLICATIONS", 1)
    complete(client)
    complete(client)
    make_user(client, "jiang", institution="cq-hgzy")
    csrf = logged_in(client, "jiang")
    listing = client.get(f"/admin/campaigns/{CAMPAIGN}").text
    assert 'value="zip_pdf"' not in listing and 'id="pdf-limit"' in listing
    refused = client.post(
        f"/admin/campaigns/{CAMPAIGN}/exports",
        data={"csrf": csrf, "kind": "zip_pdf", "query": ""},
        headers={"Origin": ORIGIN},
    )
    assert refused.status_code == 400 and "最多导出 1 份" in refused.text


def test_a_long_file_name_in_a_bundle_keeps_its_suffix() -> None:
    from bot.documents.bundle import MAX_NAME, safe_file_name

    for suffix in ("docx", "pdf"):
        name = safe_file_name("李四" + HOSTILE * 5 + "-申报表." + suffix, "文件.docx")
        assert name.endswith("." + suffix) and len(name) <= MAX_NAME and "/" not in name
    assert safe_file_name("../.pdf", "文件.docx") == "_.pdf"
    assert safe_file_name(" .pdf", "文件.docx") == "文件.pdf"
    assert safe_file_name("...", "文件.docx") == "文件.docx"
    assert safe_file_name("a.b/c", "文件.docx") == "a.b_c"


@needs_libreoffice
def test_pdfs_are_converted_ahead_at_completion_when_asked(
    client: TestClient, pdf_converter: page_images.PageImages, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.documents import pdf

    monkeypatch.setenv(pdf.AHEAD_ENV, "0")
    assert not pdf.convert_ahead()
    complete(client)
    assert pdf_converter.conversions == 0  # nothing converted that nobody asked for
    monkeypatch.setenv(pdf.AHEAD_ENV, "1")
    assert pdf.convert_ahead()
    app_id = complete(client)
    intake = client.app.state.intake  # type: ignore[attr-defined]
    pending = [f for (a, _, what), f in intake._pdf_cache.items() if a == app_id and what.startswith("pdf:")]
    assert len(pending) == 1  # queued at completion, before any request
    pending[0].result(timeout=300)
    make_user(client, "jiang", institution="cq-hgzy")
    logged_in(client, "jiang")
    response = client.get(f"/admin/applications/{app_id}/documents/application/pdf")
    assert response.status_code == 200 and response.content == pending[0].result().data
    assert pdf_converter.conversions == 1
    monkeypatch.delenv(pdf.AHEAD_ENV)
    assert pdf.convert_ahead() is (page_images.CONVERTER.started and page_images.CONVERTER.warm())
