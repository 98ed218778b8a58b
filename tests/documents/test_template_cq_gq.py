"""docxtpl templates of 渝人工考〔2021〕1号: 登记表 附件1 / 附件2 and 岗位使用情况备案表 附件4.

Built by ``tools/build_cq_gq_grade_template.py`` and ``tools/build_cq_gq_posts_template.py``; these
tests check the committed files equal a fresh build, render them the way the bot does
(``autoescape=True``) and read the result back with python-docx.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, Listing

from tests.documents.template_checks import (
    assert_variables,
    load_builder,
    tags_in_single_runs,
    word_parts,
)

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"
GRADE = {
    "basic": ROOT / "doc_templates" / "cq_gq_grade_basic.docx",
    "senior": ROOT / "doc_templates" / "cq_gq_grade_senior.docx",
}
POSTS = ROOT / "doc_templates" / "cq_gq_posts.docx"

GRADE_SCALARS = (
    "employer",
    "name",
    "apply_trade_text",
    "apply_level",
    "fill_date_text",
    "gender",
    "ethnicity",
    "id_number",
    "birth_month",
    "work_start",
    "trade_years_text",
    "employer_address",
    "postcode",
    "phone",
    "work_years_text",
    "current_text",
    "grade_years_text",
    "apply_text",
    "edu_level",
    "edu_graduated",
    "edu_school",
    "edu_major",
    "edu_cert_no",
    "rewards_punishments",
)
GRADE_VARIABLES = {*GRADE_SCALARS, "photo", "work_history", "achievements"}
POSTS_VARIABLES = {"unit_name", "filler", "filler_phone", "fill_date", "levels"}
HOSTILE = ("</w:t></w:r><w:p>", "<script>alert(1)</script>", "{{ 7*7 }}", "{% if x %}", "A & B")


def _text(doc: DocumentObject) -> str:
    return "\n".join(Paragraph(p, doc._body).text for p in doc.element.body.iter(qn("w:p")))


def _render(template: Path, context: dict[str, Any], out: Path) -> DocumentObject:
    tpl = DocxTemplate(template)
    tpl.render(context, autoescape=True)
    tpl.save(out)
    return Document(str(out))


def _grade_context(hostile: bool) -> dict[str, Any]:
    context: dict[str, Any] = {
        key: (f"{key}:{HOSTILE[i % len(HOSTILE)]}" if hostile else f"{key}-值")
        for i, key in enumerate(GRADE_SCALARS)
    }
    context["photo"] = "（照片）"
    context["achievements"] = Listing("第一行 {{ 7*7 }}\n第二行 <b>&</b>")
    context["work_history"] = [
        {"start": "2005.07", "end": "2010.12", "employer": "单位甲", "trade": "汽车驾驶员"},
        {"start": "2011.01", "end": "至今", "employer": "单位乙</w:t>", "trade": "{{ 7*7 }}"},
    ]
    return context


def test_committed_templates_match_builders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grade = load_builder("build_cq_gq_grade_template", monkeypatch)
    fresh = grade.build(tmp_path)
    assert [p.name for p in fresh] == [GRADE["basic"].name, GRADE["senior"].name]
    for path in fresh:
        assert word_parts(path) == word_parts(ROOT / "doc_templates" / path.name), (
            "re-run tools/build_cq_gq_grade_template.py"
        )
    posts = load_builder("build_cq_gq_posts_template", monkeypatch)
    assert word_parts(posts.build(tmp_path / "posts.docx")) == word_parts(POSTS), (
        "re-run tools/build_cq_gq_posts_template.py"
    )


@pytest.mark.parametrize("template", [*GRADE.values(), POSTS], ids=["basic", "senior", "posts"])
def test_every_tag_sits_in_a_single_run(template: Path) -> None:
    doc = Document(str(template))
    tags_in_single_runs(doc)


def test_templates_use_only_the_agreed_variables() -> None:
    for template in GRADE.values():
        assert_variables(template, GRADE_VARIABLES)
    assert_variables(POSTS, POSTS_VARIABLES)


@pytest.mark.parametrize("variant", ["basic", "senior"])
@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_render_grade(tmp_path: Path, variant: str, hostile: bool) -> None:
    context = _grade_context(hostile)
    doc = _render(GRADE[variant], context, tmp_path / "out.docx")
    text = _text(doc)
    for key in GRADE_SCALARS:
        assert str(context[key]) in text, key
    assert "第一行 {{ 7*7 }}\n第二行 <b>&</b>" in text
    assert "2011.01—至今" in text and "单位乙</w:t>" in text
    assert "49" not in text
    for caption in ("工作简历", "何时何地受过何种奖励或处分", "主要专业技术业绩", "考核记录", "业务理论考核"):
        assert caption in text
    committee = ("应到人数", "实到人数", "表决结果", "同意人数", "不同意人数", "弃权人数", "负责人签字")
    if variant == "senior":
        assert all(c in text for c in committee)
        assert "鉴定（考核）机构意见" not in text
    else:
        assert not any(c in text for c in committee)
        assert "鉴定（考核）机构意见" in text
    body = zipfile.ZipFile(tmp_path / "out.docx").read("word/document.xml").decode()
    assert "<script>" not in body


@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
def test_render_posts(tmp_path: Path, hostile: bool) -> None:
    name = "<script>单位</script>{{ 7*7 }}" if hostile else "重庆市某某医院"
    rows = [
        {
            "level": "二级（技师）",
            "approved": "1",
            "employed": "1",
            "special": "0",
            "vacant": "0",
            "applied": "0",
            "retire_two": "0",
            "exempt": "0",
        },
        {
            "level": "四级（中级工）",
            "approved": "4",
            "employed": "3",
            "special": "1",
            "vacant": "1",
            "applied": "2",
            "retire_two": "0",
            "exempt": "1",
        },
    ]
    context = {
        "unit_name": name,
        "filler": "李四",
        "filler_phone": "023-67123456",
        "fill_date": "2021.07.10",
        "levels": rows,
    }
    doc = _render(POSTS, context, tmp_path / "out.docx")
    assert name in _text(doc)
    table = doc.tables[0]
    grid = [
        [tc_text for tc_text in (Paragraph(tc.p_lst[0], None).text for tc in row._tr.tc_lst)]
        for row in table.rows
    ]  # type: ignore[arg-type]
    assert grid[0][-5:] == [
        "一级（高级技师）",
        "二级（技师）",
        "三级（高级工）",
        "四级（中级工）",
        "五级（初级工）",
    ]
    assert grid[1][-5:] == ["", "1", "", "4", ""]  # 核准岗位数
    assert grid[4][-5:] == ["", "0", "", "1", ""]  # 空缺岗位
    assert grid[5][-5:] == ["", "0", "", "2", ""]  # 当年岗位申报数量
    assert grid[7][-5:] == ["", "0", "", "1", ""]  # 符合不受岗位限额申报条件的
