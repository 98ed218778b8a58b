"""Build ``doc_templates/cq_pro_to_skill.docx``: the docxtpl template for 附件2.

The official form is 《重庆市专业技术人员参加高技能人才评价申报表》 (渝职鉴发〔2022〕8号, 附件2):
a cover page, the seven-point 填表说明, the 申报人员基本情况表 grid and the
直接认定 / 工作业绩 / 本人承诺 / 推荐意见 / 评价机构意见 boxes.

Everything is generated with python-docx so every Jinja tag sits in exactly one run
(Word would otherwise split ``{{ name }}`` over several runs when the file is edited).

Jinja variables used (nothing else):
    institution, employer, name, occupation, apply_level, gender, birth_month, photo,
    ethnicity, native_place, political_status, work_start, seniority, title_name,
    title_level_years, contact, employer_address, postcode, id_type, id_number,
    education (rows: degree, graduated, school, major, cert_no),
    work_history (rows: start, end, employer, position),
    direct_awards_text, achievements

``photo`` is either a ``docxtpl.InlineImage`` or the text "（照片）"; it lives in the last
cell of the first row of the 申报人员基本情况表 (merged vertically over the first three rows).

Usage::

    python tools/build_cq_pro_to_skill_template.py [--output doc_templates/cq_pro_to_skill.docx]
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
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_pro_to_skill.docx"

FORM_TITLE = "重庆市专业技术人员参加高技能人才评价申报表"
# The cover sets the title on two lines (a single 一号 line does not fit the text width).
FORM_TITLE_LINES: tuple[str, str] = ("重庆市专业技术人员参加", "高技能人才评价申报表")

# --- typography -------------------------------------------------------------------------
SONGTI = "宋体"
HEITI = "黑体"
LATIN = "Times New Roman"

SIZE_YIHAO = Pt(26)  # 一号
SIZE_XIAOER = Pt(18)  # 小二
SIZE_SANHAO = Pt(16)  # 三号
SIZE_XIAOSI = Pt(12)  # 小四: body text
SIZE_WUHAO = Pt(10.5)  # 五号: table text

# --- page geometry (A4 portrait) --------------------------------------------------------
PAGE_WIDTH = Cm(21.0)
PAGE_HEIGHT = Cm(29.7)
MARGIN_TOP = Cm(2.54)
MARGIN_BOTTOM = Cm(2.54)
MARGIN_LEFT = Cm(2.2)
MARGIN_RIGHT = Cm(2.2)
TEXT_WIDTH_CM = 16.6  # 21.0 - 2.2 - 2.2
CELL_PADDING_CM = 0.1  # left/right padding inside ruled table cells

# 申报人员基本情况表: a 7-column grid (cm); the last column is the 照片 column (二寸照 3.5 cm wide
# plus a hair of padding). Widths are chosen so 五号 values such as "1985年06月" or an 18-digit
# certificate number stay on one line.
BASIC_GRID_CM: tuple[float, ...] = (2.3, 2.4, 1.3, 2.6, 1.9, 2.5, 3.6)
PHOTO_ROW_HEIGHT = Cm(1.5)  # three rows -> a ~4.5 cm high photo box
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)

# 直接认定 / 业绩 / 承诺 / 意见 boxes: label column wraps at four CJK characters like the original.
BOX_GRID_CM: tuple[float, ...] = (2.0, 14.6)

# Cover: label column (right aligned) + underlined value column.
COVER_GRID_CM: tuple[float, ...] = (5.6, 8.0)

INSTRUCTIONS: tuple[str, ...] = (
    "一、贯通评价实行诚信报考制度，申请人签订诚信承诺，诚信承诺须由申请人本人亲笔签名。",
    "二、填写此表可另加附页，照片用近期二寸免冠彩色照片。",
    "三、“从事现专业技术职称等级/年限”应填写目前从事专业技术职称等级，年限为截止目前连续累计工作年限。"
    "“证件类型”、“发证机关”以证书为准。",
    "四、“是否具有符合直接认定条件或成果”，由申报人员依文件规定逐条梳理并填写，如无则填“无”。",
    "五、“主要工作业绩”栏，主要填写申报人员本人获奖情况、工作实绩、生产贡献等。",
    "六、专业技术证书复印件、身份证复印件，符合直接认定条件相关材料复印件，获奖情况、工作实绩、"
    "生产贡献等相应资料复印件附后，复印材料应清晰、完整，内容不得涂改。",
    "七、本表一式两份，一份存入本人档案，一份由评价机构留存。",
)

PLEDGE_TEXT = "本人承诺申报表中所提供信息真实可靠，若有失实和造假行为，本人愿承担一切责任。"
PLEDGE_SIGNATURE = "申报人签字：          年    月    日"
STAMP_LINES: tuple[str, ...] = ("单位（盖章）", "年    月    日")
DATE_LINE = "年    月    日"
FOOTNOTE = "注：相关材料复印件附后。"


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
    doc.core_properties.subject = "附件2"
    doc.core_properties.author = "shenbao"
    doc.core_properties.comments = "docxtpl template generated by tools/build_cq_pro_to_skill_template.py"


def add_page_number_footer(doc: DocumentObject) -> None:
    """ "— N —" centred in the footer; the cover page (different first page) has none."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    first = section.first_page_footer
    first.is_linked_to_previous = False
    format_paragraph(first.paragraphs[0])

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
def build_cover(doc: DocumentObject) -> None:
    title = format_paragraph(
        doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(),
        before=Cm(3.5),
        after=Cm(3.0),
        line_spacing=1.5,
    )
    first_line, second_line = FORM_TITLE_LINES
    title_run = add_run(title, first_line, size=SIZE_YIHAO, bold=True, east_asia=HEITI)
    title_run.add_break()
    title_run.add_text(second_line)

    lines = (
        ("单位：", "{{ employer }}"),
        ("姓名：", "{{ name }}"),
        ("申报职业（工种）：", "{{ occupation }}"),
        ("申报等级：", "{{ apply_level }}"),
    )
    table = new_table(doc, len(lines), COVER_GRID_CM, borders=False)
    for idx, (caption, tag) in enumerate(lines):
        row = table.rows[idx]
        set_row_height(row, Cm(1.3))
        caption_cell, value_cell = row.cells
        for cell in (caption_cell, value_cell):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        add_run(
            format_paragraph(caption_cell.paragraphs[0], align=WD_ALIGN_PARAGRAPH.RIGHT),
            caption,
            size=SIZE_SANHAO,
            bold=True,
        )
        set_cell_bottom_border(value_cell)  # the "______" of the original
        add_run(format_paragraph(value_cell.paragraphs[0]), tag, size=SIZE_SANHAO)

    institution = format_paragraph(doc.add_paragraph(), before=Cm(6.0), after=Pt(12))
    add_run(institution, "{{ institution }}", size=SIZE_SANHAO, bold=True)
    add_run(format_paragraph(doc.add_paragraph()), DATE_LINE, size=SIZE_SANHAO)


def build_instructions(doc: DocumentObject) -> None:
    heading = format_paragraph(doc.add_paragraph(), after=Pt(18), page_break_before=True)
    add_run(heading, "填表说明", size=SIZE_SANHAO, bold=True, east_asia=HEITI)
    for item in INSTRUCTIONS:
        paragraph = format_paragraph(
            doc.add_paragraph(),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            line_spacing=1.5,
            first_line_indent=Pt(24),  # two characters of 小四
            after=Pt(6),
        )
        add_run(paragraph, item, size=SIZE_XIAOSI)


def build_basic_info(doc: DocumentObject) -> None:
    heading = format_paragraph(doc.add_paragraph(), after=Pt(12), page_break_before=True)
    add_run(heading, "申报人员基本情况表", size=SIZE_XIAOER, bold=True, east_asia=HEITI)

    n_cols = len(BASIC_GRID_CM)
    last = n_cols - 1
    left = WD_ALIGN_PARAGRAPH.LEFT
    fixed_rows: list[list[Cell]] = [
        [
            label(0, 0, "姓名"),
            value(1, 1, "{{ name }}"),
            label(2, 2, "性别"),
            value(3, 3, "{{ gender }}"),
            label(4, 4, "出生年月"),
            value(5, 5, "{{ birth_month }}"),
            value(6, 6, "{{ photo }}"),
        ],
        [
            label(0, 0, "民族"),
            value(1, 1, "{{ ethnicity }}"),
            label(2, 2, "籍贯"),
            value(3, 3, "{{ native_place }}"),
            label(4, 4, "政治面貌"),
            value(5, 5, "{{ political_status }}"),
            value(6, 6, ""),
        ],
        [
            label(0, 1, "参加工作时间"),
            value(2, 3, "{{ work_start }}"),
            label(4, 4, "工龄"),
            value(5, 5, "{{ seniority }}"),
            value(6, 6, ""),
        ],
        [
            label(0, 1, "从事现专业技术职称名称"),
            value(2, 3, "{{ title_name }}"),
            label(4, 5, "从事现专业技术职称等级/年限"),
            value(6, 6, "{{ title_level_years }}"),
        ],
        [
            label(0, 1, "申报职业（工种）"),
            value(2, 3, "{{ occupation }}"),
            label(4, 5, "申报等级"),
            value(6, 6, "{{ apply_level }}"),
        ],
        [
            label(0, 0, "所在单位"),
            value(1, 3, "{{ employer }}", left),
            label(4, 5, "联系人及电话"),
            value(6, 6, "{{ contact }}"),
        ],
        [
            label(0, 0, "单位地址"),
            value(1, 3, "{{ employer_address }}", left),
            label(4, 5, "邮编"),
            value(6, 6, "{{ postcode }}"),
        ],
        [
            label(0, 0, "证件类型"),
            value(1, 2, "{{ id_type }}"),
            label(3, 3, "证件号码"),
            value(4, 6, "{{ id_number }}"),
        ],
    ]
    education_header = [
        label(0, 0, "学历"),
        label(1, 1, "毕业时间"),
        label(2, 3, "毕业院校"),
        label(4, 5, "所学专业"),
        label(6, 6, "证书编号"),
    ]
    education_row = [
        value(0, 0, "{{ r.degree }}"),
        value(1, 1, "{{ r.graduated }}"),
        value(2, 3, "{{ r.school }}"),
        value(4, 5, "{{ r.major }}"),
        value(6, 6, "{{ r.cert_no }}"),
    ]
    work_heading = [label(0, last, "工作经历")]
    work_header = [label(0, 1, "起止时间"), label(2, 5, "工作单位"), label(6, 6, "职务（岗位）")]
    work_row = [
        value(0, 1, "{{ w.start }}—{{ w.end }}"),
        value(2, 5, "{{ w.employer }}", left),
        value(6, 6, "{{ w.position }}"),
    ]

    layout: list[tuple[str, str | list[Cell]]] = [("fixed", row) for row in fixed_rows]
    layout += [
        ("header", education_header),
        ("tag", "{%tr for r in education %}"),
        ("loop", education_row),
        ("tag", "{%tr endfor %}"),
        ("header", work_heading),
        ("header", work_header),
        ("tag", "{%tr for w in work_history %}"),
        ("loop", work_row),
        ("tag", "{%tr endfor %}"),
    ]

    table = new_table(doc, len(layout), BASIC_GRID_CM)
    for idx, (kind, spec) in enumerate(layout):
        row = table.rows[idx]
        if kind == "tag":
            assert isinstance(spec, str)
            control_row(table, idx, spec, n_cols)
            continue
        assert isinstance(spec, list)
        fill_row(table, idx, spec)
        if idx < 3:
            set_row_height(row, PHOTO_ROW_HEIGHT)
        elif kind == "fixed":
            set_row_height(row, FIELD_ROW_HEIGHT)
        else:
            set_row_height(row, LIST_ROW_HEIGHT)

    # 照片: one box over the first three rows, ~3.5 cm x 4.5 cm (近期二寸免冠彩色照片).
    photo = table.cell(0, last).merge(table.cell(2, last))
    photo.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    set_cell_margins(photo, 0.05, 0.05)
    # merge() keeps the empty paragraphs of the absorbed cells; the photo cell needs exactly one.
    for extra in photo.paragraphs[1:]:
        if not extra.text:
            extra._p.getparent().remove(extra._p)


def build_boxes(doc: DocumentObject) -> None:
    # A table must be separated from the previous one by a paragraph: a 1 pt high empty one that
    # starts the boxes on a new page (like the separate sheet of the original).
    spacer = format_paragraph(doc.add_paragraph(), page_break_before=True)
    mark = OxmlElement("w:rPr")
    mark.append(_element("w:sz", {"val": "2"}))
    spacer._p.get_or_add_pPr().append(mark)

    table = new_table(doc, 5, BOX_GRID_CM)
    left = WD_ALIGN_PARAGRAPH.LEFT
    right = WD_ALIGN_PARAGRAPH.RIGHT

    def box(idx: int, caption: str, height_cm: float) -> _Cell:
        row = table.rows[idx]
        set_row_height(row, Cm(height_cm), cant_split=height_cm < 8)
        label_cell, content = fill_row(table, idx, [label(0, 0, caption), value(1, 1, "", left)])
        label_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        return content

    awards = box(0, "是否具有符合直接认定条件或成果", 3.0)
    awards.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(format_paragraph(awards.paragraphs[0], align=left, before=Pt(4)), "{{ direct_awards_text }}")

    achievements = box(1, "主要工作成绩及业绩贡献", 8.0)
    achievements.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(
        format_paragraph(achievements.paragraphs[0], align=left, before=Pt(4), line_spacing=1.25),
        "{{ achievements }}",
    )

    pledge = box(2, "本人承诺", 3.2)
    pledge.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(
        format_paragraph(
            pledge.paragraphs[0],
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            before=Pt(8),
            after=Pt(12),
            first_line_indent=Pt(21),
            line_spacing=1.5,
        ),
        PLEDGE_TEXT,
    )
    add_run(format_paragraph(pledge.add_paragraph(), align=right, after=Pt(6)), PLEDGE_SIGNATURE)

    for idx, caption in ((3, "申报单位推荐意见"), (4, "评价机构意见")):
        opinion = box(idx, caption, 4.0)
        opinion.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        stamp, date = STAMP_LINES
        add_run(format_paragraph(opinion.paragraphs[0], align=right, after=Pt(6)), stamp + "    ")
        add_run(format_paragraph(opinion.add_paragraph(), align=right, after=Pt(6)), date)

    note = format_paragraph(doc.add_paragraph(), align=left, before=Pt(6))
    add_run(note, FOOTNOTE, size=SIZE_XIAOSI)


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    doc = Document()
    setup_document(doc)
    build_cover(doc)
    build_instructions(doc)
    build_basic_info(doc)
    build_boxes(doc)
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
