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

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    SIZE_SANHAO,
    SIZE_XIAOER,
    SIZE_XIAOSI,
    SIZE_YIHAO,
    Cell,
    add_page_number_footer,
    add_run,
    control_row,
    fill_row,
    first_paragraph,
    format_paragraph,
    label,
    long_text_box,
    main_for_file,
    new_table,
    photo_box,
    pledge_box,
    save,
    set_cell_bottom_border,
    set_row_height,
    setup_document,
    tiny_spacer,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_pro_to_skill.docx"

FORM_TITLE = "重庆市专业技术人员参加高技能人才评价申报表"
# The cover sets the title on two lines (a single 一号 line does not fit the text width).
FORM_TITLE_LINES: tuple[str, str] = ("重庆市专业技术人员参加", "高技能人才评价申报表")

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


# --- page builders ----------------------------------------------------------------------
def build_cover(doc: DocumentObject) -> None:
    title = format_paragraph(
        first_paragraph(doc),
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
    photo_box(table, last)


def build_boxes(doc: DocumentObject) -> None:
    # A table must be separated from the previous one by a paragraph: a 1 pt high empty one that
    # starts the boxes on a new page (like the separate sheet of the original).
    tiny_spacer(doc, page_break=True)

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

    long_text_box(box(1, "主要工作成绩及业绩贡献", 8.0), "{{ achievements }}")
    pledge_box(box(2, "本人承诺", 3.2), PLEDGE_TEXT, PLEDGE_SIGNATURE)

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
