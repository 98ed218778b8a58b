"""附件3 汇总表 of the 工勤 form: applications filled from the scenario answers, exported per 工种 and read back."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from openpyxl import load_workbook

from bot.engine.yamlsource import read
from bot.fill import fill
from bot.intake import Intake
from bot.registry import Registry
from storage import Store
from tools.build_cq_gq_summary_template import COLUMNS, build

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "tests" / "scenarios" / "cq_gq_grade" / "base.yaml"
TODAY = dt.date(2021, 7, 1)
FOOTNOTE = (  # 附件3 of 渝人工考〔2021〕1号 (shared/seeds/003), word for word
    "备注：1.本表填写同一工种不同等级的所有人员信息；\n"
    "2.备注栏中标注证书班、三年优秀、退二进一、退役士兵等特殊情况；\n"
    "3.本表一式三份，市工考办审核签章后留存一份，考试报名时市职业技能鉴定指导中心留存一份，本单位存档一份。"
)


def test_committed_template_matches_builder(tmp_path: Path) -> None:
    fresh = load_workbook(build(tmp_path / "fresh.xlsx")).active
    committed = load_workbook(ROOT / "doc_templates" / "cq_gq_summary.xlsx").active
    assert fresh is not None and committed is not None
    values = [[c.value for c in row] for row in fresh.iter_rows()]
    assert values == [[c.value for c in row] for row in committed.iter_rows()], (
        "run tools/build_cq_gq_summary_template.py"
    )
    assert {str(r) for r in fresh.merged_cells.ranges} == {str(r) for r in committed.merged_cells.ranges}


def test_one_sheet_per_trade_with_the_units_header(tmp_path: Path) -> None:
    base = read(BASE).data
    senior = {k: v for k, v in base.items() if k != "apply_trade_free"}
    people = [
        {  # stored first; by character 技师 comes before 高级工, by level after it
            **senior,
            "name": "孙七",
            "current_level": "高级工",
            "apply_level": "技师",
            "apply_trade_listed": "汽车驾驶员",
            "cert_class": "是",
        },
        {**base, "name": "张三"},
        {
            **base,
            "name": "李四",
            "id_number": "500115198512312468",
            "gender": "女",
            "birth_month": "1985-12",
            "veteran": "是",
            "retire_two_in_one": "是",
            "cert_class": "是",
        },
        {**base, "name": "王五", "apply_trade_free": "维修电工", "current_trade": "维修电工"},
    ]
    with Store(tmp_path / "data") as store:
        intake = Intake(Registry.load(ROOT / "forms", ROOT / "doc_templates"), store, clock=lambda: TODAY)
        for answers in people:
            result = fill(intake, "cq_gq_2021", answers, base=BASE.parent, today=TODAY)
            assert result.data["status"] == "complete", (result.data["errors"], result.data["findings"])
        other = {**base, "name": "赵六", "employer": "重庆市某某中学", "supervisor": "重庆市渝北区教育委员会"}
        assert fill(intake, "cq_gq_2021", other, base=BASE.parent, today=TODAY).data["status"] == "complete"
        whole = intake.summary("cq_gq_2021", "roster")
        unit = intake.summary("cq_gq_2021", "roster", where='employer == "重庆市渝北区人民医院"')
    assert whole.rows == 5 and unit.rows == 4
    wb = load_workbook(io.BytesIO(unit.data))
    assert wb.sheetnames == ["汽车驾驶员", "维修电工"]
    ws = wb["汽车驾驶员"]
    assert ws["A2"].value == "重庆市机关事业单位工勤人员技术等级晋升申报汇总表"
    assert ws["A3"].value == "（汽车驾驶员工种）"
    assert "主管部门（章）：重庆市渝北区卫生健康委员会" in ws["A4"].value
    assert "填报单位（章）：重庆市渝北区人民医院" in ws["A4"].value
    heads = [c[0] for c in COLUMNS]
    assert [ws.cell(5, i + 1).value for i in range(len(heads))][:6] == heads[:6]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=7, max_row=9)]
    assert rows[0][:4] == [1, "张三", "男", "1985.01"]
    assert rows[1][:3] == [2, "李四", "女"] and rows[1][11] == "证书班、退二进一、退役士兵"
    assert rows[0][9] == "高级工" and rows[0][10] == "公示无异议" and rows[0][11] is None
    assert rows[2][:2] == [3, "孙七"] and rows[2][9] == "技师" and rows[2][11] == "证书班"  # by level
    assert ws["A10"].value == "本工种共 3 人。"
    assert ws["A11"].value == FOOTNOTE and "A11:L11" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A11"].alignment.wrap_text and ws.row_dimensions[11].height >= 3 * 14
    assert wb["维修电工"]["B7"].value == "王五"
    for sheet in wb.worksheets:  # printed on landscape A4, one page wide, the headings on every page
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True, sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
        assert sheet.print_title_rows == "$5:$6" and "&P" in sheet.oddFooter.center.text
    assert [c.value for c in wb["维修电工"]["A"] if c.value and str(c.value).startswith("备注")] == [FOOTNOTE]
    everyone = load_workbook(io.BytesIO(whole.data))["汽车驾驶员"]
    assert "填报单位（章）：    " in everyone["A4"].value  # two units on one sheet: left blank to fill in
