"""docxtpl templates for 黄石 贯通 (黄人社函〔2020〕77号): our own A4 layout, built by
``tools/build_hs_guantong_template.py``; rendered the way the bot does (``autoescape=True``) and read back
with python-docx."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, Listing

from tests.documents.template_checks import (
    TAG_RE,
    assert_a4_and_fonts,
    assert_matches_committed,
    assert_variables,
    load_builder,
    tags_in_single_runs,
)

ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / "tools" / "build_hs_guantong_template.py"
TITLE = ROOT / "doc_templates" / "hs_guantong_title.docx"
SKILL = ROOT / "doc_templates" / "hs_guantong_skill.docx"

COMMON = {
    "name", "gender", "birth_month", "photo", "id_number", "mobile", "education_text", "edu_graduated",
    "edu_school", "edu_major", "position", "work_start", "work_history", "achievements",
}  # fmt: skip
TITLE_VARIABLES = COMMON | {
    "employer_text", "employer_type", "skill_text", "need_cert_obtained", "apply_title", "apply_specialty",
    "test_text", "route", "publicity_text", "submit_to",
}  # fmt: skip
SKILL_VARIABLES = COMMON | {
    "employer", "title_text", "title_obtained", "apply_occupation", "apply_level", "occ_type", "method",
    "related_degree",
}  # fmt: skip
TITLE_LABELS = (
    "黄石市工程技术领域高技能人才申报专业技术职务任职资格推荐表", "身份证号码", "最高学历", "单位性质",
    "职业资格或技能等级", "申报职称", "申报专业", "水平能力测试", "申报途径", "推荐结果公示", "材料报送",
    "工作经历", "主要工作业绩成果", "本人承诺", "用人单位推荐意见", "人事代理机构或主管部门意见",
    "受理部门初审意见", "不是官方附件格式",
)  # fmt: skip
SKILL_LABELS = (
    "黄石市专业技术人才参加职业技能等级评价申报表", "现专业技术职称", "申报职业（工种）", "申报等级",
    "评价类别", "评价方式", "相关专业毕业证书", "所在单位意见", "评价机构意见",
)  # fmt: skip
HOSTILE = ("</w:t></w:r><w:r><w:t>", "<script>alert('x')</script>", "{{ 7*7 }}", "{%tr endfor %}", "A & B")


def _text(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join(Paragraph(p, None).text for p in doc.element.body.iter(qn("w:p")))  # type: ignore[arg-type]


def _achievements(hostile: bool) -> str:
    return "第一行 <b>&</b>\n第二行 {{ 7*7 }}" if hostile else "第一行\n第二行"


def _context(variables: set[str], hostile: bool) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for i, var in enumerate(sorted(variables - {"work_history", "achievements", "photo"})):
        context[var] = f"{var}:{HOSTILE[i % len(HOSTILE)]}" if hostile else f"{var}-值"
    context["photo"] = "（照片）"
    context["achievements"] = Listing(_achievements(hostile))
    context["work_history"] = [
        {"start": "2006.08", "end": "至今", "employer": HOSTILE[i] if hostile else "单位", "position": "电工"}
        for i in range(2)
    ]
    return context


@pytest.mark.parametrize(("template", "variables"), [(TITLE, TITLE_VARIABLES), (SKILL, SKILL_VARIABLES)])
def test_template_variables_and_single_run_tags(template: Path, variables: set[str]) -> None:
    assert_variables(template, variables)
    doc = Document(str(template))
    tags_in_single_runs(doc)
    assert_a4_and_fonts(doc)


def test_committed_templates_match_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_builder("build_hs_guantong_template", monkeypatch)
    fresh_title, fresh_skill = module.build(tmp_path)

    assert_matches_committed(fresh_title, TITLE, "build_hs_guantong_template")
    assert_matches_committed(fresh_skill, SKILL, "build_hs_guantong_template")


@pytest.mark.parametrize("hostile", [False, True], ids=["plain", "hostile"])
@pytest.mark.parametrize(
    ("template", "variables", "labels"),
    [(TITLE, TITLE_VARIABLES, TITLE_LABELS), (SKILL, SKILL_VARIABLES, SKILL_LABELS)],
    ids=["title", "skill"],
)
def test_render_reads_back(
    tmp_path: Path, template: Path, variables: set[str], labels: tuple[str, ...], hostile: bool
) -> None:
    tpl = DocxTemplate(template)
    context = _context(variables, hostile)
    tpl.render(context, autoescape=True)
    out = tmp_path / "out.docx"
    tpl.save(out)
    text = _text(out)
    for official in labels:
        assert official in text
    for var, val in context.items():
        if isinstance(val, str):
            assert val in text, var
    assert _achievements(hostile) in text
    for row in context["work_history"]:
        assert row["employer"] in text
    leftover = text
    for val in [v for v in context.values() if isinstance(v, str)] + [_achievements(hostile)]:
        leftover = leftover.replace(val, "")
    for row in context["work_history"]:
        leftover = leftover.replace(row["employer"], "")
    assert not TAG_RE.search(leftover)
    if hostile:
        assert "49" not in text
        with zipfile.ZipFile(out) as zf:
            body = zf.read("word/document.xml").decode("utf-8")
        assert "&lt;script&gt;" in body and "<script>" not in body
