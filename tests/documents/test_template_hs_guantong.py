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
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, Listing

from tests.documents.label_fit import overflowing_labels
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
    context["photo"] = ""  # no photo given: the box prints its label
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
    flat = text.replace("\n", "")  # long labels break over lines
    for official in labels:
        assert official in flat
    assert "\n照片\n" in text
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


def _is_header(row: Any) -> bool:
    return row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None


def _cant_split(row: Any) -> bool:
    return row._tr.trPr is not None and row._tr.trPr.find(qn("w:cantSplit")) is not None


def _keeps_with_next(row: Any) -> bool:
    return all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs)


@pytest.mark.parametrize("template", [TITLE, SKILL], ids=["title", "skill"])
def test_printing_photo_box_headers_and_blocks(template: Path) -> None:
    doc = Document(str(template))
    grid, work, boxes = doc.tables
    # the 照片 box holds a 35 x 49 mm photo and prints 「照片」 when none was given
    photo = grid.rows[0]._tr.tc_lst[-1]
    assert "{% else %}照片{% endif %}" in "".join(t.text or "" for t in photo.iter(qn("w:t")))
    assert photo.width is not None and photo.width >= Cm(3.7)
    assert sum(row.height or 0 for row in grid.rows[:3]) >= Cm(5.1)
    # 工作经历 is a table of its own: its two header rows repeat and keep with the first entry
    assert not any(_is_header(row) for row in grid.rows)
    assert [_is_header(row) for row in work.rows] == [True, True, False, False, False]
    assert _keeps_with_next(work.rows[0]) and _keeps_with_next(work.rows[1])
    assert _cant_split(work.rows[3])
    # 本人承诺 and the opinions keep together; the 业绩 box may run over a page
    assert not _cant_split(boxes.rows[0])
    assert all(_cant_split(row) for row in boxes.rows[1:])
    assert all(_keeps_with_next(row) for row in boxes.rows[1:])
    assert _same_width(grid, work)


def _same_width(a: Table, b: Table) -> bool:
    def width(t: Table) -> int:
        return sum(c.w for c in t._tbl.tblGrid.gridCol_lst)

    return abs(width(a) - width(b)) < Cm(0.01)


@pytest.mark.parametrize("template", [TITLE, SKILL], ids=["title", "skill"])
def test_labels_fit_their_cells(template: Path) -> None:
    assert overflowing_labels(Document(str(template))) == []
