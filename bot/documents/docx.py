"""Fill a Word template with docxtpl, autoescaped; applicant text is never compiled as a template.

docxtpl cleans each part's XML and compiles it as a Jinja template on every render; both depend only on
the template, so they are kept here (keyed by the XML itself), as are the template file's bytes (keyed
by path, modification time and size). A render then costs the Jinja rendering, the .docx parse and the
save."""

from __future__ import annotations

import io
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx.opc.pkgwriter import PackageWriter
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing
from jinja2 import Environment, Template

from bot.engine.program import FormProgram
from bot.engine.spec import ImageField, LongTextField

PHOTO_WIDTH_MM = 30
NO_PHOTO = "（照片）"
FileReader = Callable[[str], bytes | None]
STORED_EXTENSIONS = frozenset({"jpeg", "jpg", "png", "gif"})
KEPT = 32  # compiled parts (and template files) kept; a form has a few parts per document


class _Kept:
    """A small least-recently-used map, safe to share between threads."""

    def __init__(self) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > KEPT:
                self._items.popitem(last=False)
        return value


_PATCHED = _Kept()
_COMPILED = _Kept()
_FILES = _Kept()


class _Environment(Environment):
    """Autoescaping Jinja environment that compiles each distinct template source once."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return _COMPILED.get(source, lambda: super(_Environment, self).from_string(source))  # type: ignore[no-any-return]


_ENV = _Environment(autoescape=True)


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl with its XML clean-up remembered per distinct part XML."""

    def patch_xml(self, src_xml: str) -> str:
        return _PATCHED.get(src_xml, lambda: super(_Template, self).patch_xml(src_xml))  # type: ignore[no-any-return]


def _template_bytes(path: Path) -> bytes:
    stat = path.stat()
    return _FILES.get((str(path), stat.st_mtime_ns, stat.st_size), path.read_bytes)  # type: ignore[no-any-return]


def render_docx(
    program: FormProgram,
    template: Path,
    context: dict[str, Any],
    answers: dict[str, Any],
    read_file: FileReader | None = None,
) -> bytes:
    """The filled document as bytes. `answers` supplies image references; `context` the text values."""
    tpl = _Template(io.BytesIO(_template_bytes(template)))
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
    tpl.render(values, jinja_env=_ENV, autoescape=True)
    return _save(tpl)


class _ZipWriter:
    """python-docx's package writer, but pictures are stored (they are compressed already) and XML is
    deflated at level 1: most of a save's time went to deflating the photo again at level 6."""

    def __init__(self, out: io.BytesIO) -> None:
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        stored = str(pack_uri.ext).lower() in STORED_EXTENSIONS
        kind = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        self._zip.writestr(pack_uri.membername, blob, compress_type=kind)

    def close(self) -> None:
        self._zip.close()


def _save(tpl: DocxTemplate) -> bytes:
    tpl.pre_processing()
    if tpl.crc_to_new_media or tpl.crc_to_new_embedded or tpl.zipname_to_replace:  # not used by us
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()
    package = tpl.docx.part.package
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    writer = _ZipWriter(out)
    # python-docx's own steps of PackageWriter.write, with our zip writer (same write/close interface)
    PackageWriter._write_content_types_stream(writer, parts)  # type: ignore[no-untyped-call]
    PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
    PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]
    writer.close()
    tpl.is_saved = True
    return out.getvalue()


def _image(tpl: DocxTemplate, ref: Any, read_file: FileReader | None) -> Any:
    if not isinstance(ref, dict) or read_file is None:
        return NO_PHOTO
    data = read_file(str(ref.get("ref", "")))
    if not data:
        return NO_PHOTO
    return InlineImage(tpl, io.BytesIO(data), width=Mm(PHOTO_WIDTH_MM))
