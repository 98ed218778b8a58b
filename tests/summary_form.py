"""A tiny form with a summary table (汇总表), its campaign and its .xlsx template, written into a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side

from bot.fill import fill
from bot.intake import Intake

TODAY = dt.date(2021, 7, 15)
CAMPAIGN = "gq_2021"
INSTITUTION = "重庆市某某局"

FORM = """\
id: gq_promotion
title: 工勤人员技术等级晋升申报
basis:
  n1: 渝人工考〔2021〕1号
sections:
  - id: main
    title: 基本情况
    fields:
      - {id: name, type: text, label: 姓名, prompt: 您的姓名？}
      - {id: gender, type: choice, label: 性别, prompt: 性别？, choices: [男, 女]}
      - {id: birth, type: year_month, label: 出生年月, prompt: 出生年月？}
      - {id: occupation, type: choice, label: 工种, prompt: 申报工种？, choices: [汽车驾驶员, 电工, 维修工]}
      - {id: years, type: number, integer: true, label: 本工种年限, prompt: 本工种年限？}
      - {id: apply_level, type: choice, label: 申报等级, prompt: 申报等级？, choices: [中级工, 高级工]}
      - {id: note, type: text, label: 备注, prompt: 备注？, required: false}
rules:
  - id: too_few_years
    when: years < 2
    outcome: ineligible
    message: 本工种年限不足 2 年
    basis: n1 一(三)
summaries:
  - id: roster
    title: 工勤人员技术等级晋升申报汇总表
    template: roster.xlsx
    filename: "{institution}-{title}-{today}.xlsx"
    sheet_by: occupation
    sort_by: [birth]
"""

CAMPAIGN_YAML = f"""\
id: {CAMPAIGN}
form: gq_promotion
title: 2021年度工考
institution: {INSTITUTION}
deadline: 2021-07-23
courier:
  address: 重庆市渝中区某路1号
"""

HEADER = ["序号", "姓名", "性别", "出生年月", "本工种年限", "申报等级", "备注", ""]
ROW = ["{{ r._index }}", "{{ r.name }}", "{{ r.gender }}", "{{ r.birth }}", "{{ r.years }}"]
ROW += ["{{ r.apply_level }}", "{{ r.note }}", None]
TEMPLATE_ROW = 5
THIN = Side(style="thin")
ROW_FILL = PatternFill("solid", fgColor="FFFFEEAA")


def write_template(path: Path, cells: dict[str, str] | None = None) -> None:
    """Title rows 1–3, column heads in row 4, the repeated row 5 (bordered, filled, note merged over G:H),
    a footer in rows 6–7 and a second sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    ws["A1"] = "{{ title }}"
    ws["A1"].font = Font(bold=True, size=16)
    ws.merge_cells("A1:H1")
    ws["A2"] = "（{{ sheet }} 工种）"
    ws.merge_cells("A2:H2")
    ws["A3"] = "填报单位（章）：{{ campaign.institution }}    填报日期：{{ today }}"
    for col, text in enumerate(HEADER, 1):
        ws.cell(4, col, text)
    for col, text in enumerate(ROW, 1):
        cell = ws.cell(TEMPLATE_ROW, col, text)
        cell.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        cell.fill = ROW_FILL
        cell.font = Font(name="宋体", size=11, italic=True)
    ws.merge_cells("G5:H5")
    ws.row_dimensions[TEMPLATE_ROW].height = 24
    ws["A6"] = "本工种共 {{ count }} 人，全部 {{ total }} 人"
    ws["A7"] = "填表人："
    ws.merge_cells("A7:C7")
    ws.row_dimensions[7].height = 30
    ws.print_title_rows = "4:4"
    for coordinate, text in (cells or {}).items():
        ws[coordinate] = text
    notes = wb.create_sheet("说明")
    notes["A1"] = "{{ campaign.institution }} 制表"
    wb.save(path)


def write_form(root: Path, form: str = FORM, cells: dict[str, str] | None = None) -> tuple[Path, Path]:
    """forms/ (form, campaign, catalogs) and templates/ under `root`."""
    forms, templates = root / "forms", root / "templates"
    (forms / "campaigns").mkdir(parents=True)
    (forms / "catalogs").mkdir()
    templates.mkdir()
    (forms / "gq_promotion.yaml").write_text(form, encoding="utf-8")
    (forms / "campaigns" / f"{CAMPAIGN}.yaml").write_text(CAMPAIGN_YAML, encoding="utf-8")
    write_template(templates / "roster.xlsx", cells)
    return forms, templates


def person(name: str, occupation: str, birth: str, **more: Any) -> dict[str, Any]:
    answers = {"name": name, "gender": "男", "birth": birth, "occupation": occupation, "years": 5}
    answers |= {"apply_level": "中级工"}
    return answers | more


APPLICANTS = [
    person("张三", "电工", "1980-05"),
    person("=cmd|' /C calc'!A0", "汽车驾驶员", "1975-01", note="{{ 7*7 }}"),
    person("李四", "电工", "1970-03", gender="女", note="<script>alert(1)</script>"),
    person("王五", "电工", "1985-09", years=1),  # ineligible: not in the summary
    person("+SUM(1,2)", "维修工", "1990-12", note="@A1"),
]


def fill_applications(intake: Intake, base: Path) -> None:
    for answers in APPLICANTS:
        result = fill(intake, CAMPAIGN, answers, base=base, today=TODAY)
        assert result.data["status"] in ("complete", "ineligible"), result.data["errors"]
    app, _ = intake.start(CAMPAIGN, "test", TODAY)  # started, never finished: not in the summary
    intake.handle(app.id, {"type": "text", "text": "赵六"}, "test", TODAY)
