"""Request size limits enforced while reading, before anything large is held in memory."""

from __future__ import annotations

from starlette.requests import Request

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
