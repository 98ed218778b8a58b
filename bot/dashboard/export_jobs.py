"""Export jobs: a campaign's selected applications as the summary .xlsx, CSV or PDF, or a .zip of their
documents (with or without a PDF of each), made in the background (one at a time, off the event loop) while
the job page shows how far it got.

PDFs come from the warm converter (bot/documents/page_images.py) at background priority: an applicant's or
a coordinator's own PDF request goes first. A .zip with PDFs is offered for at most MAX_PDF_APPLICATIONS
applications (≈ 0.3–0.5 s a document in a warm LibreOffice, so a few minutes at most); a larger selection
is refused with a message (filter it, or export the .zip without PDFs). A document whose PDF cannot be made
stays in the .zip as .docx and is counted (`pdf_missing`).

A job belongs to the account that started it. Its result is written as it is made into
`<data dir>/exports/<job>.bin`, 0600, encrypted with a key held only in memory (bot/dashboard/sealed_files);
it can be downloaded for WINDOW_S seconds, then it is deleted. Beside it `<job>.json` records only who,
which campaign, which kind and how many (no applicant's values), so that after a restart — which deletes
every result, since its key is gone — the job page can say the job was lost to the restart."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import os
import secrets
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.dashboard import views
from bot.dashboard.sealed_files import SealedWriter, new_key
from bot.documents import page_images
from bot.documents.bundle import Bundle
from bot.documents.render_pool import Rendered, render_application, render_in_worker, start_worker
from bot.documents.uploads import file_refs
from bot.documents.xlsx import summary_filename
from bot.exports import scope_of, selected, shows_id_number, summary_csv, summary_xlsx
from bot.intake import Intake
from storage import Application

log = logging.getLogger("shenbao.admin")

WINDOW_S = 3600  # a result can be downloaded for an hour after it is ready
KEEP_LOST_S = 24 * 3600  # how long the page of a job lost to a restart still says so
MAX_ACTIVE_PER_USER = 3  # queued or running
SWEEP_S = 60
RENDER_PROCESSES = 2  # a .zip's documents are rendered by this many worker processes …
MIN_FOR_PROCESSES = 200  # … when it has at least this many applications (starting them takes seconds)
MAX_PDF_APPLICATIONS = 300  # a .zip with PDFs: at most this many applications
KINDS: dict[str, tuple[str, str, str]] = {  # kind: (name, suffix, media type)
    "xlsx": ("汇总表（Excel）", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": ("汇总表（CSV）", ".csv", "text/csv; charset=utf-8"),
    "pdf": ("汇总表（PDF）", ".pdf", "application/pdf"),
    "zip": ("全部申报材料（.zip）", ".zip", "application/zip"),
    "zip_pdf": ("全部申报材料（.zip，含 PDF）", ".zip", "application/zip"),
}
PDF_KINDS = ("pdf", "zip_pdf")
STATE_NAMES = {
    "queued": "排队中",
    "running": "正在导出",
    "ready": "已完成",
    "failed": "导出失败",
    "expired": "已过期",
    "lost": "已中断",
}


class TooManyJobs(Exception):
    pass


@dataclass
class Job:
    id: str
    owner: str  # user id
    username: str
    campaign_id: str
    kind: str
    total: int  # applications selected
    created: float
    done: int = 0  # applications processed so far
    rows: int = 0  # applications in the result (a summary's own `where`, documents only when complete)
    state: str = "queued"
    finished: float | None = None
    filename: str = ""
    full_id: bool = False  # the result holds full ID numbers
    skipped: int = 0  # applications whose documents could not be made (logged with their ids)
    pdf_missing: int = 0  # documents of a .zip with PDFs left without their PDF (logged with their ids)
    error: str | None = None
    key: bytes = field(default=b"", repr=False)

    def meta(self) -> dict[str, Any]:
        found = asdict(self)
        del found["key"]
        return found

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


class ExportJobs:
    def __init__(
        self,
        folder: Path,
        intake: Intake,
        clock: Callable[[], float] = time.time,
        workers: int = 1,
        processes: int = RENDER_PROCESSES,
    ) -> None:
        self.folder = folder
        self.processes = processes
        self.intake = intake
        self.clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="export")
        self._stop = threading.Event()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._after_restart()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="export-sweep", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        """Stop: a job under way finishes writing (and is then deleted at the next start); queued ones are
        dropped."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    # -- jobs ---------------------------------------------------------------------------------------

    def submit(self, owner: str, username: str, campaign_id: str, kind: str, app_ids: list[str]) -> Job:
        if kind not in KINDS:
            raise ValueError(kind)
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.active]
            if len(mine) >= MAX_ACTIVE_PER_USER:
                raise TooManyJobs()
            job = Job(
                id=secrets.token_urlsafe(18),
                owner=owner,
                username=username,
                campaign_id=campaign_id,
                kind=kind,
                total=len(app_ids),
                created=self.clock(),
                key=new_key(),
            )
            self._jobs[job.id] = job
        self._save(job)
        self._pool.submit(self._run, job, app_ids)
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        """The job if it exists and is this user's; None otherwise (the same for both)."""
        self.sweep()
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def result(self, job: Job) -> Path:
        return self.folder / f"{job.id}.bin"

    def sweep(self) -> None:
        """Delete results past their download window (and forget lost jobs after a day)."""
        now = self.clock()
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            if job.state == "ready" and job.finished is not None and now - job.finished > WINDOW_S:
                job.state = "expired"
                job.key = b""
                self._remove(self.result(job))
                self._save(job)
            elif job.state in ("lost", "expired", "failed") and now - job.created > KEEP_LOST_S:
                with self._lock:
                    self._jobs.pop(job.id, None)
                self._remove(self.folder / f"{job.id}.json")

    # -- the work -------------------------------------------------------------------------------------

    def _run(self, job: Job, app_ids: list[str]) -> None:
        job.state = "running"
        path = self.result(job)
        try:
            out = SealedWriter(path, job.key)
            try:
                if job.kind in ("zip", "zip_pdf"):
                    self._documents(job, app_ids, out)
                else:
                    self._summary(job, app_ids, out)
            except BaseException:
                out.abandon()
                raise
            out.close()
        except Exception as exc:
            log.error(
                "export job %s (%s, %s) failed: %s", job.id, job.campaign_id, job.kind, where_failed(exc)
            )
            self._remove(path)
            job.state, job.error = "failed", "导出时出错，请稍后重试；仍不行请联系管理员。"
        else:
            job.state = "ready"
        job.finished = self.clock()
        self._save(job)

    def _applications(self, job: Job, app_ids: list[str]) -> Any:
        for app_id in app_ids:
            if self._stop.is_set():
                raise RuntimeError("shutting down")
            app = self.intake.store.get(app_id)
            if app is not None and app.campaign_id == job.campaign_id:
                yield app
            job.done += 1

    def _summary(self, job: Job, app_ids: list[str], out: SealedWriter) -> None:
        intake = self.intake
        registry = intake.registry
        program, campaign = registry.resolve(job.campaign_id)
        compiled = program.summaries[0]
        today = intake.clock()
        scopes = [scope_of(program, campaign, app, today) for app in self._applications(job, app_ids)]
        rows = selected(compiled, scopes)
        job.full_id = shows_id_number(registry, program, compiled, "xlsx" if job.kind == "pdf" else job.kind)
        name = summary_filename(program, compiled.summary, campaign, today, len(rows))
        if job.kind == "xlsx":
            out.write(summary_xlsx(registry, program, compiled, rows, campaign, today))
        elif job.kind == "pdf":
            workbook = summary_xlsx(registry, program, compiled, rows, campaign, today)
            out.write(page_images.CONVERTER.pdf(workbook, "xlsx", page_images.BACKGROUND))
            name = name.removesuffix(".xlsx") + ".pdf"
        else:
            out.write(summary_csv(program, compiled, rows))
            name = name.removesuffix(".xlsx") + ".csv"
        job.rows, job.filename = len(rows), name

    def _documents(self, job: Job, app_ids: list[str], out: SealedWriter) -> None:
        intake = self.intake
        program, campaign = intake.registry.resolve(job.campaign_id)
        today = intake.clock()
        now = dt.datetime.now(views.CHINA)
        bundle = Bundle(out, (now.year, now.month, now.day, now.hour, now.minute, now.second))
        job.full_id = True
        number = 0

        def add(app: Application, files: Rendered) -> None:
            nonlocal number
            if files:
                number += 1
                if job.kind == "zip_pdf":
                    files = self._with_pdfs(job, app, files)
                bundle.add(number, views.applicant(program, app)[0], files)

        if self.processes > 1 and len(app_ids) >= MIN_FOR_PROCESSES:
            self._documents_in_processes(job, app_ids, today, add)
        else:
            for app in self._applications(job, app_ids):
                try:
                    files = self.documents_of(app, today)
                except Exception as exc:  # one application's bad data must not cost everyone's documents
                    log.error(
                        "export job %s: documents of application %s failed: %s",
                        job.id,
                        app.id,
                        where_failed(exc),
                    )
                    job.skipped += 1
                    continue
                add(app, files)
        bundle.close()
        title = campaign.title if campaign else job.campaign_id
        job.rows, job.filename = number, f"{title}-申报材料-{today.isoformat()}.zip"

    def _documents_in_processes(
        self, job: Job, app_ids: list[str], today: dt.date, add: Callable[[Application, Rendered], None]
    ) -> None:
        """Rendered by `processes` worker processes, a few applications ahead, added in order."""
        registry = self.intake.registry
        context = multiprocessing.get_context("spawn")  # never fork a threaded server
        pending: deque[tuple[Application, Future[Rendered]]] = deque()

        def take() -> None:
            app, future = pending.popleft()
            try:
                files = future.result()
            except Exception as exc:
                log.error(
                    "export job %s: documents of application %s failed: %s", job.id, app.id, where_failed(exc)
                )
                job.skipped += 1
            else:
                add(app, files)
            job.done += 1

        with ProcessPoolExecutor(
            self.processes,
            context,
            initializer=start_worker,
            initargs=(registry.forms_dir, registry.templates_dir),
        ) as pool:
            for app_id in app_ids:
                if self._stop.is_set():
                    raise RuntimeError("shutting down")
                app = self.intake.store.get(app_id)
                if app is None or app.campaign_id != job.campaign_id or app.status != "complete":
                    job.done += 1
                    continue
                files = {}
                for ref in file_refs(app.state):
                    found = self.intake.store.get_file(ref, app.id)
                    if found is not None:
                        files[ref] = found[0]
                pending.append((app, pool.submit(render_in_worker, app.campaign_id, app.state, files, today)))
                while len(pending) > 2 * self.processes:
                    take()
            while pending:
                take()

    @staticmethod
    def _with_pdfs(job: Job, app: Application, files: Rendered) -> Rendered:
        """Each .docx followed by its PDF (background priority; one that fails is left out and counted)."""
        out: Rendered = []
        for filename, data in files:
            out.append((filename, data))
            stem, dot, suffix = filename.rpartition(".")
            if not dot or suffix not in ("docx", "xlsx"):
                continue
            try:
                out.append((stem + ".pdf", page_images.CONVERTER.pdf(data, suffix, page_images.BACKGROUND)))
            except page_images.PreviewError:
                log.error("export job %s: a PDF of application %s could not be made", job.id, app.id)
                job.pdf_missing += 1
        return out

    def documents_of(self, app: Application, today: dt.date) -> Rendered:
        """The generated documents of a complete application (rendered here, not cached)."""
        if app.status != "complete":
            return []
        intake = self.intake
        program, campaign = intake.program_for(app)

        def read_file(ref: str) -> bytes | None:
            found = intake.store.get_file(ref, app.id)
            return found[0] if found else None

        return render_application(intake.registry, program, campaign, app.state, read_file, today)

    # -- files ----------------------------------------------------------------------------------------

    def _save(self, job: Job) -> None:
        path = self.folder / f"{job.id}.json"
        tmp = self.folder / f"{job.id}.{secrets.token_hex(4)}.tmp"  # saves from two threads never meet
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(job.meta(), f, ensure_ascii=False)
        os.replace(tmp, path)

    def _after_restart(self) -> None:
        """Results from before are unreadable (their keys are gone): delete them; their jobs say so."""
        for path in self.folder.iterdir():
            if path.suffix != ".json":
                self._remove(path)
                continue
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
                job = Job(**{k: v for k, v in meta.items() if k in Job.__dataclass_fields__})
            except (OSError, ValueError, TypeError):
                self._remove(path)
                continue
            if job.state in ("queued", "running", "ready"):
                job.state, job.finished = "lost", self.clock()
                self._save(job)
            self._jobs[job.id] = job

    def _sweep_loop(self) -> None:
        while not self._stop.wait(SWEEP_S):
            try:
                self.sweep()
            except Exception as exc:
                log.error("export sweep failed: %s", where_failed(exc))

    @staticmethod
    def _remove(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def where_failed(exc: BaseException) -> str:
    """The kind of error and where it was raised, never its message (which may quote an applicant's value)."""
    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}"
