"""Request size limits enforced while reading, before anything large is held in memory."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from bot.documents.uploads import UPLOADS_AT_ONCE

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class TooLarge(Exception):
    """The body is over the limit (raised before it is read in full)."""


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, or TooLarge as soon as the declared length or the bytes read pass `limit`."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise TooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def upload_slots(request: Request) -> asyncio.Semaphore:
    """The app's slots for uploads (made on first use, on the app's event loop). An upload holds one from
    before its body is read until it is answered, so at most UPLOADS_AT_ONCE bodies are in memory: the
    others stay in the connection (the server stops reading a body the app does not ask for)."""
    slots: asyncio.Semaphore | None = getattr(request.app.state, "upload_slots", None)
    if slots is None:
        slots = request.app.state.upload_slots = asyncio.Semaphore(UPLOADS_AT_ONCE)
    return slots
