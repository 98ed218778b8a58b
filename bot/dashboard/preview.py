"""The page preview of a generated document: a page listing the document's pages as pictures, and each
page's PNG (converted by LibreOffice and pdftoppm, see bot/documents/page_images.py). Like the download,
every picture fetched re-checks that the user may see the application and is audit-logged (document and
page, nothing of its content). Where LibreOffice is missing the page says so and offers the download."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.dashboard import auth, views
from bot.dashboard.http import (
    NOT_FOUND,
    AdminError,
    Viewer,
    base_context,
    intake_of,
    render,
    secure_headers,
    viewer,
    visible_application,
)
from bot.documents import page_images
from bot.intake import Document
from storage import Application
from storage.audit import AuditEntry

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_FILE = re.compile(r"^([1-9][0-9]{0,2})\.png$")


async def _document(request: Request, app: Application, doc_id: str) -> Document:
    """The generated document of a complete application the user may see (404 otherwise)."""
    if app.status != "complete":
        raise AdminError(404, NOT_FOUND)
    intake = intake_of(request)
    futures = await run_in_threadpool(intake.pending_documents, app, None, doc_id[:64])
    if not futures:
        raise AdminError(404, NOT_FOUND)
    return await asyncio.shield(asyncio.wrap_future(futures[0]))


async def _pages(app: Application, doc: Document) -> list[bytes]:
    converter = page_images.CONVERTER
    return await run_in_threadpool(converter.pages, app.id, doc.id, doc.data)


@router.get("/applications/{app_id}/documents/{doc_id}/preview", response_class=HTMLResponse)
async def preview_page(request: Request, app_id: str, doc_id: str, v: Viewer = Depends(viewer)) -> Response:  # noqa: B008
    intake = intake_of(request)
    app = await visible_application(request, v, app_id)
    doc = await _document(request, app, doc_id)
    program, _ = intake.program_for(app)
    error = None
    count = 0
    if not page_images.CONVERTER.available():
        error = "页面预览需要在服务器上安装 LibreOffice（soffice）和 pdftoppm。请下载文件查看。"
    else:
        try:
            count = len(await _pages(app, doc))
        except page_images.PreviewError as exc:
            error = str(exc)
    context = {
        **base_context(request, v),
        "app": views.application_row(program, app),
        "campaign_id": app.campaign_id,
        "doc": {"id": doc.id, "title": doc.title, "filename": doc.filename},
        "pages": list(range(1, count + 1)),
        "error": error,
        "max_pages": page_images.MAX_PAGES,
        "pdf": page_images.CONVERTER.pdf_available(),
    }
    return render(request, "preview.html", context)


@router.get("/applications/{app_id}/documents/{doc_id}/pages/{page_file}")
async def page_image(
    request: Request,
    app_id: str,
    doc_id: str,
    page_file: str,
    v: Viewer = Depends(viewer),  # noqa: B008
) -> Response:
    """One page of the document as PNG: visibility re-checked, audit-logged."""
    found = PAGE_FILE.match(page_file)
    if found is None:
        raise AdminError(404, NOT_FOUND)
    number = int(found.group(1))
    app = await visible_application(request, v, app_id)
    doc = await _document(request, app, doc_id)
    if not page_images.CONVERTER.available():
        raise AdminError(404, NOT_FOUND)
    try:
        pages = await _pages(app, doc)
    except page_images.PreviewError as exc:
        raise AdminError(503, str(exc)) from None
    if number > len(pages):
        raise AdminError(404, NOT_FOUND)
    entry = AuditEntry(v.user.username, "document_previewed", app.id, {"document": doc.id, "page": number})
    await run_in_threadpool(auth.accounts_of(request).audit, entry)
    response = Response(
        pages[number - 1],
        media_type="image/png",
        headers={"Content-Disposition": f'inline; filename="page-{number}.png"'},
    )
    return secure_headers(response)
