"""Every form's documents looked at page by page (issue 13): rendered through the real fill path from minimal
and maximal answers (tests/documents/pages.py), converted to PDF by LibreOffice in one run, read back with
pdfplumber. What each check means is in docs/walkthrough.md ("版面检查"); the first page of every document is
kept as tests/artifacts/pages-<form>-<document>-<min|max>.png for a person to look at.
"""

from __future__ import annotations

import multiprocessing
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.engine.spec import ImageField
from bot.registry import Registry
from tests.documents import pages as P

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = Registry.load(ROOT / "forms", ROOT / "doc_templates")
MM = 25.4 / 72  # one PDF point in millimetres
BLANK_LIMIT = 0.70
HEADER_REACH_PT = (
    150  # a repeated header (and the list's heading) lies within this height above the first row
)
PHOTO_MM = (35.0, 49.0)  # contract 1: the photo printed at the box's size, width × height (default)
PHOTO_TOLERANCE_MM = 1.0

# Expected page counts, (minimal answers, maximal answers), each (fewest, most). The minimal counts are the
# official forms' own: the 登记表 附件1/附件2 are a cover, 填表说明 and two pages of table (4); the 申报表 a
# cover, 填表说明 and the 基本情况表 over two pages (4, 5 when the photo row grows); 备案表 附件4, the 承诺书 and
# the 自查表 one page; the 黄石 推荐表 two; the 报备表 and the 技工院校 申请表 two to four. The maximal counts add
# what the longest answers need on a correct layout: about one page per 1 500 characters of text in a wide
# cell, and a page per 15-20 rows of a table (the 方案's eight parts of 5 000 characters each take ~60).
PAGES: dict[tuple[str, str], tuple[tuple[int, int], tuple[int, int]]] = {
    ("cq_gq_grade", "register_basic"): ((4, 4), (5, 8)),
    ("cq_gq_grade", "register_senior"): ((4, 4), (5, 8)),
    ("cq_gq_posts", "posts_filing"): ((1, 1), (1, 1)),
    ("cq_institution_filing", "filing"): ((2, 2), (3, 6)),
    ("cq_pro_to_skill", "application"): ((4, 5), (5, 8)),
    ("cq_school_filing", "application"): ((3, 4), (8, 15)),
    ("cq_school_filing", "work_plan"): ((1, 2), (45, 70)),
    ("cq_school_filing", "pledge"): ((1, 1), (1, 1)),
    ("cq_skill_to_title", "self_check"): ((1, 1), (1, 2)),
    ("hs_guantong", "title_application"): ((2, 2), (3, 5)),
    ("hs_guantong", "skill_application"): ((2, 2), (3, 5)),
}

# Key labels of each official form (from the notices in shared/seeds). `a|b` marks where the official form
# itself breaks the label into lines (it may print so, or on one line); `~` a label the official form lets
# wrap in its cell (it must stay in one cell on one page). Any other break fails. `@` marks the photo box's
# label, printed only when no photo was given (contract 1), so looked for in those documents only. The 黄石 notice in the seeds
# has no form attached: its labels are the template's, allowed to break only between words.
_GQ_COMMON = (
    "姓名",
    "性别",
    "民族",
    "身份证号码",
    "出生|年月",
    "参加工作|时间",
    "所在单位",
    "本技术工种|年限",
    "单位地址",
    "邮编",
    "联系电话",
    "工龄",
    "现工种/等级",
    "从事现工种|等级年限",
    "申报工种/等级",
    "学历",
    "毕业时间",
    "毕业院校",
    "所学专业",
    "证书编号",
    "工|作|简|历",
    "年月至年月",
    "在何单位",
    "从事何工种",
    "何时何地|受过何种|奖励或处分",
    "主要专业技术业绩",
    "考核记录",
    "业务理论考核",
    "综合评审考试",
    "~市机关事业单位技术工人技术等级（岗位）考核办公室意见",
    "@贴|照|片",
)
LABELS: dict[tuple[str, str], tuple[str, ...]] = {
    ("cq_gq_grade", "register_basic"): (
        *_GQ_COMMON,
        "实际操作考核",
        "单|位|推|荐|意|见",
        "主|管|部|门|意|见",
        "~区县（自治县）人力资源和社会保障部门意见",
        "鉴定（考核）|机构意见",
    ),
    ("cq_gq_grade", "register_senior"): (
        *_GQ_COMMON,
        "实际操作考试",
        "单位推荐意见",
        "主管部门审核意见",
        "~市机关事业单位工勤人员技师高级技师评审委员会意见",
        "应到|人数",
        "实到|人数",
        "表决结果",
        "同意|人数",
        "不同意|人数",
        "弃权人数",
    ),
    ("cq_gq_posts", "posts_filing"): (
        "岗位|情况",
        "一级（高级技师）",
        "二级（技师）",
        "三级（高级工）",
        "四级（中级工）",
        "五级（初级工）",
        "核准岗位数",
        "现聘人数",
        "特设岗位|聘用人数",
        "空缺岗位",
        "当年岗位申报数量",
        "~其中：符合“退二进一”申报条件的",
        "~符合不受岗位限额申报条件的",
        "~主管部门备案意见",
        "~同级事业单位人事综合管理部门备案意见",
    ),
    ("cq_institution_filing", "filing"): (
        "评价机构名称",
        "统一社会信用代码",
        "评价机构类型",
        "办公地址",
        "法定代表人信息",
        "联系人信息",
        "职业名称",
        "工种名称",
        "~对应专业技术职称专业范围",
        "身份证号",
        "职务/职称",
        "工作职责",
        "职务/职称/|技能等级",
        "专业|方向",
        "是否本单位|人员",
    ),
    ("cq_pro_to_skill", "application"): (
        "申报人员基本情况表",
        "姓名",
        "性别",
        "出生年月",
        "民族",
        "籍贯",
        "政治面貌",
        "参加工作时间",
        "工龄",
        "~从事现专业技术职称名称",
        "~从事现专业技术职称等级/年限",
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
        "是否具有|符合直接|认定条件|或成果",
        "主要工作|成绩及业|绩贡献",
        "本人承诺",
        "申报单位|推荐意见",
        "评价机构|意见",
        "@照片",
    ),
    ("cq_school_filing", "application"): (
        "基本信息",
        "注册登记机构",
        "统一社会信用代码",
        "~原职业技能鉴定机构编码",
        "法定代表人",
        "电子邮箱",
        "~技工院校已开设专业",
        "对应职业（工种）",
        "职业编码",
        "~认定依据（职业标准等）",
        "场地情况",
        "设施设备情况",
        "设施设备名称",
        "规格/型号",
        "所有权归属",
        "~计算机考务管理及视频监控设备配置情况",
        "专职工作人员情况",
        "专家情况",
        "考评人员情况",
        "考评员证号",
        "考评职业",
        "内部督导人员情况",
    ),
    ("cq_school_filing", "work_plan"): ("职业", "工种", "职业编码", "认定依据"),
    ("cq_school_filing", "pledge"): ("承诺",),
    ("cq_skill_to_title", "self_check"): (
        "申请人基本情况",
        "身份证号码",
        "手机号码",
        "工作单位",
        "现工作岗位",
        "~系列（专业）",
        "技能等级",
        "职业（工种）",
        "取得时间",
        "证书编号",
        "~取得证书后相应工作年限",
        "~奖项、称号（破格条件）",
        "申报职称级别",
        "~最高可申报级别",
        "申报条件自查",
        "自查项目",
        "自查结果",
        "政策依据",
        "自查结论",
        "申报人承诺",
        "单位审核意见",
    ),
    ("hs_guantong", "title_application"): (
        "姓名",
        "性别",
        "出生年月",
        "身份证号码",
        "手机号码",
        "最高学历",
        "毕业时间",
        "毕业院校",
        "所学专业",
        "工作单位",
        "单位性质",
        "现从事|岗位",
        "参加工作|时间",
        "~职业资格或技能等级",
        "申报职称",
        "申报专业",
        "~水平能力测试",
        "申报途径",
        "~推荐结果公示",
        "工作经历",
        "起止时间",
        "岗位（职务）",
        "~主要工作业绩成果",
        "本人承诺",
        "~用人单位推荐意见",
        "~人事代理机构或主管部门意见",
        "~受理部门初审意见",
    ),
    ("hs_guantong", "skill_application"): (
        "姓名",
        "性别",
        "出生年月",
        "身份证号码",
        "手机号码",
        "最高学历",
        "毕业时间",
        "毕业院校",
        "所学专业",
        "工作单位",
        "现从事|岗位",
        "~现专业技术职称",
        "取得职称时间",
        "申报职业（工种）",
        "申报等级",
        "评价类别",
        "参加工作|时间",
        "评价方式",
        "~相关专业毕业证书",
        "工作经历",
        "起止时间",
        "岗位（职务）",
        "~主要工作业绩成果",
        "本人承诺",
        "~所在单位意见",
        "~评价机构意见",
    ),
}

# Labels that belong to one block of the form and must be printed on the same page (a block split over two
# pages separates a row of its labels from the rest).
TOGETHER: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("cq_gq_grade", "register_senior"): (
        (
            "~市机关事业单位工勤人员技师高级技师评审委员会意见",
            "应到|人数",
            "表决结果",
            "同意|人数",
            "弃权人数",
        ),
    ),
    ("cq_gq_grade", "register_basic"): (("考核记录", "业务理论考核", "鉴定（考核）|机构意见"),),
}

# The header row of each table that holds a repeat group: when the group's rows go on over a page, these
# words must be on the new page above the first row there.
HEADERS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("cq_gq_grade", "register_basic"): {"work_history": ("在何单位", "从事何工种")},
    ("cq_gq_grade", "register_senior"): {"work_history": ("在何单位", "从事何工种")},
    ("cq_pro_to_skill", "application"): {"work_history": ("起止时间", "工作单位", "职务（岗位）")},
    ("cq_institution_filing", "filing"): {
        "mappings": ("职业名称", "工种名称", "对应专业技术职称专业范围"),
        "staff": ("姓名", "身份证号", "工作职责"),
        "experts": ("姓名", "身份证号", "专业方向"),
    },
    ("cq_school_filing", "application"): {
        "occupations": ("技工院校已开设专业", "职业编码"),
        "equipment": ("设施设备名称", "品牌", "所有权归属"),
        "staff": ("姓名", "身份证号", "工作职责"),
        "experts": ("姓名", "身份证号", "专业方向"),
        "examiners": ("姓名", "身份证号", "考评员证号", "考评职业"),
        "supervisors": ("姓名", "身份证号", "所在单位"),
    },
    ("cq_school_filing", "work_plan"): {"occupations": ("职业", "工种", "职业编码")},
    ("hs_guantong", "title_application"): {"work_history": ("起止时间", "工作单位", "岗位（职务）")},
    ("hs_guantong", "skill_application"): {"work_history": ("起止时间", "工作单位", "岗位（职务）")},
}

CASES = [
    (form_id, compiled.document.id, variant)
    for form_id, program in sorted(REGISTRY.forms.items())
    for compiled in program.documents
    for variant in P.VARIANTS
]
SUMMARIES = [
    (form_id, compiled.summary.id)
    for form_id, program in sorted(REGISTRY.forms.items())
    for compiled in program.summaries
]
PHOTO_CASES = [
    (form_id, compiled.document.id)
    for form_id, program in sorted(REGISTRY.forms.items())
    if any(isinstance(i.field, ImageField) for i in program.fields.values())
    for compiled in program.documents
]


def case_id(case: tuple[str, ...]) -> str:
    return "-".join(case)


@dataclass
class Looked:
    corpus: P.Corpus
    pages: dict[str, list[P.Page]]  # by Rendered.name / SummaryRendered.name


@pytest.fixture(scope="session")
def looked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Looked]:
    """Every document rendered once, all converted in one LibreOffice run, read once."""
    reason = P.missing_tools()
    if reason:
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("pages")
    corpus = P.render_corpus(REGISTRY, work)
    files = [d.docx for d in corpus.documents] + [s.xlsx for s in corpus.summaries]
    profile = work / "lo-profile"
    try:
        P.convert_all(files, work / "pdf", profile)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    items: list[P.Rendered | P.SummaryRendered] = [*corpus.documents, *corpus.summaries]
    for item in items:
        source = item.docx if isinstance(item, P.Rendered) else item.xlsx
        item.pdf = work / "pdf" / f"{source.stem}.pdf"
        P.png_of(item.pdf, item.name)
    # reading PDFs is pure Python (pdfminer) and the slowest part: two processes, the biggest PDFs first
    pdfs = sorted((i.pdf for i in items if i.pdf is not None), key=lambda p: -p.stat().st_size)
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        read = dict(zip(pdfs, pool.map(P.read_pages, pdfs), strict=True))
    pages = {i.name: read[i.pdf] for i in items if i.pdf is not None}
    yield Looked(corpus, pages)


def rendered(looked: Looked, form: str, document: str, variant: str) -> tuple[P.Rendered, list[P.Page]]:
    found = [
        d for d in looked.corpus.documents if (d.form, d.document, d.variant) == (form, document, variant)
    ]
    assert found, f"{form}/{document}/{variant} was not rendered (no complete scenario produces it?)"
    return found[0], looked.pages[found[0].name]


def test_every_document_has_its_page_range_labels_and_png() -> None:
    """The tables above cover every shipped document (a new form or document must be added to them)."""
    documents = {(f, d) for f, d, _ in CASES}
    assert documents == set(PAGES), "add the document to PAGES"
    assert documents == set(LABELS), "add the document's official labels to LABELS"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_page_count_in_range(looked: Looked, case: tuple[str, str, str]) -> None:
    form, document, variant = case
    _, pages = rendered(looked, form, document, variant)
    low, high = PAGES[(form, document)][P.VARIANTS.index(variant)]
    assert low <= len(pages) <= high, f"{len(pages)} pages, expected {low}–{high}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_no_page_mostly_blank_but_the_last(looked: Looked, case: tuple[str, str, str]) -> None:
    """Blank share of a page: the part of the body band (from the highest top to the lowest bottom of
    anything printed on any page of the document, i.e. the text area inside the margins) that no character,
    ruling line, cell box or image spans vertically. A page of a table that only its last two rows spill onto
    is ~90 % blank; a page with a tall empty 意见 box is not blank (the box's lines span it)."""
    _, pages = rendered(looked, *case)
    body = P.body_band(pages)
    blank = {p.number: P.blank_share(p, body) for p in pages[:-1]}
    over = {n: f"{share:.0%}" for n, share in blank.items() if share > BLANK_LIMIT}
    assert not over, f"pages more than {BLANK_LIMIT:.0%} blank: {over}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_official_labels_whole_on_one_page(looked: Looked, case: tuple[str, str, str]) -> None:
    form, document, _ = case
    item, pages = rendered(looked, *case)
    problems = []
    for spec in LABELS[(form, document)]:
        label = P.Label(spec)
        if label.photo_box and item.photo_given:
            continue
        places = P.label_places(pages, label)
        if not places:
            problems.append(f"「{label.text}」 not whole in one cell on one page (missing or cut)")
        elif not any(state == "ok" for _, state in places):
            problems.append(f"「{label.text}」 " + "; ".join(f"p{n}: {state}" for n, state in places))
    assert not problems, "\n".join(problems)


def _row_marker(row: dict[str, str], columns: set[str]) -> str:
    values = [P.normalise(str(row.get(c) or "")) for c in sorted(columns)]
    return max(values, key=len, default="")


@pytest.mark.parametrize("case", [c for c in CASES if (c[0], c[1]) in TOGETHER], ids=case_id)
def test_blocks_kept_together(looked: Looked, case: tuple[str, str, str]) -> None:
    form, document, _ = case
    _, pages = rendered(looked, *case)
    problems = []
    for labels in TOGETHER[(form, document)]:
        where = {}
        for spec in labels:
            label = P.Label(spec)
            where[label.text] = sorted({n for n, _ in P.label_places(pages, label)} - {0})
        if len({tuple(v) for v in where.values()}) > 1 or any(len(v) != 1 for v in where.values()):
            problems.append(f"not on one page: {where}")
    assert not problems, "\n".join(problems)


def _place(pages: list[P.Page], text: str, after: tuple[int, float]) -> tuple[int, float] | None:
    """(page, top) of the first block at or after `after` holding `text` whole, or its first 16
    characters (a cell broken over a page)."""
    for probe in (text, text[:16]):
        for page in pages:
            for block in page.blocks:
                if (page.number, block.top) >= after and probe and probe in P.normalise(block.text):
                    return page.number, block.top
    return None


@pytest.mark.parametrize("case", [c for c in CASES if (c[0], c[1]) in HEADERS], ids=case_id)
def test_header_rows_repeat_after_a_break(looked: Looked, case: tuple[str, str, str]) -> None:
    form, document, _ = case
    item, pages = rendered(looked, *case)
    template = REGISTRY.template(
        next(d.document.template for d in REGISTRY.forms[form].documents if d.document.id == document)
    )
    _, printed = P.template_names(template)
    problems = []
    for group, header in HEADERS[(form, document)].items():
        rows = item.context.get(group) or []
        places: list[tuple[int, float] | None] = []
        after = (0, 0.0)
        for row in rows:  # in order: each row is looked for after the previous one
            place = _place(pages, _row_marker(row, printed.get(group, set())), after)
            places.append(place)
            after = place or after
        found = [p for p in places if p is not None]
        assert len(found) == len(rows), f"{group}: rows not found in the PDF: {places}"
        first_page = found[0][0] if found else 0
        tops: dict[int, float] = {}
        for number, top in found:
            if number != first_page:
                tops[number] = min(top, tops.get(number, top))
        for number, top in sorted(tops.items()):
            page = pages[number - 1]
            above = "".join(P.normalise(b.text) for b in page.blocks if top - HEADER_REACH_PT <= b.top < top)
            missing = [h for h in header if P.normalise(h) not in above]
            if missing:
                problems.append(f"{group}: rows go on to page {number} without the header {missing}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_answer_appears(looked: Looked, case: tuple[str, str, str]) -> None:
    """Every value the template prints, as its context holds it (dates already formatted), is in the PDF:
    inside one cell, or in the cell's text read on over a page break (whitespace removed)."""
    form, document, _ = case
    item, pages = rendered(looked, *case)
    template = REGISTRY.template(
        next(d.document.template for d in REGISTRY.forms[form].documents if d.document.id == document)
    )

    def read_on(wanted: str) -> bool:
        """The value continued over page breaks: it starts in a block and goes on, piece by piece, in the
        following blocks of the same cell (a heading repeated at the top of the next page is passed over)."""
        blocks = [(b.cell, P.normalise(b.text)) for page in pages for b in page.blocks]
        head = wanted[: min(len(wanted), 20)]
        for index, (cell, text) in enumerate(blocks):
            at = text.find(head)
            if at < 0 or not wanted.startswith(text[at:]):
                continue
            rest = wanted[len(text) - at :]
            for other, more in blocks[index + 1 :]:
                if not rest:
                    break
                if other != cell or not more:
                    continue
                if rest.startswith(more):
                    rest = rest[len(more) :]
                elif more.startswith(rest):
                    rest = ""
            if not rest:
                return True
        return False

    missing = []
    for where, value in P.expected_values(item, template):
        if not (P.in_one_block(pages, value) or read_on(P.normalise(value))):
            missing.append(f"{where}: {value[:40]!r}")
    assert not missing, "not printed:\n" + "\n".join(missing)


@pytest.mark.parametrize("case", PHOTO_CASES, ids=case_id)
def test_photo_keeps_its_box_size(looked: Looked, case: tuple[str, str]) -> None:
    """A 9:16 phone photo is printed cropped to the box: 35 × 49 mm ± 1 mm (contract 1)."""
    item, pages = rendered(looked, *case, "max")
    assert item.photo_given
    images = [(n.number, box) for n in pages for box in n.images]
    assert len(images) == 1, f"expected the photo once, found {images}"
    _, (x0, top, x1, bottom) = images[0]
    width, height = (x1 - x0) * MM, (bottom - top) * MM
    fields = [i.field for i in REGISTRY.forms[item.form].fields.values() if isinstance(i.field, ImageField)]
    want = tuple(getattr(fields[0], "print_size_mm", None) or PHOTO_MM)  # the spec's size when it has one
    assert abs(width - want[0]) <= PHOTO_TOLERANCE_MM and abs(height - want[1]) <= PHOTO_TOLERANCE_MM, (
        f"photo printed {width:.1f} × {height:.1f} mm, the box holds {want[0]} × {want[1]} mm"
    )


def _headings(item: P.SummaryRendered) -> list[str]:
    """The heading cells of the workbook's first sheet: the row holding the first column's title and the
    rows under it up to the first data row (a number in column A)."""
    from openpyxl import load_workbook

    sheet = load_workbook(P.io_bytes(item.xlsx)).worksheets[0]
    first = P.normalise(item.headings[0])
    out: list[str] = []
    started = False
    for row in sheet.iter_rows(values_only=True):
        cells = [P.normalise(str(v)) for v in row if v is not None and str(v).strip()]
        if not started and first in cells:
            started = True
        elif started and row and isinstance(row[0], int | float):
            break
        if started:
            out += [c for c in cells if not re.fullmatch(r"\d+", c)]
    return out


@pytest.mark.parametrize("case", SUMMARIES, ids=case_id)
def test_summary_one_page_wide(looked: Looked, case: tuple[str, str]) -> None:
    """The summary printed: every column heading on page 1, and no page holding only some columns."""
    form, summary = case
    item = next(s for s in looked.corpus.summaries if (s.form, s.summary) == (form, summary))
    pages = looked.pages[item.name]
    headings = _headings(item)
    assert headings, "no headings found in the workbook"

    def cells(page: P.Page) -> set[str]:
        """What a heading cell can read as: a block, or one to three consecutive lines of a block (text
        that does not fit its row spills over the heading's lines) — never a word inside a longer line,
        so the footnote's 「备注：…」 is not the 备注 column."""
        out = set()
        for block in page.blocks:
            lines = P.cell_lines(block)
            out.add("".join(lines))
            out.update("".join(lines[i : i + n]) for n in (1, 2, 3) for i in range(len(lines)))
        return out

    missing = [h for h in headings if h not in cells(pages[0])]
    assert not missing, f"headings not on page 1: {missing} ({len(pages)} pages)"
    for page in pages[1:]:
        shown = [h for h in headings if h in cells(page)]
        assert not shown or len(shown) == len(headings), (
            f"page {page.number} holds only the columns {shown}: the table is wider than a page"
        )
