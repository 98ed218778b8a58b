"""Summary tables (汇总表): the names an .xlsx template may use, and the load-time check of `summaries:`.

A template's first sheet holds one row of `{{ r.<name> }}` placeholders, repeated once per application;
any cell may hold `{{ <header name> }}`. See docs/spec-reference.md (`summaries`)."""

from __future__ import annotations

import difflib
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.engine.expressions import BUILTIN_NAMES, Expr, ExpressionError, compile_expr
from bot.engine.program import CompiledColumn, CompiledSummary
from bot.engine.spec import FormSpec, SummaryColumn
from bot.engine.text import placeholders
from bot.engine.yamlsource import Path_

PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
ROW_PREFIX = "r."
COMMON_PREFIX = "common."  # header: the value every row of the sheet shares (blank when they differ)
INDEX = "_index"
APPLICATION = "application"  # what a `where` sees of the application itself: {status, channel, ...}
# What `application.<key>` holds (in `where` and in column expressions); `status_name` is the status as the
# coordinator sees it (their review status once past 已生成), in words.
APPLICATION_KEYS = ("status", "status_name", "channel", "created_at", "updated_at")
DEFAULT_WHERE = 'application.status == "complete"'
# Header values: the same in every cell of a workbook (`sheet` and `count` per sheet).
HEADER_NAMES = ("title", "form_title", "institution", "campaign_id", "campaign_title", "deadline", "today")
SHEET_NAMES = ("sheet", "count", "total")
CAMPAIGN_ALIASES = {
    "campaign.id": "campaign_id",
    "campaign.title": "campaign_title",
    "campaign.institution": "institution",
    "campaign.deadline": "deadline",
}
FILENAME_NAMES = (*HEADER_NAMES, "total")

ExprCompiler = Callable[[str | None, Path_, frozenset[str]], Expr | None]
ErrorSink = Callable[[Path_, str], None]


@dataclass(frozen=True)
class Placeholder:
    sheet: str
    first_sheet: bool
    coordinate: str
    row: int
    name: str


def placeholders_in(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def row_names(spec: FormSpec) -> list[str]:
    """What `{{ r.<name> }}`, `sheet_by` and `sort_by` may name: plain fields, computed values, outcomes."""
    names = [f.id for s in spec.sections if s.repeat is None for f in s.fields]
    return names + list(spec.computed) + list(spec.outcomes)


def scan_template(path: Path) -> list[Placeholder]:
    """Every `{{ … }}` in the workbook's text cells. Raises ValueError when it is not a readable .xlsx."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"无法作为 .xlsx 打开（{type(exc).__name__}）") from None
    found: list[Placeholder] = []
    try:
        for index, sheet in enumerate(workbook.worksheets):
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        found += _cell_placeholders(sheet.title, index == 0, cell)
    finally:
        workbook.close()
    return found


def _cell_placeholders(sheet: str, first: bool, cell: Any) -> list[Placeholder]:
    coordinate = f"{cell.column_letter}{cell.row}"
    return [Placeholder(sheet, first, coordinate, int(cell.row), n) for n in placeholders_in(cell.value)]


def compile_summaries(
    spec: FormSpec, templates: Path | None, expr: ExprCompiler, error: ErrorSink, names: frozenset[str]
) -> list[CompiledSummary]:
    """Check every `summaries:` entry (names, expression, template placeholders); `names` is the form's
    expression scope. Problems go to `error` with the path of the key they are about."""
    rows = row_names(spec)
    out = []
    for i, summary in enumerate(spec.summaries):
        base: Path_ = ("summaries", i)
        if [s.id for s in spec.summaries].index(summary.id) != i:
            error((*base, "id"), f"汇总表编号 {summary.id!r} 重复；每个汇总表的 id 必须唯一")
        for name in placeholders(summary.filename):
            if name not in FILENAME_NAMES:
                error(
                    (*base, "filename"),
                    f"文件名中的 {{{name}}} 不能用；汇总表文件名可用：{'、'.join(f'{{{n}}}' for n in FILENAME_NAMES)}",
                )
        keyed: list[tuple[Path_, str]] = [(("sheet_by",), summary.sheet_by)] if summary.sheet_by else []
        keyed += [(("sort_by", j), name) for j, name in enumerate(summary.sort_by)]
        for key, name in keyed:
            if name not in rows:
                error(
                    (*base, *key),
                    f"{name!r} 不是普通字段、computed 或 outcomes 的名称{_guess(name, rows, None)}；"
                    f"可用：{'、'.join(rows)}（重复组不能用）",
                )
        if APPLICATION in names and (summary.where is not None or summary.columns):
            error(
                (*base, "where" if summary.where is not None else "columns"),
                f"字段编号 {APPLICATION!r} 与汇总表里的 application 冲突；请给字段改名",
            )
        where = expr(summary.where or DEFAULT_WHERE, (*base, "where"), names | {APPLICATION})
        if templates is not None and summary.template is not None:
            _check_template(templates / summary.template, rows, (*base, "template"), error)
        columns = [
            _column(column, rows, (*base, "columns", j), expr, error, names)
            for j, column in enumerate(summary.columns)
        ]
        out.append(CompiledSummary(summary, where, tuple(columns)))
    return out


def _column(
    column: SummaryColumn,
    rows: list[str],
    where: Path_,
    expr: ExprCompiler,
    error: ErrorSink,
    names: frozenset[str],
) -> CompiledColumn:
    """A column of a template-less table: a bare name (as on paper), `_index`, an expression or a text."""
    if column.text is not None:
        for name in placeholders(column.text):
            if name not in rows:
                error(
                    (*where, "text"),
                    f"文字中的 {{{name}}} 不是普通字段、computed 或 outcomes 的名称{_guess(name, rows, None)}",
                )
        return CompiledColumn(column.title, text=column.text, width=column.width)
    source = (column.value or "").strip()
    if source == INDEX or source in rows:
        return CompiledColumn(column.title, name=source, width=column.width)
    compiled = expr(source, (*where, "value"), names | {APPLICATION})
    for key in _application_keys(source):
        if key not in APPLICATION_KEYS:
            error(
                (*where, "value"),
                f"application.{key} 不能用；可用：" + "、".join(f"application.{k}" for k in APPLICATION_KEYS),
            )
    return CompiledColumn(column.title, expr=compiled, width=column.width)


def _application_keys(source: str) -> list[str]:
    return re.findall(rf"\b{APPLICATION}\.([A-Za-z_]\w*)", source)


def _check_template(path: Path, rows: list[str], where: Path_, error: ErrorSink) -> None:
    if not path.is_file():
        error(where, f"模板文件 {path} 不存在")
        return
    if path.suffix.lower() != ".xlsx":
        error(where, f"汇总表模板应为 .xlsx 文件（Excel 工作簿），找到的是 {path.name}")
        return
    try:
        found = scan_template(path)
    except ValueError as exc:
        error(where, f"模板文件 {path} {exc}；请用 Excel 或 WPS 另存为 .xlsx")
        return
    for p in found:
        problem = _placeholder_problem(p, rows)
        if problem:
            error(where, f"模板 {path.name} 工作表 {p.sheet!r} 单元格 {p.coordinate}：{problem}")
    row_cells = [p for p in found if p.name.startswith(ROW_PREFIX)]
    lines = sorted({p.row for p in row_cells if p.first_sheet})
    if not lines:
        error(
            where,
            f"模板 {path.name} 第一个工作表里没有 {{{{ r.名称 }}}} 行；在要逐人重复的那一行每格写"
            f" {{{{ r.字段编号 }}}}，序号格写 {{{{ r.{INDEX} }}}}",
        )
    elif len(lines) > 1:
        cells = "、".join(p.coordinate for p in row_cells if p.row != lines[0])
        error(where, f"模板 {path.name} 的 {{{{ r.… }}}} 只能在同一行（第 {lines[0]} 行）；{cells} 在别的行")


def _placeholder_problem(p: Placeholder, rows: list[str]) -> str | None:
    name = p.name
    if name.startswith(ROW_PREFIX):
        column = name[len(ROW_PREFIX) :]
        if not p.first_sheet:
            return f"{{{{ {name} }}}} 只能写在第一个工作表里"
        if column == INDEX or column in rows:
            return None
        return (
            f"{{{{ {name} }}}} 不是普通字段、computed 或 outcomes 的名称{_guess(column, rows, 'r.')}；"
            f"可用：r.{INDEX}（序号）、" + "、".join(f"r.{n}" for n in rows)
        )
    if name in HEADER_NAMES or name in SHEET_NAMES or name in CAMPAIGN_ALIASES:
        return None
    if name.startswith(COMMON_PREFIX):
        shared = name[len(COMMON_PREFIX) :]
        if shared in rows:
            return None
        return (
            f"{{{{ {name} }}}} 不是普通字段、computed 或 outcomes 的名称{_guess(shared, rows, COMMON_PREFIX)}；"
            "可用：" + "、".join(f"{COMMON_PREFIX}{n}" for n in rows)
        )
    if name in rows:
        return (
            f"{{{{ {name} }}}} 是字段名称：逐人重复的那一行要写成 {{{{ r.{name} }}}}；"
            f"表头里写 {{{{ {COMMON_PREFIX}{name} }}}}（本表各行相同时显示这个值）"
        )
    allowed = [*HEADER_NAMES, *SHEET_NAMES, *CAMPAIGN_ALIASES, f"{COMMON_PREFIX}<名称>"]
    return f"不认识的占位符 {{{{ {name} }}}}{_guess(name, allowed)}；表头可用：{'、'.join(allowed)}"


def _guess(name: str, options: Iterable[str], prefix: str | None = "") -> str:
    """A close match as a hint; `prefix` None means a plain name (YAML), otherwise a placeholder."""
    found = difflib.get_close_matches(name, list(options), n=1)
    if not found:
        return ""
    return f"（是否想写 {found[0]}？）" if prefix is None else f"（是否想写 {{{{ {prefix}{found[0]} }}}}？）"


def expression_names(spec: FormSpec) -> frozenset[str]:
    """Every name a form's expressions may read (fields, groups, computed, outcomes, today, campaign)."""
    groups = [s.id for s in spec.sections if s.repeat is not None]
    return frozenset([*row_names(spec), *groups, *BUILTIN_NAMES])


def compile_filter(spec: FormSpec, source: str) -> Expr:
    """An extra `where` given at export time (e.g. one unit's applications). Raises ExpressionError."""
    expr = compile_expr(source)
    unknown = sorted(expr.names - expression_names(spec) - {APPLICATION})
    if unknown:
        raise ExpressionError(
            f"表达式用到未知名称 {unknown[0]!r}；可用：{APPLICATION}.status 以及 {'、'.join(row_names(spec))}"
        )
    return expr
