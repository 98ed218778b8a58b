"""Summary tables declared by `columns:` (no template): one row per application, as a printed .xlsx (title,
header row repeated on every printed page, landscape A4, fitted to one page wide, the summary's `footnote`
below the last row) or as CSV (UTF-8 with a BOM, so Excel opens it as UTF-8).

Values are always text or numbers, never formulas: a text starting with = + - @ (also after leading blanks,
tabs or line breaks) is stored in the .xlsx as a string with Excel's quote prefix, and in CSV behind a `'`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from bot.documents.context import paper_value
from bot.documents.xlsx import (
    _grouped,
    _sheet_title,
    fit_row_height,
    header_values,
    keep_footnote_with_rows,
    sorted_rows,
    text_width,
    write_footnote,
)
from bot.engine.campaign import Campaign
from bot.engine.expressions import value_of
from bot.engine.program import CompiledColumn, CompiledSummary, FormProgram
from bot.engine.summaries import INDEX
from bot.engine.text import _PLACEHOLDER, as_text

FORMULA_TRIGGERS = ("=", "+", "-", "@")
BOM = "\ufeff"
HEADER_ROW = 3  # row 1: title; row 2: institution, date, count; row 3: column headings
MAX_WIDTH = 40.0
Row = Mapping[str, Any]


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet read this text as a formula? (= + - @ first, also after blanks and breaks)"""
    return text.lstrip(" \t\r\n\u3000").startswith(FORMULA_TRIGGERS) or text.startswith(("\t", "\r"))


def cell_value(program: FormProgram, column: CompiledColumn, row: Row, index: int) -> Any:
    """What one cell shows: numbers stay numbers, everything else as written on paper."""
    if column.name == INDEX:
        return index
    if column.name is not None:
        value = row.get(column.name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        info = program.fields.get(column.name)
        return str(paper_value(info, value)) if info is not None else as_text(value)
    if column.text is not None:

        def named(match: Any) -> str:
            name = match.group(1)
            info = program.fields.get(name)
            value = row.get(name)
            return str(paper_value(info, value)) if info is not None else as_text(value)

        return _PLACEHOLDER.sub(named, column.text)
    assert column.expr is not None
    value = value_of(column.expr, row)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return as_text(value)


def table_rows(program: FormProgram, compiled: CompiledSummary, rows: Sequence[Row]) -> Iterator[list[Any]]:
    """The cells of each row, in `sort_by` order, numbered from 1."""
    for i, row in enumerate(sorted_rows(program, rows, compiled.summary.sort_by), start=1):
        yield [cell_value(program, column, row, i) for column in compiled.columns]


def build_csv(program: FormProgram, compiled: CompiledSummary, rows: Sequence[Row]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in compiled.columns])
    for cells in table_rows(program, compiled, rows):
        writer.writerow([_csv_cell(v) for v in cells])
    return (BOM + out.getvalue()).encode("utf-8", "replace")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = _clean(as_text(value))
    return "'" + text if looks_like_formula(text) else text


def _clean(text: str) -> str:
    """No lone surrogates (they cannot be encoded) and no control characters a cell may not hold."""
    text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text
    return str(ILLEGAL_CHARACTERS_RE.sub("", text))


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


# -- .xlsx ------------------------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E7E6E6")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


def build_table(
    program: FormProgram,
    compiled: CompiledSummary,
    rows: Sequence[Row],
    campaign: Campaign | None,
    today: dt.date,
) -> bytes:
    """The workbook: one sheet (or one per `sheet_by` value), each a printable table."""
    summary = compiled.summary
    ordered = sorted_rows(program, rows, summary.sort_by)
    header = header_values(program, summary, campaign, today, len(ordered))
    parts: list[tuple[str, list[Row]]] = [("汇总表", ordered)]
    if summary.sheet_by:
        parts = _grouped(program, summary.sheet_by, ordered)
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for title, part in parts:
        ws = workbook.create_sheet(_sheet_title(title or "汇总表", used))
        _write_sheet(ws, program, compiled, part, header, title if summary.sheet_by else "")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_sheet(
    ws: Any,
    program: FormProgram,
    compiled: CompiledSummary,
    rows: list[Row],
    header: dict[str, Any],
    sheet: str,
) -> None:
    columns = compiled.columns
    last = get_column_letter(len(columns))
    heading = str(header["title"]) + (f"（{sheet}）" if sheet else "")
    _put(ws.cell(1, 1), heading)
    ws.cell(1, 1).font = Font(bold=True, size=16)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    facts = [f"受理机构：{header['institution']}" if header["institution"] else ""]
    facts += [f"导出日期：{header['today']}", f"共 {len(rows)} 人"]
    _put(ws.cell(2, 1), "　　".join(f for f in facts if f))
    ws.merge_cells(f"A2:{last}2")
    widths = [_width(c.title) for c in columns]
    for j, column in enumerate(columns, start=1):
        cell = ws.cell(HEADER_ROW, j)
        _put(cell, column.title)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.border = _BORDER
        cell.alignment = _CENTER
    for i, cells in enumerate(table_rows(program, compiled, rows)):
        r = HEADER_ROW + 1 + i
        for j, value in enumerate(cells, start=1):
            cell = ws.cell(r, j)
            _put(cell, value)
            cell.border = _BORDER
            cell.alignment = _WRAP
            widths[j - 1] = max(widths[j - 1], _width(as_text(value)))
    for j, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = column.width or min(widths[j - 1], MAX_WIDTH)
    for r in range(HEADER_ROW, HEADER_ROW + len(rows) + 1):
        fit_row_height(
            ws, r, len(columns)
        )  # long values wrap (columns are at most MAX_WIDTH wide): rows grow to fit
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as it takes
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if compiled.summary.footnote:
        end = HEADER_ROW + len(rows) + 1
        write_footnote(ws, compiled.summary.footnote, end, len(columns))
        keep_footnote_with_rows(ws, HEADER_ROW + 1, HEADER_ROW + len(rows), end)


def _width(text: str) -> float:
    """Column width for a text: wide (CJK) characters count about double; the longest line counts."""
    lines: Iterable[str] = text.splitlines() or [""]
    return float(max(4, math.ceil(max(text_width(line) for line in lines)) + 2))


def _put(cell: Any, value: Any) -> None:
    """Numbers as numbers, everything else as a string, never as a formula or an error code."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = value
        return
    text = _clean(as_text(value))
    if not text:
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"
    if looks_like_formula(text):
        cell.quotePrefix = True
