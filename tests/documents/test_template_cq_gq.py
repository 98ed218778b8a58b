"""docxtpl templates of 渝人工考〔2021〕1号: 登记表 附件1 / 附件2 and 岗位使用情况备案表 附件4.

Built by ``tools/build_cq_gq_grade_template.py`` and ``tools/build_cq_gq_posts_template.py``; these
tests check the committed files equal a fresh build, render them the way the bot does
(``autoescape=True``) and read the result back with python-docx; the layout (labels that fit their
cells, the photo box, unsplittable blocks, repeating header rows) in the XML; and, with LibreOffice,
where the blocks land on the printed pages for minimal and maximal answers filled the way an
applicant fills them.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from docx import Document
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm, Mm
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docxtpl import DocxTemplate, InlineImage, Listing
from PIL import Image

from bot.engine.spec import LongTextField, TextField
from bot.fill import fill
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
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
FORM_MAKER = "重庆市机关事业单位技术工人技术等级（岗位）考核办公室制"
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
    for caption in (
        "工作简历",
        "何时何地\n受过何种\n奖励或处分",
        "主要专业技术业绩",
        "考核记录",
        "业务理论考核",
    ):
        assert caption in text
    committee = ("应到人数", "实到人数", "表决结果", "同意人数", "不同意人数", "弃权人数", "负责人签字")
    if variant == "senior":
        assert all(c in text for c in committee)
        assert "鉴定（考核）" not in text
    else:
        assert not any(c in text for c in committee)
        assert "鉴定（考核）\n机构意见" in text
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


# --- layout in the XML ------------------------------------------------------------------------------
CM = 567  # twips
CJK_START = 0x2E80  # CJK characters and full-width punctuation print one em wide


def _all_tables(doc: DocumentObject) -> list[Table]:
    """Every table in document order, nested ones after their parent."""
    out: list[Table] = []

    def walk(tables: list[Table]) -> None:
        for table in tables:
            out.append(table)
            for row in table.rows:
                for tc in row._tr.tc_lst:
                    walk(_Cell(tc, table).tables)

    walk(doc.tables)
    return out


def _table_with(doc: DocumentObject, text: str) -> Table:
    """The innermost table one of whose cells holds ``text``."""
    found = [
        t for t in _all_tables(doc) if any(text in _Cell(tc, t).text for r in t.rows for tc in r._tr.tc_lst)
    ]
    assert found, text
    return found[-1]


def _row_flags(table: Table) -> list[tuple[bool, bool]]:
    """(cantSplit, tblHeader) of each row."""
    flags = []
    for row in table.rows:
        tr_pr = row._tr.trPr
        flags.append(
            (
                tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None,
                tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None,
            )
        )
    return flags


def _inner_width_cm(tc: Any, table: Table) -> float:
    width = int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w")))
    margins = {}
    for owner in (table._tbl.tblPr.find(qn("w:tblCellMar")), tc.tcPr.find(qn("w:tcMar"))):
        if owner is not None:
            for side in ("left", "right"):
                el = owner.find(qn(f"w:{side}"))
                if el is not None:
                    margins[side] = int(el.get(qn("w:w")))
    padding = margins.get("left", 0.19 * CM) + margins.get("right", 0.19 * CM)
    return (width - padding) / CM


def _line_cm(text: str, size_pt: float) -> float:
    ems = sum(1.0 if ord(ch) >= CJK_START else 0.55 if ch.isalnum() else 0.35 for ch in text)
    return ems * size_pt * 2.54 / 72


@pytest.mark.parametrize("template", [*GRADE.values(), POSTS], ids=["basic", "senior", "posts"])
def test_every_label_line_fits_its_cell(template: Path) -> None:
    """A label (bold text in a table) breaks only where the template says ("\\n"), never because its
    cell is too narrow: 参加工作/时间, not 参加工作时/间."""
    doc = Document(str(template))
    checked = 0
    for table in _all_tables(doc):
        for row in table.rows:
            for tc in row._tr.tc_lst:
                cell = _Cell(tc, table)
                inner = _inner_width_cm(tc, table)
                for paragraph in cell.paragraphs:
                    bold = [r for r in paragraph.runs if r.bold and r.text.strip()]
                    if not bold or "{" in paragraph.text:
                        continue
                    size = bold[0].font.size.pt if bold[0].font.size else 10.5
                    for line in paragraph.text.split("\n"):
                        checked += 1
                        assert _line_cm(line, size) <= inner, (
                            f"{line!r} needs {_line_cm(line, size):.2f} cm of {inner:.2f}"
                        )
    assert checked > 20


@pytest.mark.parametrize("variant", ["basic", "senior"])
def test_photo_box_holds_a_two_inch_photo(variant: str) -> None:
    """35 × 49 mm (contract: 3.7 cm inside the column, the rows it spans ≥ 5.1 cm); the official 「贴照片」
    when there is no photo."""
    doc = Document(str(GRADE[variant]))
    grid = _table_with(doc, "身份证号码")
    photo = grid.rows[0]._tr.tc_lst[-1]
    assert _inner_width_cm(photo, grid) >= 3.7
    spanned = [grid.rows[0]]
    for row in grid.rows[1:]:
        last = row._tr.tc_lst[-1]
        v_merge = last.tcPr.find(qn("w:vMerge"))
        if v_merge is None or v_merge.get(qn("w:val")) == "restart":
            break
        spanned.append(row)
    assert len(spanned) == 3
    assert sum(row.height for row in spanned) >= Cm(5.1) - 10  # type: ignore[operator]
    assert "{% if photo %}{{ photo }}{% else %}贴" in _Cell(photo, grid).text


@pytest.mark.parametrize("variant", ["basic", "senior"])
def test_blocks_are_unsplittable_and_lists_repeat_their_header(variant: str) -> None:
    doc = Document(str(GRADE[variant]))
    # 工作简历: its own table, so its two header rows lead it and repeat after a page break.
    history = _table_with(doc, "在何单位")
    printed = [
        not r._tr.xpath("string(.)").startswith("{%tr") for r in history.rows
    ]  # docxtpl drops the rest
    flags = [f for f, shown in zip(_row_flags(history), printed, strict=True) if shown]
    assert len(flags) == 4  # two header rows, a 工作简历 row, a blank row to fill up to five
    assert [header for _, header in flags] == [True, True, False, False]
    assert all(cant for cant, _ in flags)
    # 考核记录 (and in 附件2 the 评审委员会 block): heading and table in one unsplittable row, every row of
    # the table unsplittable, every row but the last kept with the next (Word's way of keeping them).
    record = _table_with(doc, "综合评审考试")
    assert all(cant for cant, _ in _row_flags(record))
    for row in list(record.rows)[:-1]:
        assert all(
            p.paragraph_format.keep_with_next for tc in row._tr.tc_lst for p in _Cell(tc, record).paragraphs
        )
    outer = _table_with(doc, "考核记录")
    assert outer is not record and len(outer.rows) == 1 and _row_flags(outer) == [(True, False)]
    assert _Cell(outer.rows[0]._tr.tc_lst[0], outer).paragraphs[0].text == "考核记录"
    if variant == "senior":
        rows = [r._tr for r in record.rows]
        (first,) = [i for i, tr in enumerate(rows) if "委员会意见" in tr.tc_lst[0].xpath("string(.)")]
        merged = [tr.tc_lst[0].tcPr.find(qn("w:vMerge")) for tr in rows[first : first + 4]]
        assert all(m is not None for m in merged)  # the caption spans the vote rows and the signature row
    # every opinion box is one unsplittable row; only the 业绩 answer may run over pages
    boxes = _table_with(doc, "（请说明有无相应空岗或不受岗位限额参评的情形）")
    assert [cant for cant, _ in _row_flags(boxes)] == [True, False, True, True, True]


def test_posts_table_is_one_block_with_its_level_captions_as_header() -> None:
    doc = Document(str(POSTS))
    flags = _row_flags(doc.tables[0])
    assert flags[0] == (True, True) and all(cant and not header for cant, header in flags[1:])


@pytest.mark.parametrize("variant", ["basic", "senior"])
def test_cover_and_photo_label(tmp_path: Path, variant: str) -> None:
    """申报等级 once on the cover (the level applied for); a long unit name gets smaller type so it stays in
    its underlined cell; no photo → 「贴照片」, a photo → the picture alone."""
    context = _grade_context(False)
    context.update(employer="重庆市" * 20, name="张三", apply_trade_text="汽车驾驶员" * 4, photo="")
    doc = _render(GRADE[variant], context, tmp_path / "out.docx")
    assert _text(doc).count("申报等级") == 1
    sizes: dict[str, float] = {}  # the first (the cover's) size of each text
    for p in doc.element.body.iter(qn("w:p")):
        for run in Paragraph(p, None).runs:
            if run.font.size:
                sizes.setdefault(run.text, run.font.size.pt)
    assert sizes["重庆市" * 20] == 10.5 and sizes["张三"] == 16 and sizes["汽车驾驶员" * 4] == 12
    grid = _table_with(doc, "身份证号码")
    assert _Cell(grid.rows[0]._tr.tc_lst[-1], grid).text == "贴\n照\n片"
    # a value with a line break reaches the template as a Listing: measured as text, printed small
    context["employer"] = Listing("重庆市\n渝北区" * 5)
    doc = _render(GRADE[variant], context, tmp_path / "listing.docx")
    assert "重庆市\n渝北区" * 5 in _text(doc)

    tpl = DocxTemplate(GRADE[variant])
    picture = tmp_path / "photo.png"
    Image.new("RGB", (35, 49), "blue").save(picture)
    context["photo"] = InlineImage(tpl, str(picture), width=Mm(35), height=Mm(49))
    tpl.render(context, autoescape=True)
    tpl.save(tmp_path / "photo.docx")
    doc = Document(str(tmp_path / "photo.docx"))
    grid = _table_with(doc, "身份证号码")
    photo = _Cell(grid.rows[0]._tr.tc_lst[-1], grid)
    assert photo.text == "" and photo._tc.xpath(".//w:drawing")


def test_dates_are_printed_as_given() -> None:
    """Dates arrive formatted (one formatter per form): the templates print them as they are."""
    dated = ("birth_month", "work_start", "edu_graduated", "fill_date_text", "w.start", "w.end", "fill_date")
    for template in [*GRADE.values(), POSTS]:
        tags = tags_in_single_runs(Document(str(template)))
        uses = [t for t in tags if any(name in t for name in dated)]
        assert uses and all(t in {f"{{{{ {name} }}}}" for name in dated} or "}}—{{" in t for t in uses), uses


# --- on paper: LibreOffice, minimal and maximal answers filled the way an applicant fills them --------
SCENARIOS = ROOT / "tests" / "scenarios"
CM_PT = 72 / 2.54
SENTENCE = "2018年起负责单位车辆日常维护，安全行车30万公里无事故；带徒2名，均取得中级工证书，参与编写本工种培训讲义一部。"


def _long(n: int) -> str:
    return (SENTENCE * (n // len(SENTENCE) + 1))[:n]


def _max_text(field: Any) -> str:
    """The longest answer the field takes: Chinese text, or letters where its pattern wants them."""
    n = field.max_length
    for candidate in (_long(n), "张" * n, "A" * n):
        pattern = getattr(field, "pattern", None)
        if pattern is None or re.fullmatch(pattern, candidate):
            return candidate
    raise AssertionError(field)


def _answers(form: str, variant: str, kind: str, program: Any) -> dict[str, Any]:
    answers: dict[str, Any] = yaml.safe_load((SCENARIOS / form / "base.yaml").read_text("utf-8"))
    if variant == "senior":
        answers.update(current_level="高级工", apply_level="技师", apply_trade_listed="汽车驾驶员")
        del answers["apply_trade_free"]
    if kind == "min":  # only what is required, short
        for key, info in program.fields.items():
            if info.group is None and not info.field.required:
                answers.pop(key, None)
        if form == "cq_gq_grade":
            answers.update(rewards_punishments="无", achievements="安全行车无事故十年。")
        return answers
    for key, info in program.fields.items():  # every text at its longest, every optional one answered
        asked = not (variant == "senior" and key == "apply_trade_free")
        if (
            asked
            and info.group is None
            and isinstance(info.field, TextField | LongTextField)
            and info.field.max_length
        ):
            answers[key] = _max_text(info.field)
    if form == "cq_gq_grade":
        rows = program.groups["work_history"].section.repeat.max
        answers["work_history"] = [
            {
                "start": f"{2006 + i}-01",
                "end": "至今" if i == rows - 1 else f"{2006 + i}-12",
                "employer": _long(60),
                "trade": (f"简历{i}" + SENTENCE)[:30],
            }
            for i in range(rows)
        ]
    else:
        answers["levels"] = [
            {
                "level": level,
                "approved": 9999,
                "employed": 0,
                "special": 9999,
                "vacant": 9999,
                "applied": 9999,
            }
            | {"retire_two": 4999, "exempt": 5000}
            for level in (
                "一级（高级技师）",
                "二级（技师）",
                "三级（高级工）",
                "四级（中级工）",
                "五级（初级工）",
            )
        ]
    return answers


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """name → the pages (pdfplumber) of each document, filled through the bot and converted in one go."""
    pdfplumber = pytest.importorskip("pdfplumber")
    if not shutil.which("soffice"):
        pytest.skip("needs LibreOffice (scripts/test installs it)")
    out = tmp_path_factory.mktemp("cq_gq_pages")
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    today = dt.date(2021, 7, 15)
    files = []
    for name, campaign, form, variant in (
        ("basic", "cq_gq_2021", "cq_gq_grade", "basic"),
        ("senior", "cq_gq_2021", "cq_gq_grade", "senior"),
        ("posts", "cq_gq_posts_2021", "cq_gq_posts", "posts"),
    ):
        program, _ = registry.resolve(campaign)
        for kind in ("min", "max"):
            with Store(out / f"data-{name}-{kind}") as store:
                intake = Intake(registry, store, clock=lambda: today)
                answers = _answers(form, variant, kind, program)
                result = fill(intake, campaign, answers, base=SCENARIOS / form, today=today)
            assert result.data["status"] == "complete", (name, kind, result.data["errors"])
            (document,) = result.documents
            path = out / f"{name}-{kind}.docx"
            path.write_bytes(document.data)
            files.append(path)
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{out}/lo",
         "--convert-to", "pdf", "--outdir", str(out), *map(str, files)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    pages = {}
    for path in files:
        with pdfplumber.open(path.with_suffix(".pdf")) as pdf:
            pages[path.stem] = [
                (page.extract_text(), page.extract_words(), page.edges, page.chars) for page in pdf.pages
            ]
    return pages


def _flat(page: Any) -> str:
    return re.sub(r"\s+", "", page[0])


def _on_pages(pages: list[Any], text: str) -> list[int]:
    return [i for i, page in enumerate(pages, 1) if text in _flat(page)]


RECORD_LABELS = {
    "basic": ["考核记录", "业务理论考核", "鉴定（考核）", "社会保障部门意见", "办公室意见"],
    "senior": [
        "考核记录",
        "业务理论考核",
        "委员会意见",
        "应到人数",
        "表决结果",
        "同意人数",
        "弃权人数",
        "负责人签字",
        "办公室意见",
    ],
}


@pytest.mark.parametrize("variant", ["basic", "senior"])
@pytest.mark.parametrize("kind", ["min", "max"])
def test_register_pages_follow_the_official_plan(
    printed: dict[str, list[Any]], variant: str, kind: str
) -> None:
    pages = printed[f"{variant}-{kind}"]
    assert FORM_MAKER in _flat(pages[0])  # the cover holds the longest answers on its one page
    assert _on_pages(pages, "填表说明") == [2]
    assert _on_pages(pages, "身份证号码") == [3]
    record = {label: _on_pages(pages, label) for label in RECORD_LABELS[variant]}
    record_page = record["考核记录"][0]
    assert all(found == [record_page] for found in record.values()), record  # one block, on one page
    achievements = _on_pages(pages, "主要专业技术业绩")[-1]
    opinions = _on_pages(pages, "主管部门")[-1]
    if kind == "min":  # the official page plan: 4 pages
        assert len(pages) == 4
        assert achievements == opinions == record_page == 4
        assert all(_on_pages(pages, label) == [3] for label in ("工作简历", "奖励或处分"))
    else:  # longer answers push the blocks on, whole
        assert len(pages) <= 8
        assert record_page == len(pages) and record_page >= opinions
    # 工作简历 runs over a page at most: its header rows come with it
    for page_number in {p for i in range(8) for p in _on_pages(pages, f"简历{i}")}:
        assert "在何单位" in _flat(pages[page_number - 1]) and "从事何工种" in _flat(pages[page_number - 1])


@pytest.mark.parametrize("variant", ["basic", "senior"])
def test_register_labels_print_whole_and_the_photo_box_keeps_its_size(
    printed: dict[str, list[Any]], variant: str
) -> None:
    for kind in ("min", "max"):
        _, words, edges, chars = printed[f"{variant}-{kind}"][2]
        lines = {w["text"] for w in words}
        assert {
            "参加工作",
            "时间",
            "本技术工种",
            "年限",
            "从事现工种",
            "等级年限",
            "现工种/等级",
            "申报工种/等级",
        } <= lines
        assert not {"参加工作时", "本技术工", "从事现工种等"} & lines
        # no photo: the official 贴照片 (the placeholder 「（照片）」 until the renderer passes "")
        stick = next(c for c in chars if c["text"] in "贴照" and c["x0"] > 15 * CM_PT)
        left = max(
            e["x0"]
            for e in edges
            if e["orientation"] == "v" and e["x0"] < stick["x0"] and e["top"] <= stick["top"] <= e["bottom"]
        )
        right = min(
            e["x0"]
            for e in edges
            if e["orientation"] == "v" and e["x0"] > stick["x1"] and e["top"] <= stick["top"] <= e["bottom"]
        )
        top = max(
            e["top"]
            for e in edges
            if e["orientation"] == "h" and e["top"] < stick["top"] and e["x0"] <= stick["x0"] <= e["x1"]
        )
        bottom = min(
            e["top"]
            for e in edges
            if e["orientation"] == "h" and e["top"] > stick["bottom"] and e["x0"] <= stick["x0"] <= e["x1"]
        )
        assert (right - left) / CM_PT >= 3.75 and (bottom - top) / CM_PT >= 5.05  # 35 × 49 mm and its padding


@pytest.mark.parametrize("kind", ["min", "max"])
def test_posts_filing_prints_on_one_page(printed: dict[str, list[Any]], kind: str) -> None:
    (page,) = printed[f"posts-{kind}"]
    words = {w["text"] for w in page[1]}
    # each level's caption on one line as on the official form; 特设岗位 / 聘用人数 broken as it breaks it
    assert {"一级（高级技师）", "五级（初级工）", "特设岗位", "聘用人数", "申报条件的"} <= words
    assert "2.区县级事业单位人事综合管理部门填写表格后，报市工考办备案。" in _flat(page)


@pytest.mark.parametrize(
    ("filler", "between"), [("李四", " " * 8), ("重庆市南岸区水利工程管理站综合科", "\n")]
)
def test_posts_footer_keeps_its_captions_whole(tmp_path: Path, filler: str, between: str) -> None:
    """填报人 / 联系电话 / 填报时间 on one line; a long 填报人 answer ends the line so 联系电话 is not cut."""
    context = {
        "unit_name": "单位",
        "filler": filler,
        "filler_phone": "13800138000",
        "fill_date": "2021.07.10",
    }
    text = _text(_render(POSTS, {**context, "levels": []}, tmp_path / "out.docx"))
    assert f"填报人：{filler}{between}联系电话：13800138000        填报时间：2021.07.10" in text
