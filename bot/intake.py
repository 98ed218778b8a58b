"""Channel-neutral application service: engine steps, durable storage, duplicate checks, documents."""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from bot.documents import page_images, printable
from bot.documents import pdf as pdfs
from bot.documents.context import template_context
from bot.documents.docx import render_docx
from bot.documents.images import BadImage, check_document, reencode, sniff_image
from bot.documents.photo import preview
from bot.documents.uploads import NOT_NOW, WANTS_TEXT, file_refs, over_limits
from bot.engine import checklist as checklists
from bot.engine.campaign import Campaign
from bot.engine.commands import COMMAND_WORDS
from bot.engine.duplicates import check_key, duplicate_keys
from bot.engine.evaluate import Evaluation, evaluate
from bot.engine.expressions import truthy
from bot.engine.flow import current_slot, step
from bot.engine.program import FormProgram
from bot.engine.replies import Reply
from bot.engine.spec import DocumentSpec, FileField, IdNumberField, ImageField
from bot.engine.state import Slot
from bot.engine.text import fill
from bot.exports import SummaryFile, export_summaries
from bot.intake_review import (
    CORRECTED_NOTICE,
    command_name,
    is_correcting,
    loggable,
    mark_corrected,
    report_sent,
    review_notice,
    sent_command,
)
from bot.list_facets import changed_keys, facets
from bot.registry import Registry
from storage import Application, SealedFile, Store
from storage.models import Facets

RENDER_CACHE = 64
PDF_CACHE = 32
PDF_QUEUE = 8  # PDFs waiting for LibreOffice at most; more are refused (pdfs.BUSY) rather than queued
CHECKLIST_NAME = "提交清单"
EXPLANATION_NAME = "不符合申报条件的书面说明"
NOT_INELIGIBLE = "这份申报没有不符合条件的情况，不需要书面说明。"
DOCUMENTS_FIRST_S = 0.05


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    filename: str
    data: bytes


class Intake:
    def __init__(
        self, registry: Registry, store: Store, clock: Callable[[], dt.date] = dt.date.today
    ) -> None:
        self.registry = registry
        self.store = store
        self.clock = clock
        self._locks = [threading.Lock() for _ in range(64)]
        self._renders = ThreadPoolExecutor(max_workers=1, thread_name_prefix="render")
        self._queued_renders = 0
        self._renders_done = threading.Condition()
        self._rendered_lock = threading.Lock()
        self._rendered: OrderedDict[tuple[str, int, str], Future[Document]] = OrderedDict()
        # as many PDF threads as the converter runs conversions at once (SHENBAO_PDF_WORKERS, 1 or 2)
        self._pdfs = ThreadPoolExecutor(max_workers=page_images.CONVERTER.workers, thread_name_prefix="pdf")
        self._pdf_lock = threading.Lock()
        self._pdf_cache: OrderedDict[tuple[str, int, str], Future[Document]] = OrderedDict()

    def close(self) -> None:
        """Stop rendering: a render under way finishes, queued ones are dropped (call before closing the
        store, whose files a render reads)."""
        self._pdfs.shutdown(wait=True, cancel_futures=True)
        self._renders.shutdown(wait=True, cancel_futures=True)

    # -- conversation -------------------------------------------------------

    def start(
        self,
        target: str,
        channel: str,
        today: dt.date | None = None,
        also: Callable[[str], None] | None = None,
        owner_key: str | None = None,
    ) -> tuple[Application, list[Reply]]:
        """A new application for a campaign (or form) and its first turn. `also(app_id)` is committed
        together with the new application (see `Store.create_application`); `owner_key` names the
        browser or chat starting it (an applicant is told about their own applications only)."""
        program, campaign = self.registry.resolve(target, new=True)
        app = self.store.create_application(
            program.id, campaign.id if campaign else None, channel, {}, also, owner_key
        )
        with self._lock_for(app.id):
            replies, fresh = self._step(app, {"type": "start"}, channel, today or self.clock(), None)
        return fresh, replies

    def program_for(self, app: Application) -> tuple[FormProgram, Campaign | None]:
        return self.registry.resolve(app.campaign_id or app.form_id)

    def handle(
        self,
        app_id: str,
        event: dict[str, Any],
        channel: str,
        today: dt.date | None = None,
        msg_id: str | None = None,
    ) -> list[Reply]:
        """One applicant input: step the engine, commit the event and new state, then return the replies.
        The same `msg_id` twice (a double tap, a retried request) is applied once: the second time gets
        the first time's replies."""
        return self.turn(app_id, event, channel, today, msg_id)[0]

    def turn(
        self,
        app_id: str,
        event: dict[str, Any],
        channel: str,
        today: dt.date | None = None,
        msg_id: str | None = None,
    ) -> tuple[list[Reply], Application]:
        """As `handle`, also returning the application as now committed (saves reading it back)."""
        self._documents_first()
        with self._lock_for(app_id):
            app = self._app(app_id)
            if msg_id is not None and app.state.get("last_msg_id") == msg_id:
                return [Reply(**r) for r in app.state.get("last_replies") or []], app
            sent = sent_command(event)
            if sent is not None and app.status == "complete":
                return report_sent(self.store, app, sent.arg, event, channel, msg_id)
            return self._step(app, event, channel, today or self.clock(), msg_id)

    def _step(
        self,
        app: Application,
        event: dict[str, Any],
        channel: str,
        day: dt.date,
        msg_id: str | None,
        upload: SealedFile | None = None,
    ) -> tuple[list[Reply], Application]:
        """One engine step, committed. `upload` is the file `event` carries: stored in the same transaction
        if the step takes it as an answer. Files the state no longer refers to are deleted in that
        transaction too, whenever a file came in or a reference went away (a replaced file, a restart)."""
        program, campaign = self.program_for(app)
        state, replies = step(program, app.state, event, today=day, campaign=campaign)
        accepted = state.get("answers") != app.state.get("answers") or state.get("mode") != app.state.get(
            "mode"
        )
        keys = duplicate_keys(program, app, state.get("answers", {}), self._blind_index)
        flags = self._duplicate_findings(program, app, state, keys)
        shown_before = list(app.state.get("flags_shown") or [])
        for flag in flags:
            if flag["own"] and flag["rule"] not in shown_before:
                shown_before.append(flag["rule"])
                text = f"⚠ 请注意：{flag['message']}\n依据：{flag['basis']}"
                replies.insert(0, Reply("finding", text, flag))
        if flags:
            state["flags"] = flags
            state["flags_shown"] = shown_before
        else:
            state.pop("flags", None)
        correcting = is_correcting(app, replies)
        if correcting:
            replies.append(CORRECTED_NOTICE)
        if app.review_status is not None and command_name(event) == "status":
            replies.insert(0, review_notice(self.store, app))
        shown = [r.as_dict() for r in replies]
        state["last_msg_id"] = msg_id
        state["last_replies"] = shown
        ev = evaluate(program, state, day, campaign)
        kept = file_refs(state)
        if upload is not None and upload.ref not in kept:
            upload = None  # the engine did not take it: not stored
        dropped = not file_refs(app.state).keys() <= kept.keys()
        self.store.record_turn(
            app.id,
            channel=channel,
            kind=str(event.get("type", "text")),
            payload={**loggable(event), "replies": shown},
            accepted=accepted,
            state=state,
            status=str(state.get("status", "in_progress")),
            level=_text(ev.outcomes.get("level")),
            duplicate_keys=keys,
            new_file=upload,
            keep_files=kept.keys() if event.get("type") == "file" or dropped else None,
            facets=facets(program, ev, accepted and event.get("type") != "start"),
            search_keys=changed_keys(
                self.store.keys,
                program,
                app.state.get("answers") or {},
                state.get("answers") or {},
                app.event_count == 0,
            ),
        )
        status = str(state.get("status", "in_progress"))
        committed = replace(app, state=state, status=status, event_count=app.event_count + 1)
        if correcting:
            committed = mark_corrected(self.store, committed)
        if status == "complete" and (app.status != "complete" or correcting):
            self._prerender(committed, day)
        return replies, committed

    def _lock_for(self, app_id: str) -> threading.Lock:
        return self._locks[hash(app_id) % len(self._locks)]

    def transcript(self, app_id: str) -> list[dict[str, Any]]:
        """The conversation so far, for a page that is reloaded or opened elsewhere."""
        out: list[dict[str, Any]] = []
        for event in self.store.events(app_id):
            payload = event.payload if isinstance(event.payload, dict) else {}
            said = _user_text(payload)
            if said:
                out.append({"who": "user", "kind": "text", "text": said, "data": {}})
            replies = payload.get("replies")
            shown = (
                [{"who": "bot", **r} for r in replies if isinstance(r, dict)]
                if isinstance(replies, list)
                else []
            )
            # anything else stored (by an older version) is left out
            if _is_resume(payload) and _repeats(out, shown):
                continue  # a resume (or /start) that only said the current question again: shown once
            out.extend(shown)
        return out

    def upload(
        self, app_id: str, data: bytes, channel: str, name: str = "", today: dt.date | None = None
    ) -> list[Reply]:
        return self.upload_turn(app_id, data, channel, name, today)[0]

    def upload_turn(
        self,
        app_id: str,
        data: bytes,
        channel: str,
        name: str = "",
        today: dt.date | None = None,
        msg_id: str | None = None,
    ) -> tuple[list[Reply], Application, str | None]:
        """An upload, checked by content: images are re-encoded (metadata dropped), PDFs kept as they are.
        Only a question that asks for a file or photo takes one; the file is stored with the turn that
        takes it as the answer, within the limits per application (bot/documents/uploads.py). Returns the
        replies, the application as now committed and, when the upload was refused, why (the refusal is
        logged like any input). The same `msg_id` as the last input is not stored again: the first time's
        replies come back."""
        day = today or self.clock()
        name = name[:100]
        app = self._app(app_id)
        if msg_id is not None and app.state.get("last_msg_id") == msg_id:
            return [Reply(**r) for r in app.state.get("last_replies") or []], app, None
        program, campaign = self.program_for(app)
        slot = current_slot(program, app.state, today=day, campaign=campaign)
        field = slot.info.field if slot and slot.info else None
        try:
            if not isinstance(field, ImageField | FileField):  # nothing is decoded or stored
                raise BadImage(WANTS_TEXT if slot is not None else NOT_NOW)
            limit = int(field.max_mb * 1024 * 1024)
            if isinstance(field, FileField) and not sniff_image(data):
                clean, mime = check_document(data, field.accept, max_bytes=limit)
            else:
                clean, mime = reencode(data, max_bytes=limit)
        except BadImage as exc:
            event: dict[str, Any] = {"type": "file", "error": str(exc), "name": name}
            return (*self.turn(app_id, event, channel, day, msg_id), str(exc))
        sealed = self.store.seal_file(app_id, clean, mime)
        self._documents_first()
        with self._lock_for(app_id):
            app = self._app(app_id)  # as it is now: another input may have come in while this one decoded
            if msg_id is not None and app.state.get("last_msg_id") == msg_id:
                return [Reply(**r) for r in app.state.get("last_replies") or []], app, None
            file = {"ref": sealed.ref, "mime": mime, "size": sealed.size, "name": name}
            event = {"type": "file", "file": file}
            refused = self._over_file_limits(program, campaign, app, event, day)
            if refused is not None:
                return (
                    *self._step(app, {"type": "file", "error": refused, "name": name}, channel, day, msg_id),
                    refused,
                )
            return (*self._step(app, event, channel, day, msg_id, sealed), None)

    @staticmethod
    def _over_file_limits(
        program: FormProgram, campaign: Campaign | None, app: Application, event: dict[str, Any], day: dt.date
    ) -> str | None:
        """Why the application would keep too many files if this upload were taken, or None."""
        state, _ = step(program, app.state, event, today=day, campaign=campaign)
        refs = file_refs(state)
        return over_limits(refs) if event["file"]["ref"] in refs else None

    def photo_preview(self, app_id: str, field: str) -> bytes | None:
        """A small JPEG of the application's photo answer to `field` cropped as it will print (the reply
        `photo_crop` asks channels to show it), or None when there is none. The stored photo is unchanged."""
        app = self.store.get(app_id)
        if app is None:
            return None
        program, _ = self.program_for(app)
        info = program.fields.get(field)
        if info is None or info.group is not None or not isinstance(info.field, ImageField):
            return None
        answer = app.state.get("answers", {}).get(field)
        if not isinstance(answer, dict):
            return None
        data = self._file(str(answer.get("ref", "")), app.id)
        if not data:
            return None
        width, height = info.field.print_size_mm
        try:
            return preview(data, width, height)
        except ValueError:
            return None

    def current_slot(self, app_id: str, today: dt.date | None = None) -> Slot | None:
        app = self._app(app_id)
        program, campaign = self.program_for(app)
        return current_slot(program, app.state, today=today or self.clock(), campaign=campaign)

    # -- results ------------------------------------------------------------

    def evaluation(self, app: Application, today: dt.date | None = None) -> Evaluation:
        program, campaign = self.program_for(app)
        return evaluate(program, app.state, today or self.clock(), campaign)

    def documents(self, app_id: str, today: dt.date | None = None, only: str | None = None) -> list[Document]:
        """The filled documents (all, or the one with id `only`)."""
        return [future.result() for future in self.pending_documents(self._app(app_id), today, only)]

    def pending_documents(
        self, app: Application, today: dt.date | None = None, only: str | None = None
    ) -> list[Future[Document]]:
        """As `documents`, without waiting: each one rendered, being rendered, or queued now (so a caller
        on an event loop can await them without holding a worker thread)."""
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, today or self.clock(), campaign)
        return [
            self._render(app, program, campaign, ev, doc, filename)
            for doc, filename in self._applicable_documents(program, ev)
            if only is None or doc.id == only
        ]

    def _render(
        self,
        app: Application,
        program: FormProgram,
        campaign: Campaign | None,
        ev: Evaluation,
        doc: DocumentSpec,
        filename: str,
    ) -> Future[Document]:
        """The document of this version of the application: cached, being rendered, or queued now.
        Rendering is CPU and memory heavy: one at a time on one thread, so its memory is reused (spread
        over many threads, each render's memory lands in another malloc arena)."""
        key = (app.id, app.event_count, doc.id)
        with self._rendered_lock:
            pending = self._rendered.get(key)
            if pending is not None and not (
                pending.done() and (pending.cancelled() or pending.exception() is not None)
            ):
                return pending
            context = template_context(program, ev, doc, campaign)
            answers = app.state.get("answers", {})
            template = self.registry.template(doc.template)

            def render() -> Document:
                data = render_docx(program, template, context, answers, lambda ref: self._file(ref, app.id))
                return Document(doc.id, doc.title or doc.id, filename, data)

            future = self._renders.submit(render)
            with self._renders_done:
                self._queued_renders += 1
            future.add_done_callback(self._render_finished)
            self._rendered[key] = future
            while len(self._rendered) > RENDER_CACHE:
                self._rendered.popitem(last=False)
            return future

    def _render_finished(self, _future: Future[Document]) -> None:
        with self._renders_done:
            self._queued_renders -= 1
            if not self._queued_renders:
                self._renders_done.notify_all()

    def _documents_first(self) -> None:
        """Let queued documents render before this turn takes its share of the one interpreter: an
        applicant waiting for the finished document has waited longest. Bounded: a turn waits at most
        DOCUMENTS_FIRST_S however many documents are queued."""
        with self._renders_done:
            if self._queued_renders:
                self._renders_done.wait_for(lambda: not self._queued_renders, DOCUMENTS_FIRST_S)

    def _prerender(self, app: Application, today: dt.date) -> None:
        """Queue the documents of an application that has just been completed, so the download that
        usually follows finds them ready."""
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, today, campaign)
        ahead = pdfs.convert_ahead()
        for doc, filename in self._applicable_documents(program, ev):
            source = self._render(app, program, campaign, ev, doc, filename)
            if ahead:
                self._pdf(app, "pdf:" + doc.id, source.result, ahead=True)

    def document_names(self, app_id: str, today: dt.date | None = None) -> list[tuple[str, str, str]]:
        """(id, title, filename) of the documents this application gets, without rendering them."""
        app = self._app(app_id)
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, today or self.clock(), campaign)
        return [(d.id, d.title or d.id, name) for d, name in self._applicable_documents(program, ev)]

    @staticmethod
    def _applicable_documents(program: FormProgram, ev: Evaluation) -> list[tuple[DocumentSpec, str]]:
        out = []
        for compiled in program.documents:
            if compiled.when is None or truthy(compiled.when, ev.values):
                doc = compiled.document
                out.append((doc, _safe_filename(fill(doc.filename, ev.values)) or f"{doc.id}.docx"))
        return out

    def checklist(self, app_id: str, today: dt.date | None = None) -> checklists.Checklist:
        app = self._app(app_id)
        program, campaign = self.program_for(app)
        day = today or self.clock()
        ev = evaluate(program, app.state, day, campaign)
        answers = app.state.get("answers") if isinstance(app.state, dict) else None
        return checklists.build(program, ev, day, campaign, self.registry.calendar, answers=answers)

    # -- papers to print: PDFs, the checklist page, the written explanation ---------

    @staticmethod
    def pdf_available() -> bool:
        """Whether PDFs can be made here (LibreOffice installed); without, only the .docx is offered."""
        return pdfs.pdf_available()

    def pending_pdfs(
        self, app: Application, today: dt.date | None = None, only: str | None = None
    ) -> list[Future[Document]]:
        """The documents as PDF (file names ending .pdf), as `pending_documents`: each converted, being
        converted, or queued now; cached per application version. A future fails with pdfs.PdfError (a
        Chinese message) when LibreOffice is missing, busy or fails."""
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, today or self.clock(), campaign)
        out = []
        for doc, filename in self._applicable_documents(program, ev):
            if only is None or doc.id == only:
                source = self._render(app, program, campaign, ev, doc, filename)
                out.append(self._pdf(app, "pdf:" + doc.id, source.result))
        return out

    def pending_checklist_pdf(self, app: Application, today: dt.date | None = None) -> Future[Document]:
        day = today or self.clock()
        _, campaign = self.program_for(app)
        checklist = self._checklist_of(app, day)

        def docx() -> Document:
            data = printable.checklist_docx(checklist, campaign)
            return Document("checklist", CHECKLIST_NAME, CHECKLIST_NAME + ".docx", data)

        return self._pdf(app, f"checklist:{day.isoformat()}", docx)

    def checklist_document(
        self, app_id: str, fmt: str, today: dt.date | None = None, static_base: str = "/static"
    ) -> Document:
        """The checklist to print: "html" (a page with print CSS, `static_base` for its CSS and JS) or
        "pdf" (blocking; raises pdfs.PdfError)."""
        app = self._app(app_id)
        if fmt == "pdf":
            return self.pending_checklist_pdf(app, today).result()
        if fmt != "html":
            raise ValueError(f"unknown checklist format {fmt!r}")
        _, campaign = self.program_for(app)
        html = printable.checklist_html(self._checklist_of(app, today or self.clock()), campaign, static_base)
        return Document("checklist", CHECKLIST_NAME, CHECKLIST_NAME + ".html", html.encode("utf-8"))

    def is_ineligible(self, app: Application) -> bool:
        """Stopped on an ineligibility (or stopping now): the written explanation is offered."""
        return app.state.get("status") == "ineligible" or app.state.get("mode") in ("ineligible", "stopped")

    def explanation_docx(self, app: Application, today: dt.date | None = None) -> Document:
        """The written explanation (书面说明) of an ineligible application, dated `today`. Raises LookupError
        (a Chinese message) when nothing makes it ineligible."""
        day = today or self.clock()
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, day, campaign)
        if not ev.ineligible:
            raise LookupError(NOT_INELIGIBLE)
        name = ev.values.get("name")
        data = printable.explanation_docx(
            title=campaign.title if campaign is not None else program.spec.title,
            institution=campaign.institution if campaign is not None else None,
            name=name if isinstance(name, str) and name.strip() else None,
            findings=[printable.Finding(f.message, f.basis, f.suggest) for f in ev.ineligible],
            campaign=campaign,
            day=day,
        )
        return Document("explanation", EXPLANATION_NAME, EXPLANATION_NAME + ".docx", data)

    def pending_explanation_pdf(self, app: Application, today: dt.date | None = None) -> Future[Document]:
        day = today or self.clock()
        source = self.explanation_docx(app, day)  # raises LookupError before anything is queued
        return self._pdf(app, f"explanation:{day.isoformat()}", lambda: source)

    def explanation_document(self, app_id: str, fmt: str, today: dt.date | None = None) -> Document:
        """The written explanation as "docx" or "pdf" (blocking; raises pdfs.PdfError, LookupError)."""
        app = self._app(app_id)
        if fmt == "pdf":
            return self.pending_explanation_pdf(app, today).result()
        if fmt != "docx":
            raise ValueError(f"unknown explanation format {fmt!r}")
        return self.explanation_docx(app, today)

    def _checklist_of(self, app: Application, day: dt.date) -> checklists.Checklist:
        program, campaign = self.program_for(app)
        ev = evaluate(program, app.state, day, campaign)
        return checklists.build(program, ev, day, campaign, self.registry.calendar)

    def _pdf(
        self, app: Application, what: str, source: Callable[[], Document], ahead: bool = False
    ) -> Future[Document]:
        """The PDF of `source()` for this version of the application: cached, being converted, or queued
        on the PDF threads (the converter runs one or two at a time). Over PDF_QUEUE waiting: a failed future.
        `ahead` (converted before anyone asked, at completion): only while the queue is at most half full."""
        key = (app.id, app.event_count, what)
        with self._pdf_lock:
            pending = self._pdf_cache.get(key)
            if pending is not None and not (
                pending.done() and (pending.cancelled() or pending.exception() is not None)
            ):
                return pending
            if not pdfs.pdf_available():
                return _failed(pdfs.PdfError(pdfs.UNAVAILABLE))
            waiting = sum(not f.done() for f in self._pdf_cache.values())
            if waiting >= (PDF_QUEUE // 2 if ahead else PDF_QUEUE):
                return _failed(pdfs.PdfError(pdfs.BUSY))

            def convert() -> Document:
                doc = source()
                stem = doc.filename.rsplit(".", 1)[0] if "." in doc.filename else doc.filename
                return Document(doc.id, doc.title, stem + ".pdf", pdfs.to_pdf(doc.data))

            future = self._pdfs.submit(convert)
            self._pdf_cache[key] = future
            while len(self._pdf_cache) > PDF_CACHE:
                self._pdf_cache.popitem(last=False)
            return future

    def findings(self, app: Application, today: dt.date | None = None) -> list[dict[str, Any]]:
        """What the applicant is shown: the rules' findings and duplicates among their own applications."""
        ev = self.evaluation(app, today)
        own = [
            {k: v for k, v in flag.items() if k != "own"}
            for flag in app.state.get("flags") or []
            if flag.get("own", True)
        ]
        return [f.as_dict() for f in ev.findings] + own

    def flags(self, app: Application) -> list[dict[str, Any]]:
        """Every duplicate warning on the application, also those about other people's applications (for
        the coordinator, never the applicant): each with `own` telling which."""
        return list(app.state.get("flags") or [])

    def id_suffix(self, app: Application) -> str | None:
        """The last four characters of the applicant's ID number, once given (None before): what a resume
        code must be paired with (as government sites pair a 查询码 with 身份证后四位)."""
        program, _ = self.program_for(app)
        answers = app.state.get("answers", {})
        for info in program.fields.values():
            value = answers.get(info.key) if info.group is None else None
            if isinstance(info.field, IdNumberField) and isinstance(value, str) and value.strip():
                return normalize_suffix(value)
        return None

    def backfill_facets(self, today: dt.date | None = None, batch: int = 500) -> int:
        """The list facets and search keys of applications stored before migration 11 (their facets row
        has no eligibility yet): decrypted and evaluated once each; return how many were filled."""
        done = 0
        while True:
            ids = self.store.without_facets(batch)
            if not ids:
                return done
            rows: list[tuple[str, Facets, dict[str, set[str]]]] = []
            for app_id in ids:
                app = self._app(app_id)
                try:
                    program, _ = self.program_for(app)
                except LookupError:  # its form is no longer loaded: listed, never filtered as eligible
                    rows.append((app_id, Facets(answered=False, eligibility="unknown"), {}))
                    continue
                ev = self.evaluation(app, today)
                answers = app.state.get("answers") or {}
                keys = changed_keys(self.store.keys, program, {}, answers, True)
                rows.append((app_id, facets(program, ev, False), keys))
            self.store.set_facets(rows)
            done += len(rows)

    # -- coordinator exports ------------------------------------------------

    def summary(
        self, campaign_id: str, summary_id: str, *, where: str | None = None, today: dt.date | None = None
    ) -> SummaryFile:
        """One summary table (汇总表) of the campaign as an .xlsx file (see bot/exports.py)."""
        found = export_summaries(
            self.registry, self.store, campaign_id, summary_id, where=where, today=today or self.clock()
        )
        return found[0]

    # -- helpers ------------------------------------------------------------

    def _app(self, app_id: str) -> Application:
        app = self.store.get(app_id)
        if app is None:
            raise LookupError("申报记录不存在")
        return app

    def _file(self, ref: str, app_id: str) -> bytes | None:
        found = self.store.get_file(ref, app_id)
        return found[0] if found else None

    def _blind_index(self, text: str) -> str:
        return self.store.keys.blind_index(text, domain="duplicates")

    def _duplicate_findings(
        self, program: FormProgram, app: Application, state: dict[str, Any], keys: dict[str, str | None]
    ) -> list[dict[str, Any]]:
        """A warning per duplicate check whose key other live applications share; `own` when all of those
        belong to the same applicant (the only ones the applicant may be told about: anything else would
        let anyone test whether an ID number has applied)."""
        out = []
        answers = state.get("answers", {})
        for check in program.spec.duplicates:
            key = keys.get(check_key(program, check))
            others = self.store.duplicates_of(check_key(program, check), key, exclude=app.id) if key else []
            if not others:
                continue
            values = {name: answers.get(name) for name in check.same} | {"count": len(others)}
            out.append(
                {
                    "rule": check.id,
                    "outcome": "warning",
                    "message": fill(check.message, values),
                    "basis": program.basis_text(check.basis),
                    "suggest": None,
                    "own": self.store.all_owned_together(app.id, others),
                }
            )
        return out


def _failed(exc: Exception) -> Future[Document]:
    future: Future[Document] = Future()
    future.set_exception(exc)
    return future


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_resume(payload: dict[str, Any]) -> bool:
    return payload.get("type") == "command" and payload.get("name") == "start"


def _repeats(before: list[dict[str, Any]], shown: list[dict[str, Any]]) -> bool:
    """Whether `shown` only repeats the bot's last words: the same kinds and texts end `before`."""
    if not shown or len(before) < len(shown):
        return False
    tail = before[len(before) - len(shown) :]
    return all(
        t.get("who") == "bot" and t.get("kind") == s.get("kind") and t.get("text") == s.get("text")
        for t, s in zip(tail, shown, strict=True)
    )


def _user_text(payload: dict[str, Any]) -> str:
    kind = payload.get("type")
    if kind == "text":
        return str(payload.get("text", ""))
    if kind == "command":
        return COMMAND_WORDS.get(str(payload.get("name")), "") if payload.get("name") != "start" else ""
    if kind == "file":
        file = payload.get("file")
        name = (file.get("name") if isinstance(file, dict) else None) or payload.get("name") or "文件"
        return f"［上传：{name}］"
    return ""


def normalize_suffix(text: str) -> str:
    """The last four characters of an ID number as compared: no spaces, upper case (x is X)."""
    return "".join(text.split()).upper()[-4:]


def _safe_filename(name: str) -> str:
    cleaned = "".join("_" if c in '\\/:*?"<>|' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned[:120]
