"""Build the three docxtpl templates of the 技工院校 filing (渝人社发〔2020〕83号 附件1–3).

- ``doc_templates/cq_school_filing.docx``: 附件1 《技工院校开展职业技能等级认定备案申请表》, the
  official table in its order: 一、基本信息; 二、申请开展认定的职业（工种）; 三、院校主干专业范围…;
  四、场地设备等情况 (（一）场地, （二）设施设备 table, （三）计算机考务管理及视频监控);
  五、人员情况 (（一）专职工作人员, （二）专家, （三）考评人员, （四）内部督导人员).
- ``doc_templates/cq_school_filing_work_plan.docx``: 附件2 《职业技能等级认定工作方案》 with the nine
  headings of the official outline, each followed by the school's text (四 also lists the occupations).
- ``doc_templates/cq_school_filing_pledge.docx``: 附件3 《职业技能等级评价机构申请备案材料真实性承诺书》
  with the school's name, the 法定代表人 signature line, the stamp line and the date.

Everything is generated with python-docx so every Jinja tag sits in exactly one run. Repeat groups use
``{%tr for r in <group> %}`` control rows; ``{{ loop.index }}`` is the 序号.

Printing: every list is a table whose heading and column header rows lead it, so they repeat on every
page the list continues on (四、场地设备 is three tables joined edge to edge so that （二）设施设备's header
leads its own); headings keep with what follows; header labels break where the official form breaks them
(技工院校 | 已开设专业, 认定依据 | （职业标准等）, 职务/职称 | /技能等级). Dates arrive formatted
(``sign_date``, e.g. 2020年10月15日 under the form's date_style); the templates print them as given, or
blank 年 月 日 lines when there is none.

Usage::

    python tools/build_cq_school_filing_template.py [--output-dir doc_templates]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Length, Pt
from docx.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    FANGSONG,
    HEITI,
    LEFT,
    SIZE_SANHAO,
    SIZE_WUHAO,
    SIZE_XIAOER,
    SIZE_XIAOWU,
    Cell,
    add_page_number_footer,
    add_run,
    fill_row,
    first_paragraph,
    format_paragraph,
    join,
    joint,
    label,
    main_for_dir,
    merge,
    new_table,
    repeat_header,
    save,
    set_row_height,
    setup_document,
    tiny_spacer,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "doc_templates"
APPLICATION = "cq_school_filing.docx"
WORK_PLAN = "cq_school_filing_work_plan.docx"
PLEDGE = "cq_school_filing_pledge.docx"

APPLICATION_TITLE = "技工院校开展职业技能等级认定备案申请表"
WORK_PLAN_TITLE = "职业技能等级认定工作方案"
PLEDGE_TITLE_LINES: tuple[str, str] = ("职业技能等级评价机构", "申请备案材料真实性承诺书")

# 附件1 tables; every grid sums to the 16.6 cm text width.
BASIC_GRID_CM: tuple[float, ...] = (4.4, 4.0, 2.4, 5.8)
OCCUPATION_GRID_CM: tuple[float, ...] = (1.0, 3.0, 2.2, 2.1, 2.5, 3.0, 2.8)
EQUIPMENT_GRID_CM: tuple[float, ...] = (1.1, 4.5, 2.6, 3.4, 1.8, 3.2)
STAFF_GRID_CM: tuple[float, ...] = (1.1, 2.0, 3.6, 3.2, 1.9, 4.8)
EXPERT_GRID_CM: tuple[float, ...] = (1.0, 1.8, 3.4, 1.6, 2.4, 2.8, 3.6)
EXAMINER_GRID_CM: tuple[float, ...] = (0.9, 1.6, 3.3, 2.4, 1.8, 2.4, 1.5, 2.7)
SUPERVISOR_GRID_CM: tuple[float, ...] = (1.1, 2.0, 3.6, 4.0, 1.9, 4.0)
PLAN_GRID_CM: tuple[float, ...] = (1.1, 2.6, 2.4, 2.7, 3.6, 4.2)

ROW_HEIGHT = Cm(0.9)
SIGNATURE_INDENT = Cm(8.0)  # 承诺书: where the signature lines start
LIST_ROW_HEIGHT = Cm(0.8)
TEXT_BOX_HEIGHT = Cm(4.0)

PEOPLE_NOTE = (
    "五、人员情况（注：非本单位人员，请提供本人签署的提供评价服务承诺书或本人与评价单位签署的合作协议复印件）"
)

WORK_PLAN_HEADINGS: tuple[tuple[str, str], ...] = (
    ("一、技工院校基本情况", "plan_overview"),
    ("二、认定工作总体规划", "plan_strategy"),
    ("三、认定工作组织机构、职责", "plan_organization"),
    ("四、拟开展认定的职业（工种）、等级、依据的标准及题库资源", "plan_occupations"),
    (
        "五、专业设置与职业（工种）对接、课程内容与职业标准对接、教学过程与工作过程对接情况",
        "plan_alignment",
    ),
    ("六、考务管理、质量管理、证书管理办法等管理制度", "plan_rules"),
    ("七、认定收费标准及收费管理办法", "plan_fees"),
    ("八、认定内容及形式", "plan_content"),
    ("九、其他", "plan_other"),
)

PLEDGE_TEXT = (
    "本单位郑重承诺，在申请职业技能等级评价机构备案中提交的有关材料均合法、真实、有效。"
    "如有不实之处，愿承担相应法律责任和由此产生的一切后果。"
)
# An optional long text: the answer, or 无. Long texts arrive as docxtpl Listings (always truthy), so
# the test looks at their text.
OPTIONAL_TAG = "{{% if {key}|string %}}{{{{ {key} }}}}{{% else %}}无{{% endif %}}"
# The date: the answer as the form's date formatter wrote it, or blanks to write by hand.
DATE_TAG = "{% if sign_date %}{{ sign_date }}{% else %}年    月    日{% endif %}"


# A row layout: (kind, cells) where kind is "fixed" | "header" | "loop" | "text" | "tag".
Layout = list[tuple[str, list[Cell]]]


def tag_row(tag: str, n_cols: int) -> tuple[str, list[Cell]]:
    return ("tag", [Cell(0, n_cols - 1, tag, align=LEFT)])


def heading_row(text: str, n_cols: int) -> tuple[str, list[Cell]]:
    return ("header", [label(0, n_cols - 1, text, LEFT)])


def text_row(tag: str, n_cols: int) -> tuple[str, list[Cell]]:
    return ("text", [Cell(0, n_cols - 1, tag, align=WD_ALIGN_PARAGRAPH.JUSTIFY, top=True)])


def build_table(doc: DocumentObject, grid_cm: Sequence[float], layout: Layout, size: Length) -> Table:
    """The rows of ``layout``; its leading heading/header rows repeat on every page the table runs onto."""
    table = new_table(doc, len(layout), grid_cm)
    leading = True
    for idx, (kind, cells) in enumerate(layout):
        row = table.rows[idx]
        # a heading row stays with what follows it
        # list entries are set in 小五 so that long answers take few lines
        entry_size = SIZE_XIAOWU if kind == "loop" else size
        fill_row(table, idx, cells, size=entry_size, keep_with_next=kind == "header")
        leading = leading and kind == "header"
        if leading:
            repeat_header(row)
        if kind == "text":
            set_row_height(row, TEXT_BOX_HEIGHT, cant_split=False)
        elif kind == "loop":
            set_row_height(row, LIST_ROW_HEIGHT)
        elif kind != "tag":
            set_row_height(row, ROW_HEIGHT)
    return table


def loop_rows(group: str, cells: list[Cell], n_cols: int) -> Layout:
    return [
        tag_row(f"{{%tr for r in {group} %}}", n_cols),
        ("loop", cells),
        tag_row("{%tr endfor %}", n_cols),
    ]


def columns(texts: Sequence[str], first: int = 0) -> list[Cell]:
    return [label(i, i, text) for i, text in enumerate(texts, start=first)]


def row_values(keys: Sequence[str], *, left: Sequence[str] = ()) -> list[Cell]:
    cells = [value(0, 0, "{{ loop.index }}")]
    for i, key in enumerate(keys, start=1):
        cells.append(value(i, i, f"{{{{ r.{key} }}}}", LEFT if key in left else WD_ALIGN_PARAGRAPH.CENTER))
    return cells


def attachment_mark(doc: DocumentObject, text: str) -> None:
    paragraph = first_paragraph(doc)
    add_run(format_paragraph(paragraph, align=LEFT, after=Pt(12)), text, size=SIZE_SANHAO, east_asia=HEITI)


TITLE_AFTER = Pt(18)


def title(doc: DocumentObject, *lines: str, after: Length = TITLE_AFTER) -> None:
    paragraph = format_paragraph(doc.add_paragraph(), after=after, line_spacing=1.3)
    run = add_run(paragraph, lines[0], size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    for line in lines[1:]:
        run.add_break()
        run.add_text(line)


# --- 附件1 申请表 -------------------------------------------------------------------------
def build_application(output: Path) -> Path:
    doc = Document()
    setup_document(doc, title=APPLICATION_TITLE, subject="附件1", builder=Path(__file__).name)
    attachment_mark(doc, "附件1")
    title(doc, APPLICATION_TITLE)

    n = len(BASIC_GRID_CM)
    basic: Layout = [heading_row("一、基本信息", n)]
    for caption, tag in (
        ("名称", "{{ name }}"),
        ("地址", "{{ address }}"),
        ("注册登记机构", "{{ registration_authority }}"),
        ("统一社会信用代码", "{{ uscc }}"),
        ("原职业技能鉴定机构编码", "{{ station_code }}"),
    ):
        basic.append(("fixed", [label(0, 0, caption), value(1, 3, tag, LEFT)]))
    for left_caption, left_tag, right_caption, right_tag in (
        ("法定代表人", "{{ legal_rep }}", "职务", "{{ legal_rep_title }}"),
        ("座机", "{{ legal_rep_phone }}", "手机", "{{ legal_rep_mobile }}"),
        ("联系人", "{{ contact_name }}", "职务", "{{ contact_title }}"),
        ("座机", "{{ contact_phone }}", "手机", "{{ contact_mobile }}"),
    ):
        basic.append(
            (
                "fixed",
                [
                    label(0, 0, left_caption),
                    value(1, 1, left_tag),
                    label(2, 2, right_caption),
                    value(3, 3, right_tag),
                ],
            )
        )
    basic.append(("fixed", [label(0, 0, "电子邮箱"), value(1, 3, "{{ email }}", LEFT)]))
    build_table(doc, BASIC_GRID_CM, basic, SIZE_WUHAO)
    tiny_spacer(doc)

    n = len(OCCUPATION_GRID_CM)
    occupations: Layout = [
        heading_row("二、申请开展认定的职业（工种）", n),
        (
            "header",
            [
                label(0, 0, "序号"),
                label(1, 1, "技工院校\n已开设专业"),
                label(2, 3, "对应职业（工种）"),
                label(4, 4, "职业编码"),
                label(5, 5, "等级"),
                label(6, 6, "认定依据\n（职业标准等）"),
            ],
        ),
        (
            "header",
            [
                label(0, 0, ""),
                label(1, 1, ""),
                label(2, 2, "职业"),
                label(3, 3, "工种"),
                *columns(("", "", ""), 4),
            ],
        ),
    ]
    occupations += loop_rows(
        "occupations",
        row_values(
            ("major", "occupation", "work_type", "occupation_code", "levels", "standard"), left=("standard",)
        ),
        n,
    )
    table = build_table(doc, OCCUPATION_GRID_CM, occupations, SIZE_WUHAO)
    # 序号, 专业, 职业编码, 等级 and 认定依据 span the two header rows (vertical merges).
    for col in (0, 1, 4, 5, 6):
        merge(table, (1, col), (2, col))
    tiny_spacer(doc)

    n = 1
    build_table(
        doc,
        (16.6,),
        [heading_row("三、院校主干专业范围及具备的组织优势、专业优势等", n), text_row("{{ advantages }}", n)],
        SIZE_WUHAO,
    )
    tiny_spacer(doc)

    # 四: three tables joined edge to edge, so that （二）'s heading and header lead a table and repeat.
    n = len(EQUIPMENT_GRID_CM)
    venue: Layout = [
        heading_row("四、场地设备等情况", n),
        heading_row("（一）场地情况", n),
        text_row("{{ venue_text }}", n),
    ]
    venue_table = build_table(doc, EQUIPMENT_GRID_CM, venue, SIZE_WUHAO)
    joint(doc)
    equipment: Layout = [
        heading_row("（二）设施设备情况", n),
        ("header", columns(("序号", "设施设备名称", "品牌", "规格/型号", "数量", "所有权归属"))),
    ]
    equipment += loop_rows("equipment", row_values(("eq_name", "brand", "model", "quantity", "ownership")), n)
    equipment_table = build_table(doc, EQUIPMENT_GRID_CM, equipment, SIZE_WUHAO)
    join(venue_table, equipment_table)
    joint(doc)
    exam_it: Layout = [
        heading_row("（三）计算机考务管理及视频监控设备配置情况", n),
        text_row("{{ exam_it_text }}", n),
    ]
    join(equipment_table, build_table(doc, EQUIPMENT_GRID_CM, exam_it, SIZE_WUHAO))
    tiny_spacer(doc)

    people_heading = format_paragraph(
        doc.add_paragraph(), align=LEFT, before=Pt(6), after=Pt(6), keep_with_next=True
    )
    add_run(people_heading, PEOPLE_NOTE, size=SIZE_WUHAO, bold=True)
    people: tuple[tuple[str, str, tuple[float, ...], tuple[str, ...], tuple[str, ...]], ...] = (
        (
            "（一）专职工作人员情况",
            "staff",
            STAFF_GRID_CM,
            ("序号", "姓名", "身份证号", "职务/职称", "学历", "工作职责"),
            ("person", "id_number", "title", "education", "duty"),
        ),
        (
            "（二）专家情况",
            "experts",
            EXPERT_GRID_CM,
            ("序号", "姓名", "身份证号", "学历", "专业方向", "职务/职称\n/技能等级", "所在单位"),
            ("person", "id_number", "education", "specialty", "title", "unit"),
        ),
        (
            "（三）考评人员情况",
            "examiners",
            EXAMINER_GRID_CM,
            (
                "序号",
                "姓名",
                "身份证号",
                "考评员证号",
                "考评职业",
                "职务/职称\n/技能等级",
                "学历",
                "所在单位",
            ),
            ("person", "id_number", "cert_no", "occupation", "title", "education", "unit"),
        ),
        (
            "（四）内部督导人员情况",
            "supervisors",
            SUPERVISOR_GRID_CM,
            ("序号", "姓名", "身份证号", "职务/职称/技能等级", "学历", "所在单位"),
            ("person", "id_number", "title", "education", "unit"),
        ),
    )
    for idx, (caption, group, grid, headers, keys) in enumerate(people):
        n = len(grid)
        layout: Layout = [heading_row(caption, n), ("header", columns(headers))]
        layout += loop_rows(group, row_values(keys), n)
        build_table(doc, grid, layout, SIZE_XIAOWU)
        if idx < len(people) - 1:
            tiny_spacer(doc)

    add_page_number_footer(doc)
    return save(doc, output)


# --- 附件2 工作方案 -------------------------------------------------------------------------
def body_paragraph(doc: DocumentObject, text: str) -> None:
    paragraph = format_paragraph(
        doc.add_paragraph(),
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        line_spacing=Pt(28),
        first_line_indent=Pt(32),  # two characters of 三号
    )
    add_run(paragraph, text, size=SIZE_SANHAO, east_asia=FANGSONG)


def build_work_plan(output: Path) -> Path:
    doc = Document()
    setup_document(doc, title=WORK_PLAN_TITLE, subject="附件2", builder=Path(__file__).name)
    attachment_mark(doc, "附件2")
    title(doc, WORK_PLAN_TITLE, after=Pt(6))
    school = format_paragraph(doc.add_paragraph(), after=Pt(18))
    add_run(school, "{{ name }}", size=SIZE_SANHAO, east_asia=FANGSONG)

    for heading, key in WORK_PLAN_HEADINGS:
        paragraph = format_paragraph(
            doc.add_paragraph(),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            before=Pt(6),
            line_spacing=Pt(28),
            first_line_indent=Pt(32),
            keep_with_next=True,
        )
        add_run(paragraph, heading, size=SIZE_SANHAO, east_asia=HEITI)
        if key == "plan_occupations":
            n = len(PLAN_GRID_CM)
            layout: Layout = [("header", columns(("序号", "职业", "工种", "职业编码", "等级", "认定依据")))]
            layout += loop_rows(
                "occupations",
                row_values(
                    ("occupation", "work_type", "occupation_code", "levels", "standard"), left=("standard",)
                ),
                n,
            )
            build_table(doc, PLAN_GRID_CM, layout, SIZE_WUHAO)
        body_paragraph(doc, OPTIONAL_TAG.format(key=key) if key == "plan_other" else f"{{{{ {key} }}}}")

    signature = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.RIGHT, before=Pt(36))
    add_run(signature, "{{ name }}", size=SIZE_SANHAO, east_asia=FANGSONG)
    date = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.RIGHT, before=Pt(6))
    add_run(date, DATE_TAG, size=SIZE_SANHAO, east_asia=FANGSONG)

    add_page_number_footer(doc)
    return save(doc, output)


# --- 附件3 承诺书 ---------------------------------------------------------------------------
def build_pledge(output: Path) -> Path:
    doc = Document()
    setup_document(doc, title="".join(PLEDGE_TITLE_LINES), subject="附件3", builder=Path(__file__).name)
    attachment_mark(doc, "附件3")
    title(doc, *PLEDGE_TITLE_LINES, after=Pt(30))

    unit = format_paragraph(doc.add_paragraph(), align=LEFT, after=Pt(12), line_spacing=Pt(30))
    add_run(unit, "申请单位：", size=SIZE_SANHAO, east_asia=FANGSONG)
    add_run(unit, "{{ name }}", size=SIZE_SANHAO, east_asia=FANGSONG)

    body = format_paragraph(
        doc.add_paragraph(),
        align=WD_ALIGN_PARAGRAPH.JUSTIFY,
        line_spacing=Pt(30),
        first_line_indent=Pt(32),
    )
    add_run(body, PLEDGE_TEXT, size=SIZE_SANHAO, east_asia=FANGSONG)

    # The signature block: left-aligned lines from the middle of the page, so that a long 法定代表人 name
    # wraps under itself instead of running back to the left margin.
    lines = (
        ("法定代表人签名：", "              "),
        ("（法定代表人：", "{{ legal_rep }}"),
        ("单位盖章：", "              "),
    )
    first = True
    for caption, tail in lines:
        paragraph = format_paragraph(doc.add_paragraph(), align=LEFT, before=Cm(3.0) if first else Pt(18))
        paragraph.paragraph_format.left_indent = SIGNATURE_INDENT
        add_run(paragraph, caption, size=SIZE_SANHAO, east_asia=FANGSONG)
        add_run(paragraph, tail, size=SIZE_SANHAO, east_asia=FANGSONG)
        if caption.startswith("（"):
            add_run(paragraph, "）", size=SIZE_SANHAO, east_asia=FANGSONG)
        first = False
    date = format_paragraph(doc.add_paragraph(), align=LEFT, before=Pt(18))
    date.paragraph_format.left_indent = SIGNATURE_INDENT
    add_run(date, DATE_TAG, size=SIZE_SANHAO, east_asia=FANGSONG)

    return save(doc, output)


def build(output_dir: Path = DEFAULT_OUTPUT_DIR) -> list[Path]:
    return [
        build_application(output_dir / APPLICATION),
        build_work_plan(output_dir / WORK_PLAN),
        build_pledge(output_dir / PLEDGE),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_dir(__doc__, build, DEFAULT_OUTPUT_DIR, argv)


if __name__ == "__main__":
    raise SystemExit(main())
