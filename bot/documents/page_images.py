"""Pictures of a generated document's pages, for the coordinators' preview: the .docx converted to PDF by
LibreOffice (headless, a private profile, a timeout, one conversion at a time) and each page to PNG by
pdftoppm (poppler-utils). Both are optional: where `soffice` is missing, `available()` says so and the pages
offer the download only.

Results are kept briefly in memory, keyed by application, document and the document's content hash (a
changed answer gives a new document, so a new key). Files live only in a private temporary directory
(mode 0700) removed after each conversion."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger("shenbao.preview")

SOFFICE_ENV = "SHENBAO_SOFFICE"  # the LibreOffice command (default: `soffice` on the PATH)
PDFTOPPM_ENV = "SHENBAO_PDFTOPPM"
TIMEOUT_S = 90.0
DPI = 96  # A4 at 96 dpi: 794 × 1123 pixels, the size of the page on a screen at 100%
MAX_PAGES = 30
CACHE_ENTRIES = 16
CACHE_SECONDS = 600.0


class PreviewError(Exception):
    """The preview could not be made (a Chinese message for the page; the cause goes to the log)."""


class PageImages:
    def __init__(
        self,
        soffice: str | None = None,
        pdftoppm: str | None = None,
        timeout: float = TIMEOUT_S,
        dpi: int = DPI,
    ) -> None:
        self.soffice = soffice or os.environ.get(SOFFICE_ENV) or "soffice"
        self.pdftoppm = pdftoppm or os.environ.get(PDFTOPPM_ENV) or "pdftoppm"
        self.timeout = timeout
        self.dpi = dpi
        self._convert_lock = threading.Lock()  # one LibreOffice at a time (memory; a shared profile)
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, list[bytes]]] = OrderedDict()
        self.conversions = 0  # how many times LibreOffice ran (tests check the cache with it)

    def available(self) -> bool:
        return shutil.which(self.soffice) is not None and shutil.which(self.pdftoppm) is not None

    def pages(self, app_id: str, doc_id: str, data: bytes) -> list[bytes]:
        """The PNG of each page (at most MAX_PAGES) of the .docx `data`. Raises PreviewError."""
        key = (app_id, doc_id, hashlib.sha256(data).hexdigest())
        found = self._cached(key)
        if found is not None:
            return found
        with self._convert_lock:
            found = self._cached(key)  # converted while this one waited
            if found is not None:
                return found
            pages = self._convert(data)
            with self._cache_lock:
                self._cache[key] = (time.monotonic(), pages)
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            return pages

    def _cached(self, key: tuple[str, str, str]) -> list[bytes] | None:
        with self._cache_lock:
            now = time.monotonic()
            for old in [k for k, (at, _) in self._cache.items() if now - at > CACHE_SECONDS]:
                del self._cache[old]
            hit = self._cache.get(key)
            return hit[1] if hit else None

    def pdf_available(self) -> bool:
        return shutil.which(self.soffice) is not None

    def pdf(self, data: bytes, suffix: str = "docx") -> bytes:
        """The .docx (or other LibreOffice-readable `suffix`) `data` as PDF, one conversion at a time with
        the page previews (never several LibreOffice processes). Raises PreviewError."""
        with self._convert_lock, tempfile.TemporaryDirectory(prefix="shenbao-pdf-") as tmp:
            work = Path(tmp)
            return self._soffice_pdf(work, data, suffix, self._env(work)).read_bytes()

    @staticmethod
    def _env(work: Path) -> dict[str, str]:
        return {**os.environ, "HOME": str(work), "TMPDIR": str(work)}

    def _soffice_pdf(self, work: Path, data: bytes, suffix: str, env: dict[str, str]) -> Path:
        soffice = shutil.which(self.soffice)
        if soffice is None:
            raise PreviewError("转换需要 LibreOffice（soffice），本机没有安装。")
        source = work / f"document.{suffix}"
        source.write_bytes(data)
        profile = work / "profile"
        command = [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        self._run(command, env)
        self.conversions += 1
        pdf = work / "document.pdf"
        if not pdf.is_file():
            log.warning("preview: LibreOffice made no PDF")
            raise PreviewError("LibreOffice 没有生成 PDF，请下载文件查看。")
        return pdf

    def _convert(self, data: bytes) -> list[bytes]:
        soffice, pdftoppm = shutil.which(self.soffice), shutil.which(self.pdftoppm)
        if soffice is None or pdftoppm is None:
            raise PreviewError("页面预览需要 LibreOffice（soffice）和 pdftoppm，本机没有安装。")
        with tempfile.TemporaryDirectory(prefix="shenbao-preview-") as tmp:
            work = Path(tmp)
            env = self._env(work)
            pdf = self._soffice_pdf(work, data, "docx", env)
            self._run(
                [pdftoppm, "-png", "-r", str(self.dpi), "-l", str(MAX_PAGES), str(pdf), str(work / "page")],
                env,
            )
            files = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
            if not files:
                raise PreviewError("没有生成页面图片，请下载文件查看。")
            return [p.read_bytes() for p in files]

    def _run(self, command: list[str], env: dict[str, str]) -> None:
        """Run one program in its own process group: on timeout the whole group is killed (`soffice` is a
        script that starts `soffice.bin`, which would outlive a kill of the script alone)."""
        name = Path(command[0]).name
        try:
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("preview: %s could not start: %s", name, exc.strerror)
            raise PreviewError("无法启动预览程序，请下载文件查看。") from None
        try:
            code = process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            log.warning("preview: %s took longer than %.0f s", name, self.timeout)
            raise PreviewError(f"生成预览超时（{self.timeout:.0f} 秒），请下载文件查看。") from None
        if code != 0:
            log.warning("preview: %s exited with %s", name, code)
            raise PreviewError("生成预览失败，请下载文件查看。")


CONVERTER = PageImages()
