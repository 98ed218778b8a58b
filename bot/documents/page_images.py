"""PDF copies and page pictures of generated documents, made by LibreOffice (headless) and pdftoppm
(poppler-utils): the applicants' PDFs (bot/documents/pdf.py), the coordinators' previews, PDF downloads and
PDF exports. Both programs are optional: where `soffice` is missing, `pdf_available()` says so and the pages
offer the .docx only.

**A warm, bounded converter.** LibreOffice is kept running between conversions (a cold `soffice
--convert-to pdf` costs 2–5 s per file; a conversion in a running LibreOffice 0.2–0.5 s):

- Each of `workers` slots (SHENBAO_PDF_WORKERS, 1 or 2; default 1) owns one LibreOffice, driven by
  bot/documents/uno_worker.py run by the system Python that has LibreOffice's `uno` module
  (SHENBAO_UNO_PYTHON, default /usr/bin/python3; Debian's python3-uno). It has a private profile in a
  private temporary directory and takes UNO connections on a named local pipe only (a socket in /tmp,
  mode 0700), never a TCP port.
- At most `workers` conversions run at once; the others wait for a slot in order, applicants' requests
  (priority INTERACTIVE) before an export's (priority BACKGROUND). How many may wait is bounded by the
  callers (bot/documents/pdf.py answers BUSY past MAX_WAITING).
- Every conversion has a timeout (`timeout`, 90 s): past it, the LibreOffice is killed with its whole
  process group and the request fails with a message; the next request starts a new LibreOffice. A
  LibreOffice that crashed (or was killed) is replaced the same way, and the conversion that found it dead
  is retried once on the new one. After MAX_USES conversions a LibreOffice is replaced (its memory grows
  with each conversion): the new one is started in the background, so no request waits for it.
- `start()` warms the slots in the background (`shenbao serve` calls it at start and logs which way PDFs
  are made); otherwise the first conversion starts one. `close()` stops them (`serve` at shutdown, and
  at interpreter exit in any case).
- Without a `uno`-capable Python the converter falls back to one cold `soffice --convert-to pdf` per file
  (same slots, timeout and private profile), and says so in the log.

**Caches.** A PDF is kept by the SHA-256 of the document's content (`content_hash`: of a .docx/.xlsx, its
parts' names and bytes, so the same document rendered again — only the zip's timestamps differ — finds the
PDF made for the applicant; a changed answer gives a new document, so a new key): PDF_CACHE_ENTRIES PDFs, PDF_CACHE_SECONDS each. Page pictures are kept by application,
document and content hash. Files live only in private temporary directories (mode 0700), removed after
each conversion."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import heapq
import io
import itertools
import json
import logging
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger("shenbao.preview")

SOFFICE_ENV = "SHENBAO_SOFFICE"  # the LibreOffice command (default: `soffice` on the PATH)
PDFTOPPM_ENV = "SHENBAO_PDFTOPPM"
UNO_PYTHON_ENV = "SHENBAO_UNO_PYTHON"  # a Python with LibreOffice's `uno` module; "off": always cold
WORKERS_ENV = "SHENBAO_PDF_WORKERS"  # conversions at once, 1 or 2
UNO_PYTHON = "/usr/bin/python3"
WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
TIMEOUT_S = 90.0
START_TIMEOUT_S = 60.0
MAX_USES = 100  # conversions before a warm LibreOffice is replaced (its memory grows with each)
DPI = 96  # A4 at 96 dpi: 794 × 1123 pixels, the size of the page on a screen at 100%
MAX_PAGES = 30
CACHE_ENTRIES = 16
CACHE_SECONDS = 600.0
PDF_CACHE_ENTRIES = 64
PDF_CACHE_SECONDS = 1800.0
INTERACTIVE, BACKGROUND = 0, 1
_SUFFIX = re.compile(r"^[a-z]{1,5}$")


MAX_HASHED_BYTES = 64 * 1024 * 1024  # a zip that unpacks to more is hashed as it is


def content_hash(data: bytes) -> str:
    """SHA-256 of what a document holds: for a zip (.docx, .xlsx) each part's name and uncompressed bytes in
    order, not the zip's own timestamps; otherwise the bytes."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if sum(p.file_size for p in parts) > MAX_HASHED_BYTES:
                raise zipfile.BadZipFile("too large to hash by content")
            digest.update(b"zip\0")
            for part in parts:
                name = part.filename.encode("utf-8", "surrogateescape")
                body = archive.read(part)
                digest.update(len(name).to_bytes(4, "big") + name + len(body).to_bytes(8, "big") + body)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        EOFError,
        RuntimeError,
        zlib.error,
    ):
        digest = hashlib.sha256(b"raw\0" + data)
    return digest.hexdigest()


class PreviewError(Exception):
    """The preview could not be made (a Chinese message for the page; the cause goes to the log)."""


class _Slots:
    """`size` conversions at once; waiters served by priority, then in arrival order."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = size
        self._cond = threading.Condition()
        self._queue: list[tuple[int, int]] = []
        self._order = itertools.count()
        self.active = 0
        self.most_active = 0  # the most conversions seen running at once (tests check the bound)

    def acquire(self, priority: int) -> None:
        with self._cond:
            ticket = (priority, next(self._order))
            heapq.heappush(self._queue, ticket)
            while not (self._free > 0 and self._queue[0] == ticket):
                self._cond.wait()
            heapq.heappop(self._queue)
            self._free -= 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            self._cond.notify_all()

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self.active -= 1
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)


class _Dead(Exception):
    """The warm LibreOffice is gone (crashed, killed, never came up)."""


class _Office:
    """One warm LibreOffice: uno_worker.py and its soffice, in their own process group."""

    def __init__(self, python: str, soffice: str, root: Path, start_timeout: float) -> None:
        self.root = root
        profile = root / "profile"
        pipe = f"shenbao-{os.getpid()}-{secrets.token_hex(8)}"
        env = {**os.environ, "HOME": str(root), "TMPDIR": str(root)}
        env.pop("PYTHONPATH", None)  # the system Python must not pick up the server's packages
        env.pop("PYTHONHOME", None)
        self.uses = 0
        self._buffer = b""
        try:
            self.process = subprocess.Popen(
                [python, str(WORKER_SCRIPT), soffice, profile.as_uri(), pipe],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise _Dead(f"could not start: {exc.strerror}") from None
        try:
            line = self._line(start_timeout)
        except TimeoutError:
            self.kill()
            raise
        if not line.startswith("ready "):
            self.kill()
            raise _Dead(f"did not start: {line or 'no answer'}")
        self.office_pid = int(line.split()[1])  # soffice (its script, then oosplash; soffice.bin below)

    def _line(self, timeout: float) -> str:
        """The worker's next line ("" when it closed its output); raises TimeoutError."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                return ""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("ascii", "replace").strip()

    def convert(self, source: Path, target: Path, timeout: float) -> None:
        """Raises _Dead, TimeoutError, or PreviewError (LibreOffice could not convert this file)."""
        assert self.process.stdin is not None
        self.uses += 1
        try:
            self.process.stdin.write((json.dumps({"in": str(source), "out": str(target)}) + "\n").encode())
            self.process.stdin.flush()
        except OSError:
            raise _Dead("its input is closed") from None
        answer = self._line(timeout)
        if answer == "ok":
            return
        if answer in ("", "error dead"):
            raise _Dead(answer or "no answer")
        log.warning("pdf: LibreOffice could not convert a file (%s)", answer[:80])
        raise PreviewError("LibreOffice 没有生成 PDF，请下载文件查看。")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Ask it to quit (LibreOffice closes cleanly); killed if it does not within a few seconds."""
        with contextlib.suppress(OSError, ValueError):
            assert self.process.stdin is not None
            self.process.stdin.write(b"quit\n")
            self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self.kill()

    def kill(self) -> None:
        """The whole process group (uno_worker.py, soffice's script, oosplash, soffice.bin)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()
        shutil.rmtree(self.root, ignore_errors=True)


class PageImages:
    def __init__(
        self,
        soffice: str | None = None,
        pdftoppm: str | None = None,
        timeout: float = TIMEOUT_S,
        dpi: int = DPI,
        workers: int | None = None,
        uno_python: str | None = None,
    ) -> None:
        self.soffice = soffice or os.environ.get(SOFFICE_ENV) or "soffice"
        self.pdftoppm = pdftoppm or os.environ.get(PDFTOPPM_ENV) or "pdftoppm"
        self.timeout = timeout
        self.dpi = dpi
        if workers is None:
            try:
                workers = int(os.environ.get(WORKERS_ENV) or 1)
            except ValueError:
                workers = 1
        self.workers = min(max(workers, 1), 2)
        self.uno_python = uno_python if uno_python is not None else os.environ.get(UNO_PYTHON_ENV, UNO_PYTHON)
        self._slots = _Slots(self.workers)
        self._offices: list[_Office] = []  # idle warm LibreOffices
        self._all: set[_Office] = set()
        self._offices_lock = threading.Lock()
        self._warm: bool | None = None  # decided at the first use
        self.started = False  # start() was called: a server that keeps LibreOffice warm
        self._generation = 0  # close() counts up: a LibreOffice started before it is not kept
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str, str], tuple[float, list[bytes]]] = OrderedDict()
        self._pdfs: OrderedDict[tuple[str, str], tuple[float, bytes]] = OrderedDict()
        self.conversions = 0  # how many times LibreOffice converted (tests check the caches with it)
        self.restarts = 0  # warm LibreOffices started after the first of each slot
        atexit.register(self.close)

    # -- what is there ------------------------------------------------------------------------------

    def available(self) -> bool:
        return shutil.which(self.soffice) is not None and shutil.which(self.pdftoppm) is not None

    def pdf_available(self) -> bool:
        return shutil.which(self.soffice) is not None

    def warm(self) -> bool:
        """Whether conversions use a warm LibreOffice (a Python with `uno` found), else cold ones."""
        if self._warm is None:
            self._warm = self._uno_works()
        return self._warm

    def _uno_works(self) -> bool:
        python = shutil.which(self.uno_python) if self.uno_python not in ("", "off") else None
        if python is None or not WORKER_SCRIPT.is_file():
            return False
        try:
            found = subprocess.run(
                [python, "-c", "import uno"],
                env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return found.returncode == 0

    def mode(self) -> str:
        """For the log: how PDFs are made here."""
        if not self.pdf_available():
            return "PDF: LibreOffice (soffice) not installed; only .docx/.xlsx are offered"
        if self.warm():
            return (
                f"PDF: warm LibreOffice ({self.workers} at a time, {self.uno_python} with python3-uno, "
                f"timeout {self.timeout:.0f} s)"
            )
        return (
            f"PDF: cold LibreOffice, one soffice per file ({self.uno_python or 'no Python'} has no `uno` module: "
            f"install python3-uno for warm conversions)"
        )

    def start(self) -> None:
        """Warm the slots in the background and log how PDFs are made (`shenbao serve` at start)."""
        self.started = True

        def warm_up() -> None:
            log.info("%s", self.mode())
            if not (self.pdf_available() and self.warm()):
                return
            for _ in range(self.workers):
                with self._offices_lock:
                    if len(self._all) >= self.workers:
                        return
                try:
                    office = self._new_office()
                except PreviewError:
                    return
                with self._offices_lock:
                    self._offices.append(office)

        threading.Thread(target=warm_up, name="pdf-warm-up", daemon=True).start()

    def close(self) -> None:
        """Stop every warm LibreOffice (idle ones now; one converting is killed)."""
        with self._offices_lock:
            offices, self._offices = list(self._all), []
            self._all.clear()
            self._generation += 1
        for office in offices:
            office.stop()

    def forget(self) -> None:
        """Empty the caches and reset the counters (the LibreOffices stay warm; tests share one)."""
        with self._cache_lock:
            self._cache.clear()
            self._pdfs.clear()
            self.conversions = 0
        self._slots.most_active = self._slots.active

    @property
    def most_active(self) -> int:
        return self._slots.most_active

    @property
    def waiting(self) -> int:
        return self._slots.waiting

    def office_pids(self) -> list[int]:
        """The soffice.bin processes of the warm LibreOffices (Linux; tests kill them)."""
        with self._offices_lock:
            groups = {o.process.pid for o in self._all if o.alive()}
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                text = stat.read_text()
                name = text[text.index("(") + 1 : text.rindex(")")]
                pgid = int(text[text.rindex(")") + 2 :].split()[2])
                if pgid in groups and name.startswith("soffice"):
                    found.append(int(stat.parent.name))
        return sorted(found)

    # -- PDF ----------------------------------------------------------------------------------------

    def pdf(self, data: bytes, suffix: str = "docx", priority: int = INTERACTIVE) -> bytes:
        """The .docx (or other LibreOffice-readable `suffix`: xlsx) `data` as PDF, made in one of the
        slots (waiting for it as long as it takes). Raises PreviewError."""
        if not _SUFFIX.match(suffix):
            raise ValueError(f"suffix {suffix!r}")
        key = (content_hash(data), suffix)
        found = self._cached_pdf(key)
        if found is not None:
            return found
        self._slots.acquire(priority)
        try:
            found = self._cached_pdf(key)  # converted while this one waited
            if found is not None:
                return found
            pdf = self._convert_pdf(data, suffix)
        finally:
            self._slots.release()
        with self._cache_lock:
            self._pdfs[key] = (time.monotonic(), pdf)
            while len(self._pdfs) > PDF_CACHE_ENTRIES:
                self._pdfs.popitem(last=False)
        return pdf

    def _cached_pdf(self, key: tuple[str, str]) -> bytes | None:
        with self._cache_lock:
            hit = self._pdfs.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > PDF_CACHE_SECONDS:
                del self._pdfs[key]
                return None
            self._pdfs.move_to_end(key)
            return hit[1]

    def _convert_pdf(self, data: bytes, suffix: str) -> bytes:
        if shutil.which(self.soffice) is None:
            raise PreviewError("转换需要 LibreOffice（soffice），本机没有安装。")
        with tempfile.TemporaryDirectory(prefix="shenbao-pdf-") as tmp:
            work = Path(tmp)
            source = work / f"document.{suffix}"
            source.write_bytes(data)
            target = work / "document.pdf"
            if self.warm():
                self._warm_pdf(source, target)
            else:
                self._cold_pdf(work, source)
            if not target.is_file():
                log.warning("pdf: LibreOffice made no PDF")
                raise PreviewError("LibreOffice 没有生成 PDF，请下载文件查看。")
            with self._cache_lock:
                self.conversions += 1
            return target.read_bytes()

    def _new_office(self) -> _Office:
        soffice = shutil.which(self.soffice)
        python = shutil.which(self.uno_python)
        if soffice is None or python is None:
            raise PreviewError("转换需要 LibreOffice（soffice），本机没有安装。")
        root = Path(tempfile.mkdtemp(prefix="shenbao-office-"))
        try:
            office = _Office(python, soffice, root, min(START_TIMEOUT_S, max(self.timeout, 20.0)))
        except _Dead as exc:
            shutil.rmtree(root, ignore_errors=True)
            log.warning("pdf: LibreOffice did not start: %s", exc)
            raise PreviewError("生成预览失败，请下载文件查看。") from None
        except TimeoutError:
            shutil.rmtree(root, ignore_errors=True)
            log.warning("pdf: LibreOffice did not start in time")
            raise PreviewError("PDF 转换程序启动超时，请下载文件查看。") from None
        with self._offices_lock:
            self._all.add(office)
        return office

    def _take_office(self) -> _Office:
        with self._offices_lock:
            while self._offices:
                office = self._offices.pop()
                if office.alive():
                    return office
                self._all.discard(office)
                self.restarts += 1
                office.kill()
        return self._new_office()

    def _give_back(self, office: _Office) -> None:
        if office.uses >= MAX_USES or not office.alive():
            self._retire(office)
            if office.uses >= MAX_USES:
                threading.Thread(target=self._replace, name="pdf-replace", daemon=True).start()
            return
        with self._offices_lock:
            if office in self._all:  # not closed meanwhile
                self._offices.append(office)
                return
        office.kill()

    def _replace(self) -> None:
        """A fresh LibreOffice for the idle list (in the background, after one was worn out); dropped if
        the converter was closed meanwhile."""
        generation = self._generation
        try:
            office = self._new_office()
        except PreviewError:
            return
        with self._offices_lock:
            if office in self._all and generation == self._generation:
                self._offices.append(office)
                return
            self._all.discard(office)
        office.kill()

    def _retire(self, office: _Office) -> None:
        with self._offices_lock:
            self._all.discard(office)
        office.kill()

    def _warm_pdf(self, source: Path, target: Path) -> None:
        """One conversion in a warm LibreOffice (a slot is held); a dead one is replaced and the
        conversion tried once more; one past the timeout is killed."""
        for attempt in (1, 2):
            office = self._take_office()
            try:
                office.convert(source, target, self.timeout)
            except _Dead as exc:
                self._retire(office)
                self.restarts += 1
                log.warning("pdf: the warm LibreOffice was gone (%s); starting a new one", exc)
                if attempt == 2:
                    raise PreviewError("生成 PDF 失败，请下载文件查看。") from None
                continue
            except TimeoutError:
                self._retire(office)
                log.warning(
                    "pdf: a conversion took longer than %.0f s; LibreOffice was stopped", self.timeout
                )
                raise PreviewError(f"生成预览超时（{self.timeout:.0f} 秒），请下载文件查看。") from None
            except BaseException:
                self._give_back(office)
                raise
            self._give_back(office)
            return

    def _cold_pdf(self, work: Path, source: Path) -> None:
        soffice = shutil.which(self.soffice)
        assert soffice is not None
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(source),
        ]
        self._run(command, self._env(work))

    # -- page pictures ------------------------------------------------------------------------------

    def pages(self, app_id: str, doc_id: str, data: bytes) -> list[bytes]:
        """The PNG of each page (at most MAX_PAGES) of the .docx `data`. Raises PreviewError."""
        key = (app_id, doc_id, hashlib.sha256(data).hexdigest())
        found = self._cached(key)
        if found is not None:
            return found
        if not self.available():
            raise PreviewError("页面预览需要 LibreOffice（soffice）和 pdftoppm，本机没有安装。")
        pages = self._pictures(self.pdf(data, "docx"))
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

    def _pictures(self, pdf: bytes) -> list[bytes]:
        pdftoppm = shutil.which(self.pdftoppm)
        if pdftoppm is None:
            raise PreviewError("页面预览需要 LibreOffice（soffice）和 pdftoppm，本机没有安装。")
        with tempfile.TemporaryDirectory(prefix="shenbao-preview-") as tmp:
            work = Path(tmp)
            (work / "document.pdf").write_bytes(pdf)
            self._run(
                [
                    pdftoppm,
                    "-png",
                    "-r",
                    str(self.dpi),
                    "-l",
                    str(MAX_PAGES),
                    str(work / "document.pdf"),
                    str(work / "page"),
                ],
                self._env(work),
            )
            files = sorted(work.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
            if not files:
                raise PreviewError("没有生成页面图片，请下载文件查看。")
            return [p.read_bytes() for p in files]

    @staticmethod
    def _env(work: Path) -> dict[str, str]:
        return {**os.environ, "HOME": str(work), "TMPDIR": str(work)}

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
