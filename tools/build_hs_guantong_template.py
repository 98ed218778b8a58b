"""Build ``doc_templates/hs_guantong_title.docx`` and ``doc_templates/hs_guantong_skill.docx``.

黄人社函〔2020〕77号 (黄石, 工程技术领域贯通) has no official application form attached. These two A4 forms
are OUR layout, designed from what the notice asks for:

* ``hs_guantong_title.docx`` — 高技能人才申报专业技术职务任职资格推荐表 (一(一)): personal data, the
  certificate the title rests on, 申报职称/专业, 水平能力测试, 申报途径, 推荐结果公示, 材料报送, work
  history, 工作业绩成果, 本人承诺 (诚信承诺, 一(一)4(2)), 用人单位推荐意见 (4(3)), 人事代理机构/主管部门
  意见 (3(2)-(4)) and 受理部门初审意见 (4(4)).
* ``hs_guantong_skill.docx`` — 专业技术人才参加职业技能等级评价申报表 (一(二)).

The helpers are copied from ``tools/build_cq_pro_to_skill_template.py`` (typography, tables, one Jinja tag
per run); the page builders are this form's own. Everything is generated with python-docx so every tag
sits in exactly one run.

Usage::

    python tools/build_hs_guantong_template.py [--output-dir doc_templates]
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

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "doc_templates"
TITLE_TEMPLATE = "hs_guantong_title.docx"
SKILL_TEMPLATE = "hs_guantong_skill.docx"

TITLE_FORM = "黄石市工程技术领域高技能人才申报专业技术职务任职资格推荐表"
SKILL_FORM = "黄石市专业技术人才参加职业技能等级评价申报表"
SUBTITLE = "（依据黄人社函〔2020〕77号）"

# Basic grid: 7 columns (cm); the last one is the 照片 column (二寸照 3.5 cm wide plus padding).
BASIC_GRID_CM: tuple[float, ...] = (2.5, 2.3, 1.3, 2.4, 2.0, 2.5, 3.6)
PHOTO_ROW_HEIGHT = Cm(1.5)  # three rows -> a ~4.5 cm high photo box
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)

# Opinion boxes: a narrow label column and the writing space.
BOX_GRID_CM: tuple[float, ...] = (2.5, 14.1)

PLEDGE_TEXT = (
    "本人承诺：所填信息和提交的证书、业绩成果材料真实、准确，如有虚假，愿承担取消申报资格、"
    "撤销评审结果等一切责任。"
)
PLEDGE_SIGNATURE = "申报人签字：          年    月    日"
STAMP_LINES: tuple[str, ...] = ("（盖章）", "年    月    日")
TITLE_EMPLOYER_HINT = "考核情况（职业操守、能力业绩、成果贡献）及推荐结果公示情况："
TITLE_FOOTNOTE = (
    "注：本表为申报系统按黄人社函〔2020〕77号要求设计的信息表，不是官方附件格式；"
    "证书、学历、水平能力测试、公示、养老保险或委托评审函等材料复印件附后。"
)
SKILL_FOOTNOTE = (
    "注：本表为申报系统按黄人社函〔2020〕77号要求设计的信息表，不是官方附件格式；"
    "正式报名通过湖北省职业技能鉴定指导中心官网报名系统办理。"
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
def setup_document(doc: DocumentObject, title: str) -> None:
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

    doc.core_properties.title = title
    doc.core_properties.subject = "黄人社函〔2020〕77号"
    doc.core_properties.author = "shenbao"
    doc.core_properties.comments = "docxtpl template generated by tools/build_hs_guantong_template.py"


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
Layout = list[tuple[str, str | list[Cell]]]
LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT


def build_heading(doc: DocumentObject, title: str) -> None:
    heading = format_paragraph(
        doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(), before=Pt(6), after=Pt(4)
    )
    add_run(heading, title, size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    sub = format_paragraph(doc.add_paragraph(), after=Pt(10))
    add_run(sub, SUBTITLE, size=SIZE_XIAOSI)


def work_history_layout(last: int) -> Layout:
    return [
        ("header", [label(0, last, "工作经历")]),
        ("header", [label(0, 1, "起止时间"), label(2, 5, "工作单位"), label(6, 6, "岗位（职务）")]),
        ("tag", "{%tr for w in work_history %}"),
        (
            "loop",
            [
                value(0, 1, "{{ w.start }}—{{ w.end }}"),
                value(2, 5, "{{ w.employer }}", LEFT),
                value(6, 6, "{{ w.position }}"),
            ],
        ),
        ("tag", "{%tr endfor %}"),
    ]


def personal_rows() -> list[list[Cell]]:
    """The first four rows (shared by both forms); the photo box spans rows 0-2 of the last column."""
    return [
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
            label(0, 0, "身份证号码"),
            value(1, 3, "{{ id_number }}"),
            label(4, 4, "手机号码"),
            value(5, 5, "{{ mobile }}"),
            value(6, 6, ""),
        ],
        [
            label(0, 0, "最高学历"),
            value(1, 3, "{{ education_text }}"),
            label(4, 4, "毕业时间"),
            value(5, 5, "{{ edu_graduated }}"),
            value(6, 6, ""),
        ],
        [
            label(0, 0, "毕业院校"),
            value(1, 3, "{{ edu_school }}", LEFT),
            label(4, 4, "所学专业"),
            value(5, 6, "{{ edu_major }}"),
        ],
    ]


def pair(caption_a: str, tag_a: str, caption_b: str, tag_b: str) -> list[Cell]:
    return [label(0, 0, caption_a), value(1, 3, tag_a, LEFT), label(4, 4, caption_b), value(5, 6, tag_b)]


def wide(caption: str, tag: str) -> list[Cell]:
    return [label(0, 0, caption), value(1, 6, tag, LEFT)]


def build_grid(doc: DocumentObject, rows: list[list[Cell]]) -> None:
    n_cols = len(BASIC_GRID_CM)
    layout: Layout = [("fixed", row) for row in rows] + work_history_layout(n_cols - 1)
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
    photo = table.cell(0, n_cols - 1).merge(table.cell(2, n_cols - 1))
    photo.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    set_cell_margins(photo, 0.05, 0.05)
    for extra in photo.paragraphs[1:]:
        if not extra.text:
            extra._p.getparent().remove(extra._p)


def build_boxes(doc: DocumentObject, opinions: Sequence[tuple[str, str]], footnote: str) -> None:
    """工作业绩 + 本人承诺 + one box per (caption, hint) opinion, each with a stamp and date line."""
    spacer = format_paragraph(doc.add_paragraph(), page_break_before=True)
    mark = OxmlElement("w:rPr")
    mark.append(_element("w:sz", {"val": "2"}))
    spacer._p.get_or_add_pPr().append(mark)

    table = new_table(doc, 2 + len(opinions), BOX_GRID_CM)

    def box(idx: int, caption: str, height_cm: float) -> _Cell:
        set_row_height(table.rows[idx], Cm(height_cm), cant_split=height_cm < 8)
        _, content = fill_row(table, idx, [label(0, 0, caption), value(1, 1, "", LEFT)])
        return content

    achievements = box(0, "主要工作业绩成果", 8.0)
    achievements.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(
        format_paragraph(achievements.paragraphs[0], align=LEFT, before=Pt(4), line_spacing=1.25),
        "{{ achievements }}",
    )

    pledge = box(1, "本人承诺", 3.2)
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
    add_run(format_paragraph(pledge.add_paragraph(), align=RIGHT, after=Pt(6)), PLEDGE_SIGNATURE)

    for offset, (caption, hint) in enumerate(opinions):
        opinion = box(2 + offset, caption, 3.6)
        opinion.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        first = format_paragraph(opinion.paragraphs[0], align=LEFT, before=Pt(4), after=Pt(40))
        if hint:
            add_run(first, hint)
        stamp, date = STAMP_LINES
        add_run(format_paragraph(opinion.add_paragraph(), align=RIGHT, after=Pt(6)), stamp + "    ")
        add_run(format_paragraph(opinion.add_paragraph(), align=RIGHT, after=Pt(6)), date)

    note = format_paragraph(doc.add_paragraph(), align=LEFT, before=Pt(6))
    add_run(note, footnote, size=SIZE_WUHAO)


def build_title_form(output: Path) -> Path:
    """高技能人才申报专业技术职务任职资格推荐表 (77号 一(一))."""
    doc = Document()
    setup_document(doc, TITLE_FORM)
    build_heading(doc, TITLE_FORM)
    rows = [
        *personal_rows(),
        pair("工作单位", "{{ employer_text }}", "单位性质", "{{ employer_type }}"),
        pair("现从事岗位", "{{ position }}", "参加工作时间", "{{ work_start }}"),
        pair("职业资格或技能等级", "{{ skill_text }}", "取得时间", "{{ need_cert_obtained }}"),
        pair("申报职称", "{{ apply_title }}", "申报专业", "{{ apply_specialty }}"),
        pair("水平能力测试", "{{ test_text }}", "申报途径", "{{ route }}"),
        wide("推荐结果公示", "{{ publicity_text }}"),
        wide("材料报送", "{{ submit_to }}"),
    ]
    build_grid(doc, rows)
    build_boxes(
        doc,
        (
            ("用人单位推荐意见", TITLE_EMPLOYER_HINT),
            ("人事代理机构或主管部门意见", "（人事代理机构组织申报或委托评审的填写）"),
            ("受理部门初审意见", ""),
        ),
        TITLE_FOOTNOTE,
    )
    add_page_number_footer(doc)
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    return output


def build_skill_form(output: Path) -> Path:
    """专业技术人才参加职业技能等级评价申报表 (77号 一(二))."""
    doc = Document()
    setup_document(doc, SKILL_FORM)
    build_heading(doc, SKILL_FORM)
    rows = [
        *personal_rows(),
        pair("工作单位", "{{ employer }}", "现从事岗位", "{{ position }}"),
        pair("现专业技术职称", "{{ title_text }}", "取得职称时间", "{{ title_obtained }}"),
        pair("申报职业（工种）", "{{ apply_occupation }}", "申报等级", "{{ apply_level }}"),
        pair("评价类别", "{{ occ_type }}", "参加工作时间", "{{ work_start }}"),
        wide("评价方式", "{{ method }}"),
        wide("相关专业毕业证书", "{{ related_degree }}（有的可免于理论知识考试）"),
    ]
    build_grid(doc, rows)
    build_boxes(doc, (("所在单位意见", ""), ("评价机构意见", "")), SKILL_FOOTNOTE)
    add_page_number_footer(doc)
    output.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(output))
    return output


def build(output_dir: Path = DEFAULT_OUTPUT_DIR) -> tuple[Path, Path]:
    return (
        build_title_form(output_dir / TITLE_TEMPLATE),
        build_skill_form(output_dir / SKILL_TEMPLATE),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR, help="where to write the .docx"
    )
    args = parser.parse_args(argv)
    for path in build(args.output_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
