"""Build ``doc_templates/cq_institution_filing.docx``: the docxtpl template for 8号 附件1.

The official form is 《组织专业技术人员参加高技能人才贯通评价机构报备表》 (渝职鉴发〔2022〕8号, 附件1):
"附件1", the title, "评价机构盖章：", one ruled table (一、基本信息: 评价机构 / 法定代表人 / 联系人;
二、职业（工种）与专业技术职称专业对应, one row per occupation), then 三、人员情况 with two tables:
（一）负责贯通评价工作人员 and （二）评审专家.

Everything is generated with python-docx so every Jinja tag sits in exactly one run; repeat rows
use ``{%tr for %}`` control rows (one cell holding only the tag, dropped by docxtpl).

One row is not on the official form: 统一社会信用代码, right under 评价机构名称 (the spec collects it).

Printing: 一、基本信息 and 二、(the 职业（工种）list) are two tables joined edge to edge, so that the list's
heading and column header are the leading rows of its table and repeat on every page it continues on
(as do the two lists of 三、人员情况); headings keep with what follows them; the list entries are set in
小五 so that long answers take few lines; header labels break where the official form breaks them
(职务/职称/ | 技能等级, 是否本单位 | 人员).

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

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    LEFT,
    SIZE_SANHAO,
    SIZE_SIHAO,
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
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_institution_filing.docx"

FORM_TITLE = "组织专业技术人员参加高技能人才贯通评价机构报备表"
ATTACHMENT = "附件1"
STAMP_LINE = "评价机构盖章："

# 一、二: a 5-column grid; the mapping rows use one column each (序号, 职业名称, 工种名称, 等级,
# 对应专业技术职称专业范围); the basic-information rows pair label/value cells over it.
BASIC_GRID_CM: tuple[float, ...] = (3.3, 3.3, 2.6, 2.7, 4.7)
# 二's own grid (same width): wide columns for long answers (专业范围 up to 100 characters).
MAPPING_GRID_CM: tuple[float, ...] = (1.0, 3.0, 3.0, 2.6, 7.0)
# 三（一） 序号, 姓名, 身份证号, 职务/职称, 学历, 工作职责 — 身份证号 wide enough for 18 digits.
STAFF_GRID_CM: tuple[float, ...] = (1.0, 3.0, 3.3, 4.2, 1.6, 3.5)
# 三（二） 序号, 姓名, 身份证号, 职务/职称/技能等级, 学历, 专业方向, 是否本单位人员.
EXPERT_GRID_CM: tuple[float, ...] = (1.0, 2.4, 3.3, 3.3, 1.4, 3.1, 2.1)
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
    "职务/职称/\n技能等级",
    "学历",
    "专业方向",
    "是否本单位\n人员",
)


# --- page builders ----------------------------------------------------------------------
def heading_row(table: Table, row_idx: int, text: str, n_cols: int) -> None:
    """A full-width, left-aligned bold row: 一、基本信息, （一）评价机构信息, ... (keeps with the next row)."""
    fill_row(table, row_idx, [label(0, n_cols - 1, text, LEFT)], keep_with_next=True)


def build_heading(doc: DocumentObject) -> None:
    attachment = format_paragraph(first_paragraph(doc), align=WD_ALIGN_PARAGRAPH.LEFT)
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
    ]
    basic = new_table(doc, len(layout), BASIC_GRID_CM)
    _fill_table(basic, layout, n_cols)
    joint(doc)
    # 二: a table of its own, so its heading and column header lead it and repeat.
    layout = [
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
    mappings = new_table(doc, len(layout), MAPPING_GRID_CM)
    _fill_table(mappings, layout, n_cols)
    repeat_header(mappings.rows[0])
    repeat_header(mappings.rows[1])
    join(basic, mappings)


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
            # headings and column headers keep with the next row; list entries are set in 小五
            fill_row(
                table,
                idx,
                spec,
                keep_with_next=kind == "header",
                size=SIZE_XIAOWU if kind == "loop" else SIZE_WUHAO,
            )
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
    repeat_header(table.rows[0])


def build_people(doc: DocumentObject) -> None:
    part = format_paragraph(
        doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, before=Pt(18), after=Pt(6), keep_with_next=True
    )
    add_run(part, PART_THREE, size=SIZE_SIHAO, east_asia=HEITI)

    staff = format_paragraph(
        doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, after=Pt(6), keep_with_next=True
    )
    add_run(staff, STAFF_HEADING, size=SIZE_XIAOSI, bold=True)
    _list_table(
        doc,
        STAFF_GRID_CM,
        STAFF_HEADER,
        "{%tr for s in staff %}",
        ("{{ s.name }}", "{{ s.id_number }}", "{{ s.title }}", "{{ s.education }}", "{{ s.duties }}"),
    )

    experts = format_paragraph(
        doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.LEFT, before=Pt(18), after=Pt(6), keep_with_next=True
    )
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
    setup_document(doc, title=FORM_TITLE, subject=ATTACHMENT, builder=Path(__file__).name)
    build_heading(doc)
    build_basic_table(doc)
    build_people(doc)
    add_page_number_footer(doc)
    return save(doc, output)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_file(__doc__, build, DEFAULT_OUTPUT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
