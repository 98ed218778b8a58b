"""The JSON API behind the chat page and the widget (documented at /docs)."""

from __future__ import annotations

import asyncio
import base64
import hmac
import threading
import time
from collections import OrderedDict
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from bot.channels.webchat import limits, tickets
from bot.channels.webchat.limits import MAX_UPLOAD_BYTES, read_limited, upload_slot
from bot.channels.webchat.views import campaign_view, state_view
from bot.documents.pdf import PdfError
from bot.engine.commands import COMMAND_WORDS
from bot.engine.flow import progress_of, step
from bot.engine.sanitize import clean_line
from bot.intake import NOT_INELIGIBLE, Intake, normalize_suffix
from bot.ratelimit import Limiter
from bot.registry import UnknownTarget
from bot.settings import Settings
from bot.web.inputs import CleanModel
from storage import Application

CHANNEL = "web"
MAX_MESSAGE_CHARS = 2000
COMMANDS = frozenset(COMMAND_WORDS) | {"start"}

router = APIRouter(prefix="/api", tags=["chat"])
TOO_MANY = "尝试次数太多，请 {s} 秒后再试。"


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


class NewSession(CleanModel):
    campaign: str = Field(max_length=100, examples=["cq_hgzy_2023"])
    text: str | None = Field(default=None, description="The first answer (the page sends it here).")
    command: str | None = Field(default=None, max_length=20, examples=["help"])
    arg: str = Field(default="", max_length=100)
    key: str | None = Field(default=None, max_length=200, description="Key of the question answered.")
    msg_id: str | None = Field(default=None, max_length=100)


class RenewRequest(CleanModel):
    id_last4: str | None = Field(default=None, max_length=10, description="身份证号码后四位, once given.")


class ResumeRequest(CleanModel):
    code: str = Field(max_length=40, examples=["K7Q2M9XD"])
    id_last4: str | None = Field(
        default=None, max_length=10, description="身份证号码后四位: required once the application has one."
    )


class Message(CleanModel):
    text: str | None = Field(default=None, description="What the applicant typed or tapped.")
    command: str | None = Field(default=None, max_length=20, examples=["back"])
    arg: str = Field(default="", max_length=100)
    msg_id: str | None = Field(default=None, max_length=100, description="Same id twice is applied once.")
    key: str | None = Field(
        default=None,
        max_length=200,
        description="Key of the question the page showed (`data.key`): an answer to a question that is no "
        "longer current is not taken.",
    )


def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


NOT_FOUND = "找不到这次填写：可能已长时间未使用而失效。请重新打开申报链接，或用续填码继续。"
NO_TOKEN = "缺少填写凭证：请重新打开申报链接，或用续填码继续。"
# One answer for an unknown code, a missing and a wrong last four: a reply must not tell whether a code
# exists or whether its application has an ID number yet.
NO_CODE = (
    "续填码或身份证号码后四位不对，请核对（续填码为 8 位字母和数字；已填写身份证号码的，还要输入其后四位）。"
)
WRONG_LAST4 = "身份证号码后四位不对。"


def session_token(request: Request) -> str:
    """The session token, from `Authorization: Bearer <token>` (never from the URL)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, NO_TOKEN)
    return token.strip()


def _optional_token(request: Request) -> str | None:
    try:
        return session_token(request)
    except ApiError:
        return None


def _app_id(request: Request, token: str) -> str:
    """Blocking: the application a live token opens (404 otherwise)."""
    app_id = _intake(request).store.app_for_token(token, _settings(request).session_idle_days)
    if app_id is None:
        raise ApiError(404, NOT_FOUND)
    return app_id


def _load(request: Request, token: str) -> Application:
    """Blocking: the application a token opens (404 otherwise)."""
    app = _intake(request).store.get(_app_id(request, token))
    if app is None:
        raise ApiError(404, NOT_FOUND)
    return app


def _view(intake: Intake, app: Application, token: str, replies: list[Any]) -> dict[str, Any]:
    """Blocking: the reply body — the replies plus what the page shows besides them."""
    view = state_view(intake, app, intake.clock())
    return {"token": token, "resume_code": app.resume_code, "replies": replies, "state": view}


def client_key(request: Request) -> str:
    """The client's address: the TCP peer, or the address a trusted proxy forwarded (see bot/app.py)."""
    return request.client.host if request.client else "unknown"


def _limiter(request: Request, name: str) -> Limiter:
    limiter: Limiter = getattr(request.app.state, name)
    return limiter


def _take_attempt(limiter: Limiter, request: Request) -> None:
    """Count an attempt before doing it, refusing once the client is over the limit."""
    wait = limiter.acquire(client_key(request))
    if wait:
        raise ApiError(429, TOO_MANY.format(s=wait), retry_after=wait)


def _owner_of(request: Request, token: str | None) -> str | None:
    """Blocking: the owner key of the application whose token this browser also holds, if any."""
    if token is None:
        return None
    app_id = _intake(request).store.app_for_token(token, _settings(request).session_idle_days)
    return None if app_id is None else _intake(request).store.owner_key(app_id)


class _Recent:
    """The applications created by a first answer in the last minutes, by (client, campaign, msg_id): a
    retried first answer (its reply lost on the way) continues the application it created instead of
    creating another."""

    def __init__(self, size: int = 10_000, ttl_s: float = 900.0) -> None:
        self._items: OrderedDict[tuple[str, str, str], tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size
        self._ttl = ttl_s

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or time.monotonic() - found[0] > self._ttl:
                return None
            return found[1]

    def put(self, key: tuple[str, str, str], app_id: str) -> None:
        with self._lock:
            self._items[key] = (time.monotonic(), app_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _created(request: Request) -> _Recent:
    recent: _Recent | None = getattr(request.app.state, "webchat_created", None)
    if recent is None:
        recent = _Recent()
        request.app.state.webchat_created = recent
    return recent


@router.get("/sessions/opening", summary="The opening of a campaign's conversation, nothing stored")
async def opening(
    request: Request, campaign: str = Query(max_length=100), command: str | None = None
) -> JSONResponse:
    """What a new conversation says first (the introduction and the first question), computed by the
    engine on an empty state and stored nowhere: the page shows it on opening and creates the application
    only with the first answer (`POST /api/sessions` carrying it). `command=help` answers 帮助 before
    that. The body has the shape of a turn's, with `token` and `resume_code` null."""
    intake = _intake(request)
    if campaign not in intake.registry.campaigns:
        raise ApiError(404, "没有这个申报批次，请核对链接。")
    if command is not None and command != "help":
        raise ApiError(422, "还没有开始填写：请先回答第一题。")

    def compute() -> dict[str, Any]:
        program, found = intake.registry.resolve(campaign)
        today = intake.clock()
        state, replies = step(program, {}, {"type": "start"}, today=today, campaign=found)
        if command is not None:
            state, replies = step(
                program, state, {"type": "command", "name": command}, today=today, campaign=found
            )
        n, total = progress_of(program, state, today=today, campaign=found)
        view = {
            "mode": state.get("mode", "asking"),
            "status": "new",
            "progress": {"n": n, "total": total},
            "resume_code": None,
            "campaign": campaign_view(intake, campaign, today),
            "documents": [],
            "checklist": None,
            "checklist_url": None,
            "outcomes": [],
            "findings": [],
            "id_given": False,
            "review": None,
        }
        return {"token": None, "resume_code": None, "replies": [r.as_dict() for r in replies], "state": view}

    return JSONResponse(await run_in_threadpool(compute))


@router.post("/sessions", status_code=201, summary="Start an application for a campaign")
async def create_session(request: Request, body: NewSession) -> JSONResponse:
    """The chat page calls this with the applicant's first answer (`text` or `command`, with `key` and
    `msg_id` as in `POST /api/session/messages`): the application is created and that answer taken in one
    request, and the replies are those to the answer (the opening was shown from
    `GET /api/sessions/opening`). Without an answer, the replies are the opening itself. A browser that
    already holds a session sends its token (`Authorization`): the new application then belongs to the
    same applicant."""
    intake = _intake(request)
    event = _event(body)  # a malformed answer is refused before anything is created
    _take_attempt(_limiter(request, "new_sessions"), request)
    if body.campaign not in intake.registry.campaigns:
        raise ApiError(404, "没有这个申报批次，请核对链接。")
    previous = _optional_token(request)

    created = _created(request)
    again = (client_key(request), body.campaign, body.msg_id) if body.msg_id and event is not None else None

    def start() -> dict[str, Any]:  # one trip to the worker thread: create, first turn(s), token, view
        known = created.get(again) if again is not None else None
        if known is not None:  # the same first answer sent again (its reply was lost): the same application
            token = intake.store.issue_token(known, CHANNEL)
            assert event is not None
            replies, app = intake.turn(known, event, CHANNEL, None, body.msg_id)
            return _view(intake, app, token, [r.as_dict() for r in replies])
        try:
            app, replies = intake.start(body.campaign, CHANNEL, owner_key=_owner_of(request, previous))
        except UnknownTarget as exc:
            raise ApiError(404, str(exc)) from None
        token = intake.store.issue_token(app.id, CHANNEL)
        if event is not None:
            replies, app = intake.turn(app.id, event, CHANNEL, None, body.msg_id)
        if again is not None:
            created.put(again, app.id)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    return JSONResponse(await run_in_threadpool(start), status_code=201)


@router.post("/sessions/resume", summary="Continue an application with its resume code")
async def resume_session(request: Request, body: ResumeRequest) -> JSONResponse:
    """Once the application has an ID number, the code must come with its last four characters. Every
    attempt counts against the client's limit before the code is looked up; a successful one is taken
    back."""
    intake = _intake(request)
    failures = _limiter(request, "resume_failures")
    _take_attempt(failures, request)
    previous = _optional_token(request)

    def resume() -> dict[str, Any]:
        app = intake.store.by_resume_code(body.code)
        if app is None or not _last4_ok(request, app, body.id_last4):
            raise ApiError(404, NO_CODE, need="id_last4")
        owner = _owner_of(request, previous)
        if owner is not None:
            intake.store.add_owner(app.id, owner)
        token = intake.store.issue_token(app.id, CHANNEL)
        replies, app = intake.turn(app.id, {"type": "command", "name": "start"}, CHANNEL)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    out = await run_in_threadpool(resume)
    failures.refund(client_key(request))
    return JSONResponse(out)


def _last4_ok(request: Request, app: Application, typed: str | None) -> bool:
    """Blocking: whether `typed` is the last four of the application's ID number (True before one is
    given). Wrong guesses are also limited per application, whatever addresses they come from."""
    suffix = _intake(request).id_suffix(app)
    if suffix is None:
        return True
    per_app = _limiter(request, "last4_failures")
    if per_app.acquire(app.id):
        return False
    if typed and hmac.compare_digest(normalize_suffix(typed).encode(), suffix.encode()):
        per_app.refund(app.id)
        return True
    return False


@router.get("/session", summary="Transcript and state, to resume after a reload")
async def get_session(request: Request) -> JSONResponse:
    intake = _intake(request)
    token = session_token(request)

    def load() -> dict[str, Any]:
        app = _load(request, token)
        out = _view(intake, app, token, list(app.state.get("last_replies") or []))
        out["transcript"] = intake.transcript(app.id)
        return out

    return JSONResponse(await run_in_threadpool(load))


def _event(body: Message | NewSession) -> dict[str, Any] | None:
    """The engine event a message body carries (None when it carries none), with the key of the question
    it answers (contract C1)."""
    if body.command is not None:
        if body.command not in COMMANDS:
            raise ApiError(422, f"未知命令：{body.command[:20]}")
        event: dict[str, Any] = {"type": "command", "name": body.command, "arg": body.arg}
    elif body.text is not None:
        if len(body.text) > MAX_MESSAGE_CHARS:
            raise ApiError(
                422, f"内容太长（{len(body.text)} 字），一次最多 {MAX_MESSAGE_CHARS} 字。请精简后再发送。"
            )
        event = {"type": "text", "text": body.text}
    else:
        return None
    if body.key:
        event["key"] = body.key
    return event


@router.post("/session/messages", summary="Send an answer or a command")
async def post_message(request: Request, body: Message) -> JSONResponse:
    intake = _intake(request)
    token = session_token(request)
    event = _event(body)
    if event is None:
        raise ApiError(422, "没有收到内容。")

    def turn() -> dict[str, Any]:  # one trip to the worker thread for the whole turn
        replies, app = intake.turn(_app_id(request, token), event, CHANNEL, None, body.msg_id)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    return JSONResponse(await run_in_threadpool(turn))


@router.post("/session/resume-code", summary="Replace the resume code; every other session of it ends")
async def renew_resume_code(request: Request, body: RenewRequest | None = None) -> JSONResponse:
    """For an applicant who fears the code (or a link) reached someone else: the old code stops working
    and every other browser's session and Telegram chat of this application ends; this one continues.
    Once an ID number is given, its last four must be typed too (a session alone could be someone who
    got in with the code earlier)."""
    intake = _intake(request)
    token = session_token(request)
    typed = body.id_last4 if body is not None else None

    def renew() -> dict[str, Any]:
        app = _load(request, token)
        if not _last4_ok(request, app, typed):
            raise ApiError(403, WRONG_LAST4, need="id_last4")
        app_id = app.id
        code = intake.store.new_resume_code(app_id)
        ended = intake.store.revoke_tokens(app_id, keep=token)
        return {"resume_code": code, "sessions_ended": ended}

    return JSONResponse(await run_in_threadpool(renew))


@router.put(
    "/session/upload",
    summary="Upload a photo or file as the raw request body (X-Filename: URL-encoded name)",
    responses={413: {"description": "Over 10 MB"}, 415: {"description": "Not a real JPEG/PNG (or PDF)"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload(request: Request) -> Response:
    """The body is read as a stream and reading stops at the limit: an oversized upload is never buffered.
    `X-Msg-Id`, as `msg_id` of a message: the same upload retried is stored once."""
    intake = _intake(request)
    token = session_token(request)
    app = await run_in_threadpool(_load, request, token)
    name = clean_line(unquote(request.headers.get("x-filename", "")))[:100]
    msg_id = clean_line(request.headers.get("x-msg-id", ""))[:100] or None
    async with upload_slot(request, app.id):  # the body is read only when it can be handled
        data = await read_limited(request, MAX_UPLOAD_BYTES, limits.READ_IDLE_S, limits.READ_TOTAL_S)

        def store() -> tuple[dict[str, Any], str | None]:  # one trip: check, store, turn, view
            replies, committed, refused = intake.upload_turn(app.id, data, CHANNEL, name, None, msg_id)
            shown = [_with_preview(intake, committed.id, r.as_dict()) for r in replies]
            return _view(intake, committed, token, shown), refused

        payload, refused = await run_in_threadpool(store)
    if refused is not None:
        return JSONResponse({"error": refused, **payload}, status_code=415)
    return JSONResponse(payload)


def _with_preview(intake: Intake, app_id: str, reply: dict[str, Any]) -> dict[str, Any]:
    """A `photo_crop` notice with the cropped photo as a data: URL (`photo_crop.preview`), in this response
    only: the photo never goes into a URL, the transcript or a log."""
    crop = reply.get("data", {}).get("photo_crop")
    if not isinstance(crop, dict):
        return reply
    picture = intake.photo_preview(app_id, str(crop.get("field", "")))
    if picture is None:
        return reply
    shown = {**crop, "preview": "data:image/jpeg;base64," + base64.b64encode(picture).decode("ascii")}
    return {**reply, "data": {**reply["data"], "photo_crop": shown}}


EXPIRED = "下载链接已过期：请回到填写页面重新点击下载。"
NOT_DONE = "申报表还没有生成：请先完成填写并确认。"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get(
    "/files/{ticket}",
    summary="A document (.docx or PDF), the checklist page or PDF, or the written explanation, by a short-lived link",
    responses={
        503: {"description": "PDF unavailable here, busy or failed (a Chinese message; the .docx stays)"}
    },
)
async def download(request: Request, ticket: str) -> Response:
    """Ticket kinds: `doc:<id>` (.docx), `pdf:<id>`, `checklist` (a printable page, opened inline),
    `checklist_pdf`, `explanation` and `explanation_pdf` (the written explanation of an ineligible
    application). PDFs open inline, so WeChat's viewer shows them."""
    intake = _intake(request)

    def open_ticket() -> tuple[Application, str]:
        apps: dict[str, Application | None] = {}

        def code_of(app_id: str) -> str | None:
            apps[app_id] = intake.store.get(app_id)
            found_app = apps[app_id]
            return None if found_app is None else found_app.resume_code

        found = tickets.read(intake.store.keys, ticket, code_of)
        app = apps.get(found.app_id) if found is not None else None
        if found is None or app is None:
            raise ApiError(404, EXPIRED)
        if found.what in ("explanation", "explanation_pdf"):
            if not intake.is_ineligible(app):
                raise ApiError(404, NOT_INELIGIBLE)
        elif app.state.get("status") != "complete":
            raise ApiError(404, NOT_DONE)
        return app, found.what

    app, what = await run_in_threadpool(open_ticket)
    if what == "checklist":
        page = await run_in_threadpool(intake.checklist_document, app.id, "html")
        return Response(
            page.data,
            media_type="text/html; charset=utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": CHECKLIST_CSP},
        )
    if what == "explanation":
        try:
            doc = await run_in_threadpool(intake.explanation_docx, app)
        except LookupError as exc:
            raise ApiError(404, str(exc)) from None
        return Response(
            doc.data, media_type=DOCX_TYPE, headers={"Content-Disposition": attachment(doc.filename)}
        )
    if what.startswith("doc:"):
        futures = await run_in_threadpool(intake.pending_documents, app, None, what.removeprefix("doc:"))
        if not futures:
            raise ApiError(404, "没有这个文件。")
        # Rendering goes on on the render thread, not a worker. Shielded: a client that goes away must not
        # cancel the render other requests for this document share.
        doc = await asyncio.shield(asyncio.wrap_future(futures[0]))
        return Response(
            doc.data, media_type=DOCX_TYPE, headers={"Content-Disposition": attachment(doc.filename)}
        )
    return await _pdf_response(intake, app, what)


async def _pdf_response(intake: Intake, app: Application, what: str) -> Response:
    """A PDF (converted on the PDF thread, one LibreOffice at a time) or a 503 with a Chinese message."""
    try:
        if what == "checklist_pdf":
            future = await run_in_threadpool(intake.pending_checklist_pdf, app)
        elif what == "explanation_pdf":
            future = await run_in_threadpool(intake.pending_explanation_pdf, app)
        elif what.startswith("pdf:"):
            futures = await run_in_threadpool(intake.pending_pdfs, app, None, what.removeprefix("pdf:"))
            if not futures:
                raise ApiError(404, "没有这个文件。")
            future = futures[0]
        else:
            raise ApiError(404, "没有这个文件。")
        doc = await asyncio.shield(asyncio.wrap_future(future))
    except LookupError as exc:
        raise ApiError(404, str(exc)) from None
    except PdfError as exc:
        raise ApiError(503, str(exc)) from None
    return Response(
        doc.data,
        media_type="application/pdf",
        headers={"Content-Disposition": attachment(doc.filename, inline=True)},
    )


# The checklist page: its own CSS and JS only; it may be printed but not framed by other sites.
CHECKLIST_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def attachment(filename: str, inline: bool = False) -> str:
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"download{_suffix(filename)}\"; filename*=UTF-8''{quote(filename)}"


def _suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[1] if "." in filename else ""
