"""Build ``doc_templates/cq_pro_to_skill.docx``: the docxtpl template for 附件2.

The official form is 《重庆市专业技术人员参加高技能人才评价申报表》 (渝职鉴发〔2022〕8号, 附件2):
a cover page, the seven-point 填表说明, the 申报人员基本情况表 grid and the
直接认定 / 工作业绩 / 本人承诺 / 推荐意见 / 评价机构意见 boxes.

The cover carries the mark 「附件2」, the attachment number of the 8号 notice that issued the form. (A
评价机构's own notice may list the same form under another number — 重庆化工职业学院's notice calls it
附件4 — the template keeps the 8号 number.)

Printing: the 申报人员基本情况表 is three tables joined edge to edge (fixed rows; 学历 list; 工作经历 list)
so that each list's header rows are the leading rows of their table and repeat on every page the list
continues on; label + content blocks keep together; box labels break every four characters, as the
official form does; the 照片 box holds a 35 x 49 mm (二寸) photo and prints 「照片」 when none was given.

Everything is generated with python-docx so every Jinja tag sits in exactly one run
(Word would otherwise split ``{{ name }}`` over several runs when the file is edited).

Jinja variables used (nothing else):
    institution, employer, name, occupation, apply_level, gender, birth_month, photo,
    ethnicity, native_place, political_status, work_start, seniority, title_name,
    title_level_years, contact, employer_address, postcode, id_type, id_number,
    education (rows: degree, graduated, school, major, cert_no),
    work_history (rows: start, end, employer, position),
    direct_awards_text, achievements

``photo`` is either a ``docxtpl.InlineImage`` or an empty string (then the box prints 「照片」); it lives
in the last cell of the first row of the 申报人员基本情况表 (merged vertically over the first three rows).
Dates (``birth_month``, ``work_start``, the rows' dates) arrive formatted; the template prints them as given.

Usage::

    python tools/build_cq_pro_to_skill_template.py [--output doc_templates/cq_pro_to_skill.docx]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    SIZE_SANHAO,
    SIZE_XIAOER,
    SIZE_XIAOSI,
    SIZE_XIAOWU,
    SIZE_YIHAO,
    SONGTI,
    Cell,
    add_page_number_footer,
    add_run,
    control_row,
    fill_row,
    first_paragraph,
    format_paragraph,
    join,
    joint,
    keep_rows_together,
    label,
    long_text_box,
    main_for_file,
    new_table,
    photo_box,
    pledge_box,
    repeat_header,
    save,
    set_fonts,
    set_row_height,
    setup_document,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_pro_to_skill.docx"

FORM_TITLE = "重庆市专业技术人员参加高技能人才评价申报表"
# The cover sets the title on two lines (a single 一号 line does not fit the text width).
FORM_TITLE_LINES: tuple[str, str] = ("重庆市专业技术人员参加", "高技能人才评价申报表")

ATTACHMENT_MARK = "附件2"  # 渝职鉴发〔2022〕8号 附件2 (the 化工职业学院 notice lists it as 附件4)

# 申报人员基本情况表: a 7-column grid (cm); the last column is the 照片 column: a 35 mm wide 二寸 photo
# plus the box's 0.05 cm paddings and a hair. Widths are chosen so 五号 values such as "1985年06月" or an
# 18-digit certificate number stay on one line.
BASIC_GRID_CM: tuple[float, ...] = (2.3, 2.3, 1.3, 2.5, 1.9, 2.5, 3.8)
PHOTO_LABEL = "照片"
PHOTO_ROW_HEIGHT = Cm(1.75)  # three rows -> a 5.25 cm high box for the 49 mm photo
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)
# The lists have grids of their own (same width): wide columns for the long answers.
EDUCATION_GRID_CM: tuple[float, ...] = (1.6, 1.7, 5.0, 5.0, 3.3)
WORK_GRID_CM: tuple[float, ...] = (3.4, 8.4, 4.8)

# 直接认定 / 业绩 / 承诺 / 意见 boxes: the label column holds four CJK characters a line, and the labels
# break where the original breaks them.
BOX_GRID_CM: tuple[float, ...] = (2.0, 14.6)
BOX_LABELS: dict[str, str] = {
    "awards": "是否具有\n符合直接\n认定条件\n或成果",
    "achievements": "主要工作\n成绩及业\n绩贡献",
    "pledge": "本人承诺",
    "employer": "申报单位\n推荐意见",
    "institution": "评价机构\n意见",
}

# Cover: label column (right aligned) + underlined value column. The value is underlined line by line
# and an underlined tab runs the last line's rule to the right edge, so a long unit name that wraps stays
# on its rules.
COVER_GRID_CM: tuple[float, ...] = (5.6, 10.0)
COVER_CELL_MARGINS_CM = 0.5  # a borderless table's default cell margins (0.19 cm a side) and some air

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


# --- page builders ----------------------------------------------------------------------
def underlined_field(cell: _Cell, tag: str, width_cm: float) -> None:
    """``tag`` underlined, then an underlined tab to the cell's right edge (the form's "______"); a
    zero-width space ends the line, so the tab is not trailing white space (which is not underlined)."""
    paragraph = format_paragraph(cell.paragraphs[0], align=WD_ALIGN_PARAGRAPH.LEFT, line_spacing=1.3)
    paragraph.paragraph_format.tab_stops.add_tab_stop(
        Cm(width_cm - COVER_CELL_MARGINS_CM), WD_TAB_ALIGNMENT.RIGHT
    )
    run = add_run(paragraph, tag, size=SIZE_SANHAO)
    run.font.underline = True
    tab = add_run(paragraph, "", size=SIZE_SANHAO)
    tab._r.append(OxmlElement("w:tab"))
    end = add_run(paragraph, "\u200b", size=SIZE_SANHAO)
    for rule in (tab, end):
        rule.font.underline = True
        set_fonts(rule._r, SONGTI, latin=SONGTI)  # the rule at the height of the CJK text's underline
        rule._r.rPr.rFonts.set(qn("w:hint"), "eastAsia")


def build_cover(doc: DocumentObject) -> None:
    mark = format_paragraph(first_paragraph(doc), align=WD_ALIGN_PARAGRAPH.LEFT)
    add_run(mark, ATTACHMENT_MARK, size=SIZE_SANHAO, east_asia=HEITI)
    title = format_paragraph(
        doc.add_paragraph(),
        before=Cm(2.5),
        after=Cm(2.5),
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
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        add_run(
            format_paragraph(caption_cell.paragraphs[0], align=WD_ALIGN_PARAGRAPH.RIGHT, line_spacing=1.3),
            caption,
            size=SIZE_SANHAO,
            bold=True,
        )
        underlined_field(value_cell, tag, COVER_GRID_CM[1])

    institution = format_paragraph(doc.add_paragraph(), before=Cm(4.0), after=Pt(12))
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
            value(6, 6, "{% if photo %}{{ photo }}{% else %}" + PHOTO_LABEL + "{% endif %}"),
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
            label(4, 5, "从事现专业技术职称\n等级/年限"),
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
        label(2, 2, "毕业院校"),
        label(3, 3, "所学专业"),
        label(4, 4, "证书编号"),
    ]
    education_row = [
        value(0, 0, "{{ r.degree }}"),
        value(1, 1, "{{ r.graduated }}"),
        value(2, 2, "{{ r.school }}"),
        value(3, 3, "{{ r.major }}"),
        value(4, 4, "{{ r.cert_no }}"),
    ]
    work_heading = [label(0, 2, "工作经历")]
    work_header = [label(0, 0, "起止时间"), label(1, 1, "工作单位"), label(2, 2, "职务（岗位）")]
    work_row = [
        value(0, 0, "{{ w.start }}—{{ w.end }}"),
        value(1, 1, "{{ w.employer }}", left),
        value(2, 2, "{{ w.position }}"),
    ]

    # Three tables joined edge to edge: a list's header rows must lead their table to repeat.
    fixed = new_table(doc, len(fixed_rows), BASIC_GRID_CM)
    for idx, spec in enumerate(fixed_rows):
        fill_row(fixed, idx, spec)
        set_row_height(fixed.rows[idx], PHOTO_ROW_HEIGHT if idx < 3 else FIELD_ROW_HEIGHT)
    # 照片: one box over the first three rows (35 x 49 mm, 近期二寸免冠彩色照片).
    photo_box(fixed, last)
    joint(doc)
    education = list_table(
        doc, EDUCATION_GRID_CM, [education_header], "{%tr for r in education %}", education_row
    )
    join(fixed, education)
    joint(doc)
    work = list_table(
        doc, WORK_GRID_CM, [work_heading, work_header], "{%tr for w in work_history %}", work_row
    )
    join(education, work)


def list_table(
    doc: DocumentObject,
    grid_cm: Sequence[float],
    headers: list[list[Cell]],
    loop_tag: str,
    row: list[Cell],
) -> Table:
    """A list: its header rows repeat on every page it continues on and keep with the first entry; the
    entries are set in 小五 so that long answers take few lines."""
    n_cols = len(grid_cm)
    table = new_table(doc, len(headers) + 3, grid_cm)
    for idx, spec in enumerate(headers):
        fill_row(table, idx, spec, keep_with_next=True)
        set_row_height(table.rows[idx], LIST_ROW_HEIGHT)
        repeat_header(table.rows[idx])
    control_row(table, len(headers), loop_tag, n_cols)
    fill_row(table, len(headers) + 1, row, size=SIZE_XIAOWU)
    set_row_height(table.rows[len(headers) + 1], LIST_ROW_HEIGHT)
    control_row(table, len(headers) + 2, "{%tr endfor %}", n_cols)
    return table


def build_boxes(doc: DocumentObject) -> None:
    # A table must be separated from the previous one by a paragraph (1 pt high). No page break: the boxes
    # keep together, so they start on a page of their own (like the separate sheet of the original) when
    # they fit on one, and follow the 工作经历 straight on when long answers make them longer than a page.
    joint(doc)

    table = new_table(doc, 5, BOX_GRID_CM)
    left = WD_ALIGN_PARAGRAPH.LEFT
    right = WD_ALIGN_PARAGRAPH.RIGHT

    def box(idx: int, caption: str, height_cm: float) -> _Cell:
        row = table.rows[idx]
        set_row_height(row, Cm(height_cm), cant_split=height_cm < 8)
        label_cell, content = fill_row(table, idx, [label(0, 0, caption), value(1, 1, "", left)])
        label_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        return content

    awards = box(0, BOX_LABELS["awards"], 3.0)
    awards.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(format_paragraph(awards.paragraphs[0], align=left, before=Pt(4)), "{{ direct_awards_text }}")

    long_text_box(box(1, BOX_LABELS["achievements"], 8.0), "{{ achievements }}")
    pledge_box(box(2, BOX_LABELS["pledge"], 3.2), PLEDGE_TEXT, PLEDGE_SIGNATURE)

    for idx, caption in ((3, BOX_LABELS["employer"]), (4, BOX_LABELS["institution"])):
        opinion = box(idx, caption, 4.0)
        opinion.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        stamp, date = STAMP_LINES
        add_run(format_paragraph(opinion.paragraphs[0], align=right, after=Pt(6)), stamp + "    ")
        add_run(format_paragraph(opinion.add_paragraph(), align=right, after=Pt(6)), date)

    # All boxes keep together; the 业绩 box alone may split (a long answer runs over pages); 本人承诺 + the
    # two opinions (signatures and stamps) print on one page, with the footnote.
    for idx in range(0, 2):
        for cell in table.rows[idx].cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    keep_rows_together(table, 2, 4)
    for paragraph in table.rows[4].cells[1].paragraphs + table.rows[4].cells[0].paragraphs:
        paragraph.paragraph_format.keep_with_next = True

    note = format_paragraph(doc.add_paragraph(), align=left, before=Pt(6))
    add_run(note, FOOTNOTE, size=SIZE_XIAOSI)


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    doc = Document()
    setup_document(doc, title=FORM_TITLE, subject="附件2", builder=Path(__file__).name)
    build_cover(doc)
    build_instructions(doc)
    build_basic_info(doc)
    build_boxes(doc)
    add_page_number_footer(doc, blank_first_page=True)
    return save(doc, output)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_file(__doc__, build, DEFAULT_OUTPUT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
