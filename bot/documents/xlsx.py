"""Summary tables (汇总表) as .xlsx: an author's template filled with one row per application.

The template's first sheet has one row of `{{ r.<name> }}` cells; it is repeated for every application
(values as on paper, the row's formatting, height and merged cells copied to each output row). With
`sheet_by` that sheet is copied once per distinct value. Values are always written as text or numbers,
never as formulas: text that a spreadsheet would read as a formula (= + - @ …) is stored as a string
with Excel's quote prefix, so it stays text even when the cell is edited."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formula.translate import Translator
from openpyxl.styles import Alignment, Font
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.context import paper_value
from bot.engine.campaign import Campaign
from bot.engine.program import FormProgram
from bot.engine.spec import SummarySpec
from bot.engine.summaries import CAMPAIGN_ALIASES, COMMON_PREFIX, INDEX, PLACEHOLDER, ROW_PREFIX, row_names
from bot.engine.text import as_text, fill

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
SHEET_TITLE_MAX = 31
DEFAULT_COLUMN_WIDTH = 8.43  # Excel's default column width, in characters
_BAD_TITLE = re.compile(r"[\\/?*\[\]:]")
Row = Mapping[str, Any]


def header_values(
    program: FormProgram, summary: SummarySpec, campaign: Campaign | None, today: dt.date, total: int
) -> dict[str, Any]:
    """The values of header placeholders (and of `{名称}` in the file name, where `today` is ISO)."""
    return {
        "title": summary.title or program.spec.title,
        "form_title": program.spec.title,
        "institution": campaign.institution if campaign else "",
        "campaign_id": campaign.id if campaign else "",
        "campaign_title": campaign.title if campaign else "",
        "deadline": _chinese_date(campaign.deadline) if campaign else "",
        "today": _chinese_date(today),
        "total": total,
    }


def summary_filename(
    program: FormProgram, summary: SummarySpec, campaign: Campaign | None, today: dt.date, total: int
) -> str:
    values = header_values(program, summary, campaign, today, total)
    values["today"] = today.isoformat()
    values["deadline"] = campaign.deadline.isoformat() if campaign else ""
    name = "".join("_" if c in '\\/:*?"<>|' or ord(c) < 32 else c for c in fill(summary.filename, values))
    name = name.strip(" .")[:120] or summary.id
    return name if name.lower().endswith(".xlsx") else f"{name}.xlsx"


def build_summary(
    program: FormProgram,
    summary: SummarySpec,
    rows: Sequence[Row],
    campaign: Campaign | None,
    today: dt.date,
    template: Path,
) -> bytes:
    """The filled workbook. `rows` are the applications' evaluated values (Evaluation.values), already
    selected; they are sorted by `sort_by` here (stably, so otherwise in the order given)."""
    ordered = sorted_rows(program, rows, summary.sort_by)
    header = header_values(program, summary, campaign, today, len(ordered))
    workbook = load_workbook(template)
    first = workbook.worksheets[0]
    sheets = [(first, first.title, ordered)]
    if summary.sheet_by:
        groups = _grouped(program, summary.sheet_by, ordered)
        sheets = [
            (first if i == 0 else _copy(workbook, first, i), title, part)
            for i, (title, part) in enumerate(groups)
        ]
    used: set[str] = set()
    for ws, title, part in sheets:
        if summary.sheet_by and part:
            ws.title = _sheet_title(title, used)
        # read from the row template before it is filled
        tpl, width, font = _template_row(ws), _table_width(ws), _footnote_font(ws)
        _fill_sheet(
            ws, program, part, {**header, "sheet": title if summary.sheet_by else "", "count": len(part)}
        )
        if summary.footnote:
            end = _last_row(ws) + 1
            write_footnote(ws, summary.footnote, end, width, font=font)
            if tpl is not None:
                keep_footnote_with_rows(ws, tpl, tpl + len(part) - 1, end)
    for ws in workbook.worksheets[len(sheets) :]:
        _fill_header(ws, {**header, "sheet": "", "count": len(ordered)}, skip_row=None)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# -- rows ---------------------------------------------------------------------------------------------------


def sorted_rows(program: FormProgram, rows: Sequence[Row], names: Sequence[str]) -> list[Row]:
    """Rows by `sort_by` (stably: otherwise in the order given). A choice field ranks by its choice order
    (中级工 before 高级工 before 技师), numbers by size, other values by their text, blanks last."""

    def key(row: Row) -> tuple[tuple[int, Any], ...]:
        return tuple(_sort_key(program, name, row.get(name)) for name in names)

    return sorted(rows, key=key)


def _sort_key(program: FormProgram, name: str, value: Any) -> tuple[int, Any]:
    if value is None or value == "":
        return (3, "")
    info = program.fields.get(name)
    choices = info.choices if info is not None else None
    if choices and isinstance(value, str) and value in choices:
        return (0, choices.index(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, value)
    return (2, as_text(value))


def _grouped(program: FormProgram, name: str, rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """Rows by the text of `name`, in the field's choice order first, then in order of appearance."""
    groups: dict[str, list[Row]] = {}
    info = program.fields.get(name)
    for choice in (info.choices or ()) if info else ():
        groups[choice] = []
    for row in rows:
        groups.setdefault(_text(program, name, row.get(name)) or "（未填）", []).append(row)
    found = [(title, part) for title, part in groups.items() if part]
    return found or [("", [])]


def _text(program: FormProgram, name: str, value: Any) -> str:
    info = program.fields.get(name)
    return str(paper_value(info, value)) if info is not None else as_text(value)


def _row_value(program: FormProgram, name: str, row: Row, index: int) -> Any:
    if name == INDEX:
        return index
    value = row.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _text(program, name, value)


# -- sheets -------------------------------------------------------------------------------------------------


def _copy(workbook: Any, source: Worksheet, position: int) -> Worksheet:
    """A copy of the template sheet placed at `position`, with what copy_worksheet leaves out."""
    ws = workbook.copy_worksheet(source)
    workbook.move_sheet(ws, position - workbook.index(ws))
    ws.merged_cells = MultiCellRange()  # copy_worksheet's copies still point at the source sheet
    for merged in source.merged_cells.ranges:
        ws.merge_cells(merged.coord)
    if source.print_title_rows:
        ws.print_title_rows = source.print_title_rows
    if source.print_title_cols:
        ws.print_title_cols = source.print_title_cols
    if source.print_area:
        ws.print_area = [_local_range(r) for r in source.print_area.split(",")]
    ws.freeze_panes = source.freeze_panes
    ws.HeaderFooter = copy(source.HeaderFooter)  # page numbers in the footer
    ws.sheet_properties.pageSetUpPr = copy(source.sheet_properties.pageSetUpPr)  # fit to page
    return ws


def _local_range(text: str) -> str:
    return text.rsplit("!", 1)[-1].replace("$", "")


def _sheet_title(value: str, used: set[str]) -> str:
    """A valid, unique sheet name for a value (Excel: ≤ 31 characters, none of \\ / ? * [ ] :)."""
    name = _BAD_TITLE.sub("_", ILLEGAL_CHARACTERS_RE.sub("", value)).strip().strip("'") or "（空）"
    if name.lower() == "history":
        name += "_"
    name = base = name[:SHEET_TITLE_MAX]
    number = 2
    while name.lower() in used:
        suffix = f"({number})"
        name = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        number += 1
    used.add(name.lower())
    return name


def _template_row(ws: Worksheet) -> int | None:
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and any(
                n.startswith(ROW_PREFIX) for n in PLACEHOLDER.findall(cell.value)
            ):
                return int(cell.row)
    return None


def _shared(program: FormProgram, name: str, rows: list[Row]) -> str:
    """The value every row has for `name` (as on paper), or blank when they differ or there are none."""
    texts = {_text(program, name, row.get(name)) for row in rows}
    return texts.pop() if len(texts) == 1 else ""


def _fill_sheet(ws: Worksheet, program: FormProgram, rows: list[Row], header: dict[str, Any]) -> None:
    header = {**header, **{f"{COMMON_PREFIX}{n}": _shared(program, n, rows) for n in row_names(program.spec)}}
    tpl = _template_row(ws)
    _fill_header(ws, header, skip_row=tpl)
    if tpl is None:
        return
    cells = [c for c in ws[tpl] if c.coordinate not in ws.merged_cells or _is_merge_start(ws, c)]
    template = [(c.column, c.value, copy(c._style)) for c in cells]
    height = ws.row_dimensions[tpl].height
    merges = [r.coord for r in ws.merged_cells.ranges if r.min_row == r.max_row == tpl]
    last = max(column for column, _, _ in template)
    _make_room(ws, tpl, len(rows))
    for i, row in enumerate(rows):
        number = tpl + i
        for column, text, style in template:
            cell = ws.cell(number, column)
            cell._style = copy(style)
            cell.value = None
            _write(cell, _render_row_cell(text, program, row, i + 1, header, tpl, number, column))
        if i:
            ws.row_dimensions[number].height = height
            for coord in merges:
                min_col, _, max_col, _ = range_boundaries(coord)
                ws.merge_cells(start_row=number, start_column=min_col, end_row=number, end_column=max_col)
        fit_row_height(ws, number, last)


def _is_merge_start(ws: Worksheet, cell: Any) -> bool:
    return any(r.min_row == cell.row and r.min_col == cell.column for r in ws.merged_cells.ranges)


def _make_room(ws: Worksheet, tpl: int, count: int) -> None:
    """Make the template row `count` rows tall (0 removes it): rows, heights, merges and the print area
    below it move with it."""
    shift = count - 1
    if shift == 0:
        return
    ranges = list(ws.merged_cells.ranges)
    for merged in ranges:
        ws.merged_cells.remove(merged)
    if shift > 0:
        ws.insert_rows(tpl + 1, shift)
    else:
        ws.delete_rows(tpl, 1)
    for merged in ranges:
        if count == 0 and merged.min_row == merged.max_row == tpl:
            continue
        if merged.min_row > tpl:
            merged.shift(row_shift=shift)
        elif merged.max_row >= tpl and merged.max_row > merged.min_row:  # a tall cell beside the row
            merged.max_row = max(merged.min_row, merged.max_row + shift)
        ws.merged_cells.add(merged)
    dims = ws.row_dimensions
    moved = sorted((i for i in list(dims) if i > tpl), reverse=shift > 0)
    for index in moved:
        dim = dims.pop(index)
        dim.index = index + shift
        dims[index + shift] = dim
    if count == 0:
        dims.pop(tpl, None)
    if ws.print_area:
        ws.print_area = [_grow(_local_range(r), tpl, shift) for r in ws.print_area.split(",")]


def _grow(coord: str, tpl: int, shift: int) -> str:
    min_col, min_row, max_col, max_row = range_boundaries(coord)
    if max_row >= tpl:
        max_row = max(min_row, max_row + shift)
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"


def _fill_header(ws: Worksheet, header: dict[str, Any], skip_row: int | None) -> None:
    filled: set[int] = set()
    for row in ws.iter_rows():
        for cell in row:
            if cell.row != skip_row and isinstance(cell.value, str) and "{{" in cell.value:
                _write(cell, _render(cell.value, lambda name: _header(name, header)))
                filled.add(int(cell.row))
    for number in sorted(filled):
        fit_row_height(ws, number)


def _header(name: str, header: dict[str, Any]) -> Any:
    key = CAMPAIGN_ALIASES.get(name, name)
    return header.get(key)


def _render_row_cell(
    text: Any,
    program: FormProgram,
    row: Row,
    index: int,
    header: dict[str, Any],
    tpl: int,
    number: int,
    column: int,
) -> Any:
    if not isinstance(text, str):
        return text
    if "{{" not in text:
        if text.startswith("=") and number != tpl:  # the author's own formula: follow the row
            origin = f"{get_column_letter(column)}{tpl}"
            return _Formula(
                Translator(text, origin=origin).translate_formula(f"{get_column_letter(column)}{number}")
            )
        return _Formula(text) if text.startswith("=") else text

    def lookup(name: str) -> Any:
        if name.startswith(ROW_PREFIX):
            return _row_value(program, name[len(ROW_PREFIX) :], row, index)
        return _header(name, header)

    return _render(text, lookup)


class _Formula(str):
    """A formula the template's author wrote (never one made from a value)."""


def _render(text: str, lookup: Any) -> Any:
    """A cell's text with its placeholders replaced; a cell that is one placeholder keeps the value's type.
    Inserted values are never scanned again. Unknown names (the template changed after loading) stay."""
    whole = PLACEHOLDER.fullmatch(text.strip())
    if whole:
        value = lookup(whole.group(1))
        return text if value is None else value

    def replace(match: re.Match[str]) -> str:
        value = lookup(match.group(1))
        return match.group(0) if value is None else as_text(value)

    return PLACEHOLDER.sub(replace, text)


def _write(cell: Any, value: Any) -> None:
    """Numbers as numbers, everything else as a string, never as a formula or an error code."""
    if isinstance(value, _Formula):
        cell.value = str(value)
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        cell.value = value
        return
    text = ILLEGAL_CHARACTERS_RE.sub("", as_text(value))
    if not text:
        cell.value = None
        return
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True


# -- footnote -----------------------------------------------------------------------------------------------

LINE_PT = 1.4  # line height of a wrapped text, in points per point of font size
DEFAULT_ROW_HEIGHT = 15.0  # points


def write_footnote(ws: Worksheet, text: str, row: int, columns: int, font: Font | None = None) -> None:
    """The summary's `footnote` in row `row`: one cell merged across the table's `columns`, wrapped, left
    aligned, and tall enough for its lines (Excel and LibreOffice do not grow merged cells by themselves)."""
    cell = ws.cell(row, 1)
    _write(cell, text)
    cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="left")
    if font is not None:
        cell.font = font
    if columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    fit_row_height(ws, row, columns)
    if ws.print_area:
        ws.print_area = [_to_row(_local_range(r), row) for r in ws.print_area.split(",")]


def fit_row_height(ws: Worksheet, row: int, columns: int | None = None) -> None:
    """Make a row tall enough for the wrapped text of its cells (the first `columns`, default all; a merged
    cell counts its columns' width): spreadsheets keep a row's stored height when printing, so text that
    wraps to more lines than it holds is cut off. Never makes a row lower than it is."""
    needed = 0.0
    merged = [m for m in ws.merged_cells.ranges if m.min_row <= row <= m.max_row]
    last = columns or ws.max_column  # (max_column reads every cell: give `columns` in a loop over rows)
    for (cell,) in ws.iter_cols(min_col=1, max_col=last, min_row=row, max_row=row):
        if not isinstance(cell.value, str) or not cell.value or not cell.alignment.wrap_text:
            continue
        spanned = _merged_columns(merged, cell)
        if spanned is None:
            continue  # inside a merged cell: its first cell holds the text
        width = sum(_column_width(ws, c) for c in spanned)
        size = float(cell.font.sz or 11)
        needed = max(needed, text_lines(cell.value, width, size) * size * LINE_PT + 4)
    current = ws.row_dimensions[row].height or DEFAULT_ROW_HEIGHT
    if needed > current:
        ws.row_dimensions[row].height = round(needed, 1)


def _merged_columns(merged: list[Any], cell: Any) -> range | None:
    """The columns a cell's text spans (its merged range's, when it starts one; None inside one)."""
    for m in merged:
        if m.min_row <= cell.row <= m.max_row and m.min_col <= cell.column <= m.max_col:
            if m.min_row != cell.row or m.min_col != cell.column:
                return None
            return range(m.min_col, m.max_col + 1)
    return range(cell.column, cell.column + 1)


# Paper sizes (openpyxl's paperSize codes) in points, portrait: A4, A3, letter.
PAPER_PT = {9: (595.3, 841.9), 8: (841.9, 1190.6), 1: (612.0, 792.0)}
PAGE_SAFETY = 0.96  # rows fill at most this share of a page's height (rounding in Excel, LibreOffice)


def keep_footnote_with_rows(ws: Worksheet, first: int, last_data: int, end: int, keep: int = 2) -> None:
    """Page breaks for a table that ends with a footnote, so the footnote never prints alone on a page: the
    rows `first`…`last_data` are split into pages by their heights (the print-title rows repeated at the top
    of each further page), and the last page holds at least the last `keep` rows with what follows them
    (`last_data`+1 … `end`: a count, the footnote). The breaks are set for every page, from Excel's page
    size (LibreOffice fits more on a page, so it keeps them too). Nothing is done when the template already
    has page breaks of its own or the page size is unknown."""
    capacity = _page_capacity(ws)
    if capacity is None or ws.row_breaks.brk or last_data < first:
        return
    titles = _title_rows(ws)
    repeated = sum(_row_height(ws, r) for r in titles)
    used = sum(_row_height(ws, r) for r in range(1, first))
    breaks: list[int] = []
    start = first
    for r in range(first, last_data + 1):
        height = _row_height(ws, r)
        if used + height > capacity and r > start:
            breaks.append(r)
            start, used = r, repeated
        used += height
    tail = sum(_row_height(ws, r) for r in range(last_data + 1, end + 1))
    if used + tail > capacity:
        moved = max(last_data - keep + 1, first + 1)
        if moved > last_data:
            return  # a table of one row: nothing to take along
        if breaks and moved <= breaks[-1]:
            breaks[-1] = moved  # the page before gives up a row or two more
        else:
            breaks.append(moved)
    for row in breaks:
        ws.row_breaks.append(Break(id=row - 1))  # a break after the row above


def _page_capacity(ws: Worksheet) -> float | None:
    """The height, in points of the sheet's rows, that one printed page holds (None: unknown paper)."""
    setup = ws.page_setup
    paper = PAPER_PT.get(int(setup.paperSize or 9))
    if paper is None:
        return None
    width, height = paper if setup.orientation != "landscape" else (paper[1], paper[0])
    margins = ws.page_margins
    body_w = width - (margins.left + margins.right) * 72
    body_h = height - (margins.top + margins.bottom) * 72
    scale = 1.0
    fit = ws.sheet_properties.pageSetUpPr
    if fit is not None and fit.fitToPage and setup.fitToWidth:
        columns = range(1, int(ws.max_column) + 1)
        table = sum(_column_width(ws, c) * 7 + 5 for c in columns) * 0.75  # Excel: px per character
        scale = min(1.0, body_w * int(setup.fitToWidth) / table) if table else 1.0
    elif setup.scale:
        scale = int(setup.scale) / 100
    return float(body_h / scale * PAGE_SAFETY)


def _title_rows(ws: Worksheet) -> range:
    titles = ws.print_title_rows
    if not titles:
        return range(0)
    first, _, last = titles.replace("$", "").partition(":")
    return range(int(first), int(last or first) + 1)


def _row_height(ws: Worksheet, row: int) -> float:
    return float(ws.row_dimensions[row].height or DEFAULT_ROW_HEIGHT)


def text_lines(text: str, width: float, size: float = 11.0) -> int:
    """How many printed lines a text in a `size` pt font takes in a cell `width` characters wide (Excel's
    unit, one digit of the default font): a wide (CJK) character at 11 pt is about 2.1 of them."""
    usable = max(width - 1.0, 2.0)
    scale = size / 11.0
    return sum(max(1, math.ceil(text_width(line) * scale / usable)) for line in text.splitlines() or [""])


def text_width(line: str) -> float:
    """A line's width in Excel's column unit at 11 pt: a wide (CJK) character is about 2.1 of them."""
    return sum(2.1 if ord(c) > 0x2E7F else 1.0 for c in line)


def _column_width(ws: Worksheet, column: int) -> float:
    dim = ws.column_dimensions.get(get_column_letter(column))
    return float(dim.width) if dim is not None and dim.width else DEFAULT_COLUMN_WIDTH


def _table_width(ws: Worksheet) -> int:
    """How many columns the table spans: to the last cell of the row template (or of the sheet) in use."""
    tpl = _template_row(ws)
    if tpl is None:
        return max(1, int(ws.max_column))
    last = max((c.column for c in ws[tpl] if c.value is not None), default=1)
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= tpl <= merged.max_row:
            last = max(last, merged.max_col)
    return int(last)


def _last_row(ws: Worksheet) -> int:
    """The last row holding something: a value or a merged cell."""
    last = max((c.row for row in ws.iter_rows() for c in row if c.value not in (None, "")), default=0)
    return int(max([last, *(r.max_row for r in ws.merged_cells.ranges)]))


def _footnote_font(ws: Worksheet) -> Font | None:
    """The footnote in the font of the table's rows (the row template's first cell), not bold."""
    tpl = _template_row(ws)
    if tpl is None:
        return None
    font = copy(ws.cell(tpl, 1).font)
    font.b = False
    return font


def _to_row(coord: str, row: int) -> str:
    min_col, min_row, max_col, max_row = range_boundaries(coord)
    return f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max(max_row, row)}"


def _chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
