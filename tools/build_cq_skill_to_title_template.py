"""Build ``doc_templates/cq_skill_to_title.docx``: the 申报资格自查表 for skilled workers applying for titles.

渝人社发〔2021〕55号 has no official form for 高技能人才参评专业技术职称, so this layout is ours: one A4
page with the applicant's details, the conditions of 55号 二 / 二(一) / 三(一) each with its 自查结果 and
clause, the conclusion, the applicant's pledge and the employer's review with signature and stamp lines.

Everything is generated with python-docx so every Jinja tag sits in exactly one run.

Printing: one page with ordinary answers. Long answers (奖项 up to 1000 characters) push the form onto a
second page; then the section headings repeat / keep with their rows and the 自查结论 + 承诺 + 审核意见
block moves whole (a label never sits alone at the bottom of a page). Labels fit their cells (a long one
breaks where the builder breaks it). Dates arrive formatted; the template prints them as given.

Jinja variables used (nothing else):
    name, gender, birth_month, id_number, mobile, employer, current_post, series_specialty,
    skill_cert, skill_occupation, skill_cert_date, skill_cert_no, work_years_text, awards_text,
    apply_level, max_level, chk_post, chk_conduct, chk_series_basic, chk_review, chk_ordinary,
    chk_green, chk_level, conclusion

Usage::

    python tools/build_cq_skill_to_title_template.py [--output doc_templates/cq_skill_to_title.docx]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Cm, Length, Pt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    SIZE_XIAOER,
    SIZE_XIAOSI,
    SIZE_XIAOWU,
    SONGTI,
    Cell,
    add_run,
    fill_row,
    first_paragraph,
    format_paragraph,
    keep_rows_together,
    label,
    main_for_file,
    new_table,
    repeat_header,
    save,
    set_row_height,
    setup_document,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_skill_to_title.docx"

FORM_TITLE = "高技能人才参评专业技术职称申报资格自查表"
SUBTITLE = "（依据渝人社发〔2021〕55号 二(一)、三(一)）"

MARGIN_TOP = Cm(1.6)
MARGIN_BOTTOM = Cm(1.5)

# 申请人基本情况: six columns summing to the 16.6 cm text width.
INFO_GRID_CM: tuple[float, ...] = (2.8, 3.2, 2.6, 2.6, 2.4, 3.0)
# 条件自查: 序号 | 自查项目 | 自查结果 | 政策依据.
CHECK_GRID_CM: tuple[float, ...] = (1.1, 8.8, 3.6, 3.1)
# 结论 / 承诺 / 审核意见 boxes.
BOX_GRID_CM: tuple[float, ...] = (2.8, 13.8)

ROW_HEIGHT = Cm(0.7)

CHECK_HEADER: tuple[str, str, str, str] = ("序号", "自查项目", "自查结果", "政策依据")
# (condition as the notice words it, Jinja tag of its result, clause)
CHECK_ROWS: tuple[tuple[str, str, str], ...] = (
    (
        "贯通领域（工程、农业、工艺美术、文物博物、实验技术、艺术、体育、技工院校教师等）在职在岗",
        "{{ chk_post }}",
        "55号 二",
    ),
    (
        "坚持正确政治方向，拥护执行党的路线方针政策，遵守国家法律法规，有良好职业道德和敬业精神",
        "{{ chk_conduct }}",
        "55号 二",
    ),
    ("达到相应序列职称基本条件", "{{ chk_series_basic }}", "55号 二"),
    ("在现工作岗位上近3年年度考核合格", "{{ chk_review }}", "55号 二"),
    (
        "普通条件：取得高级工后从事相应专业技术技能工作满2年→助理级；技师满3年→中级；高级技师满4年→副高级",
        "{{ chk_ordinary }}",
        "55号 二(一)",
    ),
    (
        "破格条件（绿色通道）：中华技能大奖、世界技能大赛金牌等→正高级；全国技术能手等→副高级；"
        "世界技能大赛铜牌、国家级竞赛名次等→中级",
        "{{ chk_green }}",
        "55号 三(一)1",
    ),
    ("学历、论文、外语、计算机", "不作为限制性条件", "55号 三(一)"),
    ("申报级别不高于可申报的最高级别", "{{ chk_level }}", "55号 二(一)、三(一)1"),
)

PLEDGE_TEXT = "本人承诺以上所填情况真实准确，相关证明材料真实有效；如有虚假，本人愿承担相应责任。"
PLEDGE_SIGNATURE = "申报人签名：              年    月    日"
REVIEW_LINES: tuple[str, ...] = ("负责人签字：              单位（盖章）    ", "年    月    日")
FOOTNOTE = (
    "注：本表版式为自查用，非官方附件；具体申报材料和评审标准以所选系列（专业）职称评审委员会通知为准。"
)


SPACER_HEIGHT = Pt(4)


def spacer(doc: DocumentObject, height: Length = SPACER_HEIGHT) -> None:
    """An empty paragraph between two tables (Word would otherwise join them)."""
    paragraph = format_paragraph(doc.add_paragraph())
    paragraph.paragraph_format.line_spacing = height
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def build_title(doc: DocumentObject) -> None:
    title = format_paragraph(first_paragraph(doc), after=Pt(4))
    add_run(title, FORM_TITLE, size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    sub = format_paragraph(doc.add_paragraph(), after=Pt(8))
    add_run(sub, SUBTITLE, size=SIZE_XIAOSI, east_asia=SONGTI)


def build_info(doc: DocumentObject) -> None:
    left = WD_ALIGN_PARAGRAPH.LEFT
    rows: list[list[Cell]] = [
        [label(0, 5, "一、申请人基本情况")],
        [
            label(0, 0, "姓名"),
            value(1, 1, "{{ name }}"),
            label(2, 2, "性别"),
            value(3, 3, "{{ gender }}"),
            label(4, 4, "出生年月"),
            value(5, 5, "{{ birth_month }}"),
        ],
        [
            label(0, 0, "身份证号码"),
            value(1, 3, "{{ id_number }}"),
            label(4, 4, "手机号码"),
            value(5, 5, "{{ mobile }}"),
        ],
        [label(0, 0, "工作单位"), value(1, 5, "{{ employer }}", left)],
        [
            label(0, 0, "现工作岗位"),
            value(1, 2, "{{ current_post }}"),
            label(3, 3, "系列（专业）"),
            value(4, 5, "{{ series_specialty }}"),
        ],
        [
            label(0, 0, "技能等级"),
            value(1, 1, "{{ skill_cert }}"),
            label(2, 2, "职业（工种）"),
            value(3, 3, "{{ skill_occupation }}"),
            label(4, 4, "取得时间"),
            value(5, 5, "{{ skill_cert_date }}"),
        ],
        [
            label(0, 0, "证书编号"),
            value(1, 2, "{{ skill_cert_no }}"),
            label(3, 4, "取得证书后相应工作年限"),
            value(5, 5, "{{ work_years_text }}"),
        ],
        [label(0, 0, "奖项、称号\n（破格条件）"), value(1, 5, "{{ awards_text }}", left)],
        [
            label(0, 0, "申报职称级别"),
            value(1, 2, "{{ apply_level }}"),
            label(3, 4, "最高可申报级别"),
            value(5, 5, "{{ max_level }}"),
        ],
    ]
    table = new_table(doc, len(rows), INFO_GRID_CM)
    for idx, cells in enumerate(rows):
        fill_row(table, idx, cells, keep_with_next=idx == 0)  # the heading keeps with the first row
        set_row_height(table.rows[idx], ROW_HEIGHT)
    repeat_header(table.rows[0])


def build_checks(doc: DocumentObject) -> None:
    left = WD_ALIGN_PARAGRAPH.LEFT
    table = new_table(doc, 2 + len(CHECK_ROWS), CHECK_GRID_CM)
    fill_row(table, 0, [label(0, 3, "二、申报条件自查")], keep_with_next=True)
    fill_row(table, 1, [label(i, i, text) for i, text in enumerate(CHECK_HEADER)], keep_with_next=True)
    repeat_header(table.rows[0])
    repeat_header(table.rows[1])
    for idx, (condition, result, clause) in enumerate(CHECK_ROWS, start=1):
        fill_row(
            table,
            idx + 1,
            [value(0, 0, str(idx)), value(1, 1, condition, left), value(2, 2, result), value(3, 3, clause)],
        )
    for row in table.rows:
        set_row_height(row, ROW_HEIGHT)


def build_boxes(doc: DocumentObject) -> None:
    left = WD_ALIGN_PARAGRAPH.LEFT
    right = WD_ALIGN_PARAGRAPH.RIGHT
    table = new_table(doc, 3, BOX_GRID_CM)

    conclusion = fill_row(table, 0, [label(0, 0, "自查结论"), value(1, 1, "", left)])[1]
    set_row_height(table.rows[0], Cm(1.3))
    add_run(format_paragraph(conclusion.paragraphs[0], align=left), "{{ conclusion }}")

    pledge = fill_row(table, 1, [label(0, 0, "申报人承诺"), value(1, 1, "", left)])[1]
    set_row_height(table.rows[1], Cm(1.9))
    add_run(
        format_paragraph(
            pledge.paragraphs[0],
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            before=Pt(6),
            after=Pt(10),
            first_line_indent=Pt(21),
        ),
        PLEDGE_TEXT,
    )
    add_run(format_paragraph(pledge.add_paragraph(), align=right, after=Pt(4)), PLEDGE_SIGNATURE)

    review = fill_row(table, 2, [label(0, 0, "单位审核意见"), value(1, 1, "", right)])[1]
    set_row_height(table.rows[2], Cm(2.4))
    review.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    first, date = REVIEW_LINES
    add_run(format_paragraph(review.paragraphs[0], align=right, after=Pt(8)), first)
    add_run(format_paragraph(review.add_paragraph(), align=right, after=Pt(4)), date)

    # 结论, 承诺 and 审核意见 never part; the footnote stays with them.
    keep_rows_together(table, 0, 2)
    for cell in table.rows[2].cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True
    note = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.JUSTIFY, before=Pt(4))
    add_run(note, FOOTNOTE, size=SIZE_XIAOWU)


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    doc = Document()
    setup_document(
        doc,
        title=FORM_TITLE,
        subject="渝人社发〔2021〕55号 申报资格自查",
        builder=Path(__file__).name,
        margin_top=MARGIN_TOP,
        margin_bottom=MARGIN_BOTTOM,
        header_footer_distance=None,  # no header or footer on this one-page form
    )
    build_title(doc)
    build_info(doc)
    spacer(doc)
    build_checks(doc)
    spacer(doc)
    build_boxes(doc)
    return save(doc, output)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_file(__doc__, build, DEFAULT_OUTPUT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
