"""Summary tables (汇总表): applications filled through Intake on a real SQLite file, exported to .xlsx and
read back with openpyxl; and the `shenbao export` command in a subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.engine.expressions import ExpressionError
from bot.exports import export_summaries
from bot.intake import Intake
from bot.registry import Registry
from bot.settings import ROOT
from storage import Store
from tests.summary_form import CAMPAIGN, INSTITUTION, ROW_FILL, TODAY, fill_applications, write_form


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[Intake]:
    forms, templates = write_form(tmp_path)
    registry = Registry.load(forms, templates)
    with Store(tmp_path / "data") as store:
        intake = Intake(registry, store, clock=lambda: TODAY)
        fill_applications(intake, tmp_path)
        yield intake


def rows(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=ws.max_row)]


def test_one_sheet_per_value_rows_in_order_headers_filled(intake: Intake) -> None:
    file = intake.summary(CAMPAIGN, "roster")
    assert file.filename == f"{INSTITUTION}-工勤人员技术等级晋升申报汇总表-2021-07-15.xlsx"
    assert file.rows == 4  # complete applications only: not the ineligible one nor the unfinished one
    wb = load_workbook(io.BytesIO(file.data))
    assert wb.sheetnames == ["汽车驾驶员", "电工", "维修工", "说明"]  # choice order; other sheets kept
    ws = wb["电工"]
    assert ws["A1"].value == "工勤人员技术等级晋升申报汇总表"
    assert ws["A2"].value == "（电工 工种）"
    assert ws["A3"].value == f"填报单位（章）：{INSTITUTION}    填报日期：2021年7月15日"
    assert rows(ws) == [
        [1, "李四", "女", "1970.03", 5, "中级工", "<script>alert(1)</script>", None],
        [2, "张三", "男", "1980.05", 5, "中级工", None, None],
        ["本工种共 2 人，全部 4 人", None, None, None, None, None, None, None],
        ["填表人：", None, None, None, None, None, None, None],
    ]
    assert wb["说明"]["A1"].value == f"{INSTITUTION} 制表"
    assert wb["汽车驾驶员"]["A7"].value == "填表人："  # one row: the footer stays where it was


def test_template_row_formatting_is_copied_and_what_follows_moves_down(intake: Intake) -> None:
    wb = load_workbook(io.BytesIO(intake.summary(CAMPAIGN, "roster").data))
    ws = wb["电工"]
    for row in (5, 6):
        cell = ws.cell(row, 2)
        assert cell.font.italic and cell.font.name == "宋体"
        assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
        assert cell.fill.fgColor.rgb == ROW_FILL.fgColor.rgb
        assert ws.row_dimensions[row].height == 24
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert merged == {"A1:H1", "A2:H2", "G5:H5", "G6:H6", "A8:C8"}
    assert ws.row_dimensions[8].height == 30  # the footer row kept its height
    assert ws.print_title_rows == "$4:$4"  # repeated heads on every printed page, also on copied sheets


def test_hostile_text_is_written_literally_never_as_a_formula(intake: Intake) -> None:
    data = intake.summary(CAMPAIGN, "roster").data
    wb = load_workbook(io.BytesIO(data))
    driver = wb["汽车驾驶员"]
    assert driver["B5"].value == "=cmd|' /C calc'!A0"
    assert driver["B5"].data_type == "s" and driver["B5"].quotePrefix
    assert driver["G5"].value == "{{ 7*7 }}"  # a value is never read as a placeholder
    fixer = wb["维修工"]
    assert [fixer["B5"].value, fixer["G5"].value] == ["+SUM(1,2)", "@A1"]
    assert fixer["B5"].quotePrefix and fixer["G5"].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_extra_where_selects_and_an_empty_summary_drops_the_template_row(intake: Intake) -> None:
    file = intake.summary(CAMPAIGN, "roster", where='name == "张三"')
    wb = load_workbook(io.BytesIO(file.data))
    assert wb.sheetnames == ["电工", "说明"] and file.rows == 1
    empty = intake.summary(CAMPAIGN, "roster", where='name == "没有这个人"')
    ws = load_workbook(io.BytesIO(empty.data))["汇总表"]  # no rows: the template sheet, emptied
    assert empty.rows == 0
    assert ws["A5"].value == "本工种共 0 人，全部 0 人" and ws["A6"].value == "填表人："
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:H1", "A2:H2", "A6:C6"}


def test_bad_where_and_unknown_summary_are_refused(intake: Intake) -> None:
    with pytest.raises(ExpressionError, match="nmae"):
        intake.summary(CAMPAIGN, "roster", where='nmae == "张三"')
    with pytest.raises(LookupError, match="roster"):
        export_summaries(intake.registry, intake.store, CAMPAIGN, "huamingce", today=TODAY)


# -- the command line ----------------------------------------------------------------------------------------


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")}
    env |= {
        "SHENBAO_DATA_DIR": str(tmp_path / "data"),
        "SHENBAO_FORMS_DIR": str(tmp_path / "forms"),
        "SHENBAO_TEMPLATES_DIR": str(tmp_path / "templates"),
        "PYTHONUTF8": "1",
    }
    cmd = [sys.executable, "-m", "bot", "export", *args, "--today", TODAY.isoformat()]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_cli_writes_the_summary(intake: Intake, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run(tmp_path, CAMPAIGN, "--out", str(out), "--where", 'gender == "女"')
    assert proc.returncode == 0, proc.stderr
    files = list(out.glob("*.xlsx"))
    assert [f.name for f in files] == [f"{INSTITUTION}-工勤人员技术等级晋升申报汇总表-2021-07-15.xlsx"]
    assert "1 人" in proc.stdout
    wb = load_workbook(files[0])
    assert wb.sheetnames == ["电工", "说明"] and wb["电工"]["B5"].value == "李四"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--where", "nmae == 1"], "--where 有误"),
        (["--summary", "nope"], "没有编号为 'nope' 的汇总表"),
    ],
)
def test_cli_usage_errors(intake: Intake, tmp_path: Path, args: list[str], message: str) -> None:
    proc = run(tmp_path, CAMPAIGN, "--out", str(tmp_path / "out"), *args)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_cli_unknown_campaign(intake: Intake, tmp_path: Path) -> None:
    proc = run(tmp_path, "gq_promotion", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "申报批次" in proc.stderr


def test_header_shows_what_every_row_of_the_sheet_shares(tmp_path: Path) -> None:
    cells = {"A3": "申报等级：{{ common.apply_level }}；性别：{{ common.gender }}；备注：{{ common.note }}"}
    forms, templates = write_form(tmp_path, cells=cells)
    with Store(tmp_path / "data") as store:
        intake = Intake(Registry.load(forms, templates), store, clock=lambda: TODAY)
        fill_applications(intake, tmp_path)
        wb = load_workbook(io.BytesIO(intake.summary(CAMPAIGN, "roster").data))
    assert wb["电工"]["A3"].value == "申报等级：中级工；性别：；备注："  # 男 and 女 differ: blank
    assert wb["汽车驾驶员"]["A3"].value == "申报等级：中级工；性别：男；备注：{{ 7*7 }}"


def test_common_of_an_unknown_name_is_an_author_error(tmp_path: Path) -> None:
    from bot.engine.yamlsource import SpecErrors

    forms, templates = write_form(tmp_path, cells={"A3": "{{ common.gendr }}"})
    with pytest.raises(SpecErrors) as caught:
        Registry.load(forms, templates)
    assert "common.gendr" in str(caught.value) and "common.gender" in str(caught.value)


# -- every campaign in forms/campaigns ---------------------------------------------------------------------

SCENARIOS = ROOT / "tests" / "scenarios"


def _complete_scenarios() -> dict[str, tuple[Path, dict[str, Any]]]:
    """One scenario expected to complete per campaign (a hostile one first where there is one)."""
    from bot.engine.yamlsource import read
    from bot.scenarios import scenario_files

    found: dict[str, tuple[Path, dict[str, Any]]] = {}
    files = scenario_files([SCENARIOS])
    for path in sorted(files, key=lambda p: "hostile" not in p.name):
        data = read(path).data
        if isinstance(data, dict) and (data.get("expect") or {}).get("status") == "complete":
            found.setdefault(str(data["campaign"]), (path, data))
    return found


def test_every_form_declares_a_summary_and_shenbao_export_writes_it_for_every_campaign(
    tmp_path: Path,
) -> None:
    import datetime as dt

    from bot.fill import fill
    from bot.scenarios import scenario_answers

    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    assert all(program.summaries for program in registry.forms.values())
    scenarios = _complete_scenarios()
    assert set(scenarios) == {c.id for c in registry.campaigns.values() if not c.demo}
    with Store(tmp_path / "data") as store:
        for campaign_id, (path, data) in scenarios.items():
            today = dt.date.fromisoformat(str(data.get("today", "2023-09-20")))
            intake = Intake(registry, store, clock=lambda today=today: today)
            result = fill(intake, campaign_id, scenario_answers(path, data), base=path.parent, today=today)
            assert result.data["status"] == "complete", (path, result.data["errors"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHENBAO_")}
    env |= {"SHENBAO_DATA_DIR": str(tmp_path / "data")}
    for campaign_id in scenarios:
        out = tmp_path / "out" / campaign_id
        done = subprocess.run(
            [sys.executable, "-m", "bot", "export", campaign_id, "--out", str(out), "--today", "2023-09-20"],
            env=env, capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, (campaign_id, done.stderr)
        assert "1 人" in done.stdout, done.stdout
        (written,) = out.iterdir()
        workbook = load_workbook(written)
        for sheet in workbook.worksheets[:1]:  # every summary prints one page wide, landscape
            assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, campaign_id
            assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.orientation == "landscape"
            assert sheet.print_title_rows, campaign_id  # its heading row(s) on every page
        program = registry.forms[registry.campaigns[campaign_id].form]
        summary = program.summaries[0]
        if summary.summary.template is None:
            ws = workbook.worksheets[0]
            assert [c.value for c in ws[3]] == [c.title for c in summary.columns]
            assert ws["A4"].value == 1 and ws.cell(4, len(summary.columns)).value == "已生成"
            assert ws.max_row == 4
        else:
            texts = [str(c.value or "") for ws in workbook for row in ws.iter_rows() for c in row]
            assert not any("{{" in t for t in texts) and any("1 人" in t or t == "1" for t in texts)


# -- order by level, footnote ------------------------------------------------------------------------------

NOTE = "备注：1.本表一式两份；\n2.备注栏中标注特殊情况。=1+1"


def _ranked_form() -> str:
    """The test form with 技师 added (by character 技师 sorts before 高级工; by choice it comes after), rows
    sorted by the level alone, a footnote, and a second summary declared by `columns:`."""
    from tests.summary_form import FORM

    form = FORM.replace("choices: [中级工, 高级工]}", "choices: [中级工, 高级工, 技师]}")
    note = json.dumps(NOTE, ensure_ascii=False)
    form = form.replace("    sort_by: [birth]\n", f"    sort_by: [apply_level]\n    footnote: {note}\n")
    return form + (
        "  - id: plain\n"
        "    filename: plain.xlsx\n"
        "    sort_by: [apply_level]\n"
        f"    footnote: {note}\n"
        "    columns:\n"
        "      - {title: 序号, value: _index}\n"
        "      - {title: 姓名, value: name}\n"
        "      - {title: 申报等级, value: apply_level}\n"
    )


def test_rows_follow_the_level_choice_order_and_the_footnote_closes_each_sheet(tmp_path: Path) -> None:
    from bot.fill import fill
    from tests.summary_form import person

    forms, templates = write_form(tmp_path, form=_ranked_form())
    people = [
        person("技一", "电工", "1980-01", apply_level="技师"),
        person("高一", "电工", "1981-01", apply_level="高级工"),
        person("中一", "电工", "1982-01", apply_level="中级工"),
        person("高二", "电工", "1983-01", apply_level="高级工"),
    ]
    with Store(tmp_path / "data") as store:
        intake = Intake(Registry.load(forms, templates), store, clock=lambda: TODAY)
        for answers in people:
            assert fill(intake, CAMPAIGN, answers, base=tmp_path, today=TODAY).data["status"] == "complete"
        templated = load_workbook(io.BytesIO(intake.summary(CAMPAIGN, "roster").data))["电工"]
        plain = load_workbook(io.BytesIO(intake.summary(CAMPAIGN, "plain").data)).worksheets[0]
        program = intake.registry.forms["gq_promotion"]
        from bot.exports import summary_csv

        scopes = [{**a, "application": {}} for a in people]
        csv_text = summary_csv(program, program.summaries[1], scopes).decode("utf-8-sig")
    # by the rank of the answer in the choices, then in the order stored (高一 before 高二)
    assert [templated.cell(r, 2).value for r in range(5, 9)] == ["中一", "高一", "高二", "技一"]
    assert [plain.cell(r, 2).value for r in range(4, 8)] == ["中一", "高一", "高二", "技一"]
    assert [line.split(",")[1] for line in csv_text.splitlines()[1:]] == ["中一", "高一", "高二", "技一"]
    # the footnote: below the last thing on the sheet, merged across the table, wrapped, tall enough
    assert templated["A10"].value == "填表人：" and templated["A11"].value == NOTE
    assert templated["A11"].quotePrefix is False and templated["A11"].data_type == "s"
    assert "A11:H11" in {str(r) for r in templated.merged_cells.ranges}  # the row template is 8 wide
    assert templated["A11"].alignment.wrap_text and templated.row_dimensions[11].height >= 2 * 14
    assert templated["A11"].font.name == "宋体" and not templated["A11"].font.b
    assert plain.max_row == 8 and plain["A8"].value == NOTE  # right after the 4 rows
    assert "A8:C8" in {str(r) for r in plain.merged_cells.ranges}
    assert plain["A8"].alignment.wrap_text and plain.row_dimensions[8].height >= 2 * 14
    assert plain.sheet_properties.pageSetUpPr.fitToPage is True and plain.page_setup.fitToWidth == 1
    assert "备注" not in csv_text  # the CSV holds the rows only


def test_a_long_value_makes_its_row_tall_enough_to_print(intake: Intake) -> None:
    from bot.documents.xlsx import text_lines

    assert text_lines("汽车驾驶员", 14) == 1 and text_lines("汽" * 20, 14) == 4
    assert text_lines("第一行\n第二行", 30) == 2 and text_lines("", 10) == 1
    wb = load_workbook(io.BytesIO(intake.summary(CAMPAIGN, "roster").data))
    ws = wb["汽车驾驶员"]  # 备注 holds "{{ 7*7 }}": one line, the template's 24 pt kept
    assert ws.row_dimensions[5].height == 24
