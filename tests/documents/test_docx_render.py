"""render_docx opens the template without parsing the parts a render never reads, and writes them back as
they were: styles, settings and numbering go through as the template's own bytes."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.part import Part
from docx.parts.document import DocumentPart
from docx.parts.image import ImagePart
from docx.parts.styles import StylesPart
from PIL import Image

from bot.documents import docx as documents_docx
from bot.documents.docx import render_docx
from bot.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
# Dropped by any parse-and-reserialise (only the root element is written back): it survives only if
# styles.xml is carried through unparsed.
MARK = b"\n<!-- styles.xml as the template wrote it -->\n"


def _template(path: Path) -> Path:
    """A python-docx document with a text and a photo placeholder, its styles.xml marked."""
    doc = Document()
    doc.add_paragraph("{{ name }}", style="Heading 1")
    doc.add_paragraph("{{ photo }}")
    plain = io.BytesIO()
    doc.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data + MARK if item.filename == "word/styles.xml" else data)
    return path


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (35, 49), (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def _member(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(name)


def test_unread_parts_are_not_parsed_and_pass_through_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = Registry.load(ROOT / "forms", ROOT / "doc_templates").forms["cq_pro_to_skill"]
    template = _template(tmp_path / "t.docx")
    rendered: list[documents_docx._Template] = []
    real_save = documents_docx._save

    def keep(tpl: documents_docx._Template) -> bytes:
        rendered.append(tpl)
        return real_save(tpl)

    monkeypatch.setattr(documents_docx, "_save", keep)
    photo = _photo()
    data = render_docx(program, template, {"name": "<张三>"}, {"photo": {"ref": "p"}}, lambda ref: photo)

    (tpl,) = rendered
    parts = {str(p.partname): p for p in tpl.docx.part.package.iter_parts()}
    for name in ("/word/styles.xml", "/word/settings.xml", "/word/numbering.xml"):
        assert type(parts[name]) is Part, name
    assert isinstance(parts["/word/document.xml"], DocumentPart)
    assert [type(p) for p in parts.values() if p.partname.startswith("/word/media/")] == [ImagePart]

    for name in ("word/styles.xml", "word/settings.xml", "word/numbering.xml"):
        assert _member(data, name) == _member(template.read_bytes(), name), name
    assert _member(data, "word/styles.xml").endswith(MARK)

    # The output is a whole document: python-docx reads it, styles and all, and the photo is in it.
    out = Document(io.BytesIO(data))
    assert [p.text for p in out.paragraphs] == ["<张三>", ""]
    assert out.paragraphs[0].style.name == "Heading 1"
    assert {s.name for s in out.styles} == {s.name for s in Document(str(template)).styles}
    assert len(out.inline_shapes) == 1


def test_python_docx_itself_still_parses_every_part(tmp_path: Path) -> None:
    program = Registry.load(ROOT / "forms", ROOT / "doc_templates").forms["cq_pro_to_skill"]
    template = _template(tmp_path / "t.docx")
    render_docx(program, template, {"name": "x"}, {})
    document_part = Document(str(template)).part
    assert isinstance(document_part.part_related_by(RT.STYLES), StylesPart)


def test_unchanged_parts_are_deflated_once_and_copied_into_later_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = Registry.load(ROOT / "forms", ROOT / "doc_templates").forms["cq_pro_to_skill"]
    template = _template(tmp_path / "t.docx")
    deflated: list[int] = []
    real_deflate = documents_docx._deflate

    def count(blob: bytes) -> tuple[int, bytes]:
        deflated.append(len(blob))
        return real_deflate(blob)

    monkeypatch.setattr(documents_docx, "_deflate", count)
    monkeypatch.setattr(documents_docx, "_DEFLATED", documents_docx._Kept(limit=512))  # none kept yet
    outputs = [render_docx(program, template, {"name": "申请人0"}, {})]
    first = len(deflated)
    assert first >= 3  # styles, settings, numbering at least
    outputs += [render_docx(program, template, {"name": f"申请人{i}"}, {}) for i in (1, 2)]
    assert len(deflated) == first  # the later two documents deflated none of them again

    for i, data in enumerate(outputs):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.testzip() is None  # every member's CRC and length check out
            assert zf.getinfo("word/styles.xml").compress_type == zipfile.ZIP_DEFLATED
        assert _member(data, "word/styles.xml") == _member(template.read_bytes(), "word/styles.xml")
        assert Document(io.BytesIO(data)).paragraphs[0].text == f"申请人{i}"
