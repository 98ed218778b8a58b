"""docxtpl template for 附件2 《重庆市专业技术人员参加高技能人才评价申报表》.

The template is built by ``tools/build_cq_pro_to_skill_template.py``; these tests render it the
way the bot does (``autoescape=True``) and read the result back with python-docx.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage, Listing
from PIL import Image

from tests.documents.label_fit import overflowing_labels
from tests.documents.template_checks import (
    assert_a4_and_fonts,
    assert_matches_committed,
    assert_variables,
    control_rows,
    load_builder,
    tags_in_single_runs,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "doc_templates" / "cq_pro_to_skill.docx"
BUILDER = ROOT / "tools" / "build_cq_pro_to_skill_template.py"

ALLOWED_VARIABLES = {
    "institution",
    "employer",
    "name",
    "occupation",
    "apply_level",
    "gender",
    "birth_month",
    "photo",
    "ethnicity",
    "native_place",
    "political_status",
    "work_start",
    "seniority",
    "title_name",
    "title_level_years",
    "contact",
    "employer_address",
    "postcode",
    "id_type",
    "id_number",
    "education",
    "work_history",
    "direct_awards_text",
    "achievements",
}
SCALAR_FIELDS = sorted(ALLOWED_VARIABLES - {"photo", "education", "work_history", "achievements"})

OFFICIAL_LABELS = (
    "附件2",
    "重庆市专业技术人员参加高技能人才评价申报表",
    "单位：",
    "姓名：",
    "申报职业（工种）：",
    "申报等级：",
    "填表说明",
    "申报人员基本情况表",
    "姓名",
    "性别",
    "出生年月",
    "民族",
    "籍贯",
    "政治面貌",
    "参加工作时间",
    "工龄",
    "从事现专业技术职称名称",
    "从事现专业技术职称等级/年限",
    "申报职业（工种）",
    "申报等级",
    "所在单位",
    "联系人及电话",
    "单位地址",
    "邮编",
    "证件类型",
    "证件号码",
    "学历",
    "毕业时间",
    "毕业院校",
    "所学专业",
    "证书编号",
    "工作经历",
    "起止时间",
    "工作单位",
    "职务（岗位）",
    "是否具有符合直接认定条件或成果",
    "主要工作成绩及业绩贡献",
    "本人承诺",
    "本人承诺申报表中所提供信息真实可靠，若有失实和造假行为，本人愿承担一切责任。",
    "申报人签字：",
    "申报单位推荐意见",
    "评价机构意见",
    "单位（盖章）",
    "注：相关材料复印件附后。",
)

# 填表说明, verbatim from the official 附件2.
INSTRUCTIONS = (
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

NO_PHOTO = ""  # what the renderer passes when no photo was given
PHOTO_LABEL = "照片"  # what the template prints then, as the official form's box
PHOTO_TAG = "{% if photo %}{{ photo }}{% else %}照片{% endif %}"

ContextFactory = Callable[[DocxTemplate], dict[str, Any]]


# --- helpers ------------------------------------------------------------------------------
def _png_photo() -> io.BytesIO:
    """A 350x490 px (二寸, 35x49 mm) PNG, generated in memory."""
    image = Image.new("RGB", (350, 490), (66, 133, 244))
    for x in range(100, 250):
        for y in range(80, 230):
            image.putpixel((x, y), (255, 224, 189))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    buf.seek(0)
    return buf


def _paragraphs(doc: DocumentObject) -> Iterator[Paragraph]:
    """Every paragraph of the body, including those nested in table cells."""
    for p in doc.element.body.iter(qn("w:p")):
        yield Paragraph(p, doc._body)


def _all_text(doc: DocumentObject) -> str:
    parts = [p.text for p in _paragraphs(doc)]
    for section in doc.sections:
        for footer in (section.footer, section.first_page_footer):
            parts.extend(p.text for p in footer.paragraphs)
    return "\n".join(parts)


def _tc_text(tc: Any) -> str:
    return "\n".join(Paragraph(p, None).text for p in tc.iter(qn("w:p")))  # type: ignore[arg-type]


def _row_texts(table: Table) -> list[list[str]]:
    """Text of each real ``w:tc`` of each row (merged cells counted once)."""
    return [[_tc_text(tc) for tc in row._tr.tc_lst] for row in table.rows]


def _tables(doc: DocumentObject) -> tuple[Table, Table, Table]:
    """cover, 申报人员基本情况表 (its fixed rows), boxes."""
    cover, basic, _, _, boxes = _all_tables(doc)
    return cover, basic, boxes


def _all_tables(doc: DocumentObject) -> tuple[Table, Table, Table, Table, Table]:
    assert len(doc.tables) == 5, "cover, 基本情况 fixed rows, 学历 list, 工作经历 list, boxes"
    cover, basic, education, work, boxes = doc.tables
    return cover, basic, education, work, boxes


def _flat(text: str) -> str:
    return text.replace("\n", "")


def _render(tmp_path: Path, make_context: ContextFactory) -> tuple[dict[str, Any], DocumentObject, Path]:
    tpl = DocxTemplate(TEMPLATE)
    context = make_context(tpl)
    tpl.render(context, autoescape=True)
    out = tmp_path / "rendered.docx"
    tpl.save(out)
    return context, Document(str(out)), out


def _full_context(tpl: DocxTemplate) -> dict[str, Any]:
    return {
        "institution": "重庆市职业技能公共实训中心",
        "employer": "重庆铁马工业集团有限公司",
        "name": "张三",
        "occupation": "电工",
        "apply_level": "技师（二级）",
        "gender": "男",
        "birth_month": "1985年06月",
        "photo": InlineImage(tpl, _png_photo(), width=Mm(30)),
        "ethnicity": "汉族",
        "native_place": "重庆市巴南区",
        "political_status": "中共党员",
        "work_start": "2008年07月",
        "seniority": "16年",
        "title_name": "电气工程师",
        "title_level_years": "中级/8年",
        "contact": "李四 023-61234567",
        "employer_address": "重庆市巴南区界石镇工业园区1号",
        "postcode": "401346",
        "id_type": "居民身份证",
        "id_number": "500113198506011234",
        "education": [
            {
                "degree": "大学本科",
                "graduated": "2008年06月",
                "school": "重庆大学",
                "major": "电气工程及其自动化",
                "cert_no": "106111200805001234",
            },
            {
                "degree": "硕士研究生",
                "graduated": "2013年06月",
                "school": "重庆理工大学",
                "major": "控制工程",
                "cert_no": "108551201302000567",
            },
        ],
        "work_history": [
            {
                "start": "2008.07",
                "end": "2012.12",
                "employer": "重庆铁马工业集团有限公司",
                "position": "技术员",
            },
            {
                "start": "2013.01",
                "end": "2018.06",
                "employer": "重庆铁马工业集团有限公司",
                "position": "助理工程师",
            },
            {
                "start": "2018.07",
                "end": "至今",
                "employer": "重庆华伟工业（集团）有限责任公司",
                "position": "电气工程师",
            },
        ],
        "direct_awards_text": "无",
        "achievements": Listing("2019年获公司技术革新一等奖；\n2021年主持完成产线电气改造。"),
    }


HOSTILE_VALUES = (
    "</w:t></w:r></w:p><w:p><w:r><w:t>",
    "<script>alert('x')</script>",
    "A & B &amp; C",
    "{{ 7*7 }}",
    "{% for x in y %}",
    "{%tr endfor %}",
    "😀🎉👨‍👩‍👧",
    "\"引号\" '单引' <>",
    "}} %} {# #}",
    "]]><![CDATA[",
)


def _hostile_context(tpl: DocxTemplate) -> dict[str, Any]:
    del tpl  # no InlineImage: the renderer passes the placeholder text instead
    context: dict[str, Any] = {
        field: f"{field}:{HOSTILE_VALUES[i % len(HOSTILE_VALUES)]}" for i, field in enumerate(SCALAR_FIELDS)
    }
    context["photo"] = NO_PHOTO
    context["achievements"] = Listing("第一行 <b>&</b>\n第二行 {{ 7*7 }}\n第三行 {% if %} 😀")
    context["education"] = [
        {
            "degree": f"degree{i}:{HOSTILE_VALUES[i]}",
            "graduated": f"graduated{i}:{HOSTILE_VALUES[i + 1]}",
            "school": f"school{i}:{HOSTILE_VALUES[i + 2]}",
            "major": f"major{i}:{HOSTILE_VALUES[i + 3]}",
            "cert_no": f"cert{i}:{HOSTILE_VALUES[i + 4]}",
        }
        for i in range(2)
    ]
    context["work_history"] = [
        {
            "start": f"start{i}:{HOSTILE_VALUES[i]}",
            "end": f"end{i}:{HOSTILE_VALUES[i + 5]}",
            "employer": f"employer{i}:{HOSTILE_VALUES[i + 3]}",
            "position": f"position{i}:{HOSTILE_VALUES[i + 4]}",
        }
        for i in range(3)
    ]
    return context


def _expected_scalars(context: dict[str, Any]) -> dict[str, str]:
    return {field: str(context[field]) for field in SCALAR_FIELDS}


def _loop_rows(table: Table, header_first_cell: str, count: int) -> list[list[str]]:
    rows = _row_texts(table)
    starts = [i for i, row in enumerate(rows) if row and row[0] == header_first_cell]
    assert len(starts) == 1, f"header row {header_first_cell!r} not found exactly once in {rows}"
    return rows[starts[0] + 1 : starts[0] + 1 + count]


def _assert_common_layout(context: dict[str, Any], doc: DocumentObject) -> str:
    text = _all_text(doc)
    flat = text.replace("\n", "")  # the cover title is set on two lines
    for official_label in OFFICIAL_LABELS:
        assert official_label in flat, official_label
    for item in INSTRUCTIONS:
        assert item in text, item
    for field, expected in _expected_scalars(context).items():
        assert expected in text, (field, expected)
    _, _, boxes = _tables(doc)
    box_rows = _row_texts(boxes)
    assert [_flat(row[0]) for row in box_rows] == [
        "是否具有符合直接认定条件或成果",
        "主要工作成绩及业绩贡献",
        "本人承诺",
        "申报单位推荐意见",
        "评价机构意见",
    ]
    assert box_rows[0][1] == context["direct_awards_text"]

    _, basic, education_table, work_table, _ = _all_tables(doc)
    education = context["education"]
    work = context["work_history"]
    assert len(basic.rows) == 8
    assert len(education_table.rows) == 1 + len(education)
    assert len(work_table.rows) == 2 + len(work)
    assert _loop_rows(education_table, "学历", len(education)) == [
        [r["degree"], r["graduated"], r["school"], r["major"], r["cert_no"]] for r in education
    ]
    assert _row_texts(work_table)[0] == ["工作经历"]
    work_rows = _loop_rows(work_table, "起止时间", len(work))
    assert work_rows == [[f"{w['start']}—{w['end']}", w["employer"], w["position"]] for w in work]
    return text


def _assert_no_jinja_left(text: str, allowed_literals: list[str]) -> None:
    for literal in sorted(allowed_literals, key=len, reverse=True):
        text = text.replace(literal, "")
    for token in ("{{", "}}", "{%", "%}"):
        assert token not in text, f"unrendered {token!r} in: {text!r}"


def _photo_tc(basic: Table) -> Any:
    return basic.rows[0]._tr.tc_lst[-1]


# --- the template file itself --------------------------------------------------------------
def test_template_uses_only_the_agreed_variables() -> None:
    assert TEMPLATE.exists(), "run: python tools/build_cq_pro_to_skill_template.py"
    assert_variables(TEMPLATE, ALLOWED_VARIABLES)


def test_every_tag_sits_in_a_single_run() -> None:
    doc = Document(str(TEMPLATE))
    seen = tags_in_single_runs(doc)
    assert "{%tr for r in education %}" in seen
    assert "{%tr for w in work_history %}" in seen
    assert seen.count("{%tr endfor %}") == 2


def test_tr_control_rows_hold_only_the_tag() -> None:
    doc = Document(str(TEMPLATE))
    _, basic, education, work, _ = _all_tables(doc)
    control = control_rows([basic, education, work], _row_texts)
    assert control == [
        ["{%tr for r in education %}"],
        ["{%tr endfor %}"],
        ["{%tr for w in work_history %}"],
        ["{%tr endfor %}"],
    ]


def test_page_setup_fonts_and_photo_box() -> None:
    doc = Document(str(TEMPLATE))
    assert_a4_and_fonts(doc)
    section = doc.sections[0]
    assert section.page_height > section.page_width  # portrait

    _, basic, _ = _tables(doc)
    photo = _photo_tc(basic)
    assert _tc_text(photo) == PHOTO_TAG
    # holds a 35 x 49 mm (二寸) photo: 3.5 cm + paddings wide, >= 5.1 cm high
    assert photo.width is not None and photo.width >= Cm(3.7)
    assert photo.tcPr.vMerge is not None and photo.tcPr.vMerge.val == "restart"
    for row in basic.rows[1:3]:
        assert row._tr.tc_lst[-1].tcPr.vMerge.val == "continue"
    photo_rows_height = sum(row.height or 0 for row in basic.rows[:3])
    assert photo_rows_height >= Cm(5.1)


def test_committed_template_matches_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_builder("build_cq_pro_to_skill_template", monkeypatch)
    fresh = module.build(tmp_path / "fresh.docx")

    assert_matches_committed(fresh, TEMPLATE, "build_cq_pro_to_skill_template")


# --- rendering ------------------------------------------------------------------------------
def test_render_full_context_with_photo(tmp_path: Path) -> None:
    context, doc, out = _render(tmp_path, _full_context)
    text = _assert_common_layout(context, doc)
    _assert_no_jinja_left(text, [])

    _, _, boxes = _tables(doc)
    assert _row_texts(boxes)[1][1] == "2019年获公司技术革新一等奖；\n2021年主持完成产线电气改造。"

    # the photo replaced the tag inside the 照片 cell (first row, last column)
    _, basic, _ = _tables(doc)
    photo = _photo_tc(basic)
    photo_xml = photo.xml
    assert "<pic:pic" in photo_xml and "<a:blip" in photo_xml
    assert PHOTO_LABEL not in _tc_text(photo)
    assert len(list(doc.inline_shapes)) == 1
    blip = photo.xpath(".//a:blip")[0]
    image_part = doc.part.related_parts[blip.get(qn("r:embed"))]
    assert image_part.content_type == "image/png"
    with zipfile.ZipFile(out) as zf:
        body = zf.read("word/document.xml").decode("utf-8")
    tbl_start = body.index("申报人员基本情况表")
    assert body.index("<pic:pic", tbl_start) < body.index("本人承诺申报表中")


def test_render_hostile_context_is_literal(tmp_path: Path) -> None:
    context, doc, out = _render(tmp_path, _hostile_context)
    text = _assert_common_layout(context, doc)

    literals = list(_expected_scalars(context).values())
    literals += [v for row in context["education"] for v in row.values()]
    literals += [f"{w['start']}—{w['end']}" for w in context["work_history"]]
    literals += [v for w in context["work_history"] for v in (w["employer"], w["position"])]
    achievements = "第一行 <b>&</b>\n第二行 {{ 7*7 }}\n第三行 {% if %} 😀"
    literals.append(achievements)
    _assert_no_jinja_left(text, literals)

    # the Jinja-looking values were not evaluated
    assert any(value.endswith(":{{ 7*7 }}") for value in literals)
    assert "49" not in text
    _, basic, boxes = _tables(doc)
    assert _row_texts(boxes)[1][1] == achievements
    assert _tc_text(_photo_tc(basic)) == PHOTO_LABEL
    assert "<pic:pic" not in _photo_tc(basic).xml
    with zipfile.ZipFile(out) as zf:
        body = zf.read("word/document.xml").decode("utf-8")
    assert "&lt;/w:t&gt;" in body and "&lt;script&gt;" in body
    assert "<script>" not in body


def test_render_empty_lists_drop_loop_rows(tmp_path: Path) -> None:
    def make(tpl: DocxTemplate) -> dict[str, Any]:
        context = _full_context(tpl)
        context.update(education=[], work_history=[], photo=NO_PHOTO)
        return context

    context, doc, _ = _render(tmp_path, make)
    text = _assert_common_layout(context, doc)
    _assert_no_jinja_left(text, [])
    _, basic, education, work, _ = _all_tables(doc)
    assert _row_texts(education) == [["学历", "毕业时间", "毕业院校", "所学专业", "证书编号"]]
    assert _row_texts(work)[-1] == ["起止时间", "工作单位", "职务（岗位）"]
    assert _tc_text(_photo_tc(basic)) == PHOTO_LABEL


@pytest.mark.parametrize("make_context", [_full_context, _hostile_context], ids=["full", "hostile"])
def test_rendered_rows_keep_their_grid(tmp_path: Path, make_context: ContextFactory) -> None:
    _, doc, _ = _render(tmp_path, make_context)
    _, basic, education, work, _ = _all_tables(doc)
    for table, grid_cols in ((basic, 7), (education, 5), (work, 3)):
        assert len(table._tbl.tblGrid.gridCol_lst) == grid_cols
        for row in table.rows:
            assert sum(tc.grid_span for tc in row._tr.tc_lst) == grid_cols
        # the three tables print as one grid: same width
        width = sum(c.w for c in table._tbl.tblGrid.gridCol_lst)
        assert abs(width - sum(c.w for c in basic._tbl.tblGrid.gridCol_lst)) < Cm(0.01)


# --- printing: pages, labels -----------------------------------------------------------------
def _is_header(row: Any) -> bool:
    tr_pr = row._tr.trPr
    return tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None


def _cant_split(row: Any) -> bool:
    tr_pr = row._tr.trPr
    return tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None


def _keeps_with_next(row: Any) -> bool:
    return all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs)


def test_list_headers_repeat_on_every_page(tmp_path: Path) -> None:
    def make(tpl: DocxTemplate) -> dict[str, Any]:
        context = _full_context(tpl)
        context["work_history"] = context["work_history"] * 4  # 12 rows: more than a page can hold
        return context

    _, doc, _ = _render(tmp_path, make)
    _, basic, education, work, _ = _all_tables(doc)
    assert not any(_is_header(row) for row in basic.rows)
    assert [_is_header(row) for row in education.rows] == [True, False, False]
    assert [_is_header(row) for row in work.rows] == [True, True] + [False] * 12
    # the headers keep with the first entry; no entry splits over two pages
    assert _keeps_with_next(work.rows[0]) and _keeps_with_next(work.rows[1])
    assert _keeps_with_next(education.rows[0])
    assert all(_cant_split(row) for row in (*education.rows[1:], *work.rows[2:]))


def test_signature_boxes_keep_together() -> None:
    doc = Document(str(TEMPLATE))
    _, _, boxes = _tables(doc)
    # 本人承诺, 申报单位推荐意见, 评价机构意见 never part; the long 业绩 box may run over a page
    assert all(_cant_split(row) for row in boxes.rows[2:])
    assert not _cant_split(boxes.rows[1])
    assert all(_keeps_with_next(row) for row in boxes.rows[2:])


def test_cover_carries_the_attachment_mark_and_underlined_fields() -> None:
    doc = Document(str(TEMPLATE))
    assert doc.paragraphs[0].text == "附件2"
    cover, _, _ = _tables(doc)
    for row in cover.rows:
        runs = row.cells[1].paragraphs[0].runs
        assert runs[0].text.startswith("{{") and runs[0].font.underline
        # an underlined tab runs the rule to the right edge, also under a wrapped long name
        assert runs[1]._r.find(qn("w:tab")) is not None and runs[1].font.underline
        assert runs[-1].text == "\u200b" and runs[-1].font.underline  # the tab is not trailing space


def test_labels_fit_their_cells() -> None:
    assert overflowing_labels(Document(str(TEMPLATE))) == []
