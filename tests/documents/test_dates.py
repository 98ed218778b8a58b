"""Dates on paper: one formatter (bot/documents/dates.py), one style per form (`date_style`), applied to
answers, computed dates and dates inside document texts. Every form's scenario documents are rendered and
their text searched: dates in the form's style, and no ISO date anywhere."""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from bot.documents.dates import paper_date, paper_dates_in
from bot.engine.text import cn_date
from bot.engine.yamlsource import read
from bot.fill import fill
from bot.intake import Document, Intake
from bot.registry import Registry
from bot.scenarios import DEFAULT_TODAY, scenario_answers, scenario_files
from storage import Store

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
ISO = re.compile(r"\d{4}-\d{2}")
NO_DATE_ON_PAPER = {"cq_institution_filing"}  # its 报备表 has no date to fill in
STYLED = {"chinese": re.compile(r"\d{4}年\d{1,2}月"), "dots": re.compile(r"\d{4}\.\d{2}")}


@pytest.mark.parametrize(
    ("value", "dots", "chinese"),
    [
        ("2012-07", "2012.07", "2012年7月"),
        ("2021-07-01", "2021.07.01", "2021年7月1日"),
        ("2020-12-31", "2020.12.31", "2020年12月31日"),
        (dt.date(2021, 7, 1), "2021.07.01", "2021年7月1日"),
        ("至今", "至今", "至今"),
        ("", "", ""),
        ("2021-13-01", "2021-13-01", "2021-13-01"),  # not a date: left as it is
        ("<script>2021-07-01</script>", "<script>2021-07-01</script>", "<script>2021-07-01</script>"),
        (None, None, None),
        (3, 3, 3),
    ],
)
def test_one_date(value: object, dots: object, chinese: object) -> None:
    assert paper_date(value, "dots") == dots
    assert paper_date(value, "chinese") == chinese


def test_dates_inside_a_text() -> None:
    text = "2020-09-07 至 2020-09-11（5个工作日），最早 2020-09-30 期满；2012-07—至今"
    assert paper_dates_in(text, "chinese") == (
        "2020年9月7日 至 2020年9月11日（5个工作日），最早 2020年9月30日 期满；2012年7月—至今"
    )
    assert paper_dates_in(text, "dots") == (
        "2020.09.07 至 2020.09.11（5个工作日），最早 2020.09.30 期满；2012.07—至今"
    )
    # not dates: a phone number, a longer number, an impossible month
    for kept in ("023-88152290", "12345-06", "2021-07-015", "2021-00", "6-18-01-01"):
        assert paper_dates_in(kept, "chinese") == kept


def _paragraphs(data: bytes) -> list[str]:
    """The text of every paragraph in every part of a .docx (body, headers, footers), runs joined."""
    out: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            root = etree.fromstring(zf.read(name))
            for p in root.iter(f"{W}p"):
                out.append("".join(t.text or "" for t in p.iter(f"{W}t")))
    return out


def _complete(form: str) -> list[Path]:
    found = []
    for path in scenario_files([SCENARIOS / form]):
        expect = (read(path).data or {}).get("expect") or {}
        if expect.get("status") == "complete":
            found.append(path)
    return found


def _documents(path: Path, registry: Registry) -> list[Document]:
    """A scenario filled through the product's own `fill`, on a fresh data directory: its documents."""
    scenario = read(path).data
    today = dt.date.fromisoformat(str(scenario.get("today", DEFAULT_TODAY)))
    with tempfile.TemporaryDirectory(prefix="dates-") as tmp, Store(Path(tmp)) as store:
        intake = Intake(registry, store, clock=lambda: today)
        answers = scenario_answers(path, scenario)
        return fill(intake, str(scenario["campaign"]), answers, base=path.parent, today=today).documents


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


FORMS = sorted(p.name for p in SCENARIOS.iterdir() if p.is_dir())


@pytest.mark.parametrize("form", FORMS)
def test_every_document_writes_dates_in_the_forms_style(form: str, registry: Registry) -> None:
    style = registry.forms[form].spec.date_style
    assert style == "chinese"  # every official form writes its dates as 年 月 日
    paths = _complete(form)
    assert paths, f"{form} has no complete scenario"
    styled: list[str] = []
    for path in paths:
        documents = _documents(path, registry)
        assert documents, path.name
        for doc in documents:
            for text in _paragraphs(doc.data):
                assert not ISO.search(text), f"{path.name} {doc.filename}: ISO date in {text!r}"
                assert not STYLED["dots"].search(text), f"{path.name} {doc.filename}: dotted date in {text!r}"
                styled += STYLED[style].findall(text)
    if form not in NO_DATE_ON_PAPER:
        assert styled, f"{form}: no date in the {style} style in any document"


def test_fill_date_on_the_register_cover(registry: Registry) -> None:
    """登记表 cover: 填表日期 is the computed `fill_date: today`, written 2021年7月1日."""
    path = SCENARIOS / "cq_gq_grade" / "route3_district_gaoji_basic_form.yaml"
    today = dt.date.fromisoformat(str(read(path).data.get("today", DEFAULT_TODAY)))
    documents = _documents(path, registry)
    texts = [t for t in _paragraphs(documents[0].data) if t.strip()]
    label = texts.index("填表日期：")
    assert texts[label + 1] == cn_date(today), texts[label : label + 2]


CONTEXT_FORM = """\
id: dated
title: 日期
date_style: STYLE
basis: {doc: 某文件}
sections:
  - id: main
    title: 基本
    fields:
      - {id: born, type: year_month, prompt: 出生年月？}
      - {id: signed, type: date, prompt: 日期？}
      - {id: note, type: text, prompt: 备注？}
  - id: jobs
    title: 经历
    repeat: {min: 1, max: 3}
    fields:
      - {id: start, type: year_month, prompt: 开始？}
      - {id: end, type: year_month, prompt: 结束？, allow_present: true}
computed:
  filled: today
  period: signed + " 至 " + today
documents:
  - id: doc
    template: none.docx
    filename: x.docx
    values:
      signed_text: "签于 {signed}（{note}）"
"""


@pytest.mark.parametrize(
    ("style", "want"),
    [
        (
            "dots",
            [
                "1990.01",
                "2021.07.01",
                "2021.07.23",
                "2021.07.01 至 2021.07.23",
                "签于 2021.07.01（电话 023-88152290）",
            ],
        ),
        (
            "chinese",
            [
                "1990年1月",
                "2021年7月1日",
                "2021年7月23日",
                "2021年7月1日 至 2021年7月23日",
                "签于 2021年7月1日（电话 023-88152290）",
            ],
        ),
    ],
)
def test_template_context_formats_every_date_one_way(tmp_path: Path, style: str, want: list[str]) -> None:
    from bot.documents.context import template_context
    from bot.engine.evaluate import evaluate
    from bot.engine.loader import load_form

    path = tmp_path / "dated.yaml"
    path.write_text(CONTEXT_FORM.replace("STYLE", style), "utf-8")
    program = load_form(path)
    answers = {
        "born": "1990-01",
        "signed": "2021-07-01",
        "note": "电话 023-88152290",
        "jobs": [{"start": "2012-07", "end": "至今"}],
    }
    ev = evaluate(program, {"answers": answers}, dt.date(2021, 7, 23))
    context = template_context(program, ev, program.spec.documents[0], None)
    got = [context["born"], context["signed"], context["filled"], context["period"], context["signed_text"]]
    assert got == want
    start = "2012.07" if style == "dots" else "2012年7月"
    assert context["jobs"] == [{"start": start, "end": "至今"}]
