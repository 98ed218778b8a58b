"""Fill a Word template with docxtpl, autoescaped; applicant text is never compiled as a template.

docxtpl cleans each part's XML and compiles it as a Jinja template on every render; both depend only on
the template, so they are kept here (keyed by the XML itself), as are the template file's bytes and its
read package — the unzipped parts, content types and relationships, all immutable blobs — keyed by path,
modification time and size.

docxtpl opens the template with python-docx's `Document()`, which parses every part python-docx has a
class for and writes each back by re-serialising it. Ours opens the kept package instead, and leaves the
parts no render reads — styles, settings, numbering and comments (`UNPARSED`) — as plain `Part`s: their
bytes are carried through to the output unchanged and never parsed. Parsed as usual are the main document,
headers and footers (rendered, and where an InlineImage is placed), core properties (rendered) and
images (by relationship, so a photo is added and numbered as docxtpl would). Only our own package
factory does this; python-docx's global `PartFactory` is untouched. Code that asked this document for its
styles, settings or numbering (docxtpl's Subdoc does; we use none) would fail with an AttributeError on
the plain part rather than quietly lose them. A render then costs the Jinja rendering, parsing the
document, headers and footers, and the save."""

from __future__ import annotations

import io
import threading
import time
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.package import Unmarshaller
from docx.opc.part import Part, PartFactory, XmlPart
from docx.opc.pkgreader import PackageReader
from docx.opc.pkgwriter import PackageWriter
from docx.package import Package
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing
from jinja2 import Environment, Template

from bot.documents.photo import cropped
from bot.engine.program import FormProgram
from bot.engine.spec import ImageField, LongTextField

NO_PHOTO = ""  # no photo given: the template prints its own label (贴照片) in the box
FileReader = Callable[[str], bytes | None]
STORED_EXTENSIONS = frozenset({"jpeg", "jpg", "png", "gif"})
KEPT = 32  # compiled parts (and template files) kept; a form has a few parts per document
# Parts python-docx would parse but a docxtpl render never reads (docxtpl's Subdoc would: we use none).
UNPARSED = frozenset({CT.WML_STYLES, CT.WML_SETTINGS, CT.WML_NUMBERING, CT.WML_COMMENTS})


class _Kept:
    """A small least-recently-used map, safe to share between threads."""

    def __init__(self, limit: int = KEPT) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return value


_PATCHED = _Kept()
_COMPILED = _Kept()
_FILES = _Kept()
_PACKAGES = _Kept()  # unzipped: about 0.9 MB per shipped template, mostly styles and stylesWithEffects


class _Environment(Environment):
    """Autoescaping Jinja environment that compiles each distinct template source once."""

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return _COMPILED.get(source, lambda: super(_Environment, self).from_string(source))  # type: ignore[no-any-return]


_ENV = _Environment(autoescape=True)


class _Parts(PartFactory):
    """python-docx's part factory, except that the parts in UNPARSED are kept as their bytes."""

    @staticmethod
    def part_class_selector(content_type: str, reltype: str) -> type[Part] | None:
        if content_type in UNPARSED:
            return Part
        select = PartFactory.part_class_selector  # python-docx's own (images, by relationship)
        return select(content_type, reltype) if select is not None else None


def _open(reader: PackageReader) -> Any:
    """`docx.Document()` of an already-read package, built with `_Parts`."""
    package = Package()
    Unmarshaller.unmarshal(reader, package, _Parts)  # type: ignore[no-untyped-call]
    part = package.main_document_part
    if part.content_type != CT.WML_DOCUMENT_MAIN:
        raise ValueError(f"not a Word file, content type is {part.content_type!r}")
    return part.document


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl with its XML clean-up remembered per distinct part XML, and the template opened from the
    kept package with the unread parts left unparsed."""

    docx: Any
    is_rendered: bool

    def __init__(self, template: Path) -> None:
        key = _file_key(template)
        super().__init__(io.BytesIO(_template_bytes(key)))  # what docxtpl's own fallbacks reopen
        self._reader = _package_reader(key)

    def init_docx(self, reload: bool = True) -> None:
        if not self.docx or (self.is_rendered and reload):
            self.docx = _open(self._reader)
            self.is_rendered = False

    def patch_xml(self, src_xml: str) -> str:
        return _PATCHED.get(src_xml, lambda: super(_Template, self).patch_xml(src_xml))  # type: ignore[no-any-return]


def _file_key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_mtime_ns, stat.st_size


def _template_bytes(key: tuple[str, int, int]) -> bytes:
    return _FILES.get(key, Path(key[0]).read_bytes)  # type: ignore[no-any-return]


def _package_reader(key: tuple[str, int, int]) -> PackageReader:
    """The template read as a package (never changed by a render: parts get its blobs, which are bytes)."""
    return _PACKAGES.get(key, lambda: PackageReader.from_file(io.BytesIO(_template_bytes(key))))  # type: ignore[no-any-return, no-untyped-call]


def render_docx(
    program: FormProgram,
    template: Path,
    context: dict[str, Any],
    answers: dict[str, Any],
    read_file: FileReader | None = None,
) -> bytes:
    """The filled document as bytes. `answers` supplies image references; `context` the text values."""
    tpl = _Template(template)
    values = dict(context)
    for key, info in program.fields.items():
        if info.group is not None:
            continue
        if isinstance(info.field, LongTextField) and isinstance(values.get(key), str):
            values[key] = Listing(values[key])
        elif isinstance(info.field, ImageField):
            values[key] = _image(tpl, info.field, answers.get(key), read_file)
    for key, value in list(values.items()):
        if isinstance(value, str) and "\n" in value:
            values[key] = Listing(value)
    tpl.render(values, jinja_env=_ENV, autoescape=True)
    return _save(tpl)


class _ZipWriter:
    """python-docx's package writer, but pictures are stored (they are compressed already), XML is
    deflated at level 1, and a part carried through from the template unchanged (styles, theme, fonts …)
    is deflated once and its compressed bytes copied into every later document."""

    def __init__(self, out: io.BytesIO, unchanged: frozenset[str] = frozenset()) -> None:
        self._zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._unchanged = unchanged

    def write(self, pack_uri: Any, blob: bytes) -> None:
        name = pack_uri.membername
        if str(pack_uri.ext).lower() in STORED_EXTENSIONS:
            self._zip.writestr(name, blob, compress_type=zipfile.ZIP_STORED)
        elif name in self._unchanged:
            _write_deflated(self._zip, name, blob, _DEFLATED.get(blob, lambda: _deflate(blob)))
        else:
            self._zip.writestr(name, blob, compress_type=zipfile.ZIP_DEFLATED)

    def close(self) -> None:
        self._zip.close()


_DEFLATED = _Kept(limit=512)  # keyed by the template's own bytes objects (whose hash Python keeps)


def _deflate(blob: bytes) -> tuple[int, bytes]:
    """CRC-32 and raw deflate stream, as zipfile writes a ZIP_DEFLATED member at level 1."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    return zlib.crc32(blob), packer.compress(blob) + packer.flush()


def _write_deflated(zf: zipfile.ZipFile, name: str, blob: bytes, packed: tuple[int, bytes]) -> None:
    """Add a member whose deflated bytes are known, the way `ZipFile.writestr` lays one out (local header,
    data, central-directory entry), without compressing again. Uses zipfile's own header code and the
    bookkeeping its writer does (`fp`, `filelist`, `NameToInfo`, `start_dir`); tested by reopening."""
    crc, data = packed
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info.file_size, info.compress_size, info.CRC = len(blob), len(data), crc
    info.header_offset = zf.fp.tell()  # type: ignore[union-attr]
    zf._writecheck(info)  # type: ignore[attr-defined]
    zf._didModify = True  # type: ignore[attr-defined]
    zf.fp.write(info.FileHeader(False))  # type: ignore[union-attr]
    zf.fp.write(data)  # type: ignore[union-attr]
    zf.filelist.append(info)
    zf.NameToInfo[name] = info
    zf.start_dir = zf.fp.tell()  # type: ignore[union-attr]


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
    # plain parts hand over the template's blob itself; XML parts are serialised anew on every save
    unchanged = frozenset(p.partname.membername for p in parts if not isinstance(p, XmlPart))
    writer = _ZipWriter(out, unchanged)
    # python-docx's own steps of PackageWriter.write, with our zip writer (same write/close interface)
    PackageWriter._write_content_types_stream(writer, parts)  # type: ignore[no-untyped-call]
    PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
    PackageWriter._write_parts(writer, parts)  # type: ignore[arg-type]
    writer.close()
    tpl.is_saved = True
    return out.getvalue()


def _image(tpl: DocxTemplate, field: ImageField, ref: Any, read_file: FileReader | None) -> Any:
    """The photo cropped centred to the box's proportions and placed at exactly the box's size."""
    if not isinstance(ref, dict) or read_file is None:
        return NO_PHOTO
    data = read_file(str(ref.get("ref", "")))
    if not data:
        return NO_PHOTO
    width, height = field.print_size_mm
    try:
        picture = cropped(data, width, height)
    except ValueError:
        return NO_PHOTO
    return _BoxedImage(tpl, io.BytesIO(picture), width=Mm(width), height=Mm(height))


class _BoxedImage(InlineImage):  # type: ignore[misc]  # docxtpl has no type hints
    """An inline picture with no wrap distance: LibreOffice otherwise adds 0.32 cm on each side of an
    inline image that does not say distL/distR, pushing a 35 mm photo past the right rule of its box."""

    def _insert_image(self) -> str:
        return str(super()._insert_image()).replace(
            "<wp:inline ", '<wp:inline distT="0" distB="0" distL="0" distR="0" ', 1
        )
