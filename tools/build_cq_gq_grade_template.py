"""Build the two docxtpl templates of 渝人工考〔2021〕1号 附件1 and 附件2.

《重庆市机关事业单位工勤人员申报技术等级（岗位）考核情况登记表》 comes in two layouts:

- ``doc_templates/cq_gq_grade_basic.docx``  附件1 (初级工、中级工、高级工填报);
- ``doc_templates/cq_gq_grade_senior.docx`` 附件2 (技师、高级技师填报): the same cover and grid, opinion
  boxes with the label inline, and a 考核记录 adding the 评审委员会 vote table (应到/实到人数,
  同意/不同意/弃权人数, 负责人签字) left blank for the committee.

Each has a cover page, the 填表说明, the personal grid with 工作简历 rows and the opinion / 考核记录
boxes. The page setup, fonts and table helpers come from ``tools/docx_kit.py`` (shared by all
the builders) so every Jinja tag sits in exactly one run.

Jinja variables used (nothing else):
    institution is not used; employer, name, apply_trade_text, apply_level, fill_date_text, gender,
    ethnicity, photo, id_number, birth_month, work_start, trade_years_text, employer_address,
    postcode, phone, work_years_text, current_text, grade_years_text, apply_text, edu_level,
    edu_graduated, edu_school, edu_major, edu_cert_no, work_history (rows: start, end, employer,
    trade), rewards_punishments, achievements

Usage::

    python tools/build_cq_gq_grade_template.py [--output-dir doc_templates]
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
    SIZE_XIAOSI,
    SIZE_YIHAO,
    Cell,
    add_page_number_footer,
    add_run,
    control_row,
    fill_row,
    format_paragraph,
    label,
    main_for_dir,
    merge,
    new_table,
    photo_box,
    save,
    set_cell_bottom_border,
    set_row_height,
    setup_document,
    tiny_spacer,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO_ROOT / "doc_templates"
OUTPUTS = {"basic": "cq_gq_grade_basic.docx", "senior": "cq_gq_grade_senior.docx"}

FORM_TITLE = "重庆市机关事业单位工勤人员申报技术等级（岗位）考核情况登记表"
FORM_TITLE_LINES: tuple[str, str] = ("重庆市机关事业单位工勤人员", "申报技术等级（岗位）考核情况登记表")
MAKER = "重庆市机关事业单位技术工人技术等级（岗位）考核办公室  制"
ATTACHMENT = {"basic": "附件1", "senior": "附件2"}
LEVEL_HINT = {"basic": "（初级工／中级工／高级工）", "senior": "（技师／高级技师）"}

_ACHIEVEMENT_ITEMS = (
    "发表过与本工种有关的专业性论文；2．编写过与本工种有关的专业性教材或讲义及使用情况；"
    "3．获得与本工种有关的发明；4．在生产和工作中取得技术革新、技术改造成果；5．培训本工种工勤人员或传授技艺方面的成绩。"
)
INSTRUCTIONS_COMMON: tuple[str, ...] = (
    "一、此表用钢笔或签字笔填写（个人信息部分可打印），要求字迹工整、清晰，内容真实、具体，如内容较多，可另加附页；",
    "二、照片用近期二寸免冠彩色照片；",
    "三、“从事现技术工种年限”栏，填写本人从事现技术工种应计算的连续、累计的本工种年限。从事现技术工种年限，"
    "应以档案或有关资料记载为准，由单位认真查实、核对；",
)
INSTRUCTIONS: dict[str, tuple[str, ...]] = {
    "basic": (
        *INSTRUCTIONS_COMMON,
        "四、“主要专业技术业绩”栏，请填写以下几个方面内容：1．各类、各级报刊上" + _ACHIEVEMENT_ITEMS,
        "五、本表一式三份，一份存入本人档案，一份存入单位人事档案，一份市职业技能鉴定指导中心留存。",
    ),
    "senior": (
        *INSTRUCTIONS_COMMON,
        "四、“主要专业技术业绩”栏，请填写以下几个方面内容：1．在各类、各级报刊上" + _ACHIEVEMENT_ITEMS,
        "五、本表填写一式三份，一份存入本人档案，一份存入单位人事档案，一份市职业技能鉴定指导中心留存。",
    ),
}

ACHIEVEMENT_HINT = "生产（工种）成就、技术攻关、革新成果、创造发明、指导传授技艺和职业技能培训等情况。（篇幅不够，可另加附页）"
VACANCY_HINT = "（请说明有无相应空岗或不受岗位限额参评的情形）"
STAMP = "（公章）"
DATE_LINE = "年    月    日"
DISTRICT_OPINION = "区县（自治县）人力资源和社会保障部门意见"
CITY_OFFICE_OPINION = "市机关事业单位技术工人技术等级（岗位）考核办公室意见"
COMMITTEE = "市机关事业单位工勤人员技师高级技师评审委员会意见"

# Personal grid (cm): the last column is the 贴照片 box (二寸照 3.5 cm wide less padding).
GRID_CM: tuple[float, ...] = (2.4, 3.2, 1.6, 2.3, 1.8, 2.0, 3.3)
PHOTO_ROW_HEIGHT = Cm(1.5)
FIELD_ROW_HEIGHT = Cm(0.9)
LIST_ROW_HEIGHT = Cm(0.8)
BOX_GRID_CM: tuple[float, ...] = (2.0, 14.6)
RECORD_GRID_CM: tuple[float, ...] = (3.2, 2.2, 2.2, 3.0, 3.0, 3.0)
COVER_GRID_CM: tuple[float, ...] = (5.0, 7.5)

LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT


def build_cover(doc: DocumentObject, variant: str) -> None:
    mark = format_paragraph(doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(), align=LEFT)
    add_run(mark, ATTACHMENT[variant], size=SIZE_SANHAO, east_asia=HEITI)
    title = format_paragraph(doc.add_paragraph(), before=Cm(2.5), after=Cm(2.0), line_spacing=1.5)
    first, second = FORM_TITLE_LINES
    run = add_run(title, first, size=SIZE_YIHAO, bold=True, east_asia=HEITI)
    run.add_break()
    run.add_text(second)

    lines = (
        ("单    位：", "{{ employer }}"),
        ("姓    名：", "{{ name }}"),
        ("申报工种：", "{{ apply_trade_text }}"),
        ("申报等级：", "{{ apply_level }}"),
        ("填表日期：", "{{ fill_date_text }}"),
    )
    table = new_table(doc, len(lines), COVER_GRID_CM, borders=False)
    for idx, (caption, tag) in enumerate(lines):
        row = table.rows[idx]
        set_row_height(row, Cm(1.3))
        caption_cell, value_cell = row.cells
        for cell in (caption_cell, value_cell):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        add_run(
            format_paragraph(caption_cell.paragraphs[0], align=RIGHT), caption, size=SIZE_SANHAO, bold=True
        )
        set_cell_bottom_border(value_cell)
        add_run(format_paragraph(value_cell.paragraphs[0]), tag, size=SIZE_SANHAO)
    hint = format_paragraph(doc.add_paragraph(), before=Pt(6))
    add_run(hint, "申报等级" + LEVEL_HINT[variant], size=SIZE_XIAOSI)

    maker = format_paragraph(doc.add_paragraph(), before=Cm(5.0))
    add_run(maker, MAKER, size=SIZE_SANHAO, bold=True)


def build_instructions(doc: DocumentObject, variant: str) -> None:
    heading = format_paragraph(doc.add_paragraph(), after=Pt(18), page_break_before=True)
    add_run(heading, "填表说明", size=SIZE_SANHAO, bold=True, east_asia=HEITI)
    for item in INSTRUCTIONS[variant]:
        paragraph = format_paragraph(
            doc.add_paragraph(),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            line_spacing=1.5,
            first_line_indent=Pt(24),
            after=Pt(6),
        )
        add_run(paragraph, item, size=SIZE_XIAOSI)


def build_grid(doc: DocumentObject) -> None:
    tiny_spacer(doc, page_break=True)
    last = len(GRID_CM) - 1
    fixed: list[list[Cell]] = [
        [
            label(0, 0, "姓  名"),
            value(1, 1, "{{ name }}"),
            label(2, 2, "性别"),
            value(3, 3, "{{ gender }}"),
            label(4, 4, "民族"),
            value(5, 5, "{{ ethnicity }}"),
            value(6, 6, "{{ photo }}"),
        ],
        [
            label(0, 0, "身份证号码"),
            value(1, 3, "{{ id_number }}"),
            label(4, 4, "出生年月"),
            value(5, 5, "{{ birth_month }}"),
            value(6, 6, ""),
        ],
        [label(0, 0, "参加工作时间"), value(1, 5, "{{ work_start }}"), value(6, 6, "")],
        [
            label(0, 0, "所在单位"),
            value(1, 3, "{{ employer }}", LEFT),
            label(4, 4, "本技术工种年限"),
            value(5, 6, "{{ trade_years_text }}"),
        ],
        [
            label(0, 0, "单位地址"),
            value(1, 2, "{{ employer_address }}", LEFT),
            label(3, 3, "邮编"),
            value(4, 4, "{{ postcode }}"),
            label(5, 5, "联系电话"),
            value(6, 6, "{{ phone }}"),
        ],
        [
            label(0, 0, "工  龄"),
            value(1, 3, "{{ work_years_text }}"),
            label(4, 4, "现工种/等级"),
            value(5, 6, "{{ current_text }}"),
        ],
        [
            label(0, 0, "从事现工种等级年限"),
            value(1, 3, "{{ grade_years_text }}"),
            label(4, 4, "申报工种/等级"),
            value(5, 6, "{{ apply_text }}"),
        ],
        [
            label(0, 0, "学    历"),
            label(1, 1, "毕业时间"),
            label(2, 3, "毕业院校"),
            label(4, 5, "所学专业"),
            label(6, 6, "证书编号"),
        ],
        [
            value(0, 0, "{{ edu_level }}"),
            value(1, 1, "{{ edu_graduated }}"),
            value(2, 3, "{{ edu_school }}"),
            value(4, 5, "{{ edu_major }}"),
            value(6, 6, "{{ edu_cert_no }}"),
        ],
    ]
    layout: list[tuple[str, str | list[Cell]]] = [("fixed", row) for row in fixed]
    layout += [
        ("header", [label(0, last, "工作简历")]),
        ("header", [label(0, 1, "年 月至 年 月"), label(2, 4, "在何单位"), label(5, 6, "从事何工种")]),
        ("tag", "{%tr for w in work_history %}"),
        (
            "loop",
            [
                value(0, 1, "{{ w.start }}—{{ w.end }}"),
                value(2, 4, "{{ w.employer }}", LEFT),
                value(5, 6, "{{ w.trade }}"),
            ],
        ),
        ("tag", "{%tr endfor %}"),
        (
            "box",
            [label(0, 0, "何时何地受过何种奖励或处分"), value(1, last, "{{ rewards_punishments }}", LEFT)],
        ),
    ]
    table = new_table(doc, len(layout), GRID_CM)
    for idx, (kind, spec) in enumerate(layout):
        if kind == "tag":
            assert isinstance(spec, str)
            control_row(table, idx, spec, len(GRID_CM))
            continue
        assert isinstance(spec, list)
        fill_row(table, idx, spec)
        row = table.rows[idx]
        if idx < 3:
            set_row_height(row, PHOTO_ROW_HEIGHT)
        elif kind == "box":
            set_row_height(row, Cm(3.0))
        elif kind == "fixed":
            set_row_height(row, FIELD_ROW_HEIGHT)
        else:
            set_row_height(row, LIST_ROW_HEIGHT)

    photo_box(table, last)


def _stamp_lines(cell: _Cell, *, stamp: bool = True) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    if stamp:
        add_run(format_paragraph(cell.add_paragraph(), align=RIGHT, after=Pt(4)), STAMP + "        ")
    add_run(format_paragraph(cell.add_paragraph(), align=RIGHT, after=Pt(6)), DATE_LINE)


def build_opinions(doc: DocumentObject, variant: str) -> None:
    tiny_spacer(doc, page_break=True)
    table = new_table(doc, 4, BOX_GRID_CM)
    set_row_height(table.rows[0], Cm(7.0), cant_split=False)
    _cap, content = fill_row(table, 0, [label(0, 0, "主要专业技术业绩"), value(1, 1, "", LEFT)])
    content.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    add_run(format_paragraph(content.paragraphs[0], align=LEFT, before=Pt(4)), ACHIEVEMENT_HINT)
    add_run(
        format_paragraph(content.add_paragraph(), align=LEFT, before=Pt(4), line_spacing=1.25),
        "{{ achievements }}",
    )
    if variant == "basic":
        captions = (("单位推荐意见", VACANCY_HINT), ("主管部门意见", ""), (DISTRICT_OPINION, ""))
    else:
        captions = (
            ("单位推荐意见：" + VACANCY_HINT, None),
            ("主管部门审核意见：", None),
            ("区县（自治县）人力社保部门意见：", None),
        )
    for idx, (caption, hint) in enumerate(captions, start=1):
        set_row_height(table.rows[idx], Cm(3.6))
        if hint is None:  # 附件2: the caption is written inside a full-width box
            (box,) = fill_row(table, idx, [value(0, 1, "", LEFT)])
            box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
            add_run(format_paragraph(box.paragraphs[0], align=LEFT, before=Pt(4)), caption, bold=True)
            for _ in range(2):
                format_paragraph(box.add_paragraph(), align=LEFT)
            _stamp_lines(box)
            continue
        _, box = fill_row(table, idx, [label(0, 0, caption), value(1, 1, "", LEFT)])
        box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
        if hint:
            add_run(format_paragraph(box.paragraphs[0], align=LEFT, before=Pt(4)), hint)
        format_paragraph(box.add_paragraph(), align=LEFT)
        _stamp_lines(box)


def build_record(doc: DocumentObject, variant: str) -> None:
    heading = format_paragraph(doc.add_paragraph(), before=Pt(12), after=Pt(6))
    add_run(heading, "考核记录", size=SIZE_SANHAO, bold=True, east_asia=HEITI)
    practical = "实际操作考核" if variant == "basic" else "实际操作考试"
    rows: list[tuple[str, list[Cell], float]] = [
        (
            "scores",
            [
                label(0, 0, "考核成绩"),
                label(1, 2, "业务理论考核"),
                label(3, 3, practical),
                label(4, 5, "综合评审考试"),
            ],
            0.9,
        ),
        ("scores", [value(0, 0, ""), value(1, 2, ""), value(3, 3, ""), value(4, 5, "")], 1.0),
    ]
    if variant == "basic":
        rows += [
            ("opinion", [label(0, 0, "鉴定（考核）机构意见"), value(1, 5, "", LEFT)], 2.6),
            ("opinion", [label(0, 0, DISTRICT_OPINION), value(1, 5, "", LEFT)], 2.6),
            ("opinion", [label(0, 0, CITY_OFFICE_OPINION), value(1, 5, "", LEFT)], 2.6),
        ]
    else:
        rows += [
            ("opinion", [value(0, 0, ""), value(1, 5, "", LEFT)], 2.4),
            (
                "vote",
                [
                    label(0, 0, COMMITTEE),
                    label(1, 1, "应到人数"),
                    label(2, 2, "实到人数"),
                    label(3, 5, "表决结果"),
                ],
                0.9,
            ),
            (
                "vote",
                [
                    value(0, 0, ""),
                    value(1, 1, ""),
                    value(2, 2, ""),
                    label(3, 3, "同意人数"),
                    label(4, 4, "不同意人数"),
                    label(5, 5, "弃权人数"),
                ],
                0.9,
            ),
            (
                "vote",
                [
                    value(0, 0, ""),
                    value(1, 1, ""),
                    value(2, 2, ""),
                    value(3, 3, ""),
                    value(4, 4, ""),
                    value(5, 5, ""),
                ],
                1.0,
            ),
            ("sign", [value(0, 0, ""), value(1, 5, "", LEFT)], 2.4),
            ("opinion", [label(0, 0, CITY_OFFICE_OPINION), value(1, 5, "", LEFT)], 2.6),
        ]
    table = new_table(doc, len(rows), RECORD_GRID_CM)
    for idx, (kind, cells, height) in enumerate(rows):
        set_row_height(table.rows[idx], Cm(height))
        out = fill_row(table, idx, cells)
        if kind == "opinion":
            _stamp_lines(out[1], stamp=False)
        elif kind == "sign":
            box = out[1]
            box.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
            add_run(format_paragraph(box.paragraphs[0], align=LEFT, before=Pt(4)), "负责人签字：")
            _stamp_lines(box, stamp=False)
    if variant == "senior":
        # the committee caption spans the vote rows and the signature row (rows 3..6)
        merge(table, (3, 0), (6, 0))


def build_variant(variant: str, output: Path) -> Path:
    doc = Document()
    setup_document(doc, title=FORM_TITLE, subject=ATTACHMENT[variant], builder=Path(__file__).name)
    build_cover(doc, variant)
    build_instructions(doc, variant)
    build_grid(doc)
    build_opinions(doc, variant)
    build_record(doc, variant)
    add_page_number_footer(doc, blank_first_page=True)
    return save(doc, output)


def build(output_dir: Path = DEFAULT_DIR) -> list[Path]:
    return [build_variant(variant, output_dir / name) for variant, name in OUTPUTS.items()]


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_dir(__doc__, build, DEFAULT_DIR, argv)


if __name__ == "__main__":
    raise SystemExit(main())
