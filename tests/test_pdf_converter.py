"""The warm, bounded PDF converter (bot/documents/page_images.py) with the real LibreOffice: conversions in
a LibreOffice kept running, cached by content; under load at most `workers` conversions run and the rest
wait or are refused with the BUSY message; a hung conversion is killed after its timeout and the next one
works; a LibreOffice killed with SIGKILL (between conversions or during one) is replaced; without a
Python that has `uno` the converter falls back to one cold soffice per file; `close()` leaves nothing
running."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from docx import Document

from bot.documents import page_images, pdf
from bot.documents.page_images import PageImages, PreviewError, content_hash

needs_libreoffice = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice and poppler-utils are installed by scripts/test",
)
needs_uno = pytest.mark.skipif(
    not PageImages().warm(), reason="python3-uno (Debian) is installed by scripts/test"
)
pytestmark = needs_libreoffice


def docx(marker: str, paragraphs: int = 1) -> bytes:
    """A small .docx whose text carries `marker` (distinct bytes, so no cache answers for another)."""
    document = Document()
    for i in range(paragraphs):
        document.add_paragraph(f"{marker} 第{i}段 申报材料 " + "重庆市职业技能等级认定。" * 8)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def text_of(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / f"t{time.monotonic_ns()}.pdf"
    path.write_bytes(data)
    found = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=60)
    return "".join(found.stdout.decode("utf-8").split())  # pdftotext spaces digits apart


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


@needs_uno
def test_warm_conversions_reuse_one_libreoffice_and_cache_by_content(
    pdf_converter: PageImages, tmp_path: Path
) -> None:
    source = docx("甲一")
    first = pdf_converter.pdf(source)
    pids = pdf_converter.office_pids()
    assert pids, "no warm LibreOffice"
    started = time.monotonic()
    second = pdf_converter.pdf(docx("乙二"))
    warm_s = time.monotonic() - started
    assert first.startswith(b"%PDF-") and second.startswith(b"%PDF-")
    assert "甲一" in text_of(first, tmp_path) and "乙二" in text_of(second, tmp_path)
    assert pdf_converter.office_pids() == pids  # the same LibreOffice converted both
    assert pdf_converter.conversions == 2
    assert pdf_converter.pdf(source) == first  # same bytes: from the cache
    assert pdf_converter.conversions == 2
    assert warm_s < 20  # generous (a shared machine); benchmarks/pdf_convert.py measures it
    assert "warm LibreOffice" in pdf_converter.mode()


@needs_uno
def test_a_workbook_converts_too(pdf_converter: PageImages, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = "汇总表丙三"  # type: ignore[index]
    out = io.BytesIO()
    book.save(out)
    assert "汇总表丙三" in text_of(pdf_converter.pdf(out.getvalue(), "xlsx"), tmp_path)
    with pytest.raises(ValueError):
        pdf_converter.pdf(b"x", "../x")


@needs_uno
def test_under_load_at_most_the_configured_conversions_run_the_rest_wait_or_are_busy(
    pdf_converter: PageImages, tmp_path: Path
) -> None:
    count = pdf.MAX_WAITING + 4
    documents = [docx(f"负载{i:02d}号") for i in range(count)]
    results: dict[int, bytes | str] = {}
    gate = threading.Barrier(count)

    def request(i: int) -> None:
        gate.wait()
        try:
            results[i] = pdf.to_pdf(documents[i], converter=pdf_converter)
        except pdf.PdfError as exc:
            results[i] = str(exc)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert len(results) == count
    made = {i: r for i, r in results.items() if isinstance(r, bytes)}
    busy = [i for i, r in results.items() if r == pdf.BUSY]
    assert len(made) + len(busy) == count, results
    assert busy, "nobody was refused although more than MAX_WAITING asked at once"
    assert len(made) >= pdf.MAX_WAITING  # every request that got in line was served
    assert pdf_converter.most_active == pdf_converter.workers == 1
    for i, data in made.items():
        assert f"负载{i:02d}号" in text_of(data, tmp_path)  # each got its own document, none mixed up


@needs_uno
def test_two_workers_run_two_conversions_at_once_never_more(tmp_path: Path) -> None:
    converter = PageImages(workers=2)
    try:
        documents = [docx(f"双{i}", paragraphs=30) for i in range(6)]
        out: list[bytes] = []
        threads = [threading.Thread(target=lambda d=d: out.append(converter.pdf(d))) for d in documents]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        assert len(out) == 6 and all(d.startswith(b"%PDF-") for d in out)
        assert converter.most_active == 2
        assert len(converter.office_pids()) == 2
    finally:
        converter.close()
    assert converter.office_pids() == []


@needs_uno
def test_a_hung_conversion_is_killed_after_the_timeout_and_the_next_one_works(tmp_path: Path) -> None:
    # A fake converter command: it says it is ready, then never answers (a hung LibreOffice).
    pidfile = tmp_path / "sleeper.pid"
    fake = tmp_path / "python3"
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\necho "ready $$"\nread line\n'
        f"sleep 300 &\necho $! > {pidfile}\nwait\n"
    )
    fake.chmod(0o755)
    converter = PageImages(uno_python=str(fake), timeout=1)
    try:
        assert converter.warm()
        started = time.monotonic()
        with pytest.raises(PreviewError, match="超时"):
            converter.pdf(docx("挂起"))
        assert time.monotonic() - started < 15
        sleeper = int(pidfile.read_text())
        for _ in range(50):
            if not alive(sleeper):
                break
            time.sleep(0.1)
        assert not alive(sleeper), "the hung converter's process group was not killed"
        # The next request starts a real LibreOffice and works.
        converter.uno_python, converter.timeout = "/usr/bin/python3", 90
        assert "之后" in text_of(converter.pdf(docx("之后")), tmp_path)
        # A real conversion past a tiny timeout: that LibreOffice is killed, the next one works.
        pids = converter.office_pids()
        converter.timeout = 0.001
        with pytest.raises(PreviewError, match="超时"):
            converter.pdf(docx("太慢", paragraphs=50))
        assert not any(alive(p) for p in pids)
        converter.timeout = 90
        assert "恢复" in text_of(converter.pdf(docx("恢复")), tmp_path)
        assert converter.office_pids() and converter.office_pids() != pids
    finally:
        converter.close()


@needs_uno
def test_a_killed_libreoffice_is_replaced(pdf_converter: PageImages, tmp_path: Path) -> None:
    pdf_converter.pdf(docx("先"))
    before = pdf_converter.office_pids()
    assert before
    restarts = pdf_converter.restarts
    for pid in before:  # killed between two conversions
        os.kill(pid, signal.SIGKILL)
    assert "再" in text_of(pdf_converter.pdf(docx("再")), tmp_path)
    middle = pdf_converter.office_pids()
    assert middle and not set(middle) & set(before)
    # killed during a conversion: the conversion is tried again on a new LibreOffice and succeeds
    result: list[bytes | Exception] = []

    def convert() -> None:
        try:
            result.append(pdf_converter.pdf(docx("中途", paragraphs=150)))
        except Exception as exc:
            result.append(exc)

    worker = threading.Thread(target=convert)
    worker.start()
    deadline = time.monotonic() + 60
    while pdf_converter._slots.active == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    for pid in middle:
        os.kill(pid, signal.SIGKILL)
    worker.join(timeout=300)
    (got,) = result
    assert isinstance(got, bytes) and "中途" in text_of(got, tmp_path)
    assert pdf_converter.restarts >= restarts + 2
    after = pdf_converter.office_pids()
    assert after and not set(after) & set(middle)


def test_without_uno_the_converter_is_cold(tmp_path: Path) -> None:
    for python in ("off", "/nonexistent/python3"):
        converter = PageImages(uno_python=python)
        assert not converter.warm()
        assert "cold LibreOffice" in converter.mode()
    data = converter.pdf(docx("冷启动"))
    assert "冷启动" in text_of(data, tmp_path) and converter.office_pids() == []
    missing = PageImages(soffice="/nonexistent/soffice")
    assert "not installed" in missing.mode()
    with pytest.raises(pdf.PdfError, match="没有安装"):
        pdf.to_pdf(b"x", converter=missing)


@needs_uno
def test_close_leaves_nothing_running() -> None:
    converter = PageImages()
    converter.start()  # warms in the background, as `shenbao serve` does
    deadline = time.monotonic() + 60
    while not converter.office_pids() and time.monotonic() < deadline:
        time.sleep(0.1)
    pids = converter.office_pids()
    assert pids
    converter.close()
    time.sleep(0.2)
    assert not any(alive(p) for p in pids)
    assert page_images.CONVERTER is not converter


@needs_uno
def test_a_worn_out_libreoffice_is_replaced_in_the_background(
    pdf_converter: PageImages, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pdf_converter.pdf(docx("旧"))
    before = pdf_converter.office_pids()
    monkeypatch.setattr(page_images, "MAX_USES", 1)
    pdf_converter.pdf(docx("用完"))  # its last conversion: retired, a new one started in the background
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        pdf_converter.office_pids() and not set(pdf_converter.office_pids()) & set(before)
    ):
        time.sleep(0.1)
    fresh = pdf_converter.office_pids()
    assert fresh and not set(fresh) & set(before)
    assert not any(alive(p) for p in before)
    monkeypatch.setattr(page_images, "MAX_USES", 100)
    assert "新的" in text_of(pdf_converter.pdf(docx("新的")), tmp_path)
    assert pdf_converter.office_pids() == fresh  # the one started in the background converted it


@needs_uno
def test_no_libreoffice_outlives_a_server_killed_with_sigkill(tmp_path: Path) -> None:
    script = (
        "import io, os, sys, docx\n"
        "from bot.documents.page_images import PageImages\n"
        "c = PageImages()\n"
        "d = docx.Document(); d.add_paragraph('进程'); b = io.BytesIO(); d.save(b)\n"
        "assert c.pdf(b.getvalue()).startswith(b'%PDF-')\n"
        "print(' '.join(map(str, c.office_pids())), flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    ) as server:
        assert server.stdout is not None
        pids = [int(p) for p in server.stdout.readline().split()]
        assert pids and all(alive(p) for p in pids)
        server.kill()  # SIGKILL: no atexit, no close()
        server.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.2)
    assert not any(alive(p) for p in pids), "LibreOffice outlived the server"


def rezipped(data: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    """The same parts in a new zip stamped `when`: what rendering the same document again gives."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for part in source.infolist():
            target.writestr(zipfile.ZipInfo(part.filename, date_time=when), source.read(part))
    return out.getvalue()


def test_the_cache_knows_a_document_by_its_content() -> None:
    original = docx("内容")
    again = rezipped(original, (2030, 1, 2, 3, 4, 6))
    assert again != original
    assert content_hash(again) == content_hash(original)
    assert content_hash(docx("别的")) != content_hash(original)
    assert content_hash(b"not a zip") != content_hash(b"not a zip!")
    bomb_like = rezipped(original, (2030, 1, 2, 3, 4, 6))[:-30]  # a broken zip: hashed as bytes
    assert content_hash(bomb_like) != content_hash(original)


@needs_uno
def test_the_same_document_rendered_again_is_not_converted_again(pdf_converter: PageImages) -> None:
    original = docx("再渲染")
    first = pdf_converter.pdf(original)
    assert pdf_converter.pdf(rezipped(original, (2031, 5, 6, 7, 8, 10))) == first
    assert pdf_converter.conversions == 1
