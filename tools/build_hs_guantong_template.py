"""Build ``doc_templates/hs_guantong_title.docx`` and ``doc_templates/hs_guantong_skill.docx``.

黄人社函〔2020〕77号 (黄石, 工程技术领域贯通) has no official application form attached. These two A4 forms
are OUR layout, designed from what the notice asks for:

* ``hs_guantong_title.docx`` — 高技能人才申报专业技术职务任职资格推荐表 (一(一)): personal data, the
  certificate the title rests on, 申报职称/专业, 水平能力测试, 申报途径, 推荐结果公示, 材料报送, work
  history, 工作业绩成果, 本人承诺 (诚信承诺, 一(一)4(2)), 用人单位推荐意见 (4(3)), 人事代理机构/主管部门
  意见 (3(2)-(4)) and 受理部门初审意见 (4(4)).
* ``hs_guantong_skill.docx`` — 专业技术人才参加职业技能等级评价申报表 (一(二)).

Printing: the 工作经历 list is a table of its own joined to the grid above (its two header rows lead the
table, so they repeat on every page the list continues on); 本人承诺 and the opinion boxes keep together;
labels fit their cells (long ones break where the builder breaks them); the 照片 box holds a 35 x 49 mm
(二寸) photo and prints 「照片」 when none was given. Dates arrive formatted; the templates print them as
given.

The helpers come from ``tools/docx_kit.py`` (typography, tables, one Jinja tag per run), shared by all
the builders; the page builders are this form's own. Everything is generated with python-docx so every tag
sits in exactly one run.

Usage::

    python tools/build_hs_guantong_template.py [--output-dir doc_templates]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.shared import Cm, Pt
from docx.table import Table, _Cell

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    LEFT,
    RIGHT,
    SIZE_WUHAO,
    SIZE_XIAOER,
    SIZE_XIAOSI,
    SIZE_XIAOWU,
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
    main_for_dir,
    new_table,
    photo_box,
    pledge_box,
    repeat_header,
    save,
    set_row_height,
    setup_document,
    tiny_spacer,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "doc_templates"
TITLE_TEMPLATE = "hs_guantong_title.docx"
SKILL_TEMPLATE = "hs_guantong_skill.docx"

TITLE_FORM = "黄石市工程技术领域高技能人才申报专业技术职务任职资格推荐表"
SKILL_FORM = "黄石市专业技术人才参加职业技能等级评价申报表"
SUBJECT = "黄人社函〔2020〕77号"
SUBTITLE = "（依据黄人社函〔2020〕77号）"

# Basic grid: 7 columns (cm); the last one is the 照片 column: a 35 mm wide 二寸 photo plus the box's
# paddings. Label columns hold their labels on one line (五号 bold); an 11-digit mobile number fits col 5.
BASIC_GRID_CM: tuple[float, ...] = (3.2, 2.0, 1.0, 1.9, 2.45, 2.25, 3.8)
PHOTO_LABEL = "照片"
PHOTO_ROW_HEIGHT = Cm(1.75)  # three rows -> a 5.25 cm high box for the 49 mm photo
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)
# 工作经历: a grid of its own (same width), wide columns for long answers, set in 小五.
WORK_GRID_CM: tuple[float, ...] = (3.4, 8.4, 4.8)

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


# --- page builders ----------------------------------------------------------------------


def build_heading(doc: DocumentObject, title: str) -> None:
    heading = format_paragraph(first_paragraph(doc), before=Pt(6), after=Pt(4))
    add_run(heading, title, size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    sub = format_paragraph(doc.add_paragraph(), after=Pt(10))
    add_run(sub, SUBTITLE, size=SIZE_XIAOSI)


def build_work_history(doc: DocumentObject) -> Table:
    """工作经历: its two header rows repeat on every page and keep with the first entry."""
    n_cols = len(WORK_GRID_CM)
    table = new_table(doc, 5, WORK_GRID_CM)
    headers = (
        [label(0, 2, "工作经历")],
        [label(0, 0, "起止时间"), label(1, 1, "工作单位"), label(2, 2, "岗位（职务）")],
    )
    for idx, spec in enumerate(headers):
        fill_row(table, idx, spec, keep_with_next=True)
        set_row_height(table.rows[idx], LIST_ROW_HEIGHT)
        repeat_header(table.rows[idx])
    control_row(table, 2, "{%tr for w in work_history %}", n_cols)
    entry = [
        value(0, 0, "{{ w.start }}—{{ w.end }}"),
        value(1, 1, "{{ w.employer }}", LEFT),
        value(2, 2, "{{ w.position }}"),
    ]
    fill_row(table, 3, entry, size=SIZE_XIAOWU)
    set_row_height(table.rows[3], LIST_ROW_HEIGHT)
    control_row(table, 4, "{%tr endfor %}", n_cols)
    return table


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
            value(6, 6, "{% if photo %}{{ photo }}{% else %}" + PHOTO_LABEL + "{% endif %}"),
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
    """The personal grid, then the 工作经历 list joined below it (two tables, one printed grid)."""
    n_cols = len(BASIC_GRID_CM)
    table = new_table(doc, len(rows), BASIC_GRID_CM)
    for idx, spec in enumerate(rows):
        fill_row(table, idx, spec)
        set_row_height(table.rows[idx], PHOTO_ROW_HEIGHT if idx < 3 else FIELD_ROW_HEIGHT)
    # 照片: one box over the first three rows (35 x 49 mm, 近期二寸免冠彩色照片).
    photo_box(table, n_cols - 1)
    joint(doc)
    join(table, build_work_history(doc))


def build_boxes(doc: DocumentObject, opinions: Sequence[tuple[str, str]], footnote: str) -> None:
    """工作业绩 + 本人承诺 + one box per (caption, hint) opinion, each with a stamp and date line."""
    tiny_spacer(doc, page_break=True)

    table = new_table(doc, 2 + len(opinions), BOX_GRID_CM)

    def box(idx: int, caption: str, height_cm: float) -> _Cell:
        set_row_height(table.rows[idx], Cm(height_cm), cant_split=height_cm < 8)
        _, content = fill_row(table, idx, [label(0, 0, caption), value(1, 1, "", LEFT)])
        return content

    long_text_box(box(0, "主要工作\n业绩成果", 8.0), "{{ achievements }}")
    pledge_box(box(1, "本人承诺", 3.2), PLEDGE_TEXT, PLEDGE_SIGNATURE)

    for offset, (caption, hint) in enumerate(opinions):
        opinion = box(2 + offset, caption, 3.6)
        opinion.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        first = format_paragraph(opinion.paragraphs[0], align=LEFT, before=Pt(4), after=Pt(40))
        if hint:
            add_run(first, hint)
        stamp, date = STAMP_LINES
        add_run(format_paragraph(opinion.add_paragraph(), align=RIGHT, after=Pt(6)), stamp + "    ")
        add_run(format_paragraph(opinion.add_paragraph(), align=RIGHT, after=Pt(6)), date)

    # 本人承诺 and the opinions (signatures, stamps) print on one page, with the footnote.
    last = 1 + len(opinions)
    keep_rows_together(table, 1, last)
    for cell in table.rows[last].cells:
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.keep_with_next = True

    note = format_paragraph(doc.add_paragraph(), align=LEFT, before=Pt(6))
    add_run(note, footnote, size=SIZE_WUHAO)


def build_title_form(output: Path) -> Path:
    """高技能人才申报专业技术职务任职资格推荐表 (77号 一(一))."""
    doc = Document()
    setup_document(doc, title=TITLE_FORM, subject=SUBJECT, builder=Path(__file__).name)
    build_heading(doc, TITLE_FORM)
    rows = [
        *personal_rows(),
        pair("工作单位", "{{ employer_text }}", "单位性质", "{{ employer_type }}"),
        pair("现从事岗位", "{{ position }}", "参加工作时间", "{{ work_start }}"),
        pair("职业资格或\n技能等级", "{{ skill_text }}", "取得时间", "{{ need_cert_obtained }}"),
        pair("申报职称", "{{ apply_title }}", "申报专业", "{{ apply_specialty }}"),
        pair("水平能力测试", "{{ test_text }}", "申报途径", "{{ route }}"),
        wide("推荐结果公示", "{{ publicity_text }}"),
        wide("材料报送", "{{ submit_to }}"),
    ]
    build_grid(doc, rows)
    build_boxes(
        doc,
        (
            ("用人单位\n推荐意见", TITLE_EMPLOYER_HINT),
            ("人事代理机构\n或主管部门\n意见", "（人事代理机构组织申报或委托评审的填写）"),
            ("受理部门\n初审意见", ""),
        ),
        TITLE_FOOTNOTE,
    )
    add_page_number_footer(doc)
    return save(doc, output)


def build_skill_form(output: Path) -> Path:
    """专业技术人才参加职业技能等级评价申报表 (77号 一(二))."""
    doc = Document()
    setup_document(doc, title=SKILL_FORM, subject=SUBJECT, builder=Path(__file__).name)
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
    return save(doc, output)


def build(output_dir: Path = DEFAULT_OUTPUT_DIR) -> tuple[Path, Path]:
    return (
        build_title_form(output_dir / TITLE_TEMPLATE),
        build_skill_form(output_dir / SKILL_TEMPLATE),
    )


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_dir(__doc__, build, DEFAULT_OUTPUT_DIR, argv)


if __name__ == "__main__":
    raise SystemExit(main())
