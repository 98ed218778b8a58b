"""Shared python-docx helpers of the Word template builders (``tools/build_*_template.py``).

Each builder lays out its own form; what they all need lives here: A4 page setup with CJK fonts,
one-run writers (a Jinja tag is always passed whole to one :func:`add_run`, so Word never splits it),
fixed-layout ruled tables, merged cells, ``{%tr %}`` control rows, the "— N —" page-number footer and
the command line entry.

Builders import it after putting ``tools/`` on ``sys.path`` (they are run as scripts and loaded by
file path in the tests)::

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from docx_kit import add_run, ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.styles import CT_Style
from docx.oxml.text.run import CT_R
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

# --- typography -------------------------------------------------------------------------
SONGTI = "宋体"
HEITI = "黑体"
FANGSONG = "仿宋_GB2312"
LATIN = "Times New Roman"

SIZE_YIHAO = Pt(26)  # 一号
SIZE_XIAOER = Pt(18)  # 小二: titles
SIZE_SANHAO = Pt(16)  # 三号
SIZE_SIHAO = Pt(14)  # 四号
SIZE_XIAOSI = Pt(12)  # 小四: body text
SIZE_WUHAO = Pt(10.5)  # 五号: table text
SIZE_XIAOWU = Pt(9)  # 小五

# --- page geometry (A4 portrait) --------------------------------------------------------
PAGE_WIDTH = Cm(21.0)
PAGE_HEIGHT = Cm(29.7)
MARGIN_TOP = Cm(2.54)
MARGIN_BOTTOM = Cm(2.54)
MARGIN_LEFT = Cm(2.2)
MARGIN_RIGHT = Cm(2.2)
TEXT_WIDTH_CM = 16.6  # 21.0 - 2.2 - 2.2
CELL_PADDING_CM = 0.1  # left/right padding inside ruled table cells
HEADER_FOOTER_DISTANCE = Cm(1.5)

LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
CENTER = WD_ALIGN_PARAGRAPH.CENTER


# --- low-level XML helpers --------------------------------------------------------------
def twips(cm: float) -> int:
    return round(cm * 567)


def set_fonts(r_pr_owner: CT_R | CT_Style, east_asia: str, latin: str = LATIN) -> None:
    """Set ascii/hAnsi/eastAsia fonts on a run (``w:r``) or a style (``w:style``)."""
    r_pr = r_pr_owner.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    r_fonts.set(qn("w:ascii"), latin)
    r_fonts.set(qn("w:hAnsi"), latin)
    r_fonts.set(qn("w:eastAsia"), east_asia)
    r_fonts.set(qn("w:cs"), latin)
    for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme_attr), None)


def insert_before(parent: BaseOxmlElement, child: BaseOxmlElement, successors: Sequence[str]) -> None:
    """Insert ``child`` into ``parent`` before the first existing successor (schema order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def element(tag: str, spec: dict[str, str]) -> BaseOxmlElement:
    el = OxmlElement(tag)
    for key, val in spec.items():
        el.set(qn(f"w:{key}"), val)
    return el


def line(size_eighths: int) -> dict[str, str]:
    return {"val": "single", "sz": str(size_eighths), "space": "0", "color": "000000"}


NO_LINE: dict[str, str] = {"val": "nil"}


# --- runs and paragraphs ----------------------------------------------------------------
def add_run(
    paragraph: Paragraph,
    text: str,
    *,
    size: Length = SIZE_WUHAO,
    bold: bool = False,
    east_asia: str = SONGTI,
) -> Run:
    """One run = one piece of text; Jinja tags are always passed whole to a single call."""
    run = paragraph.add_run(text)
    run.font.size = size
    run.font.bold = True if bold else None  # inherit rather than force w:b="0"
    set_fonts(run._r, east_asia)
    return run


def format_paragraph(
    paragraph: Paragraph,
    *,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    before: Length | None = None,
    after: Length | None = None,
    line_spacing: float | Length | None = None,
    first_line_indent: Length | None = None,
    page_break_before: bool = False,
    keep_with_next: bool = False,
) -> Paragraph:
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_before = before if before is not None else Pt(0)
    fmt.space_after = after if after is not None else Pt(0)
    if line_spacing is not None:
        fmt.line_spacing = line_spacing
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    if first_line_indent is not None:
        fmt.first_line_indent = first_line_indent
    if page_break_before:
        fmt.page_break_before = True
    if keep_with_next:
        fmt.keep_with_next = True
    return paragraph


def first_paragraph(doc: DocumentObject) -> Paragraph:
    """The blank paragraph a new document starts with (or a new one)."""
    return doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph()


def tiny_spacer(doc: DocumentObject, *, page_break: bool = False) -> Paragraph:
    """A 1 pt paragraph: Word would merge two adjacent tables into one."""
    paragraph = format_paragraph(doc.add_paragraph(), page_break_before=page_break)
    mark = OxmlElement("w:rPr")
    mark.append(element("w:sz", {"val": "2"}))
    paragraph._p.get_or_add_pPr().append(mark)
    return paragraph


# --- tables -----------------------------------------------------------------------------
def new_table(doc: DocumentObject, rows: int, grid_cm: Sequence[float], *, borders: bool = True) -> Table:
    """A centred, fixed-layout table with explicit column widths and (optionally) a ruled grid."""
    table: Table = doc.add_table(rows=rows, cols=len(grid_cm))
    table.style = None
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # -> <w:tblLayout w:type="fixed"/>
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        insert_before(tbl_pr, tbl_w, ("w:jc", "w:tblInd", "w:tblBorders", "w:tblLayout", "w:tblLook"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(twips(cm) for cm in grid_cm)))

    tbl_borders = OxmlElement("w:tblBorders")
    outer = line(8) if borders else NO_LINE  # 1 pt frame
    inner = line(4) if borders else NO_LINE  # ½ pt rules
    for side, spec in (
        ("top", outer),
        ("left", outer),
        ("bottom", outer),
        ("right", outer),
        ("insideH", inner),
        ("insideV", inner),
    ):
        tbl_borders.append(element(f"w:{side}", spec))
    insert_before(tbl_pr, tbl_borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))
    if borders:
        cell_mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            cell_mar.append(element(f"w:{side}", {"w": str(twips(CELL_PADDING_CM)), "type": "dxa"}))
        insert_before(tbl_pr, cell_mar, ("w:tblLook",))

    for idx, cm in enumerate(grid_cm):
        table.columns[idx].width = Cm(cm)
        for cell in table.columns[idx].cells:
            cell.width = Cm(cm)
    return table


def set_row_height(row: _Row, height: Length, *, cant_split: bool = True) -> None:
    row.height = height
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    if cant_split:
        tr_pr = row._tr.get_or_add_trPr()
        if tr_pr.find(qn("w:cantSplit")) is None:
            insert_before(tr_pr, OxmlElement("w:cantSplit"), ("w:trHeight", "w:tblHeader", "w:jc"))


def repeat_header(row: _Row) -> None:
    """Mark ``row`` as a header row: Word and LibreOffice repeat it at the top of every page the table
    continues on. Only a table's leading rows can repeat; mark each of them."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:tblHeader")) is None:
        insert_before(
            tr_pr, OxmlElement("w:tblHeader"), ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del")
        )


def keep_rows_together(table: Table, first: int, last: int) -> None:
    """Keep rows ``first..last`` on one page: each row is unsplittable and every paragraph of all but the
    last row keeps with the next, so a label and its content (or a block of rows) never part at a break."""
    for idx in range(first, last + 1):
        row = table.rows[idx]
        tr_pr = row._tr.get_or_add_trPr()
        if tr_pr.find(qn("w:cantSplit")) is None:
            insert_before(tr_pr, OxmlElement("w:cantSplit"), ("w:trHeight", "w:tblHeader", "w:jc"))
        if idx == last:
            continue
        for tc in row._tr.tc_lst:  # every cell of the row, the covered parts of merged cells too
            for paragraph in _Cell(tc, table).paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def joint(doc: DocumentObject) -> None:
    """The paragraph two tables need between them (Word would merge them), exactly 1 pt high."""
    paragraph = tiny_spacer(doc)
    paragraph.paragraph_format.line_spacing = Pt(1)
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def join(upper: Table, lower: Table) -> None:
    """``upper``'s bottom rule and ``lower``'s top rule are ½ pt (an inner rule): 1 pt apart, they print as
    one rule of one grid, and a table that ends a page (or starts one) still has its rule there."""
    for table, side in ((upper, "w:bottom"), (lower, "w:top")):
        table._tbl.tblPr.find(qn("w:tblBorders")).find(qn(side)).set(qn("w:sz"), "4")


def set_cell_margins(cell: _Cell, left_cm: float, right_cm: float) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_mar = OxmlElement("w:tcMar")
    for side, cm in (("left", left_cm), ("right", right_cm)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(twips(cm)))
        el.set(qn("w:type"), "dxa")
        tc_mar.append(el)
    insert_before(tc_pr, tc_mar, ("w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"))


def set_cell_bottom_border(cell: _Cell) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_borders = OxmlElement("w:tcBorders")
    tc_borders.append(element("w:bottom", line(6)))
    insert_before(
        tc_pr,
        tc_borders,
        ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"),
    )


def drop_empty_paragraphs(cell: _Cell) -> _Cell:
    """``merge()`` keeps the empty paragraphs of the absorbed cells; a merged cell needs one."""
    for extra in cell.paragraphs[1:]:
        if not extra.text:
            extra._p.getparent().remove(extra._p)
    return cell


def merge(table: Table, first: tuple[int, int], last: tuple[int, int]) -> _Cell:
    """Merge the cells from ``first`` to ``last`` ((row, column) each), keeping one paragraph."""
    return drop_empty_paragraphs(table.cell(*first).merge(table.cell(*last)))


def photo_box(table: Table, column: int, last_row: int = 2) -> _Cell:
    """照片: one box over rows ``0..last_row`` of ``column`` (~3.5 cm x 4.5 cm 二寸照)."""
    photo = table.cell(0, column).merge(table.cell(last_row, column))
    photo.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    set_cell_margins(photo, 0.05, 0.05)
    return drop_empty_paragraphs(photo)


@dataclass(frozen=True)
class Cell:
    """One logical cell of a row: grid columns ``first..last`` (inclusive)."""

    first: int
    last: int
    text: str = ""
    bold: bool = False  # labels
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER
    top: bool = False  # long text: start at the top of a tall cell


def label(first: int, last: int, text: str, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> Cell:
    return Cell(first, last, text, bold=True, align=align)


def value(first: int, last: int, text: str, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> Cell:
    return Cell(first, last, text, align=align)


def fill_row(
    table: Table,
    row_idx: int,
    cells: Sequence[Cell],
    *,
    size: Length = SIZE_WUHAO,
    keep_with_next: bool = False,
) -> list[_Cell]:
    """Merge the grid columns of each logical cell and write its text as a single run."""
    out: list[_Cell] = []
    for spec in cells:
        cell = table.cell(row_idx, spec.first)
        if spec.last > spec.first:
            cell = cell.merge(table.cell(row_idx, spec.last))
        cell.vertical_alignment = (
            WD_CELL_VERTICAL_ALIGNMENT.TOP if spec.top else WD_CELL_VERTICAL_ALIGNMENT.CENTER
        )
        paragraph = format_paragraph(
            cell.paragraphs[0],
            align=spec.align,
            before=Pt(3) if spec.top else None,
            line_spacing=1.25 if spec.top else None,
            keep_with_next=keep_with_next,
        )
        if spec.text:
            add_run(paragraph, spec.text, size=size, bold=spec.bold)
        out.append(cell)
    return out


def control_row(table: Table, row_idx: int, tag: str, n_cols: int) -> None:
    """A ``{%tr ... %}`` row: one full-width cell holding only the tag (docxtpl drops the row)."""
    fill_row(table, row_idx, [value(0, n_cols - 1, tag, WD_ALIGN_PARAGRAPH.LEFT)])


# --- document setup ---------------------------------------------------------------------
def setup_document(
    doc: DocumentObject,
    *,
    title: str,
    subject: str,
    builder: str,
    margin_top: Length = MARGIN_TOP,
    margin_bottom: Length = MARGIN_BOTTOM,
    header_footer_distance: Length | None = HEADER_FOOTER_DISTANCE,
) -> None:
    """A4 portrait, 宋体/Times New Roman 小四 defaults (zh-CN), no thumbnail, core properties.

    ``builder`` is the builder's file name, recorded in the document's comments.
    """
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.top_margin = margin_top
    section.bottom_margin = margin_bottom
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    if header_footer_distance is not None:
        section.header_distance = header_footer_distance
        section.footer_distance = header_footer_distance

    # Document defaults: CJK font + zh-CN language so Word/LibreOffice pick a Chinese font.
    doc_defaults = doc.styles.element.find(qn("w:docDefaults"))
    r_pr = None if doc_defaults is None else doc_defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    if r_pr is not None:
        r_fonts = r_pr.find(qn("w:rFonts"))
        if r_fonts is None:
            r_fonts = OxmlElement("w:rFonts")
            r_pr.insert(0, r_fonts)
        for attr in list(r_fonts.attrib):
            del r_fonts.attrib[attr]
        for attr, font in (("ascii", LATIN), ("hAnsi", LATIN), ("eastAsia", SONGTI), ("cs", LATIN)):
            r_fonts.set(qn(f"w:{attr}"), font)
        lang = r_pr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            r_pr.append(lang)
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")

    normal = doc.styles["Normal"]
    normal.font.size = SIZE_XIAOSI
    set_fonts(normal.element, SONGTI)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    # python-docx's default package ships a thumbnail of its blank page; drop it.
    package_rels = doc.part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[r_id]

    doc.core_properties.title = title
    doc.core_properties.subject = subject
    doc.core_properties.author = "shenbao"
    doc.core_properties.comments = f"docxtpl template generated by tools/{builder}"


def add_page_number_footer(doc: DocumentObject, *, blank_first_page: bool = False) -> None:
    """ "— N —" centred in the footer; with ``blank_first_page`` the cover page has none."""
    section = doc.sections[0]
    if blank_first_page:
        section.different_first_page_header_footer = True
        first = section.first_page_footer
        first.is_linked_to_previous = False
        format_paragraph(first.paragraphs[0])

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = format_paragraph(footer.paragraphs[0])
    add_run(paragraph, "— ", size=Pt(14))

    def fld_char(kind: str) -> None:
        run = add_run(paragraph, "", size=Pt(14))
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    fld_char("begin")
    instr_run = add_run(paragraph, "", size=Pt(14))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    instr_run._r.append(instr)
    fld_char("separate")
    add_run(paragraph, "1", size=Pt(14))
    fld_char("end")
    add_run(paragraph, " —", size=Pt(14))


def save(doc: DocumentObject, output: Path) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    return output


# --- command line -----------------------------------------------------------------------
def main_for_file(
    doc: str | None, build: Callable[[Path], Path], default: Path, argv: Sequence[str] | None
) -> int:
    """``--output FILE`` for a builder of one template."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--output", type=Path, default=default, help="where to write the .docx")
    args = parser.parse_args(argv)
    print(f"wrote {build(args.output)}")
    return 0


def main_for_dir(
    doc: str | None, build: Callable[[Path], Iterable[Path]], default: Path, argv: Sequence[str] | None
) -> int:
    """``--output-dir DIR`` for a builder of several templates."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--output-dir", type=Path, default=default, help="where to write the .docx files")
    args = parser.parse_args(argv)
    for path in build(args.output_dir):
        print(f"wrote {path}")
    return 0


def long_text_box(cell: _Cell, tag: str) -> None:
    """A box for a long free answer (业绩, 成果): the Jinja tag at the top left, 1.25 lines apart."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(format_paragraph(cell.paragraphs[0], align=LEFT, before=Pt(4), line_spacing=1.25), tag)


def pledge_box(cell: _Cell, text: str, signature: str) -> None:
    """本人承诺: the pledge as a justified, indented paragraph, then the signature and date line on the right."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    paragraph = format_paragraph(
        cell.paragraphs[0],
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        before=Pt(8),
        after=Pt(12),
        first_line_indent=Pt(21),
        line_spacing=1.5,
    )
    add_run(paragraph, text)
    add_run(format_paragraph(cell.add_paragraph(), align=RIGHT, after=Pt(6)), signature)
