"""docxtpl templates of the 技工院校 filing (渝人社发〔2020〕83号 附件1–3).

The templates are built by ``tools/build_cq_school_filing_template.py``; these tests check the committed
files against a fresh build, look at the tags, and fill the form the way the bot does (``shenbao fill``
with the scenario answers), reading the three documents back with python-docx.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate

from bot.fill import fill
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
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
TEMPLATES = ROOT / "doc_templates"
BUILDER = ROOT / "tools" / "build_cq_school_filing_template.py"
SCENARIOS = ROOT / "tests" / "scenarios" / "cq_school_filing"
APPLICATION = "cq_school_filing.docx"
WORK_PLAN = "cq_school_filing_work_plan.docx"
PLEDGE = "cq_school_filing_pledge.docx"

VARIABLES = {
    APPLICATION: {
        "name",
        "address",
        "registration_authority",
        "uscc",
        "station_code",
        "legal_rep",
        "legal_rep_title",
        "legal_rep_phone",
        "legal_rep_mobile",
        "contact_name",
        "contact_title",
        "contact_phone",
        "contact_mobile",
        "email",
        "occupations",
        "advantages",
        "venue_text",
        "equipment",
        "exam_it_text",
        "staff",
        "experts",
        "examiners",
        "supervisors",
    },
    WORK_PLAN: {
        "name",
        "occupations",
        "plan_overview",
        "plan_strategy",
        "plan_organization",
        "plan_occupations",
        "plan_alignment",
        "plan_rules",
        "plan_fees",
        "plan_content",
        "plan_other",
        "sign_date",
    },
    PLEDGE: {"name", "legal_rep", "sign_date"},
}
LOOPS = {
    APPLICATION: ["occupations", "equipment", "staff", "experts", "examiners", "supervisors"],
    WORK_PLAN: ["occupations"],
    PLEDGE: [],
}

# 附件1, the labels of the official table in their order.
APPLICATION_LABELS = (
    "技工院校开展职业技能等级认定备案申请表",
    "一、基本信息",
    "名称",
    "地址",
    "注册登记机构",
    "统一社会信用代码",
    "原职业技能鉴定机构编码",
    "法定代表人",
    "职务",
    "座机",
    "手机",
    "联系人",
    "电子邮箱",
    "二、申请开展认定的职业（工种）",
    "序号",
    "技工院校已开设专业",
    "对应职业（工种）",
    "职业",
    "工种",
    "职业编码",
    "等级",
    "认定依据（职业标准等）",
    "三、院校主干专业范围及具备的组织优势、专业优势等",
    "四、场地设备等情况",
    "（一）场地情况",
    "（二）设施设备情况",
    "设施设备名称",
    "品牌",
    "规格/型号",
    "数量",
    "所有权归属",
    "（三）计算机考务管理及视频监控设备配置情况",
    "五、人员情况（注：非本单位人员，请提供本人签署的提供评价服务承诺书或本人与评价单位签署的合作协议复印件）",
    "（一）专职工作人员情况",
    "身份证号",
    "职务/职称",
    "学历",
    "工作职责",
    "（二）专家情况",
    "专业方向",
    "职务/职称/技能等级",
    "所在单位",
    "（三）考评人员情况",
    "考评员证号",
    "考评职业",
    "（四）内部督导人员情况",
)
WORK_PLAN_HEADINGS = (
    "职业技能等级认定工作方案",
    "一、技工院校基本情况",
    "二、认定工作总体规划",
    "三、认定工作组织机构、职责",
    "四、拟开展认定的职业（工种）、等级、依据的标准及题库资源",
    "五、专业设置与职业（工种）对接、课程内容与职业标准对接、教学过程与工作过程对接情况",
    "六、考务管理、质量管理、证书管理办法等管理制度",
    "七、认定收费标准及收费管理办法",
    "八、认定内容及形式",
    "九、其他",
)
PLEDGE_TEXT = (
    "本单位郑重承诺，在申请职业技能等级评价机构备案中提交的有关材料均合法、真实、有效。"
    "如有不实之处，愿承担相应法律责任和由此产生的一切后果。"
)


def _text(doc: Any) -> str:
    return "\n".join(Paragraph(p, None).text for p in doc.element.body.iter(qn("w:p")))  # type: ignore[arg-type]


def _rows(table: Table) -> list[list[str]]:
    return [
        ["".join(Paragraph(p, None).text for p in tc.iter(qn("w:p"))) for tc in row._tr.tc_lst]
        for row in table.rows
    ]  # type: ignore[arg-type]


def _fill(tmp_path: Path, overrides: dict[str, Any]) -> dict[str, bytes]:
    answers = yaml.safe_load((SCENARIOS / "base.yaml").read_text(encoding="utf-8"))
    answers.update(overrides)
    answers = {k: v for k, v in answers.items() if v is not None}
    registry = Registry.load(ROOT / "forms", TEMPLATES)
    today = dt.date(2020, 10, 15)
    with Store(tmp_path / "data") as store:
        result = fill(
            Intake(registry, store, clock=lambda: today),
            "cq_school_filing_2020",
            answers,
            base=SCENARIOS,
            today=today,
        )
    assert result.data["status"] == "complete", (result.data["errors"], result.data["findings"])
    docs: dict[str, bytes] = {}
    for doc in result.documents:
        for key, suffix in (
            (APPLICATION, "备案申请表.docx"),
            (WORK_PLAN, "工作方案.docx"),
            (PLEDGE, "真实性承诺书.docx"),
        ):
            if doc.filename.endswith(suffix):
                docs[key] = doc.data
    assert set(docs) == {APPLICATION, WORK_PLAN, PLEDGE}, [doc.filename for doc in result.documents]
    return docs


# --- the template files ---------------------------------------------------------------------
@pytest.mark.parametrize("template", sorted(VARIABLES))
def test_template_uses_only_the_agreed_variables(template: str) -> None:
    assert_variables(TEMPLATES / template, VARIABLES[template])


@pytest.mark.parametrize("template", sorted(VARIABLES))
def test_every_tag_sits_in_a_single_run_and_loops_are_tr_rows(template: str) -> None:
    doc = Document(str(TEMPLATES / template))
    seen = tags_in_single_runs(doc)
    assert [t for t in seen if t.startswith("{%tr for")] == [
        f"{{%tr for r in {g} %}}" for g in LOOPS[template]
    ]
    assert seen.count("{%tr endfor %}") == len(LOOPS[template])
    for row in control_rows(doc.tables, _rows):
        assert len(row) == 1, row  # a control row is one merged cell holding only the tag


@pytest.mark.parametrize("template", sorted(VARIABLES))
def test_page_setup_and_fonts(template: str) -> None:
    doc = Document(str(TEMPLATES / template))
    assert_a4_and_fonts(doc, {"黑体"})


def test_committed_templates_match_builder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_builder("build_cq_school_filing_template", monkeypatch)
    fresh = module.build(tmp_path)
    assert sorted(p.name for p in fresh) == sorted(VARIABLES)

    for path in fresh:
        assert_matches_committed(path, TEMPLATES / path.name, "build_cq_school_filing_template")


# --- filled through the bot -----------------------------------------------------------------
def test_filled_documents_read_back(tmp_path: Path) -> None:
    docs = _fill(tmp_path, {})
    application = Document(io.BytesIO(docs[APPLICATION]))
    text = _text(application)
    flat = text.replace("\n", "")  # header labels break where the official form breaks them
    for label in APPLICATION_LABELS:
        assert label in flat, label
    assert "{{" not in text and "{%" not in text
    basic, occupations, *_ = application.tables
    assert _rows(basic)[5] == ["原职业技能鉴定机构编码", "5001001"]
    assert _rows(basic)[6] == ["法定代表人", "王建国", "职务", "院长"]
    assert _rows(occupations)[3:] == [
        [
            "1",
            "电气自动化设备安装与维修",
            "电工",
            "维修电工",
            "6-31-01-03",
            "三级/高级工、四级/中级工、五级/初级工、预备技师",
            "电工国家职业技能标准（2018年版）",
        ],
        [
            "2",
            "数控加工",
            "车工",
            "",
            "6-18-01-01",
            "四级/中级工、五级/初级工",
            "车工国家职业技能标准（2018年版）",
        ],
    ]
    examiners = application.tables[-2]
    assert [row[1] for row in _rows(examiners)[2:]] == ["孙立新", "周明", "吴刚", "郑强", "冯伟", "陈静"]
    for table in application.tables:
        grid = len(table._tbl.tblGrid.gridCol_lst)
        for row in table.rows:
            assert sum(tc.grid_span for tc in row._tr.tc_lst) == grid

    plan_text = _text(Document(io.BytesIO(docs[WORK_PLAN])))
    positions = [plan_text.index(heading) for heading in WORK_PLAN_HEADINGS]
    assert positions == sorted(positions)
    assert plan_text.index("学校创办于1958年") > plan_text.index("一、技工院校基本情况")
    assert plan_text.index("6-18-01-01") > plan_text.index("四、拟开展认定的职业（工种）")
    # the date as the form's date formatter wrote it (its date_style: 2020年10月15日, or 2020.10.15)
    assert re.search(r"重庆市渝新技师学院\n2020(年10月15日|\.10\.15)$", plan_text.rstrip())

    pledge_text = _text(Document(io.BytesIO(docs[PLEDGE])))
    assert PLEDGE_TEXT in pledge_text
    for line in (
        "申请单位：重庆市渝新技师学院",
        "法定代表人签名：",
        "（法定代表人：王建国）",
        "单位盖章：",
    ):
        assert line in pledge_text, line
    assert re.search(r"\n2020(年10月15日|\.10\.15)$", pledge_text.rstrip())


def test_optional_answers_left_blank_for_handwriting(tmp_path: Path) -> None:
    docs = _fill(tmp_path, {"plan_other": None, "sign_date": None})
    plan_text = _text(Document(io.BytesIO(docs[WORK_PLAN])))
    assert "九、其他\n无\n" in plan_text
    assert plan_text.rstrip().endswith("年    月    日")
    assert "年    月    日" in _text(Document(io.BytesIO(docs[PLEDGE])))


def test_hostile_text_is_literal(tmp_path: Path) -> None:
    hostile = "</w:t></w:r><w:r><w:t>x <script>alert(1)</script> {{ 7*7 }} {% if x %}"
    name = "重庆</w:t><script>{{ 7*7 }}{% if x %}学院"
    docs = _fill(
        tmp_path,
        {"name": name, "legal_rep": "{{ 7*7 }}", "plan_other": f"第一行 {hostile}\n第二行 &"},
    )
    for key, data in docs.items():
        text = _text(Document(io.BytesIO(data)))
        assert name in text, key
        assert "49" not in text, key
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            body = zf.read("word/document.xml").decode("utf-8")
        assert "<script>" not in body and "&lt;script&gt;" in body
    assert "第一行 " + hostile + "\n第二行 &" in _text(Document(io.BytesIO(docs[WORK_PLAN])))
    assert "（法定代表人：{{ 7*7 }}）" in _text(Document(io.BytesIO(docs[PLEDGE])))


@pytest.mark.parametrize("template", [WORK_PLAN, PLEDGE])
@pytest.mark.parametrize("date", ["2020年10月15日", "2020.10.15", "二〇二〇年十月十五日"])
def test_dates_print_as_given(tmp_path: Path, template: str, date: str) -> None:
    """The templates do not format dates: ``sign_date`` arrives formatted and prints as it came."""
    tpl = DocxTemplate(TEMPLATES / template)
    context = {key: f"{key}-值" for key in VARIABLES[template] if key != "occupations"}
    context.update(occupations=[], sign_date=date)
    tpl.render(context, autoescape=True)
    out = tmp_path / "out.docx"
    tpl.save(out)
    assert _text(Document(str(out))).rstrip().endswith("\n" + date)


def _tr_has(row: Any, tag: str) -> bool:
    return row._tr.trPr is not None and row._tr.trPr.find(qn(tag)) is not None


def test_list_headers_repeat_on_every_page(tmp_path: Path) -> None:
    docs = _fill(tmp_path, {})
    application = Document(io.BytesIO(docs[APPLICATION]))
    tables = application.tables
    assert len(tables) == 10  # 一; 二; 三; 四（一）,（二）,（三）; 五（一）–（四）
    for table in tables:
        kinds = [_tr_has(row, "w:tblHeader") for row in table.rows]
        # the leading heading / column-header rows repeat, nothing after them
        n = kinds.index(False) if False in kinds else len(kinds)
        assert n >= 1 and not any(kinds[n:])
        for row in table.rows[:n]:
            assert all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)
    rows = {_rows(t)[0][0]: t for t in tables}
    # 二: heading + two header rows; （二）设施设备 and each list of 五: heading + column header
    assert sum(_tr_has(r, "w:tblHeader") for r in rows["二、申请开展认定的职业（工种）"].rows) == 3
    for heading in ("（二）设施设备情况", "（一）专职工作人员情况", "（二）专家情况", "（三）考评人员情况"):
        assert sum(_tr_has(r, "w:tblHeader") for r in rows[heading].rows) == 2, heading
    assert sum(_tr_has(r, "w:tblHeader") for r in rows["（四）内部督导人员情况"].rows) == 2
    # list entries never split over two pages
    examiners = rows["（三）考评人员情况"]
    assert all(_tr_has(r, "w:cantSplit") for r in examiners.rows[2:])
    plan = Document(io.BytesIO(docs[WORK_PLAN]))
    assert _tr_has(plan.tables[0].rows[0], "w:tblHeader")


@pytest.mark.parametrize("template", [APPLICATION, WORK_PLAN, PLEDGE])
def test_labels_fit_their_cells(template: str) -> None:
    assert overflowing_labels(Document(str(TEMPLATES / template))) == []


def test_pledge_signature_lines_wrap_under_themselves() -> None:
    """A long 法定代表人 name wraps under the signature block, not back to the left margin."""
    doc = Document(str(TEMPLATES / PLEDGE))
    block = [
        p for p in doc.paragraphs if p.text.startswith(("法定代表人签名", "（法定代表人", "单位盖章", "{%"))
    ]
    assert len(block) == 4
    for paragraph in block:
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.LEFT
        assert paragraph.paragraph_format.left_indent is not None
        assert paragraph.paragraph_format.left_indent >= Cm(6)
