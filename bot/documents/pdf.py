"""PDF copies of the generated documents, for applicants: WeChat's built-in viewer opens a PDF, so an
applicant can look at and print the papers without switching apps.

LibreOffice (headless) converts; it is optional. `pdf_available()` says whether it is installed: without
it the pages offer the .docx only. Conversions go through bot/documents/page_images.py's warm, bounded
converter: a LibreOffice kept running, one or two conversions at a time (shared with the coordinators'
previews, PDF downloads and exports, which wait behind applicants), a private profile, a timeout, a new
LibreOffice after a crash or a hang; and at most MAX_WAITING conversions wait here (running or queued), so
a burst of requests is answered BUSY rather than queued unboundedly. The converter keeps PDFs by content
hash; bot/intake.py also caches them per application version."""

from __future__ import annotations

import logging
import os
import threading

from bot.documents import page_images
from bot.documents.page_images import PageImages, PreviewError

log = logging.getLogger("shenbao.pdf")

MAX_WAITING = 8
AHEAD_ENV = "SHENBAO_PDF_AHEAD"
UNAVAILABLE = "本机没有安装 PDF 转换程序，暂时只能下载 Word 文件（.docx）。"
BUSY = "正在生成的 PDF 太多，请稍后再试，或先下载 Word 文件（.docx）。"
FAILED = "PDF 生成失败，请稍后再试，或先下载 Word 文件（.docx）。"


class PdfError(Exception):
    """No PDF: a short Chinese message for the applicant (the cause is in the log)."""


_waiting = threading.BoundedSemaphore(MAX_WAITING)


def convert_ahead() -> bool:
    """Whether an application's PDFs are converted when it is completed, before anyone asks (so the PDF
    link answers at once): SHENBAO_PDF_AHEAD=1/0; by default when the server started the warm converter
    (`shenbao serve`), never with cold conversions (a cold start per file costs seconds of CPU that nobody
    may need) nor in tests and commands that did not start it."""
    setting = os.environ.get(AHEAD_ENV, "").strip()
    if setting in ("0", "1"):
        return setting == "1" and pdf_available()
    converter = page_images.CONVERTER
    return converter.started and converter.pdf_available() and converter.warm()


def pdf_available(converter: PageImages | None = None) -> bool:
    return (converter or page_images.CONVERTER).pdf_available()


def to_pdf(data: bytes, suffix: str = "docx", converter: PageImages | None = None) -> bytes:
    """`data` (a .docx by default; "xlsx" for a workbook) as PDF bytes. Raises PdfError."""
    converter = converter or page_images.CONVERTER
    if not converter.pdf_available():
        raise PdfError(UNAVAILABLE)
    if not _waiting.acquire(blocking=False):
        raise PdfError(BUSY)
    try:
        pdf = converter.pdf(data, suffix)
    except PreviewError as exc:
        log.warning("pdf: conversion failed: %s", exc)
        raise PdfError(FAILED) from None
    finally:
        _waiting.release()
    if not pdf.startswith(b"%PDF-"):
        log.warning("pdf: LibreOffice output is not a PDF")
        raise PdfError(FAILED)
    return pdf
