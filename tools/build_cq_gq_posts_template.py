"""Build ``doc_templates/cq_gq_posts.docx``: 渝人工考〔2021〕1号 附件4.

《重庆市机关事业单位工勤岗位使用情况备案表》: one table whose columns are the five levels
(一级（高级技师） … 五级（初级工）) and whose rows are 核准岗位数, 现聘人数, 特设岗位聘用人数,
空缺岗位 (under 岗位情况), 当年岗位申报数量 and the two 其中 rows, then the two 备案意见 boxes.

The form collects one repeat-group row per level (``levels``); each cell picks its level's row with a
single-run Jinja loop ``{% for r in levels if r.level == "…" %}{{ r.approved }}{% endfor %}``, so a
level the unit did not fill stays blank.

Jinja variables used (nothing else):
    unit_name, filler, filler_phone, fill_date,
    levels (rows: level, approved, employed, special, vacant, applied, retire_two, exempt)

Usage::

    python tools/build_cq_gq_posts_template.py [--output doc_templates/cq_gq_posts.docx]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from docx import Document
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
    SIZE_XIAOWU,
    add_run,
    fill_row,
    format_paragraph,
    keep_rows_together,
    label,
    main_for_file,
    merge,
    new_table,
    repeat_header,
    save,
    set_cell_margins,
    set_row_height,
    setup_document,
    value,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "doc_templates" / "cq_gq_posts.docx"

FORM_TITLE = "重庆市机关事业单位工勤岗位使用情况备案表"
LEVELS: tuple[str, ...] = (
    "一级（高级技师）",
    "二级（技师）",
    "三级（高级工）",
    "四级（中级工）",
    "五级（初级工）",
)
# A caption too long for its cell breaks where the official form breaks it ("\n").
POST_ROWS: tuple[tuple[str, str], ...] = (
    ("核准岗位数", "approved"),
    ("现聘人数", "employed"),
    ("特设岗位\n聘用人数", "special"),
    ("空缺岗位", "vacant"),
)
APPLY_ROWS: tuple[tuple[str, str], ...] = (
    ("当年岗位申报数量", "applied"),
    ("其中：符合\n“退二进一”\n申报条件的", "retire_two"),
    ("符合不受岗位限额\n申报条件的", "exempt"),
)
NOTES: tuple[str, ...] = (
    "备注：",
    "1.市级机关及市属事业单位填写表格后，报市级事业单位人事综合管理部门审核岗位（市级党群系统机关事业单位报市委组织部"
    "干部一处核岗，其他市级机关及市属事业单位报市人力社保局事业单位人事管理处核岗）。该表格一式三份，市工考办、"
    "市级事业单位人事综合管理部门、申报单位各留存一份，作为单位推荐佐证材料及岗位聘用依据。",
    "2.区县级事业单位人事综合管理部门填写表格后，报市工考办备案。",
)
# 岗位情况 | the row captions | five level columns. The table is set in 小五 (9 pt) so each level's
# caption prints on one line as on the official form: "一级（高级技师）" is 2.54 cm, its column 2.66 cm
# inside (0.05 cm padding).
GRID_CM: tuple[float, ...] = (0.9, 1.9, 2.76, 2.76, 2.76, 2.76, 2.76)
LEVEL_PADDING_CM = 0.05
TABLE_SIZE = SIZE_XIAOWU
FILLER_ON_ONE_LINE = 10  # characters of 填报人 that still leave 联系电话 and 填报时间 room on the line
GAP = "        "
LABEL_LINE = Pt(12)  # the lines of a two-line caption 12 pt apart
LEFT = WD_ALIGN_PARAGRAPH.LEFT


def _tight(cells: list[_Cell]) -> None:
    """Two-line captions ("\n") get :data:`LABEL_LINE` between their lines."""
    for cell in cells:
        for paragraph in cell.paragraphs:
            if "\n" in paragraph.text:
                paragraph.paragraph_format.line_spacing = LABEL_LINE


def level_tag(level: str, column: str) -> str:
    return f'{{% for r in levels if r.level == "{level}" %}}{{{{ r.{column} }}}}{{% endfor %}}'


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    doc = Document()
    setup_document(doc, title=FORM_TITLE, subject="附件4", builder=Path(__file__).name)

    mark = format_paragraph(doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(), align=LEFT)
    add_run(mark, "附件4", size=SIZE_SANHAO, east_asia=HEITI)
    title = format_paragraph(doc.add_paragraph(), before=Pt(12), after=Pt(12))
    add_run(title, FORM_TITLE, size=SIZE_XIAOER, bold=True, east_asia=HEITI)
    unit = format_paragraph(doc.add_paragraph(), align=LEFT, after=Pt(6))
    add_run(unit, "填报单位（盖章）：", size=SIZE_XIAOSI)
    add_run(unit, "{{ unit_name }}", size=SIZE_XIAOSI)

    n_rows = 1 + len(POST_ROWS) + len(APPLY_ROWS) + 1
    table = new_table(doc, n_rows, GRID_CM)
    header = [label(0, 0, "岗位\n情况"), label(1, 1, "等级")]
    header += [label(i + 2, i + 2, lv) for i, lv in enumerate(LEVELS)]
    cells = fill_row(table, 0, header, size=TABLE_SIZE)
    _tight(cells)
    for cell in cells[2:]:
        set_cell_margins(cell, LEVEL_PADDING_CM, LEVEL_PADDING_CM)
    set_row_height(table.rows[0], Cm(1.0))
    repeat_header(table.rows[0])  # the level columns' captions, should the table ever run on
    for idx, (caption, column) in enumerate(POST_ROWS, start=1):
        cells = [value(0, 0, ""), label(1, 1, caption)]
        cells += [value(i + 2, i + 2, level_tag(lv, column)) for i, lv in enumerate(LEVELS)]
        _tight(fill_row(table, idx, cells, size=TABLE_SIZE))
        set_row_height(table.rows[idx], Cm(1.0))
    start = 1 + len(POST_ROWS)
    for idx, (caption, column) in enumerate(APPLY_ROWS, start=start):
        cells = [label(0, 1, caption)]
        cells += [value(i + 2, i + 2, level_tag(lv, column)) for i, lv in enumerate(LEVELS)]
        _tight(fill_row(table, idx, cells, size=TABLE_SIZE))
        set_row_height(table.rows[idx], Cm(1.0))
    last = n_rows - 1
    _tight(
        fill_row(
            table,
            last,
            [
                label(0, 1, "主管部门备案意见"),
                value(2, 3, ""),
                label(4, 5, "同级事业单位人事\n综合管理部门备案意见"),
                value(6, 6, ""),
            ],
            size=TABLE_SIZE,
        )
    )
    set_row_height(table.rows[last], Cm(3.5))
    # 岗位情况: one label cell over the 等级 row and the four post rows.
    posts = merge(table, (0, 0), (len(POST_ROWS), 0))
    posts.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    keep_rows_together(table, 0, last)  # one block: the table never parts from its captions

    # 填报人 / 联系电话 / 填报时间 on one line as on the official form; a 填报人 answer too long to leave
    # room for the rest ends the line, so 联系电话 starts the next one whole.
    footer = format_paragraph(doc.add_paragraph(), align=LEFT, before=Pt(8), after=Pt(8))
    for text in (
        "填报人：",
        "{{ filler }}",
        f"{{% if filler|string|length > {FILLER_ON_ONE_LINE} %}}\n{{% else %}}{GAP}{{% endif %}}",
        "联系电话：",
        "{{ filler_phone }}",
        GAP + "填报时间：",
        "{{ fill_date }}",
    ):
        add_run(footer, text, size=SIZE_XIAOSI)
    for note in NOTES:
        paragraph = format_paragraph(doc.add_paragraph(), align=WD_ALIGN_PARAGRAPH.JUSTIFY, line_spacing=1.25)
        add_run(paragraph, note, size=SIZE_XIAOSI)

    return save(doc, output)


def main(argv: Sequence[str] | None = None) -> int:
    return main_for_file(__doc__, build, DEFAULT_OUTPUT, argv)


if __name__ == "__main__":
    raise SystemExit(main())
