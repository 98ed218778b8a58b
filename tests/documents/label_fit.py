"""Label cells must hold their label on one line (or break only where the builder put a line break).

A label cell is a table cell whose text is all bold and holds no Jinja tag. Its width comes from the
table grid (``w:gridCol``) over the cell's ``w:gridSpan``, less the table's left/right cell margins; each
line of the label (paragraphs and ``w:br`` breaks) must fit: a CJK or full-width character takes one em of
its run's font size, any other character half an em (what LibreOffice and Word do with 宋体/黑体).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from docx.document import Document as DocumentObject
from docx.oxml.ns import qn

TWIPS_PER_PT = 20
DEFAULT_SIZE_PT = 12.0


def _em(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.5


def _lines(tc) -> Iterator[list[tuple[str, float, bool]]]:  # type: ignore[no-untyped-def]
    """Each printed line of the cell as (text, size pt, bold) runs."""
    for p in tc.iter(qn("w:p")):
        line: list[tuple[str, float, bool]] = []
        for r in p.iter(qn("w:r")):
            r_pr = r.find(qn("w:rPr"))
            size = DEFAULT_SIZE_PT
            bold = False
            if r_pr is not None:
                sz = r_pr.find(qn("w:sz"))
                if sz is not None:
                    size = int(sz.get(qn("w:val"))) / 2
                b = r_pr.find(qn("w:b"))
                bold = b is not None and b.get(qn("w:val"), "1") not in ("0", "false")
            for child in r:
                if child.tag == qn("w:t"):
                    line.append((child.text or "", size, bold))
                elif child.tag == qn("w:br"):
                    yield line
                    line = []
        yield line


def overflowing_labels(doc: DocumentObject) -> list[str]:
    """Every label line wider than its cell, as "label (needs x cm, has y cm)"."""
    problems: list[str] = []
    for tbl in doc.element.body.iter(qn("w:tbl")):
        grid = [int(c.get(qn("w:w"))) for c in tbl.find(qn("w:tblGrid")).iter(qn("w:gridCol"))]
        margin = 0
        mar = tbl.find(qn("w:tblPr") + "/" + qn("w:tblCellMar"))
        if mar is not None:
            for side in ("left", "right"):
                el = mar.find(qn(f"w:{side}"))
                margin += int(el.get(qn("w:w"))) if el is not None else 0
        else:
            margin = 2 * 108  # Word's default 0.19 cm each side
        for tr in tbl.iter(qn("w:tr")):
            col = 0
            for tc in tr.iter(qn("w:tc")):
                if tc.getparent() is not tr:
                    continue
                tc_pr = tc.find(qn("w:tcPr"))
                span_el = None if tc_pr is None else tc_pr.find(qn("w:gridSpan"))
                span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
                width = sum(grid[col : col + span]) - margin
                col += span
                lines = [ln for ln in _lines(tc) if "".join(t for t, _, _ in ln).strip()]
                runs = [run for ln in lines for run in ln if run[0].strip()]
                if not runs or not all(bold for _, _, bold in runs):
                    continue
                if any("{{" in t or "{%" in t for t, _, _ in runs):
                    continue
                for ln in lines:
                    need = sum(_em(ch) * size * TWIPS_PER_PT for text, size, _ in ln for ch in text)
                    if need > width:
                        text = "".join(t for t, _, _ in ln)
                        problems.append(f"{text} (needs {need / 567:.2f} cm, has {width / 567:.2f} cm)")
    return problems
