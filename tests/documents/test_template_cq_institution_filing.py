"""docxtpl template for 8号 附件1 《组织专业技术人员参加高技能人才贯通评价机构报备表》.

The template is built by ``tools/build_cq_institution_filing_template.py``; these tests render it the
way the bot does (``autoescape=True``) and read the result back with python-docx.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate

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
TEMPLATE = ROOT / "doc_templates" / "cq_institution_filing.docx"
BUILDER = ROOT / "tools" / "build_cq_institution_filing_template.py"

SCALARS = (
    "name",
    "uscc",
    "org_type",
    "org_address",
    "legal_name",
    "legal_title",
    "legal_phone",
    "legal_mobile",
    "contact_name",
    "contact_title",
    "contact_phone",
    "contact_mobile",
)
ROWS = {
    "mappings": ("occupation", "job_type", "levels", "specialities"),
    "staff": ("name", "id_number", "title", "education", "duties"),
    "experts": ("name", "id_number", "title", "education", "speciality", "internal"),
}
# The official labels of 附件1 in their order (plus 统一社会信用代码, the one added row).
OFFICIAL_LABELS = (
    "附件1",
    "组织专业技术人员参加高技能人才贯通评价机构报备表",
    "评价机构盖章：",
    "一、基本信息",
    "（一）评价机构信息",
    "评价机构名称",
    "评价机构类型",
    "办公地址",
    "（二）法定代表人信息",
    "姓名",
    "职务",
    "座机",
    "手机",
    "（三）联系人信息",
    "二、拟申请贯通评价的专业技术职称专业与技能类职业（工种）对应",
    "序号",
    "职业名称",
    "工种名称",
    "等级",
    "对应专业技术职称专业范围",
    "三、人员情况",
    "（一）负责贯通评价工作人员情况",
    "身份证号",
    "职务/职称",
    "学历",
    "工作职责",
    "（二）评审专家情况（本单位或外单位符合条件的专家，不少于3人）",
    "职务/职称/技能等级",
    "专业方向",
    "是否本单位人员",
)
HOSTILE = (
    "</w:t></w:r></w:p><w:p><w:r><w:t>",
    "<script>alert('x')</script>",
    "{{ 7*7 }}",
    "A & B",
    "{%tr endfor %}",
)

ContextFactory = Callable[[int], dict[str, Any]]


def _all_text(doc: DocumentObject) -> str:
    return "\n".join(Paragraph(p, doc._body).text for p in doc.element.body.iter(qn("w:p")))


def _row_texts(table: Table) -> list[list[str]]:
    """Text of each real ``w:tc`` of each row (merged cells counted once)."""
    return [
        ["\n".join(Paragraph(p, None).text for p in tc.iter(qn("w:p"))) for tc in row._tr.tc_lst]  # type: ignore[arg-type]
        for row in table.rows
    ]


def _context(n: int, text: Callable[[str, int], str] = lambda key, i: f"{key}{i}") -> dict[str, Any]:
    context: dict[str, Any] = {key: text(key, 0) for key in SCALARS}
    for group, columns in ROWS.items():
        context[group] = [{c: text(f"{group}.{c}", i) for c in columns} for i in range(1, n + 1)]
    return context


def _hostile(key: str, i: int) -> str:
    return f"{key}{i}:{HOSTILE[(len(key) + i) % len(HOSTILE)]}"


def _render(tmp_path: Path, context: dict[str, Any]) -> tuple[DocumentObject, Path]:
    tpl = DocxTemplate(TEMPLATE)
    tpl.render(context, autoescape=True)
    out = tmp_path / "rendered.docx"
    tpl.save(out)
    return Document(str(out)), out


def test_template_uses_only_the_agreed_variables() -> None:
    assert TEMPLATE.exists(), "run: python tools/build_cq_institution_filing_template.py"
    assert_variables(TEMPLATE, set(SCALARS) | set(ROWS))


def test_official_labels_in_official_order() -> None:
    text = _all_text(Document(str(TEMPLATE))).replace("\n", "")  # header labels break like the official
    position = 0
    for official in OFFICIAL_LABELS:
        found = text.find(official, position)
        assert found >= 0, official
        position = found
    assert text.index("评价机构名称") < text.index("统一社会信用代码") < text.index("评价机构类型")


def test_every_tag_sits_in_a_single_run_and_control_rows_hold_only_the_tag() -> None:
    doc = Document(str(TEMPLATE))
    tags_in_single_runs(doc)
    control = control_rows(doc.tables, _row_texts)
    assert control == [
        ["{%tr for m in mappings %}"],
        ["{%tr endfor %}"],
        ["{%tr for s in staff %}"],
        ["{%tr endfor %}"],
        ["{%tr for e in experts %}"],
        ["{%tr endfor %}"],
    ]


def test_page_setup_and_fonts() -> None:
    doc = Document(str(TEMPLATE))
    assert_a4_and_fonts(doc)
    assert [len(t._tbl.tblGrid.gridCol_lst) for t in doc.tables] == [5, 5, 6, 7]


def test_committed_template_matches_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_builder("build_cq_institution_filing_template", monkeypatch)
    fresh = module.build(tmp_path / "fresh.docx")

    assert_matches_committed(fresh, TEMPLATE, "build_cq_institution_filing_template")


@pytest.mark.parametrize("n", [1, 3, 20])
def test_rendered_rows_numbered_in_the_official_columns(tmp_path: Path, n: int) -> None:
    context = _context(n)
    doc, _ = _render(tmp_path, context)
    basic, mappings, staff, experts = doc.tables
    rows = _row_texts(basic)
    assert rows[2] == ["评价机构名称", "name0"]
    assert rows[7] == ["姓名", "legal_name0", "职务", "legal_title0"]
    assert rows[11] == ["座机", "contact_phone0", "手机", "contact_mobile0"]
    assert len(rows) == 12
    rows = _row_texts(mappings)
    assert len(rows) == 2 + n
    assert rows[-n:] == [
        [str(i), *(context["mappings"][i - 1][c] for c in ROWS["mappings"])] for i in range(1, n + 1)
    ]
    for table, group in ((staff, "staff"), (experts, "experts")):
        body = _row_texts(table)
        assert len(body) == 1 + n
        assert body[1:] == [
            [str(i), *(context[group][i - 1][c] for c in ROWS[group])] for i in range(1, n + 1)
        ]
        grid = len(table._tbl.tblGrid.gridCol_lst)
        assert all(sum(tc.grid_span for tc in row._tr.tc_lst) == grid for row in table.rows)
    text = _all_text(doc)
    for token in ("{{", "}}", "{%", "%}"):
        assert token not in text


def test_render_hostile_text_is_literal(tmp_path: Path) -> None:
    context = _context(2, _hostile)
    doc, out = _render(tmp_path, context)
    text = _all_text(doc)
    for key in SCALARS:
        assert context[key] in text, key
    for group, columns in ROWS.items():
        for row in context[group]:
            for column in columns:
                assert row[column] in text, (group, column)
    assert "49" not in text
    with zipfile.ZipFile(out) as zf:
        body = zf.read("word/document.xml").decode("utf-8")
    assert "&lt;/w:t&gt;" in body and "&lt;script&gt;" in body
    assert "<script>" not in body


def _tr_has(row: Any, tag: str) -> bool:
    return row._tr.trPr is not None and row._tr.trPr.find(qn(tag)) is not None


def _keeps_with_next(row: Any) -> bool:
    return all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)


def test_list_headers_repeat_and_headings_keep_with_what_follows(tmp_path: Path) -> None:
    doc, _ = _render(tmp_path, _context(20))
    basic, mappings, staff, experts = doc.tables
    assert not any(_tr_has(row, "w:tblHeader") for row in basic.rows)
    # 二: its heading and column header lead the table and repeat on every page
    assert [_tr_has(row, "w:tblHeader") for row in mappings.rows] == [True, True] + [False] * 20
    assert _keeps_with_next(mappings.rows[0]) and _keeps_with_next(mappings.rows[1])
    for table in (staff, experts):
        assert [_tr_has(row, "w:tblHeader") for row in table.rows] == [True] + [False] * 20
        assert _keeps_with_next(table.rows[0])
    assert all(_tr_has(row, "w:cantSplit") for t in doc.tables for row in t.rows)
    # the sub-headings of 一 keep with their rows; 三、（一）、（二） keep with their tables
    headings = [row for row in basic.rows if len(row._tr.tc_lst) == 1]
    assert len(headings) == 4 and all(_keeps_with_next(row) for row in headings)
    for text in ("三、人员情况", "（一）负责贯通评价工作人员情况", "（二）评审专家情况"):
        paragraph = next(p for p in doc.paragraphs if p.text.startswith(text))
        assert paragraph.paragraph_format.keep_with_next, text


def test_labels_fit_their_cells() -> None:
    assert overflowing_labels(Document(str(TEMPLATE))) == []
