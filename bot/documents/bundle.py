"""Many applications' documents as one .zip: a folder per application, `序号_姓名/文件名.docx`.

Names come from applicants' answers, so they are made safe: no path separators, no `..`, no control or
reserved characters, no leading dots or blanks, at most MAX_NAME characters; two folders (or two files in a
folder) that would come out the same get `(2)`, `(3)`, ... Entries are added one at a time (the documents
of one application at a time are in memory, never the whole archive), stored uncompressed: a .docx is a
zip already."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import IO, cast

MAX_NAME = 60
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def safe_name(text: str, fallback: str) -> str:
    """A file or folder name from any text: one path element, never `.` or `..`, never empty."""
    text = "".join(
        c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
    )
    text = _UNSAFE.sub("_", text).strip(" .\u3000")
    text = text[:MAX_NAME].rstrip(" .")
    return text or fallback


def safe_file_name(text: str, fallback: str) -> str:
    """`safe_name` that keeps a short suffix (.docx, .pdf) when a long name is shortened; the stem is cut
    at the same length whatever the suffix, so a document's .docx and .pdf keep the same stem."""
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem or not suffix.isalnum() or len(suffix) > 5:
        return safe_name(text, fallback)
    shorter = safe_name(stem, "")[: MAX_NAME - 6].rstrip(" .")
    return f"{shorter}.{suffix}" if shorter else f"{safe_name(fallback.rpartition('.')[0], '文件')}.{suffix}"


def _unique(name: str, used: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    candidate, number = name, 2
    while candidate.lower() in used:
        candidate = f"{stem}({number}){'.' + suffix if suffix else ''}"
        number += 1
    used.add(candidate.lower())
    return candidate


class Bundle:
    """`add(index, name, files)` for each application in order, then `close()`."""

    def __init__(
        self, out: IO[bytes] | io.RawIOBase, when: tuple[int, int, int, int, int, int] = (2020, 1, 1, 0, 0, 0)
    ) -> None:
        self._when = when
        self._zip = zipfile.ZipFile(
            cast(IO[bytes], out), "w", compression=zipfile.ZIP_STORED, allowZip64=True
        )
        self._folders: set[str] = set()
        self.files = 0

    def add(self, index: int, name: str, files: list[tuple[str, bytes]]) -> str:
        """The application's documents under `序号_姓名/`; returns the folder's name."""
        folder = _unique(safe_name(f"{index:04d}_{name}", f"{index:04d}"), self._folders)
        names: set[str] = set()
        for filename, data in files:
            entry = _unique(safe_file_name(filename, "文件.docx"), names)
            info = zipfile.ZipInfo(f"{folder}/{entry}", date_time=self._when)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            self._zip.writestr(info, data)
            self.files += 1
        return folder

    def close(self) -> None:
        self._zip.close()
