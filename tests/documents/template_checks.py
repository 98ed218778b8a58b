"""Checks every docxtpl template test makes (tests/documents/test_template_*.py).

- the committed template equals a fresh build of its builder (``tools/build_*_template.py``);
- every Jinja tag sits in one run (Word must not split ``{{ name }}`` over runs);
- ``{%tr %}`` control rows hold only the tag;
- the template uses only the agreed variables;
- A4 portrait page and the CJK fonts.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

import pytest
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docxtpl import DocxTemplate

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def load_builder(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Import ``tools/<name>.py`` by path (the builders are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def word_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("word/") and n.endswith(".xml")}


def assert_matches_committed(fresh: Path, committed: Path, builder: str) -> None:
    """The committed template's word/*.xml parts equal those of a fresh build."""
    assert word_parts(fresh) == word_parts(committed), f"re-run tools/{builder}.py"


def tags_in_single_runs(doc: DocumentObject) -> list[str]:
    """Assert every paragraph's tags each sit in one run; return all tags in document order."""
    seen: list[str] = []
    for p in doc.element.body.iter(qn("w:p")):
        para_tags = TAG_RE.findall("".join(t.text or "" for t in p.iter(qn("w:t"))))
        run_tags = [
            tag
            for r in p.iter(qn("w:r"))
            for tag in TAG_RE.findall("".join(t.text or "" for t in r.iter(qn("w:t"))))
        ]
        assert para_tags == run_tags
        seen.extend(para_tags)
    return seen


def control_rows(tables: Iterable[Table], row_texts: Callable[[Table], list[list[str]]]) -> list[list[str]]:
    """The rows (as cell texts) holding a ``{%tr %}`` tag."""
    return [row for table in tables for row in row_texts(table) if any("{%tr" in cell for cell in row)]


def assert_variables(template: Path, expected: set[str]) -> None:
    assert DocxTemplate(template).get_undeclared_template_variables() == expected


def assert_a4_and_fonts(
    doc: DocumentObject, east_asia: set[str] = frozenset({"宋体", "黑体"}), *, normal_songti: bool = True
) -> None:
    """A4 portrait; the Normal style's CJK font is 宋体; the body uses (at least) ``east_asia`` fonts."""
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert abs(section.page_width - Cm(21.0)) < Cm(0.05)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.05)
    if normal_songti:
        assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    used = {r_fonts.get(qn("w:eastAsia")) for r_fonts in doc.element.body.iter(qn("w:rFonts"))}
    assert east_asia <= used
