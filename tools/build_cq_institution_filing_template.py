"""Build ``doc_templates/cq_institution_filing.docx``: the docxtpl template for 8号 附件1.

The official form is 《组织专业技术人员参加高技能人才贯通评价机构报备表》 (渝职鉴发〔2022〕8号, 附件1):
"附件1", the title, "评价机构盖章：", one ruled table (一、基本信息: 评价机构 / 法定代表人 / 联系人;
二、职业（工种）与专业技术职称专业对应, one row per occupation), then 三、人员情况 with two tables:
（一）负责贯通评价工作人员 and （二）评审专家.

Everything is generated with python-docx so every Jinja tag sits in exactly one run; repeat rows
use ``{%tr for %}`` control rows (one cell holding only the tag, dropped by docxtpl).

One row is not on the official form: 统一社会信用代码, right under 评价机构名称 (the spec collects it).

Jinja variables used (nothing else):
    name, uscc, org_type, org_address, legal_name, legal_title, legal_phone, legal_mobile,
    contact_name, contact_title, contact_phone, contact_mobile,
    mappings (rows: occupation, job_type, levels, specialities),
    staff (rows: name, id_number, title, education, duties),
    experts (rows: name, id_number, title, education, speciality, internal)
plus Jinja's own ``loop.index`` for the 序号 column.

Usage::

    python tools/build_cq_institution_filing_template.py [--output doc_templates/cq_institution_filing.docx]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from docx import Document
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

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_institution_filing.docx"

FORM_TITLE = "组织专业技术人员参加高技能人才贯通评价机构报备表"
ATTACHMENT = "附件1"
STAMP_LINE = "评价机构盖章："

# --- typography -------------------------------------------------------------------------
SONGTI = "宋体"
HEITI = "黑体"
LATIN = "Times New Roman"

SIZE_XIAOER = Pt(18)  # 小二: title
SIZE_SANHAO = Pt(16)  # 三号: 附件1
SIZE_SIHAO = Pt(14)  # 四号: part headings
SIZE_XIAOSI = Pt(12)  # 小四: body text
SIZE_WUHAO = Pt(10.5)  # 五号: table text

# --- page geometry (A4 portrait) --------------------------------------------------------
PAGE_WIDTH = Cm(21.0)
PAGE_HEIGHT = Cm(29.7)
MARGIN_TOP = Cm(2.54)
MARGIN_BOTTOM = Cm(2.54)
MARGIN_LEFT = Cm(2.2)
MARGIN_RIGHT = Cm(2.2)
CELL_PADDING_CM = 0.1  # left/right padding inside ruled table cells

# 一、二: a 5-column grid; the mapping rows use one column each (序号, 职业名称, 工种名称, 等级,
# 对应专业技术职称专业范围); the basic-information rows pair label/value cells over it.
BASIC_GRID_CM: tuple[float, ...] = (3.3, 3.3, 2.6, 2.7, 4.7)
# 三（一） 序号, 姓名, 身份证号, 职务/职称, 学历, 工作职责 — 身份证号 wide enough for 18 digits.
STAFF_GRID_CM: tuple[float, ...] = (1.1, 2.0, 4.0, 3.2, 1.6, 4.7)
# 三（二） 序号, 姓名, 身份证号, 职务/职称/技能等级, 学历, 专业方向, 是否本单位人员.
EXPERT_GRID_CM: tuple[float, ...] = (1.1, 1.9, 4.0, 2.9, 1.5, 2.9, 2.3)
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)

PART_ONE = "一、基本信息"
PART_TWO = "二、拟申请贯通评价的专业技术职称专业与技能类职业（工种）对应"
PART_THREE = "三、人员情况"
STAFF_HEADING = "（一）负责贯通评价工作人员情况"
EXPERT_HEADING = "（二）评审专家情况（本单位或外单位符合条件的专家，不少于3人）"
MAPPING_HEADER: tuple[str, ...] = ("序号", "职业名称", "工种名称", "等级", "对应专业技术职称专业范围")
STAFF_HEADER: tuple[str, ...] = ("序号", "姓名", "身份证号", "职务/职称", "学历", "工作职责")
EXPERT_HEADER: tuple[str, ...] = (
    "序号",
    "姓名",
    "身份证号",
    "职务/职称/技能等级",
    "学历",
    "专业方向",
    "是否本单位人员",
)


# --- low-level XML helpers --------------------------------------------------------------
def _twips(cm: float) -> int:
    return round(cm * 567)


def _set_fonts(r_pr_owner: CT_R | CT_Style, east_asia: str, latin: str = LATIN) -> None:
    """Set ascii/hAnsi/eastAsia fonts on a run (``w:r``) or a style (``w:style``)."""
    r_pr = r_pr_owner.get_or_add_rPr()
    r_fonts = r_pr.get_or_add_rFonts()
    r_fonts.set(qn("w:ascii"), latin)
    r_fonts.set(qn("w:hAnsi"), latin)
    r_fonts.set(qn("w:eastAsia"), east_asia)
    r_fonts.set(qn("w:cs"), latin)
    for theme_attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        r_fonts.attrib.pop(qn(theme_attr), None)


def _insert_before(parent: BaseOxmlElement, child: BaseOxmlElement, successors: Sequence[str]) -> None:
    """Insert ``child`` into ``parent`` before the first existing successor (schema order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _element(tag: str, spec: dict[str, str]) -> BaseOxmlElement:
    el = OxmlElement(tag)
    for key, value in spec.items():
        el.set(qn(f"w:{key}"), value)
    return el


def _line(size_eighths: int) -> dict[str, str]:
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
    _set_fonts(run._r, east_asia)
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
        _insert_before(tbl_pr, tbl_w, ("w:jc", "w:tblInd", "w:tblBorders", "w:tblLayout", "w:tblLook"))
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(_twips(cm) for cm in grid_cm)))

    tbl_borders = OxmlElement("w:tblBorders")
    outer = _line(8) if borders else NO_LINE  # 1 pt frame
    inner = _line(4) if borders else NO_LINE  # ½ pt rules
    for side, spec in (
        ("top", outer),
        ("left", outer),
        ("bottom", outer),
        ("right", outer),
        ("insideH", inner),
        ("insideV", inner),
    ):
        tbl_borders.append(_element(f"w:{side}", spec))
    _insert_before(tbl_pr, tbl_borders, ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"))
    if borders:
        cell_mar = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            cell_mar.append(_element(f"w:{side}", {"w": str(_twips(CELL_PADDING_CM)), "type": "dxa"}))
        _insert_before(tbl_pr, cell_mar, ("w:tblLook",))

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
            _insert_before(tr_pr, OxmlElement("w:cantSplit"), ("w:trHeight", "w:tblHeader", "w:jc"))


def set_cell_margins(cell: _Cell, left_cm: float, right_cm: float) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_mar = OxmlElement("w:tcMar")
    for side, cm in (("left", left_cm), ("right", right_cm)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(_twips(cm)))
        el.set(qn("w:type"), "dxa")
        tc_mar.append(el)
    _insert_before(tc_pr, tc_mar, ("w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"))


def set_cell_bottom_border(cell: _Cell) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_borders = OxmlElement("w:tcBorders")
    tc_borders.append(_element("w:bottom", _line(6)))
    _insert_before(
        tc_pr,
        tc_borders,
        ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark"),
    )


@dataclass(frozen=True)
class Cell:
    """One logical cell of a row: grid columns ``first..last`` (inclusive)."""

    first: int
    last: int
    text: str = ""
    kind: str = "value"  # "label" (bold) | "value" | "tag" ({%tr %} control row)
    align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER


def fill_row(table: Table, row_idx: int, cells: Sequence[Cell]) -> list[_Cell]:
    """Merge the grid columns of each logical cell and write its text as a single run."""
    out: list[_Cell] = []
    for spec in cells:
        cell = table.cell(row_idx, spec.first)
        if spec.last > spec.first:
            cell = cell.merge(table.cell(row_idx, spec.last))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = format_paragraph(cell.paragraphs[0], align=spec.align)
        if spec.text:
            add_run(paragraph, spec.text, bold=spec.kind == "label")
        out.append(cell)
    return out


def label(first: int, last: int, text: str) -> Cell:
    return Cell(first, last, text, "label")


def value(first: int, last: int, text: str, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER) -> Cell:
    return Cell(first, last, text, "value", align)


def control_row(table: Table, row_idx: int, tag: str, n_cols: int) -> None:
    """A ``{%tr ... %}`` row: one full-width cell holding only the tag (docxtpl drops the row)."""
    fill_row(table, row_idx, [Cell(0, n_cols - 1, tag, "tag", WD_ALIGN_PARAGRAPH.LEFT)])


# --- document setup ---------------------------------------------------------------------
def setup_document(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.top_margin = MARGIN_TOP
    section.bottom_margin = MARGIN_BOTTOM
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(1.5)

    # Document defaults: CJK font + zh-CN language so Word/LibreOffice pick a Chinese font.
    styles_el = doc.styles.element
    doc_defaults = styles_el.find(qn("w:docDefaults"))
    if doc_defaults is not None:
        r_pr_default = doc_defaults.find(qn("w:rPrDefault"))
        if r_pr_default is not None:
            r_pr = r_pr_default.find(qn("w:rPr"))
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
    _set_fonts(normal.element, SONGTI)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE

    # python-docx's default package ships a thumbnail of its blank page; drop it.
    package_rels = doc.part.package.rels
    for r_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[r_id]

    doc.core_properties.title = FORM_TITLE
    doc.core_properties.subject = "附件1"
    doc.core_properties.author = "shenbao"
    doc.core_properties.comments = (
        "docxtpl template generated by tools/build_cq_institution_filing_template.py"
    )


def add_page_number_footer(doc: DocumentObject) -> None:
    """ "— N —" centred in the footer of every page."""
    section = doc.sections[0]
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = format_paragraph(footer.paragraphs[0])
    add_run(paragraph, "— ", size=Pt(14))

    def fld_char(kind: str) -> Run:
        run = add_run(paragraph, "", size=Pt(14))
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
        return run

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


# --- page builders ----------------------------------------------------------------------
def heading_row(table: Table, row_idx: int, text: str, n_cols: int) -> None:
    """A full-width, left-aligned bold row: 一、基本信息, （一）评价机构信息, ..."""
    fill_row(table, row_idx, [Cell(0, n_cols - 1, text, "label", WD_ALIGN_PARAGRAPH.LEFT)])


def build_heading(doc: DocumentObject) -> None:
    attachment = format_paragraph(
        doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT
    )
    add_run(attachment, ATTACHMENT, size=SIZE_SANHAO, east_asia=HEITI)
    title = format_paragraph(doc.add_paragraph(), before=Pt(12), after=Pt(18), line_spacing=1.25)
    add_run(title, FORM_TITLE, size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    stamp = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, after=Pt(6))
    add_run(stamp, STAMP_LINE, size=SIZE_XIAOSI)


def _pair_rows(first: tuple[str, str], second: tuple[str, str]) -> list[Cell]:
    """姓名 | value | 职务 | value (the last value spans the two right-hand grid columns)."""
    return [
        label(0, 0, first[0]),
        value(1, 1, first[1]),
        label(2, 2, second[0]),
        value(3, 4, second[1]),
    ]


def build_basic_table(doc: DocumentObject) -> None:
    n_cols = len(BASIC_GRID_CM)
    last = n_cols - 1
    left = WD_ALIGN_PARAGRAPH.LEFT
    layout: list[tuple[str, str | list[Cell]]] = [
        ("heading", PART_ONE),
        ("heading", "（一）评价机构信息"),
        ("fixed", [label(0, 0, "评价机构名称"), value(1, last, "{{ name }}", left)]),
        ("fixed", [label(0, 0, "统一社会信用代码"), value(1, last, "{{ uscc }}", left)]),
        ("fixed", [label(0, 0, "评价机构类型"), value(1, last, "{{ org_type }}", left)]),
        ("fixed", [label(0, 0, "办公地址"), value(1, last, "{{ org_address }}", left)]),
        ("heading", "（二）法定代表人信息"),
        ("fixed", _pair_rows(("姓名", "{{ legal_name }}"), ("职务", "{{ legal_title }}"))),
        ("fixed", _pair_rows(("座机", "{{ legal_phone }}"), ("手机", "{{ legal_mobile }}"))),
        ("heading", "（三）联系人信息"),
        ("fixed", _pair_rows(("姓名", "{{ contact_name }}"), ("职务", "{{ contact_title }}"))),
        ("fixed", _pair_rows(("座机", "{{ contact_phone }}"), ("手机", "{{ contact_mobile }}"))),
        ("heading", PART_TWO),
        ("header", [label(i, i, text) for i, text in enumerate(MAPPING_HEADER)]),
        ("tag", "{%tr for m in mappings %}"),
        (
            "loop",
            [
                value(0, 0, "{{ loop.index }}"),
                value(1, 1, "{{ m.occupation }}"),
                value(2, 2, "{{ m.job_type }}"),
                value(3, 3, "{{ m.levels }}"),
                value(4, 4, "{{ m.specialities }}", left),
            ],
        ),
        ("tag", "{%tr endfor %}"),
    ]
    _fill_table(new_table(doc, len(layout), BASIC_GRID_CM), layout, n_cols)


def _fill_table(table: Table, layout: Sequence[tuple[str, str | list[Cell]]], n_cols: int) -> None:
    for idx, (kind, spec) in enumerate(layout):
        row = table.rows[idx]
        if kind == "tag":
            assert isinstance(spec, str)
            control_row(table, idx, spec, n_cols)
            continue
        if kind == "heading":
            assert isinstance(spec, str)
            heading_row(table, idx, spec, n_cols)
        else:
            assert isinstance(spec, list)
            fill_row(table, idx, spec)
        set_row_height(row, FIELD_ROW_HEIGHT if kind in ("fixed", "heading", "header") else LIST_ROW_HEIGHT)


def _list_table(
    doc: DocumentObject, grid_cm: Sequence[float], header: Sequence[str], loop: str, cells: Sequence[str]
) -> None:
    """Header row, then ``{%tr for ... %}`` / one row of values / ``{%tr endfor %}``."""
    n_cols = len(grid_cm)
    layout: list[tuple[str, str | list[Cell]]] = [
        ("header", [label(i, i, text) for i, text in enumerate(header)]),
        ("tag", loop),
        ("loop", [value(0, 0, "{{ loop.index }}")] + [value(i, i, tag) for i, tag in enumerate(cells, 1)]),
        ("tag", "{%tr endfor %}"),
    ]
    table = new_table(doc, len(layout), grid_cm)
    _fill_table(table, layout, n_cols)
    set_header_repeat(table.rows[0])


def set_header_repeat(row: _Row) -> None:
    """The column header repeats at the top of each page when a long list breaks across pages."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def build_people(doc: DocumentObject) -> None:
    part = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, before=Pt(18), after=Pt(6))
    add_run(part, PART_THREE, size=SIZE_SIHAO, east_asia=HEITI)

    staff = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, after=Pt(6))
    add_run(staff, STAFF_HEADING, size=SIZE_XIAOSI, bold=True)
    _list_table(
        doc,
        STAFF_GRID_CM,
        STAFF_HEADER,
        "{%tr for s in staff %}",
        ("{{ s.name }}", "{{ s.id_number }}", "{{ s.title }}", "{{ s.education }}", "{{ s.duties }}"),
    )

    experts = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, before=Pt(18), after=Pt(6))
    add_run(experts, EXPERT_HEADING, size=SIZE_XIAOSI, bold=True)
    _list_table(
        doc,
        EXPERT_GRID_CM,
        EXPERT_HEADER,
        "{%tr for e in experts %}",
        (
            "{{ e.name }}",
            "{{ e.id_number }}",
            "{{ e.title }}",
            "{{ e.education }}",
            "{{ e.speciality }}",
            "{{ e.internal }}",
        ),
    )


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    doc = Document()
    setup_document(doc)
    build_heading(doc)
    build_basic_table(doc)
    build_people(doc)
    add_page_number_footer(doc)
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    return output


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the .docx")
    args = parser.parse_args(argv)
    path = build(args.output)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
