"""Build doc_templates/cq_gq_summary.xlsx: 附件3 of the 2021 工勤 notice (渝人社〔2021〕 seed 003),
《重庆市机关事业单位工勤人员技术等级晋升申报汇总表》, as a summary template for `summaries:` of
forms/cq_gq_grade.yaml (one sheet per 工种, one row per applicant; see docs/spec-reference.md). Printed
landscape A4, fitted to one page wide, the two heading rows repeated on every page. The official footnote
(备注：1.… 2.… 3.…) is the summary's `footnote:` in the YAML, written below the last row.

    python tools/build_cq_gq_summary_template.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "doc_templates" / "cq_gq_summary.xlsx"
TITLE = "重庆市机关事业单位工勤人员技术等级晋升申报汇总表"
# (head, sub-head under 现职业技术工种 or None, column width, row placeholder)
COLUMNS = [
    ("序号", None, 6, "{{ r._index }}"),
    ("姓 名", None, 10, "{{ r.name }}"),
    ("性别", None, 6, "{{ r.gender }}"),
    ("出生年月", None, 10, "{{ r.birth_month }}"),
    ("参加工\n作时间", None, 10, "{{ r.work_start }}"),
    ("学历", None, 12, "{{ r.edu_level }}"),
    ("现职业技术工种", "名称", 14, "{{ r.current_trade }}"),
    ("现职业技术工种", "等级", 8, "{{ r.current_level }}"),
    ("现职业技术工种", "获得时间", 10, "{{ r.cert_obtained }}"),
    ("申报\n等级", None, 8, "{{ r.apply_level }}"),
    ("公示\n结果", None, 10, "{{ r.publicity }}"),
    ("备注", None, 30, "{{ r.summary_remarks }}"),
]
HEIGHTS = {1: 18, 2: 30, 3: 18, 4: 20, 5: 18, 6: 18, 7: 24, 8: 18}  # points
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
SONG = "宋体"


def build(out: Path = OUT) -> Path:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = "汇总表"
    last = len(COLUMNS)
    ws["A1"] = "附件3"
    ws["A1"].font = Font(name="黑体", size=12)
    ws["A2"] = TITLE
    ws["A2"].font = Font(name="方正小标宋简体", size=16, bold=True)
    ws["A2"].alignment = CENTER
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    ws["A3"] = "（{{ sheet }}工种）"
    ws["A3"].font = Font(name=SONG, size=12)
    ws["A3"].alignment = CENTER
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=last)
    ws["A4"] = (
        "主管部门（章）：{{ common.supervisor }}    填报单位（章）：{{ common.employer }}"
        "    填报人：            联系电话（手机）："
    )
    ws["A4"].font = Font(name=SONG, size=11)
    ws["A4"].alignment = Alignment(vertical="center", wrap_text=True)  # long unit names wrap, the row grows
    ws.merge_cells(start_row=4, start_column=1, end_row=4, end_column=last)
    for col, (head, sub, width, placeholder) in enumerate(COLUMNS, 1):
        letter = ws.cell(5, col).column_letter
        ws.column_dimensions[letter].width = width
        ws.cell(5, col, head if sub is None or col == 7 else None)
        ws.cell(6, col, sub)
        for row in (5, 6):
            ws.cell(row, col).border = BOX
            ws.cell(row, col).alignment = CENTER
            ws.cell(row, col).font = Font(name=SONG, size=11, bold=True)
        if sub is None:
            ws.merge_cells(start_row=5, start_column=col, end_row=6, end_column=col)
        cell = ws.cell(7, col, placeholder)
        cell.border = BOX
        cell.alignment = CENTER
        cell.font = Font(name=SONG, size=11)
    ws.merge_cells(start_row=5, start_column=7, end_row=5, end_column=9)
    # Every row's height is set (none left to the spreadsheet to guess), so the page a row prints on can be
    # worked out when the rows are filled in (bot/documents/xlsx.py keeps the footnote with the last rows).
    for row, height in HEIGHTS.items():
        ws.row_dimensions[row].height = height
    ws["A8"] = "本工种共 {{ count }} 人。"
    ws["A8"].font = Font(name=SONG, size=11)
    ws.print_title_rows = "5:6"  # the column headings on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1  # every column, 备注 too, on one page wide …
    ws.page_setup.fitToHeight = 0  # … and as many pages tall as the rows take
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)  # without it Excel ignores both
    ws.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.freeze_panes = "A7"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
