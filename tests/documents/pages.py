"""Page checks' helpers: every shipped form's documents rendered from minimal and maximal answers through the
real fill path, converted to PDF in as few LibreOffice runs as possible, and read back page by page.

Answers (contract 4 of issue 13, built generically from the compiled spec):

- each document of a form is reached by a complete scenario in ``tests/scenarios/<form>/`` (the fewest
  scenarios that together produce every document of the form; those scenarios give valid values);
- **minimal**: that scenario's answers without the optional fields, every repeat group cut to its ``min``
  rows (at least one row when the group is required);
- **maximal**: every ``text``/``long_text`` field at its ``max_length`` with Chinese text (fields the rules
  or ``when`` conditions read keep the scenario's value: a longer unit name must not change who is
  eligible), every repeat group at its ``max`` rows, every optional field answered (a photo with a phone's
  9:16 proportions, so a photo that is not cropped to its box shows). A value the engine refuses is put back
  to the scenario's value, field by field, until the fill completes.

The documents come from ``bot.fill.fill`` (the engine, ``Intake.documents``, ``render_docx``); what each
document's template saw is ``template_context`` of the same evaluation. The summaries (.xlsx) are the
campaign's ``Intake.summary`` over both applications.

Reading pages: ``pdfplumber`` characters are grouped into text *lines* (same baseline), lines into *runs*
(characters with no gap wider than half a character between them), and runs into *blocks*: the runs of
consecutive lines inside the same table cell (the same nearest ruling lines left and right, no ruling line
between them) — a cell's text, or a paragraph outside tables. Page numbers (outside tables, in the top or
bottom tenth of the page) are left out. A label is whole when it lies in one block and its lines break only
where the official form breaks it (`Label`); an answer appears when it is inside one block's text
(whitespace removed), or in the text of its cell read on over a page break.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.documents.context import template_context
from bot.engine.program import FieldInfo, FormProgram
from bot.engine.spec import (
    DateField,
    ImageField,
    LongTextField,
    MobileField,
    NumberField,
    PhoneField,
    PostcodeField,
    TextField,
    YearMonthField,
)
from bot.engine.yamlsource import read
from bot.fill import fill
from bot.intake import Intake
from bot.registry import Registry
from bot.scenarios import DEFAULT_TODAY, scenario_answers, scenario_files
from storage import Store

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "scenarios"
ARTIFACTS = ROOT / "tests" / "artifacts"
VARIANTS = ("min", "max")
MAX_RETRIES = 12
CONVERT_TIMEOUT_S = 540

# Realistic Chinese prose, cut and rotated to fill a field to its max_length (no ASCII filler).
PROSE = (
    "负责本单位机动车辆的日常驾驶、维护保养和安全检查工作，严格执行交通法规和单位车辆管理制度，"
    "多年来安全行车无责任事故；参与编写班组安全操作规程和应急预案，组织开展技能培训与岗位练兵，"
    "带教新进职工掌握车辆故障诊断、排除及节能驾驶技术；在重大活动保障任务中圆满完成接送任务，"
    "获得单位领导和服务对象一致好评；积极推广新工艺新设备，提出合理化建议并被采纳实施，"
    "有效降低了车辆运行成本，提高了后勤保障服务质量和工作效率。"
)
UNITS = (
    "重庆市渝北区人民医院后勤保障部",
    "重庆市江北区城市管理综合执法支队",
    "重庆市沙坪坝区教育委员会机关服务中心",
    "重庆市九龙坡区疾病预防控制中心",
    "重庆市南岸区水利工程管理站",
    "重庆市巴南区市政设施维护所",
    "重庆市北碚区文化馆",
    "重庆市大渡口区公共资源交易中心",
)
PUNCTUATION = "，。；、：“”（）"


def chinese_text(length: int, seed: int) -> str:
    """`length` characters of Chinese prose starting at a place that depends on `seed` (so two rows of a
    table read differently from their first characters), ending in a character, not punctuation."""
    length = max(1, length)
    start = UNITS[seed % len(UNITS)]
    pool = start + PROSE[(seed * 17) % len(PROSE) :] + PROSE
    while len(pool) < length + 1:
        pool += PROSE
    text = pool[:length]
    if text[-1] in PUNCTUATION:
        text = text[:-1] + "作"
    return text


def phone_photo(path: Path) -> Path:
    """A 9:16 JPEG, as a phone takes it: a photo printed without cropping comes out far taller than 49 mm."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 640), (40, 110, 190))
    draw = ImageDraw.Draw(image)
    draw.ellipse((110, 150, 250, 330), fill=(235, 200, 170))
    draw.rectangle((80, 340, 280, 640), fill=(30, 30, 40))
    image.save(path, "JPEG", quality=80)
    return path


# -- scenarios and answers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    path: Path
    campaign: str
    today: dt.date
    answers: dict[str, Any]
    documents: tuple[str, ...]


def complete_scenarios(form: str) -> list[Scenario]:
    out = []
    for path in scenario_files([SCENARIOS / form]):
        data = read(path).data
        expect = data.get("expect") or {}
        if expect.get("status") != "complete":
            continue
        out.append(
            Scenario(
                path,
                str(data["campaign"]),
                dt.date.fromisoformat(str(data.get("today", DEFAULT_TODAY))),
                scenario_answers(path, data),
                tuple(expect.get("documents") or ()),
            )
        )
    return out


def covering_scenarios(program: FormProgram) -> list[Scenario]:
    """The fewest complete scenarios that together produce every document of the form: greedily the one
    adding most documents; among equals the one closest to its base answers (fewest answers), not hostile."""
    candidates = complete_scenarios(program.id)
    wanted = {d.document.id for d in program.documents}
    chosen: list[Scenario] = []
    while wanted:
        best = max(
            candidates,
            key=lambda s: (len(wanted & set(s.documents)), "hostile" not in s.path.stem, -len(s.answers)),
            default=None,
        )
        if best is None or not wanted & set(best.documents):
            raise AssertionError(f"{program.id}: no complete scenario produces {sorted(wanted)}")
        chosen.append(best)
        wanted -= set(best.documents)
    return chosen


def locked_fields(program: FormProgram) -> frozenset[str]:
    """Fields whose value decides something (rules, conditions, computed values): kept as the scenario has
    them, so the maximal answers lead to the same documents."""
    _, rule_fields = program.rule_reads
    return frozenset(rule_fields | set(program.inputs(program.condition_reads)))


def minimal_answers(program: FormProgram, answers: dict[str, Any]) -> dict[str, Any]:
    """Without optional answers, groups at their `min` rows (groups the rules count keep theirs)."""
    locked = locked_fields(program)
    out: dict[str, Any] = {}
    for key, value in answers.items():
        if key in program.groups:
            repeat = program.groups[key].section.repeat
            keep = len(value or []) if key in locked else max(repeat.min if repeat else 1, 1)
            out[key] = [
                {c: v for c, v in row.items() if _required(program.fields.get(f"{key}.{c}"))}
                for row in (value or [])[:keep]
            ]
        elif _required(program.fields.get(key)) or key in locked:
            out[key] = value
    return out


def _required(info: FieldInfo | None) -> bool:
    return info is not None and info.field.required


def _filled(info: FieldInfo, value: Any, seed: int, today: dt.date, photo: Path) -> Any:
    """The maximal answer of one field, or `value` when the field keeps its scenario answer."""
    f = info.field
    if isinstance(f, TextField | LongTextField):
        text = chinese_text(f.max_length, seed)
        if isinstance(f, TextField) and f.pattern and not re.fullmatch(f.pattern, text):
            # the longest Chinese text the pattern takes (a name: as many characters as it allows)
            fits = (chinese_text(n, seed) for n in range(f.max_length - 1, 1, -1))
            longest = next((t for t in fits if re.fullmatch(f.pattern, t)), None)
            if longest is not None:
                return longest
            if value is not None:
                return value
            digits = "".join(str((seed + i) % 10) for i in range(f.max_length))
            return next((c for c in (digits, digits[:18]) if re.fullmatch(f.pattern, c)), value)
        return text
    if value is not None:
        return value
    if isinstance(f, ImageField):
        return str(photo)
    if isinstance(f, PhoneField):
        return "023-67752810"
    if isinstance(f, MobileField):
        return "13800138000"
    if isinstance(f, PostcodeField):
        return "401120"
    if isinstance(f, DateField):
        return today.isoformat()
    if isinstance(f, YearMonthField):
        return today.isoformat()[:7]
    if isinstance(f, NumberField):
        return int(f.min) if f.min is not None else 1
    return None


def group_dates(program: FormProgram, group: str) -> list[FieldInfo]:
    return [c for c in program.groups[group].columns if isinstance(c.field, DateField | YearMonthField)]


def _month(text: str) -> int | None:
    match = re.match(r"(\d{4})-(\d{2})", text)
    return int(match[1]) * 12 + int(match[2]) - 1 if match else None


def _month_text(month: int, field: FieldInfo) -> str:
    text = f"{month // 12:04d}-{month % 12 + 1:02d}"
    return text + "-01" if isinstance(field.field, DateField) else text


def _timeline(
    dates: list[FieldInfo], rows: list[dict[str, Any]], count: int, today: dt.date
) -> list[dict[str, Any]]:
    """Start/end of `count` rows in order, one after the other, from the earliest start the scenario's rows
    have to their last end (so "至今" stays on the last row only); [] when the group has no start/end pair."""
    if len(dates) < 2:
        return []
    start_col, end_col = (d.key.split(".", 1)[1] for d in dates[:2])
    starts = [m for r in rows if (m := _month(str(r.get(start_col) or ""))) is not None]
    if not starts:
        return []
    first = min(starts)
    last_end = rows[-1].get(end_col)
    until = _month(str(last_end or "")) or (today.year * 12 + today.month - 2)
    step = max(1, (until - first) // count)
    out = []
    for index in range(count):
        begin = first + index * step
        end = begin + step - 1
        out.append(
            {
                start_col: _month_text(begin, dates[0]),
                end_col: last_end if index == count - 1 and last_end else _month_text(end, dates[1]),
            }
        )
    return out


def maximal_answers(
    program: FormProgram, answers: dict[str, Any], today: dt.date, photo: Path
) -> dict[str, Any]:
    locked = locked_fields(program)
    out = dict(answers)
    seed = 0
    for key in program.items:
        seed += 1
        if key in program.groups:
            group = program.groups[key]
            repeat = group.section.repeat
            rows = list(answers.get(key) or [])
            if key in locked or not rows or repeat is None:
                continue
            new_rows = []
            periods = _timeline(group_dates(program, key), rows, repeat.max, today)
            for index in range(repeat.max):
                row = dict(rows[index % len(rows)])
                row.update(periods[index] if periods else {})
                for column in group.columns:
                    cid = column.key.split(".", 1)[1]
                    if isinstance(column.field, TextField | LongTextField) or row.get(cid) is None:
                        value = _filled(column, row.get(cid), seed * 31 + index, today, photo)
                        if value is not None:
                            row[cid] = value
                new_rows.append(row)
            out[key] = new_rows
        elif key not in locked:
            info = program.fields[key]
            if info.field.derive is not None and key in answers:
                continue
            value = _filled(info, answers.get(key), seed, today, photo)
            if value is not None:
                out[key] = value
    return out


# -- filling and rendering ---------------------------------------------------------------------------


@dataclass
class Rendered:
    """One document of one case: the .docx, what its template saw, and (after conversion) its PDF."""

    form: str
    document: str
    variant: str
    docx: Path
    context: dict[str, Any]
    answers: dict[str, Any]
    photo_given: bool
    pdf: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.form}-{self.document}-{self.variant}"


@dataclass
class SummaryRendered:
    form: str
    summary: str
    headings: tuple[str, ...]
    xlsx: Path
    rows: int
    pdf: Path | None = None

    @property
    def name(self) -> str:
        return f"{self.form}-{self.summary}"


@dataclass
class Corpus:
    documents: list[Rendered] = field(default_factory=list)
    summaries: list[SummaryRendered] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the maximal answers had to give up


def _fill_complete(
    intake: Intake,
    program: FormProgram,
    scenario: Scenario,
    answers: dict[str, Any],
    notes: list[str],
    label: str,
) -> Any:
    """Fill; every field the engine refuses goes back to the scenario's answer, until complete."""
    for _ in range(MAX_RETRIES):
        result = fill(intake, scenario.campaign, answers, base=scenario.path.parent, today=scenario.today)
        if result.data["status"] == "complete":
            return result
        refused = {str(e.get("field") or "").split(".")[0] for e in result.data["errors"]} - {""}
        if not refused:
            raise AssertionError(
                f"{label}: fill is {result.data['status']}: {result.data['errors']} "
                f"{[f.get('rule') for f in result.data['findings'] if f.get('outcome') == 'ineligible']}"
            )
        for key in refused:
            notes.append(f"{label}: {key} kept as in {scenario.path.name} (refused: {result.data['errors']})")
            if key in scenario.answers:
                answers[key] = scenario.answers[key]
            else:
                answers.pop(key, None)
    raise AssertionError(f"{label}: fill never completed")


def render_corpus(registry: Registry, work: Path) -> Corpus:
    """Every document of every shipped form, minimal and maximal, plus each form's summaries."""
    corpus = Corpus()
    photo = phone_photo(work / "phone-photo.jpg")
    for form_id, program in sorted(registry.forms.items()):
        scenarios = covering_scenarios(program)
        done: set[str] = set()
        campaigns: dict[str, dt.date] = {}
        with Store(work / "data" / form_id) as store:
            for scenario in scenarios:
                mine = set(scenario.documents) - done
                intake = Intake(registry, store, clock=lambda s=scenario: s.today)  # type: ignore[misc]
                try:
                    for variant in VARIANTS:
                        if variant == "min":
                            answers = minimal_answers(program, scenario.answers)
                        else:
                            answers = maximal_answers(program, scenario.answers, scenario.today, photo)
                        label = f"{form_id}/{scenario.path.stem}/{variant}"
                        result = _fill_complete(intake, program, scenario, answers, corpus.notes, label)
                        campaigns[scenario.campaign] = scenario.today
                        app = store.get(result.data["application"])
                        assert app is not None
                        ev = intake.evaluation(app, scenario.today)
                        _, campaign = registry.resolve(scenario.campaign)
                        specs = {d.document.id: d.document for d in program.documents}
                        for document in result.documents:
                            if document.id not in mine:
                                continue
                            path = work / "docx" / f"{form_id}-{document.id}-{variant}.docx"
                            path.parent.mkdir(parents=True, exist_ok=True)
                            path.write_bytes(document.data)
                            context = template_context(program, ev, specs[document.id], campaign)
                            corpus.documents.append(
                                Rendered(
                                    form_id,
                                    document.id,
                                    variant,
                                    path,
                                    context,
                                    answers,
                                    any(
                                        isinstance(i.field, ImageField) and answers.get(k)
                                        for k, i in program.fields.items()
                                    ),
                                )
                            )
                    done |= mine
                finally:
                    intake.close()
            intake = Intake(registry, store)
            try:
                for campaign_id, today in campaigns.items():
                    for compiled in program.summaries:
                        found = intake.summary(campaign_id, compiled.summary.id, today=today)
                        path = work / "xlsx" / f"{form_id}-{compiled.summary.id}.xlsx"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(found.data)
                        headings = tuple(c.title for c in compiled.summary.columns)
                        corpus.summaries.append(
                            SummaryRendered(form_id, compiled.summary.id, headings, path, found.rows)
                        )
                    break  # one campaign per form is enough: the layout does not depend on it
            finally:
                intake.close()
    return corpus


# -- conversion ------------------------------------------------------------------------------------------


def missing_tools() -> str | None:
    """Why pages cannot be looked at here, or None."""
    for tool in ("soffice", "pdftoppm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (scripts/test installs LibreOffice and poppler-utils)"
    try:
        import pdfplumber  # noqa: F401
    except ImportError:
        return "pdfplumber is not installed (pip install -e '.[test]')"
    return None


def convert_all(files: Iterable[Path], outdir: Path, profile: Path) -> None:
    """Every file to PDF in ONE LibreOffice run (a private profile, so it never waits on another)."""
    files = list(files)
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=CONVERT_TIMEOUT_S,
    )
    for path in files:
        if not (outdir / f"{path.stem}.pdf").is_file():
            raise AssertionError(f"LibreOffice made no PDF of {path.name}")


def first_page_png(pdf: Path, out: Path, dpi: int = 70) -> None:
    """Page 1 as a small PNG (pdftoppm, grey, 16 shades: ~20-30 KB), for a person to look at."""
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_name(out.stem + ".full")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-gray",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    full = Path(f"{stem}.png")
    with Image.open(full) as image:
        image.convert("L").quantize(16).save(out, optimize=True)
    full.unlink()


# -- reading pages -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """Characters of one line with no wide gap: a word, a label, a line of a cell."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass
class Block:
    """The runs of consecutive lines inside one table cell (or one paragraph outside tables)."""

    runs: list[Run]
    cell: tuple[float, float]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)

    @property
    def top(self) -> float:
        return self.runs[0].top

    @property
    def x0(self) -> float:
        return min(r.x0 for r in self.runs)


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    runs: list[Run]
    blocks: list[Block]
    extents: list[tuple[float, float]]  # vertical extents of every char, rect, line, curve and image
    images: list[tuple[float, float, float, float]]  # x0, top, x1, bottom in points

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks)


def normalise(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _lines(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Characters grouped by baseline (a character joins a line when its middle lies within it)."""
    lines: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda c: (round(c["bottom"], 1), c["x0"])):
        middle = (char["top"] + char["bottom"]) / 2
        for line in lines:
            if line[0]["top"] - 0.5 <= middle <= line[0]["bottom"] + 0.5:
                line.append(char)
                break
        else:
            lines.append([char])
    return [sorted(line, key=lambda c: c["x0"]) for line in lines]


def _runs(line: list[dict[str, Any]]) -> list[Run]:
    out: list[Run] = []
    current: list[dict[str, Any]] = []
    for char in line:
        if current and char["x0"] - current[-1]["x1"] > 0.5 * max(char["size"], 1):
            out.append(_run(current))
            current = []
        current.append(char)
    if current:
        out.append(_run(current))
    return out


def _run(chars: list[dict[str, Any]]) -> Run:
    return Run(
        "".join(c["text"] for c in chars).strip(),
        min(c["x0"] for c in chars),
        max(c["x1"] for c in chars),
        min(c["top"] for c in chars),
        max(c["bottom"] for c in chars),
        max(c["size"] for c in chars),
    )


def _cell(run: Run, verticals: list[tuple[float, float, float]], width: float) -> tuple[float, float]:
    """The nearest vertical ruling lines left and right of a run (the page edges outside tables)."""
    middle = (run.top + run.bottom) / 2
    left, right = 0.0, round(width, 0)
    for x, top, bottom in verticals:
        if top - 1 <= middle <= bottom + 1:
            if x <= run.x0 + 1 and x > left:
                left = x
            if x >= run.x1 - 1 and x < right:
                right = x
    return round(left, 0), round(right, 0)


def _blocks(
    runs: list[Run],
    verticals: list[tuple[float, float, float]],
    horizontals: list[tuple[float, float, float]],
    width: float,
) -> list[Block]:
    """Runs of consecutive lines in the same cell, with no horizontal ruling line between them."""
    blocks: list[Block] = []
    open_blocks: dict[tuple[float, float], Block] = {}
    for run in sorted(runs, key=lambda r: (r.top, r.x0)):
        cell = _cell(run, verticals, width)
        block = open_blocks.get(cell)
        if block is not None:
            last = block.runs[-1]
            same_line = abs(last.top - run.top) < 0.5 * run.size
            near = run.top - last.bottom < 0.9 * run.size
            ruled = any(
                last.bottom - 1 <= y <= run.top + 1 and x0 <= run.x1 and x1 >= run.x0
                for y, x0, x1 in horizontals
            )
            if (same_line or near) and not ruled:
                block.runs.append(run)
                continue
        block = Block([run], cell)
        blocks.append(block)
        open_blocks[cell] = block
    return sorted(blocks, key=lambda b: (round(b.top), b.x0))


def read_pages(pdf: Path) -> list[Page]:
    import pdfplumber

    pages = []
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            chars = [c for c in page.chars if c["text"].strip()]
            runs = [r for line in _lines(chars) for r in _runs(line) if r.text]
            edges = page.edges
            verticals = [(e["x0"], e["top"], e["bottom"]) for e in edges if e["orientation"] == "v"]
            horizontals = [(e["top"], e["x0"], e["x1"]) for e in edges if e["orientation"] == "h"]
            folios = [r for r in runs if _is_folio(r, page, verticals)]
            extents = [
                (c["top"], c["bottom"])
                for c in chars
                if not any(
                    f.x0 - 1 <= c["x0"] and c["x1"] <= f.x1 + 1 and f.top - 1 <= c["top"] <= f.bottom
                    for f in folios
                )
            ]
            extents += [
                (o["top"], o["bottom"]) for o in (*page.rects, *page.lines, *page.curves, *page.images)
            ]
            images = [(i["x0"], i["top"], i["x1"], i["bottom"]) for i in page.images]
            pages.append(
                Page(
                    number,
                    float(page.width),
                    float(page.height),
                    runs,
                    _blocks([r for r in runs if r not in folios], verticals, horizontals, float(page.width)),
                    extents,
                    images,
                )
            )
    return pages


FOLIO = re.compile(r"[—–\-\s]*(第)?\d{1,3}(页)?[—–\-\s]*(共\d{1,3}页)?")


def _is_folio(run: Run, page: Any, verticals: list[tuple[float, float, float]]) -> bool:
    """A page number: outside any table, in the top or bottom tenth of the page (not content)."""
    height, width = float(page.height), float(page.width)
    return (
        bool(FOLIO.fullmatch(run.text))
        and (run.top < 0.1 * height or run.bottom > 0.9 * height)
        and _cell(run, verticals, width) == (0.0, round(width, 0))
    )


def blank_share(page: Page, body: tuple[float, float]) -> float:
    """The share of the body band left empty by the page's content: 1 − (vertical extent of everything
    printed on the page, from the top of its highest box to the bottom of its lowest, page numbers left
    out) / (height of the body band). The body band is that extent over all pages of the document (the
    text area between the margins as the document uses it). A page with only a table's last two rows is
    ~90 % blank; a cover whose title is at the top and whose 制 line is at the bottom is not blank."""
    low, high = body
    if high <= low or not page.extents:
        return 1.0
    top = max(low, min(t for t, _ in page.extents))
    bottom = min(high, max(b for _, b in page.extents))
    return 1 - max(0.0, bottom - top) / (high - low)


def body_band(pages: list[Page]) -> tuple[float, float]:
    tops = [t for p in pages for t, _ in p.extents]
    bottoms = [b for p in pages for _, b in p.extents]
    return (min(tops), max(bottoms)) if tops else (0.0, 0.0)


def cell_lines(block: Block) -> list[str]:
    """A block's text line by line (runs on one baseline joined, whitespace removed)."""
    lines: list[list[Run]] = []
    for run in block.runs:
        if lines and abs(lines[-1][0].top - run.top) < 0.5 * run.size:
            lines[-1].append(run)
        else:
            lines.append([run])
    return [normalise("".join(r.text for r in sorted(line, key=lambda r: r.x0))) for line in lines]


@dataclass(frozen=True)
class Label:
    """An official label. Written `参加工作|时间` where the official form itself breaks it into lines
    (a break anywhere else is a broken label); `~…` when the official form lets it wrap freely in its cell
    (then it must only stay in one cell on one page); `@…` for the photo box's label."""

    spec: str

    @property
    def text(self) -> str:
        return normalise(self.spec.lstrip("~@").replace("|", ""))

    @property
    def free(self) -> bool:
        return self.spec.lstrip("@").startswith("~")

    @property
    def photo_box(self) -> bool:
        """`@…`: the label of the photo box, printed only when no photo was given (contract 1)."""
        return self.spec.startswith("@")

    @property
    def breaks(self) -> frozenset[int]:
        out, at = set(), 0
        for part in normalise(self.spec.lstrip("~@")).split("|")[:-1]:
            at += len(part)
            out.add(at)
        return frozenset(out)


def label_places(pages: list[Page], label: Label) -> list[tuple[int, str]]:
    """Where a label is found whole: (page, "ok") when it lies in one cell on one page and its lines break
    only where the official form breaks it (anywhere, for a free label); (page, "broken at …") when it is in
    one cell but broken elsewhere; (0, "across pages") when it is whole only across a page break."""
    wanted = label.text
    found: list[tuple[int, str]] = []
    for page in pages:
        for block in page.blocks:
            lines = cell_lines(block)
            text = "".join(lines)
            at = text.find(wanted)
            while at >= 0:
                cuts, edge = set(), 0
                for line in lines[:-1]:
                    edge += len(line)
                    if at < edge < at + len(wanted):
                        cuts.add(edge - at)
                if label.free or cuts <= label.breaks:
                    found.append((page.number, "ok"))
                else:
                    shown = "｜".join(lines_cut(wanted, cuts))
                    found.append((page.number, f"broken as {shown}"))
                at = text.find(wanted, at + 1)
    if not found:
        for before, after in itertools.pairwise(pages):
            ends = {b.cell: normalise(b.text) for b in before.blocks}  # the last block of each cell
            starts: dict[tuple[float, float], str] = {}
            for b in after.blocks:
                starts.setdefault(b.cell, normalise(b.text))
            if any(wanted in ends[c] + starts[c] for c in ends.keys() & starts.keys()):
                found.append((after.number, f"cut across pages {before.number}/{after.number}"))
    return found


def lines_cut(text: str, cuts: set[int]) -> list[str]:
    out, last = [], 0
    for cut in sorted(cuts):
        out.append(text[last:cut])
        last = cut
    return [*out, text[last:]]


def in_one_block(pages: list[Page], value: str) -> bool:
    wanted = normalise(value)
    return any(wanted in normalise(b.text) for p in pages for b in p.blocks)


def docx_parts_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def template_names(template: Path) -> tuple[set[str], dict[str, set[str]]]:
    """What a .docx template prints as it is: plain variables `{{ name }}`, and per repeat group (`{% for r
    in group %}`) the columns `{{ r.column }}`. A variable printed through a filter or a slice
    (`{{ d[0:4] }}`) is not printed as its context holds it, so it is left out."""
    xml = re.sub(r"<[^>]+>", "", docx_parts_text(template))
    plain: set[str] = set()
    columns: dict[str, set[str]] = {}
    loops: list[tuple[str, str]] = []
    for tag in re.findall(r"\{%.*?%\}|\{\{.*?\}\}", xml):
        loop = re.match(r"\{%-?\s*(?:tr|tc|p)?\s*for\s+(\w+)\s+in\s+(\w+)\s*-?%\}$", tag)
        if loop:
            loops.append((loop[1], loop[2]))
        elif re.match(r"\{%-?\s*(?:tr|tc|p)?\s*endfor", tag) and loops:
            loops.pop()
        printed = re.fullmatch(r"\{\{-?\s*(\w+)(?:\.(\w+))?\s*-?\}\}", tag)
        if not printed:
            continue
        head, tail = printed[1], printed[2]
        alias = dict(loops)
        if tail and head in alias:
            columns.setdefault(alias[head], set()).add(tail)
        elif not tail and head not in alias:
            plain.add(head)
    return plain, columns


def expected_values(rendered: Rendered, template: Path) -> list[tuple[str, str]]:
    """(where, value) of every non-empty value the template prints, as its context holds it."""
    plain, columns = template_names(template)
    out: list[tuple[str, str]] = []
    for name in sorted(plain):
        value = rendered.context.get(name)
        if isinstance(value, str) and normalise(value):
            out.append((name, value))
    for group, cols in sorted(columns.items()):
        for index, row in enumerate(rendered.context.get(group) or []):
            for col in sorted(cols):
                value = row.get(col) if isinstance(row, dict) else None
                if isinstance(value, str) and normalise(value):
                    out.append((f"{group}[{index}].{col}", value))
    return out


def png_of(pdf: Path, name: str) -> Path:
    out = ARTIFACTS / f"pages-{name}.png"
    first_page_png(pdf, out)
    return out


def io_bytes(path: Path) -> io.BytesIO:
    return io.BytesIO(path.read_bytes())
