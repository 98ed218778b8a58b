"""docxtpl template for the 高技能人才参评专业技术职称申报资格自查表 (our layout; 55号 has no form).

The template is built by ``tools/build_cq_skill_to_title_template.py``; these tests render it the way
the bot does (``autoescape=True``) and read the result back with python-docx.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, Listing

from tests.documents.label_fit import overflowing_labels
from tests.documents.template_checks import (
    assert_a4_and_fonts,
    assert_matches_committed,
    assert_variables,
    load_builder,
    tags_in_single_runs,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "doc_templates" / "cq_skill_to_title.docx"
BUILDER = ROOT / "tools" / "build_cq_skill_to_title_template.py"

SCALARS = (
    "name",
    "gender",
    "birth_month",
    "id_number",
    "mobile",
    "employer",
    "current_post",
    "series_specialty",
    "skill_cert",
    "skill_occupation",
    "skill_cert_date",
    "skill_cert_no",
    "work_years_text",
    "apply_level",
    "max_level",
    "chk_post",
    "chk_conduct",
    "chk_series_basic",
    "chk_review",
    "chk_ordinary",
    "chk_green",
    "chk_level",
    "conclusion",
)
ALLOWED_VARIABLES = {*SCALARS, "awards_text"}

LABELS = (
    "高技能人才参评专业技术职称申报资格自查表",
    "一、申请人基本情况",
    "姓名",
    "性别",
    "出生年月",
    "身份证号码",
    "手机号码",
    "工作单位",
    "现工作岗位",
    "系列（专业）",
    "技能等级",
    "职业（工种）",
    "取得时间",
    "证书编号",
    "取得证书后相应工作年限",
    "奖项、称号（破格条件）",
    "申报职称级别",
    "最高可申报级别",
    "二、申报条件自查",
    "序号",
    "自查项目",
    "自查结果",
    "政策依据",
    "自查结论",
    "申报人承诺",
    "申报人签名：",
    "单位审核意见",
    "负责人签字：",
    "单位（盖章）",
    "非官方附件",
)
CLAUSES = ("55号 二", "55号 二(一)", "55号 三(一)1", "55号 三(一)")

HOSTILE = (
    "</w:t></w:r></w:p><w:p><w:r><w:t>",
    "<script>alert('x')</script>",
    "A & B &amp; C",
    "{{ 7*7 }}",
    "{% for x in y %}",
    "}} %} {# #}",
    "]]><![CDATA[",
)


def _all_text(doc: DocumentObject) -> str:
    return "\n".join(Paragraph(p, doc._body).text for p in doc.element.body.iter(qn("w:p")))


def _row_texts(table: Table) -> list[list[str]]:
    def tc_text(tc: Any) -> str:
        return "\n".join(Paragraph(p, None).text for p in tc.iter(qn("w:p")))  # type: ignore[arg-type]

    return [[tc_text(tc) for tc in row._tr.tc_lst] for row in table.rows]


def _render(tmp_path: Path, context: dict[str, Any]) -> tuple[DocumentObject, Path]:
    tpl = DocxTemplate(TEMPLATE)
    tpl.render(context, autoescape=True)
    out = tmp_path / "rendered.docx"
    tpl.save(out)
    return Document(str(out)), out


def _full_context() -> dict[str, Any]:
    context: dict[str, Any] = {
        "name": "王强",
        "gender": "男",
        "birth_month": "1990.01",
        "id_number": "50010119900101123X",
        "mobile": "13800138000",
        "employer": "重庆长江电气设备有限公司",
        "current_post": "设备维修电工",
        "series_specialty": "工程系列 电气工程",
        "skill_cert": "技师",
        "skill_occupation": "电工",
        "skill_cert_date": "2019.07.01",
        "skill_cert_no": "S000050000001193000123",
        "work_years_text": "3年",
        "apply_level": "副高级",
        "max_level": "副高级",
        "chk_post": "符合",
        "chk_conduct": "符合",
        "chk_series_basic": "待核实",
        "chk_review": "符合",
        "chk_ordinary": "符合（可申报中级）",
        "chk_green": "符合（可申报副高级）",
        "chk_level": "符合",
        "conclusion": "符合申报条件。申报副高级职称，申报条件：破格晋升（55号 三(一)1），评价方式：破格晋升。",
    }
    context["awards_text"] = Listing("全国技术能手\n2020年 全国技术能手（人力资源社会保障部）")
    return context


def test_template_uses_only_the_agreed_variables() -> None:
    assert TEMPLATE.exists(), "run: python tools/build_cq_skill_to_title_template.py"
    assert_variables(TEMPLATE, ALLOWED_VARIABLES)


def test_every_tag_sits_in_a_single_run() -> None:
    doc = Document(str(TEMPLATE))
    seen = tags_in_single_runs(doc)
    assert sorted(seen) == sorted(f"{{{{ {name} }}}}" for name in ALLOWED_VARIABLES)


def test_page_setup_and_fonts() -> None:
    doc = Document(str(TEMPLATE))
    assert_a4_and_fonts(doc)
    assert len(doc.tables) == 3


def test_committed_template_matches_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_builder("build_cq_skill_to_title_template", monkeypatch)
    fresh = module.build(tmp_path / "fresh.docx")

    assert_matches_committed(fresh, TEMPLATE, "build_cq_skill_to_title_template")


def test_render_full_context(tmp_path: Path) -> None:
    context = _full_context()
    doc, _ = _render(tmp_path, context)
    text = _all_text(doc)
    for label in LABELS:
        assert label in text.replace("\n", ""), label
    for clause in CLAUSES:
        assert clause in text, clause
    for name in SCALARS:
        assert context[name] in text, name
    for token in ("{{", "}}", "{%", "%}"):
        assert token not in text
    info, checks, boxes = doc.tables
    assert [
        "奖项、称号\n（破格条件）",
        "全国技术能手\n2020年 全国技术能手（人力资源社会保障部）",
    ] in _row_texts(info)
    check_rows = _row_texts(checks)
    assert check_rows[1] == ["序号", "自查项目", "自查结果", "政策依据"]
    assert [row[0] for row in check_rows[2:]] == [str(i) for i in range(1, 9)]
    assert [row[2] for row in check_rows[2:]] == [
        "符合",
        "符合",
        "待核实",
        "符合",
        "符合（可申报中级）",
        "符合（可申报副高级）",
        "不作为限制性条件",
        "符合",
    ]
    assert [row[0] for row in _row_texts(boxes)] == ["自查结论", "申报人承诺", "单位审核意见"]
    assert _row_texts(boxes)[0][1] == context["conclusion"]


def test_render_hostile_context_is_literal(tmp_path: Path) -> None:
    context: dict[str, Any] = {name: f"{name}:{HOSTILE[i % len(HOSTILE)]}" for i, name in enumerate(SCALARS)}
    context["awards_text"] = Listing("第一行 <b>&</b>\n第二行 {{ 7*7 }}")
    doc, out = _render(tmp_path, context)
    text = _all_text(doc)
    for name in SCALARS:
        assert context[name] in text, name
    assert "第一行 <b>&</b>\n第二行 {{ 7*7 }}" in text
    assert "49" not in text
    with zipfile.ZipFile(out) as zf:
        body = zf.read("word/document.xml").decode("utf-8")
    assert "&lt;/w:t&gt;" in body and "&lt;script&gt;" in body
    assert "<script>" not in body


def _tr_has(row: Any, tag: str) -> bool:
    return row._tr.trPr is not None and row._tr.trPr.find(qn(tag)) is not None


def test_printing_headers_repeat_and_blocks_keep_together() -> None:
    doc = Document(str(TEMPLATE))
    info, checks, boxes = doc.tables
    # section headings repeat when a long answer pushes a table over a page, and keep with their rows
    assert [_tr_has(row, "w:tblHeader") for row in info.rows][:2] == [True, False]
    assert [_tr_has(row, "w:tblHeader") for row in checks.rows][:3] == [True, True, False]
    for row in (info.rows[0], checks.rows[0], checks.rows[1]):
        assert all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)
    # 自查结论, 承诺 and 审核意见 never part, nor leave the footnote behind
    assert all(_tr_has(row, "w:cantSplit") for row in boxes.rows)
    assert all(
        p.paragraph_format.keep_with_next for row in boxes.rows for c in row.cells for p in c.paragraphs
    )


def test_labels_fit_their_cells() -> None:
    assert overflowing_labels(Document(str(TEMPLATE))) == []
