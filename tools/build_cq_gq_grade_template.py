"""Build the two docxtpl templates of 渝人工考〔2021〕1号 附件1 and 附件2.

《重庆市机关事业单位工勤人员申报技术等级（岗位）考核情况登记表》 comes in two layouts:

- ``doc_templates/cq_gq_grade_basic.docx``  附件1 (初级工、中级工、高级工填报);
- ``doc_templates/cq_gq_grade_senior.docx`` 附件2 (技师、高级技师填报): the same cover and grid, opinion
  boxes with the label inline, and a 考核记录 adding the 评审委员会 vote table (应到/实到人数,
  同意/不同意/弃权人数, 负责人签字) left blank for the committee.

Each follows the official page plan (see "page plan" below): a cover page, the 填表说明, the personal
grid with 学历, 工作简历 and 奖惩, then 主要专业技术业绩 with the opinion boxes and the 考核记录: 4 pages.
The page setup, fonts and table helpers come from
``tools/docx_kit.py`` (shared by all the builders) so every Jinja tag sits in exactly one run.

Printing: every row is unsplittable except the 业绩 answer; 工作简历 is its own table so its two header
rows repeat on a following page; 考核记录 (with the 评审委员会 block) sits in one unsplittable row of a
borderless outer table so it moves to the next page whole; labels break only where the official form
breaks them. The photo box holds a 35 × 49 mm photo and prints 「贴照片」 when ``photo`` is empty. Dates
arrive formatted (one formatter per form) and are printed as given.

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
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docx_kit import (
    HEITI,
    SIZE_SANHAO,
    SIZE_SIHAO,
    SIZE_WUHAO,
    SIZE_XIAOSI,
    SIZE_YIHAO,
    TEXT_WIDTH_CM,
    Cell,
    add_page_number_footer,
    add_run,
    control_row,
    fill_row,
    format_paragraph,
    keep_rows_together,
    label,
    long_text_box,
    main_for_dir,
    merge,
    new_table,
    photo_box,
    repeat_header,
    save,
    set_cell_bottom_border,
    set_cell_margins,
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

# --- page plan (A4: 24.6 cm usable height between the 2.54 cm margins) ---------------------------
# The official forms' pages (4 each): 1 cover; 2 填表说明; 3 the personal grid, 学历, 工作简历 and 奖惩;
# 4 主要专业技术业绩, the three opinion boxes and the 考核记录 (附件2's with the 评审委员会 vote block).
# The minimum row heights below add up, per page, to what is noted beside them, so a page holds its
# blocks with room to spare; a longer answer grows its own row (only 业绩 may run over several pages)
# and the blocks after it move on whole: every other row is unsplittable, each block's rows keep
# together and 工作简历's header rows repeat after a break.
#
# Page 3 (21.9 cm): grid 9.1 (the photo rows 3 × 1.7 = 5.1 cm ≥ the 49 mm 二寸 photo; four rows of
# 1.0), 学历 1.8, 工作简历 5.6 (header 1.6 + at least 5 rows of 0.8: blank ones for handwriting, as on
# the official form), 奖惩 5.4. The tables are apart only for Word (a hidden paragraph between them).
GRID_CM: tuple[float, ...] = (2.2, 3.1, 1.3, 1.3, 2.7, 2.2, 3.8)
PHOTO_PADDING_CM = 0.05  # the photo column is 3.8 cm: 3.7 cm inside, for a 35 mm wide photo
PHOTO_ROWS = 3
PHOTO_ROW_HEIGHT = Cm(1.7)  # 3 rows = 5.1 cm: a 49 mm high photo
FIELD_ROW_HEIGHT = Cm(1.0)
LIST_ROW_HEIGHT = Cm(0.8)
EDU_GRID_CM: tuple[float, ...] = (2.2, 2.4, 4.6, 3.8, 3.6)
HISTORY_GRID_CM: tuple[float, ...] = (5.0, 7.2, 4.4)  # "2012年12月—2013年12月" on one line
HISTORY_MIN_ROWS = 5  # the official form prints five 工作简历 rows
REWARDS_GRID_CM: tuple[float, ...] = (2.2, 14.4)
REWARDS_HEIGHT = Cm(5.4)
# Page 4, 业绩 heading 0.9 + hint 1.1 + answer box + the three opinion boxes, then the 考核记录 block
# (heading 1.0 + its rows): 附件1 (22.8 cm) box 3.8 + 3 × 2.9, scores 0.8 + 0.9 + three opinions 3 × 1.9;
# 附件2 (22.6 cm) box 3.2 + 3 × 2.4, scores 0.8 + 0.9 + opinion 1.6 + the committee's vote 0.8 + 0.8 + 0.9
# + 负责人签字 1.6 + 考核办公室意见 1.9 (blank rows for the committee and the offices).
BOX_GRID_CM: tuple[float, ...] = (2.4, 14.2)
HINT_HEIGHT = Cm(0.9)
ACHIEVEMENT_HEIGHT = {"basic": Cm(3.8), "senior": Cm(3.2)}
OPINION_HEIGHT = {"basic": 2.9, "senior": 2.4}  # cm
RECORD_GRID_CM: tuple[float, ...] = (3.2, 2.2, 2.2, 3.0, 3.0, 3.0)
COVER_GRID_CM: tuple[float, ...] = (3.8, 9.0)
COVER_ROW_HEIGHT = Cm(1.3)
# The cover's underlined fields hold a long answer: the text gets smaller so it stays inside the
# 9 cm cell above its underline (三号 ≤ 15 characters a line; 小四 20 a line, 2 lines; 五号 23 a line).
COVER_SIZES: tuple[tuple[int | None, Length], ...] = (
    (15, SIZE_SANHAO),
    (40, SIZE_XIAOSI),
    (None, SIZE_WUHAO),
)

LEFT = WD_ALIGN_PARAGRAPH.LEFT
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT

# The photo box prints the official 「贴照片」 when no photo was given (``photo`` is then "").
PHOTO_TAG = "{% if photo %}{{ photo }}{% else %}贴\n照\n片{% endif %}"


LABEL_LINE = Pt(12)  # a label over several lines ("\n"): 12 pt apart (五号 text), not the font's 16 pt


def _fill(table: Table, row_idx: int, cells: Sequence[Cell]) -> list[_Cell]:
    """:func:`fill_row`, with the lines of a multi-line label set :data:`LABEL_LINE` apart."""
    out = fill_row(table, row_idx, cells)
    for spec, cell in zip(cells, out, strict=True):
        if spec.bold and "\n" in spec.text:
            cell.paragraphs[0].paragraph_format.line_spacing = LABEL_LINE
    return out


def _spacer(doc: DocumentObject) -> None:
    """The paragraph that keeps two tables apart (Word would merge them), hidden: the tables print one
    under the other as one ruled grid, and each keeps its own header rows and column widths."""
    mark = tiny_spacer(doc)._p.get_or_add_pPr().find(qn("w:rPr"))
    assert mark is not None
    mark.insert(0, OxmlElement("w:vanish"))


def _sized_answer(cell: _Cell, variable: str) -> None:
    """``{{ variable }}`` in the largest size of :data:`COVER_SIZES` its length allows (``{%p %}`` rows)."""
    paragraphs: list[tuple[str, Length | None]] = []
    for idx, (limit, size) in enumerate(COVER_SIZES):
        if limit is None:
            paragraphs.append(("{%p else %}", None))
        else:
            keyword = "if" if idx == 0 else "elif"
            paragraphs.append((f"{{%p {keyword} {variable}|string|length <= {limit} %}}", None))
        paragraphs.append((f"{{{{ {variable} }}}}", size))
    paragraphs.append(("{%p endif %}", None))
    first = True
    for text, size in paragraphs:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        first = False
        add_run(format_paragraph(paragraph), text, size=size or SIZE_XIAOSI)


def build_cover(doc: DocumentObject, variant: str) -> None:
    mark = format_paragraph(doc.paragraphs[0] if doc.paragraphs else doc.add_paragraph(), align=LEFT)
    add_run(mark, ATTACHMENT[variant], size=SIZE_SANHAO, east_asia=HEITI)
    title = format_paragraph(doc.add_paragraph(), before=Cm(2.5), after=Cm(2.0), line_spacing=1.5)
    first, second = FORM_TITLE_LINES
    run = add_run(title, first, size=SIZE_YIHAO, bold=True, east_asia=HEITI)
    run.add_break()
    run.add_text(second)

    # As on the official cover; 申报等级 prints the level applied for in place of the list of levels.
    lines = (
        ("单    位：", "employer", True),
        ("姓    名：", "name", True),
        ("申报工种：", "apply_trade_text", True),
        ("申报等级：", "apply_level", False),
        ("填表日期：", "fill_date_text", False),
    )
    table = new_table(doc, len(lines), COVER_GRID_CM, borders=False)
    for idx, (caption, variable, long) in enumerate(lines):
        row = table.rows[idx]
        set_row_height(row, COVER_ROW_HEIGHT)
        caption_cell, value_cell = row.cells
        for cell in (caption_cell, value_cell):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        add_run(
            format_paragraph(caption_cell.paragraphs[0], align=RIGHT), caption, size=SIZE_SANHAO, bold=True
        )
        set_cell_bottom_border(value_cell)
        if long:
            _sized_answer(value_cell, variable)
        else:
            add_run(format_paragraph(value_cell.paragraphs[0]), f"{{{{ {variable} }}}}", size=SIZE_SANHAO)

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


def build_grid(doc: DocumentObject) -> Table:
    """Page 3's first table: the personal details, with the photo box over the first three rows.

    A label too long for its cell breaks where the official form breaks it ("\\n")."""
    tiny_spacer(doc, page_break=True)
    rows: list[list[Cell]] = [
        [
            label(0, 0, "姓  名"),
            value(1, 1, "{{ name }}"),
            label(2, 2, "性别"),
            value(3, 3, "{{ gender }}"),
            label(4, 4, "民族"),
            value(5, 5, "{{ ethnicity }}"),
            value(6, 6, PHOTO_TAG),
        ],
        [
            label(0, 0, "身份证号码"),
            value(1, 3, "{{ id_number }}"),
            label(4, 4, "出生年月"),
            value(5, 5, "{{ birth_month }}"),
            value(6, 6, ""),
        ],
        [label(0, 0, "参加工作\n时间"), value(1, 5, "{{ work_start }}"), value(6, 6, "")],
        [
            label(0, 0, "所在单位"),
            value(1, 3, "{{ employer }}", LEFT),
            label(4, 4, "本技术工种\n年限"),
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
            label(0, 0, "从事现工种\n等级年限"),
            value(1, 3, "{{ grade_years_text }}"),
            label(4, 4, "申报工种/等级"),
            value(5, 6, "{{ apply_text }}"),
        ],
    ]
    table = new_table(doc, len(rows), GRID_CM)
    for idx, cells in enumerate(rows):
        _fill(table, idx, cells)
        set_row_height(table.rows[idx], PHOTO_ROW_HEIGHT if idx < PHOTO_ROWS else FIELD_ROW_HEIGHT)
    photo = photo_box(table, len(GRID_CM) - 1, last_row=PHOTO_ROWS - 1)
    set_cell_margins(photo, PHOTO_PADDING_CM, PHOTO_PADDING_CM)
    keep_rows_together(table, 0, len(rows) - 1)
    return table


def build_education(doc: DocumentObject) -> Table:
    """学历: its own columns, wide enough for a school's and a major's full names."""
    _spacer(doc)
    table = new_table(doc, 2, EDU_GRID_CM)
    captions = ("学    历", "毕业时间", "毕业院校", "所学专业", "证书编号")
    tags = ("edu_level", "edu_graduated", "edu_school", "edu_major", "edu_cert_no")
    _fill(table, 0, [label(i, i, text) for i, text in enumerate(captions)])
    _fill(table, 1, [value(i, i, f"{{{{ {tag} }}}}") for i, tag in enumerate(tags)])
    set_row_height(table.rows[0], LIST_ROW_HEIGHT)
    set_row_height(table.rows[1], FIELD_ROW_HEIGHT)
    keep_rows_together(table, 0, 1)
    return table


def build_history(doc: DocumentObject) -> Table:
    """工作简历: its own table so its two header rows repeat on the next page, at least five rows."""
    _spacer(doc)
    layout: list[tuple[str, str | list[Cell]]] = [
        ("header", [label(0, 2, "工作简历")]),
        ("header", [label(0, 0, "年 月至 年 月"), label(1, 1, "在何单位"), label(2, 2, "从事何工种")]),
        ("tag", "{%tr for w in work_history %}"),
        (
            "row",
            [
                value(0, 0, "{{ w.start }}—{{ w.end }}"),
                value(1, 1, "{{ w.employer }}", LEFT),
                value(2, 2, "{{ w.trade }}"),
            ],
        ),
        ("tag", "{%tr endfor %}"),
        ("tag", f"{{%tr for blank in {list(range(HISTORY_MIN_ROWS))}[work_history|length:] %}}"),
        ("row", [value(0, 0, ""), value(1, 1, ""), value(2, 2, "")]),
        ("tag", "{%tr endfor %}"),
    ]
    table = new_table(doc, len(layout), HISTORY_GRID_CM)
    for idx, (kind, spec) in enumerate(layout):
        if kind == "tag":
            assert isinstance(spec, str)
            control_row(table, idx, spec, len(HISTORY_GRID_CM))
            continue
        assert isinstance(spec, list)
        _fill(table, idx, spec)
        set_row_height(table.rows[idx], LIST_ROW_HEIGHT)
        if kind == "header":
            repeat_header(table.rows[idx])
    keep_rows_together(table, 0, 2)  # the header rows stay with the first row
    return table


def build_rewards(doc: DocumentObject) -> Table:
    _spacer(doc)
    table = new_table(doc, 1, REWARDS_GRID_CM)
    _, box = _fill(table, 0, [label(0, 0, "何时何地\n受过何种\n奖励或处分"), value(1, 1, "")])
    long_text_box(box, "{{ rewards_punishments }}")
    set_row_height(table.rows[0], REWARDS_HEIGHT)
    return table


def _heading(
    paragraph: Paragraph, text: str, *, page_break: bool = False, before: Length | None = None
) -> None:
    heading = format_paragraph(
        paragraph, before=before, after=Pt(4), keep_with_next=True, page_break_before=page_break
    )
    add_run(heading, text, size=SIZE_SIHAO, bold=True, east_asia=HEITI)


def _block(doc: DocumentObject) -> _Cell:
    """The one cell of a borderless, unsplittable row: a heading and its table put in it move to the next
    page whole. (LibreOffice breaks a table between any two rows whatever their paragraphs' keep-with-next;
    it never breaks an unsplittable row.)"""
    outer = new_table(doc, 1, (TEXT_WIDTH_CM,), borders=False)
    set_row_height(outer.rows[0], Cm(1.0))  # unsplittable
    cell = outer.cell(0, 0)
    set_cell_margins(cell, 0, 0)
    return cell


def _close_block(cell: _Cell) -> None:
    """A cell ends with a paragraph (after its nested table): make it 1 pt high."""
    last = cell.paragraphs[-1]
    format_paragraph(last).paragraph_format.line_spacing = Pt(1)
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    mark.append(size)
    last._p.get_or_add_pPr().append(mark)


def _signature_box(
    cell: _Cell, height_cm: float, *, caption: str = "", hint: str = "", stamp: bool = True
) -> None:
    """An opinion box: its bold caption and/or hint at the top, then (公章) and the date line at the bottom.

    The space between is a paragraph's ``space before`` so the date sits at the bottom of a box of
    ``height_cm`` while the caption stays at the top (a cell has one vertical alignment)."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP
    top = bool(caption or hint)
    lines = 1 + (1 if stamp else 0) + (1 if top else 0)
    gap = max(0.2, height_cm - 0.3 - lines * 0.5)
    paragraphs = iter([cell.paragraphs[0]])

    def next_paragraph() -> Paragraph:
        return next(paragraphs, None) or cell.add_paragraph()

    if top:
        paragraph = format_paragraph(next_paragraph(), align=LEFT, before=Pt(4))
        if caption:
            add_run(paragraph, caption, bold=True)
        if hint:
            add_run(paragraph, hint)
    if stamp:
        add_run(format_paragraph(next_paragraph(), align=RIGHT, before=Cm(gap)), STAMP + "        ")
        gap = 0.0
    add_run(format_paragraph(next_paragraph(), align=RIGHT, before=Cm(gap), after=Pt(4)), DATE_LINE)


def build_opinions(doc: DocumentObject, variant: str) -> None:
    """Page 4: 主要专业技术业绩 (the hint, then the answer: the one row that may run over pages) and the
    three opinion boxes (附件1: label and box; 附件2: the caption inside a full-width box)."""
    _heading(doc.add_paragraph(), "主要专业技术业绩", page_break=True)
    table = new_table(doc, 5, BOX_GRID_CM)
    (hint,) = _fill(table, 0, [value(0, 1, ACHIEVEMENT_HINT, LEFT)])
    set_row_height(table.rows[0], HINT_HEIGHT)
    (answer,) = _fill(table, 1, [value(0, 1, "")])
    long_text_box(answer, "{{ achievements }}")
    set_row_height(table.rows[1], ACHIEVEMENT_HEIGHT[variant], cant_split=False)
    for paragraph in hint.paragraphs:  # the hint stays with the start of the answer
        paragraph.paragraph_format.keep_with_next = True
    height = OPINION_HEIGHT[variant]
    if variant == "basic":
        captions = (
            ("单\n位\n推\n荐\n意\n见", VACANCY_HINT),
            ("主\n管\n部\n门\n意\n见", ""),
            ("区县\n（自治县）\n人力资源\n和社会保障\n部门意见", ""),
        )
        for idx, (caption, hint_text) in enumerate(captions, start=2):
            _, box = _fill(table, idx, [label(0, 0, caption), value(1, 1, "", LEFT)])
            _signature_box(box, height, hint=hint_text)
            set_row_height(table.rows[idx], Cm(height))
    else:
        boxes = (
            ("单位推荐意见：", VACANCY_HINT),
            ("主管部门审核意见：", ""),
            ("区县（自治县）人力社保部门意见：", ""),
        )
        for idx, (caption, hint_text) in enumerate(boxes, start=2):
            (box,) = _fill(table, idx, [value(0, 1, "", LEFT)])
            _signature_box(box, height, caption=caption, hint=hint_text)
            set_row_height(table.rows[idx], Cm(height))


def _vote_rows() -> list[tuple[str, list[Cell], float]]:
    return [
        (
            "vote",
            [
                label(0, 0, "市机关事业单位\n工勤人员技师\n高级技师评审\n委员会意见"),
                label(1, 1, "应到人数"),
                label(2, 2, "实到人数"),
                label(3, 5, "表决结果"),
            ],
            0.8,
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
            0.8,
        ),
        ("vote", [value(i, i, "") for i in range(6)], 0.9),
        ("sign", [value(0, 0, ""), value(1, 5, "", LEFT)], 1.6),
    ]


def build_record(doc: DocumentObject, variant: str) -> Table:
    """考核记录 right after the opinions on page 4, one block (the heading and the table in one unsplittable
    row, see :func:`_block`): on a page of its own when a long 业绩 pushes it on."""
    _spacer(doc)
    block = _block(doc)
    _heading(block.paragraphs[0], "考核记录", before=Pt(4))
    practical = "实际操作考核" if variant == "basic" else "实际操作考试"
    scores = "考核成绩" if variant == "basic" else "考 核 成 绩"
    rows: list[tuple[str, list[Cell], float]] = [
        (
            "scores",
            [
                label(0, 0, scores),
                label(1, 2, "业务理论考核"),
                label(3, 3, practical),
                label(4, 5, "综合评审考试"),
            ],
            0.8,
        ),
        (
            "scores",
            [value(0, 0, ""), value(1, 2, ""), value(3, 3, ""), value(4, 5, "")],
            0.9,
        ),
    ]
    office = "市机关事业单位\n技术工人技术等级\n（岗位）考核\n办公室意见"
    if variant == "basic":
        rows += [
            ("opinion", [label(0, 0, "鉴定（考核）\n机构意见"), value(1, 5, "", LEFT)], 1.9),
            (
                "opinion",
                [label(0, 0, "区县（自治县）\n人力资源和\n社会保障部门意见"), value(1, 5, "", LEFT)],
                1.9,
            ),
            ("opinion", [label(0, 0, office), value(1, 5, "", LEFT)], 1.9),
        ]
    else:
        rows += [
            ("opinion", [value(0, 0, ""), value(1, 5, "", LEFT)], 1.6),
            *_vote_rows(),
            ("opinion", [label(0, 0, office), value(1, 5, "", LEFT)], 1.9),
        ]
    table = new_table(block, len(rows), RECORD_GRID_CM)  # type: ignore[arg-type]  # a cell adds tables too
    for idx, (kind, cells, height) in enumerate(rows):
        set_row_height(table.rows[idx], Cm(height))
        out = _fill(table, idx, cells)
        if kind == "opinion":
            _signature_box(out[1], height, stamp=False)
        elif kind == "sign":
            _signature_box(out[1], height, caption="负责人签字：", stamp=False)
    # 考核成绩 labels both score rows; in 附件2 the committee caption spans the vote rows and the
    # signature row, and 应到人数 / 实到人数 span the two header rows of the vote table.
    merge(table, (0, 0), (1, 0))
    if variant == "senior":
        merge(table, (3, 0), (6, 0))
        merge(table, (3, 1), (4, 1))
        merge(table, (3, 2), (4, 2))
    keep_rows_together(table, 0, len(rows) - 1)  # Word keeps them together this way too
    _close_block(block)
    return table


def build_variant(variant: str, output: Path) -> Path:
    doc = Document()
    setup_document(doc, title=FORM_TITLE, subject=ATTACHMENT[variant], builder=Path(__file__).name)
    build_cover(doc, variant)
    build_instructions(doc, variant)
    build_grid(doc)
    build_education(doc)
    build_history(doc)
    build_rewards(doc)
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
