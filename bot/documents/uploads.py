"""Which uploaded files an application keeps, and how many it may keep.

An application keeps only the files its state refers to (an answer, or an answer taken back that the
applicant may keep); documents are rendered from that state, so they need no others. The limits count
those files, so replacing a photo never counts twice."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_FILES = 20  # files one application keeps
MAX_BYTES = 50 * 1024 * 1024  # their stored size together (after re-encoding)
UPLOADS_AT_ONCE = 2  # uploads a channel reads and handles at once: the others wait, their bodies unread

# Where in an engine state answers are kept: the answers, answers taken back, answers offered to confirm.
_ANSWER_PARTS = ("answers", "previous", "pending")

WANTS_TEXT = "这一题需要文字回答，不需要上传文件。请直接输入文字回答。"
NOT_NOW = "现在不需要上传文件。"


def file_refs(state: Mapping[str, Any]) -> dict[str, int]:
    """Reference → stored size of every file the state's answers refer to."""
    found: dict[str, int] = {}
    for part in _ANSWER_PARTS:
        _collect(state.get(part), found)
    return found


def _collect(value: Any, found: dict[str, int]) -> None:
    if isinstance(value, dict):
        ref = value.get("ref")
        if isinstance(ref, str) and ref and "mime" in value:
            size = value.get("size")
            found[ref] = size if isinstance(size, int) else 0
            return
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)


def over_limits(refs: Mapping[str, int]) -> str | None:
    """Why an application with these files would keep too many (a message for the applicant), or None."""
    count, total = len(refs), sum(refs.values())
    if count <= MAX_FILES and total <= MAX_BYTES:
        return None
    return (
        f"这个文件没有保存：每份申报最多保存 {MAX_FILES} 个文件、合计 {MAX_BYTES // 1048576} MB，"
        f"加上它将是 {count} 个、{total / 1048576:.1f} MB。"
        "请压缩后再上传，或用“修改”替换之前上传的文件。"
    )
