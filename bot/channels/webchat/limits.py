"""Request size limits enforced while reading, before anything large is held in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import Request

from bot.documents.uploads import UPLOADS_AT_ONCE

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
SLOT_WAIT_S = 20.0  # an upload waits this long for a free slot, then is told to try again
READ_IDLE_S = 20.0  # no bytes for this long: the upload is dropped
READ_TOTAL_S = 120.0  # the whole body within this (10 MB at 2G-ish 85 kB/s): a slow client cannot hold a slot


class TooLarge(Exception):
    """The body is over the limit (raised before it is read in full)."""


class TooSlow(Exception):
    """The body did not arrive in time (no bytes for READ_IDLE_S, or not all within READ_TOTAL_S)."""


class Busy(Exception):
    """No upload slot came free in time, or this session already has an upload in progress."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


async def read_limited(
    request: Request, limit: int, idle_s: float | None = None, total_s: float | None = None
) -> bytes:
    """The body, or TooLarge as soon as the declared length or the bytes read pass `limit`; with `idle_s`
    and `total_s`, TooSlow when the client stalls or trickles."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge()
    chunks: list[bytes] = []
    size = 0
    stream = request.stream().__aiter__()
    try:
        async with asyncio.timeout(total_s):
            while True:
                try:
                    chunk = await asyncio.wait_for(anext(stream), idle_s)
                except StopAsyncIteration:
                    break
                size += len(chunk)
                if size > limit:
                    raise TooLarge()
                chunks.append(chunk)
    except TimeoutError:
        raise TooSlow() from None
    return b"".join(chunks)


def upload_slots(request: Request) -> asyncio.Semaphore:
    """The app's slots for uploads (made on first use, on the app's event loop). An upload holds one from
    before its body is read until it is answered, so at most UPLOADS_AT_ONCE bodies are in memory: the
    others stay in the connection (the server stops reading a body the app does not ask for)."""
    slots: asyncio.Semaphore | None = getattr(request.app.state, "upload_slots", None)
    if slots is None:
        slots = request.app.state.upload_slots = asyncio.Semaphore(UPLOADS_AT_ONCE)
    return slots


@asynccontextmanager
async def upload_slot(request: Request, owner: str) -> AsyncIterator[None]:
    """Hold one of the app's upload slots while the body is read and handled. One upload at a time per
    `owner` (an application), and a slot waited for at most SLOT_WAIT_S: with the read deadlines of
    `read_limited`, a few slow or stalled clients cannot keep everyone else's uploads waiting."""
    uploading: set[str] = getattr(request.app.state, "uploading", None) or set()
    request.app.state.uploading = uploading
    if owner in uploading:
        raise Busy("上一个文件还在上传，请等它完成后再传。")
    uploading.add(owner)
    try:
        slots = upload_slots(request)
        try:
            await asyncio.wait_for(slots.acquire(), SLOT_WAIT_S)
        except TimeoutError:
            raise Busy("现在上传的人较多，请稍等一会儿再传。") from None
        try:
            yield
        finally:
            slots.release()
    finally:
        uploading.discard(owner)
