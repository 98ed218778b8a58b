"""The JSON API behind the chat page and the widget (documented at /docs)."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.channels.webchat.limits import MAX_UPLOAD_BYTES, read_limited, upload_slots
from bot.channels.webchat.views import state_view
from bot.engine.commands import COMMAND_WORDS
from bot.intake import Document, Intake
from bot.ratelimit import Limiter
from bot.registry import UnknownTarget
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


def error_response(exc: ApiError) -> JSONResponse:
    response = JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status)
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return response


class NewSession(BaseModel):
    campaign: str = Field(max_length=100, examples=["cq_hgzy_2023"])


class ResumeRequest(BaseModel):
    code: str = Field(max_length=40, examples=["K7Q2M9XD"])


class Message(BaseModel):
    text: str | None = Field(default=None, description="What the applicant typed or tapped.")
    command: str | None = Field(default=None, max_length=20, examples=["back"])
    arg: str = Field(default="", max_length=100)
    msg_id: str | None = Field(default=None, max_length=100, description="Same id twice is applied once.")


def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


NOT_FOUND = "找不到这次填写：链接可能已失效。请重新打开申报链接，或用续填码继续。"


def _app_id(intake: Intake, token: str) -> str:
    """Blocking: the application a token opens (404 otherwise)."""
    app_id = intake.store.app_for_token(token)
    if app_id is None:
        raise ApiError(404, NOT_FOUND)
    return app_id


def _load(intake: Intake, token: str) -> Application:
    """Blocking: the application a token opens (404 otherwise)."""
    app = intake.store.get(_app_id(intake, token))
    if app is None:
        raise ApiError(404, NOT_FOUND)
    return app


async def _app_for(intake: Intake, token: str) -> Application:
    return await run_in_threadpool(_load, intake, token)


def _view(intake: Intake, app: Application, token: str, replies: list[Any]) -> dict[str, Any]:
    """Blocking: the reply body — the replies plus what the page shows besides them."""
    view = state_view(intake, app, token, intake.clock())
    return {"token": token, "resume_code": app.resume_code, "replies": replies, "state": view}


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _limiter(request: Request, name: str) -> Limiter:
    limiter: Limiter = getattr(request.app.state, name)
    return limiter


def _refuse_when_over(limiter: Limiter, request: Request) -> None:
    wait = limiter.retry_after(client_key(request))
    if wait:
        raise ApiError(429, TOO_MANY.format(s=wait), retry_after=wait)


@router.post("/sessions", status_code=201, summary="Start an application for a campaign")
async def create_session(request: Request, body: NewSession) -> JSONResponse:
    intake = _intake(request)
    sessions = _limiter(request, "new_sessions")
    _refuse_when_over(sessions, request)
    sessions.record(client_key(request))
    if body.campaign not in intake.registry.campaigns:
        raise ApiError(404, "没有这个申报批次，请核对链接。")

    def start() -> dict[str, Any]:  # one trip to the worker thread: create, first turn, token, view
        try:
            app, replies = intake.start(body.campaign, CHANNEL)
        except UnknownTarget as exc:
            raise ApiError(404, str(exc)) from None
        token = intake.store.issue_token(app.id, CHANNEL)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    return JSONResponse(await run_in_threadpool(start), status_code=201)


@router.post("/sessions/resume", summary="Continue an application with its resume code")
async def resume_session(request: Request, body: ResumeRequest) -> JSONResponse:
    intake = _intake(request)
    failures = _limiter(request, "resume_failures")
    _refuse_when_over(failures, request)

    def resume() -> dict[str, Any] | None:
        app = intake.store.by_resume_code(body.code)
        if app is None:
            return None
        token = intake.store.issue_token(app.id, CHANNEL)
        replies, app = intake.turn(app.id, {"type": "command", "name": "start"}, CHANNEL)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    out = await run_in_threadpool(resume)
    if out is None:
        failures.record(client_key(request))
        raise ApiError(404, "续填码不存在，请核对（8 位字母和数字）。")
    return JSONResponse(out)


@router.get("/s/{token}", summary="Transcript and state, to resume after a reload")
async def get_session(request: Request, token: str) -> JSONResponse:
    intake = _intake(request)

    def load() -> dict[str, Any]:
        app = _load(intake, token)
        out = _view(intake, app, token, list(app.state.get("last_replies") or []))
        out["transcript"] = intake.transcript(app.id)
        return out

    return JSONResponse(await run_in_threadpool(load))


@router.post("/s/{token}/messages", summary="Send an answer or a command")
async def post_message(request: Request, token: str, body: Message) -> JSONResponse:
    intake = _intake(request)
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
        raise ApiError(422, "没有收到内容。")

    def turn() -> dict[str, Any]:  # one trip to the worker thread for the whole turn
        replies, app = intake.turn(_app_id(intake, token), event, CHANNEL, None, body.msg_id)
        return _view(intake, app, token, [r.as_dict() for r in replies])

    return JSONResponse(await run_in_threadpool(turn))


@router.put(
    "/s/{token}/upload",
    summary="Upload a photo or file as the raw request body (X-Filename: URL-encoded name)",
    responses={413: {"description": "Over 10 MB"}, 415: {"description": "Not a real JPEG/PNG (or PDF)"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def upload(request: Request, token: str) -> Response:
    """The body is read as a stream and reading stops at the limit: an oversized upload is never buffered."""
    intake = _intake(request)
    app = await _app_for(intake, token)
    name = unquote(request.headers.get("x-filename", ""))[:100]
    async with upload_slots(request):  # the body is read only when it can be handled
        data = await read_limited(request, MAX_UPLOAD_BYTES)

        def store() -> tuple[dict[str, Any], str | None]:  # one trip: check, store, turn, view
            replies, committed, refused = intake.upload_turn(app.id, data, CHANNEL, name)
            return _view(intake, committed, token, [r.as_dict() for r in replies]), refused

        payload, refused = await run_in_threadpool(store)
    if refused is not None:
        return JSONResponse({"error": refused, **payload}, status_code=415)
    return JSONResponse(payload)


@router.get("/s/{token}/documents/{doc_id}", summary="Download a filled document")
async def download(request: Request, token: str, doc_id: str) -> Response:
    intake = _intake(request)

    def pending() -> list[Future[Document]]:
        app = _load(intake, token)
        if app.state.get("status") != "complete":
            raise ApiError(404, "申报表还没有生成：请先完成填写并确认。")
        return intake.pending_documents(app, None, doc_id)

    found = await run_in_threadpool(pending)
    if not found:
        raise ApiError(404, "没有这个文件。")
    # Rendering goes on on the render thread, not a worker. Shielded: a client that goes away must not
    # cancel the render other requests for this document share.
    doc = await asyncio.shield(asyncio.wrap_future(found[0]))
    return Response(
        doc.data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": attachment(doc.filename)},
    )


@router.get("/s/{token}/checklist.md", summary="Download the submission checklist")
async def checklist(request: Request, token: str) -> Response:
    intake = _intake(request)

    def build() -> str:
        app = _load(intake, token)
        if app.state.get("status") != "complete":
            raise ApiError(404, "提交清单在完成填写后生成。")
        return intake.checklist(app.id).markdown()

    return Response(
        await run_in_threadpool(build),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": attachment("提交清单.md")},
    )


def attachment(filename: str) -> str:
    return f"attachment; filename=\"download{_suffix(filename)}\"; filename*=UTF-8''{quote(filename)}"


def _suffix(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[1] if "." in filename else ""
