"""Fill a Word template with docxtpl, autoescaped; applicant text is never compiled as a template."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing

from bot.engine.program import FormProgram
from bot.engine.spec import ImageField, LongTextField

PHOTO_WIDTH_MM = 30
NO_PHOTO = "（照片）"
FileReader = Callable[[str], bytes | None]


def render_docx(
    program: FormProgram,
    template: Path,
    context: dict[str, Any],
    answers: dict[str, Any],
    read_file: FileReader | None = None,
) -> bytes:
    """The filled document as bytes. `answers` supplies image references; `context` the text values."""
    tpl = DocxTemplate(str(template))
    values = dict(context)
    for key, info in program.fields.items():
        if info.group is not None:
            continue
        if isinstance(info.field, LongTextField) and isinstance(values.get(key), str):
            values[key] = Listing(values[key])
        elif isinstance(info.field, ImageField):
            values[key] = _image(tpl, answers.get(key), read_file)
    for key, value in list(values.items()):
        if isinstance(value, str) and "\n" in value:
            values[key] = Listing(value)
    tpl.render(values, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def _image(tpl: DocxTemplate, ref: Any, read_file: FileReader | None) -> Any:
    if not isinstance(ref, dict) or read_file is None:
        return NO_PHOTO
    data = read_file(str(ref.get("ref", "")))
    if not data:
        return NO_PHOTO
    return InlineImage(tpl, io.BytesIO(data), width=Mm(PHOTO_WIDTH_MM))
