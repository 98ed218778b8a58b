"""The 工勤 附件3 汇总表 prints like the official form: LibreOffice Calc (headless) turns a sheet of 40 rows
with long unit names into a PDF whose pages are all landscape A4, one page wide (every heading, 备注 too, on
every page: the two heading rows repeat), the rows by 申报等级 in the field's choice order, and the official
footnote (备注：1.… 2.… 3.…) once, below the last row. The pages are kept as
tests/artifacts/summary-cq-gq-*.png to look at."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.exports import summary_xlsx
from bot.registry import Registry
from bot.settings import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CALC = Path("/usr/lib/libreoffice/program/libsclo.so")  # in libreoffice-calc-nogui (see scripts/test)
LEVELS = ["技师", "中级工", "高级工", "高级技师", "初级工"]  # stored out of order on purpose
SUPERVISOR = "重庆市渝北区卫生健康委员会机关后勤服务中心暨区属公立医疗卫生机构后勤保障管理办公室（筹）"
EMPLOYER = "重庆市渝北区人民医院两江新区分院暨渝北区急救医疗中心后勤保障部车辆运输调度管理科室（一）"
HOSTILE = "</w:t>{{ 7*7 }}<script>"
HEADINGS = ["序号", "姓名", "性别", "出生年月", "参加工", "作时间", "学历", "现职业技术工种", "名称", "等级"]
HEADINGS += ["获得时间", "申报", "公示", "结果", "备注"]
FOOTNOTE = [
    "备注：1.本表填写同一工种不同等级的所有人员信息；",
    "2.备注栏中标注证书班、三年优秀、退二进一、退役士兵等特殊情况；",
    "3.本表一式三份，市工考办审核签章后留存一份，考试报名时市职业技能鉴定指导中心留存一份，本单位存档一份。",
]
MARKS = [
    [],
    ["证书班"],
    ["三年优秀", "退役士兵"],
    ["退二进一"],
    ["证书班", "三年优秀", "退二进一", "退役士兵"],
]


def person(i: int) -> dict[str, Any]:
    return {
        "name": f"人员{i:02d}", "gender": "女" if i % 3 else "男", "birth_month": "1985-01",
        "work_start": "2005-07", "edu_level": "初中及以下" if i % 4 else "技工学校",
        "current_trade": HOSTILE if i == 7 else "汽车驾驶员", "current_level": "中级工",
        "cert_obtained": "2014-10", "apply_level": LEVELS[i % 5], "apply_trade": "汽车驾驶员",
        "publicity": "公示无异议", "summary_remarks": MARKS[i % 5], "employer": EMPLOYER,
        "supervisor": SUPERVISOR, "application": {"status_name": "已生成"},
    }  # fmt: skip


def page_texts(pdf: Path, pages: int) -> list[str]:
    out = []
    for number in range(1, pages + 1):
        args = ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"]
        out.append(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return out


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(
    not (shutil.which("soffice") and CALC.exists() and shutil.which("pdftotext")),
    reason="needs libreoffice-calc-nogui and poppler-utils (scripts/test installs them)",
)
def test_the_gq_summary_prints_one_page_wide_in_level_order_with_the_official_footnote(
    tmp_path: Path,
) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    program, campaign = registry.resolve("cq_gq_2021")
    compiled = program.summaries[0]
    rows = [person(i) for i in range(40)]
    xlsx = tmp_path / "summary-cq-gq.xlsx"
    xlsx.write_bytes(summary_xlsx(registry, program, compiled, rows, campaign, dt.date(2021, 7, 1)))
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "summary-cq-gq.pdf"
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], check=True, capture_output=True, text=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert pages >= 2 and len(sizes) == pages  # 40 rows: more than one page tall
    for width, height in sizes:
        assert float(width) > float(height)  # every page landscape
        assert abs(float(width) - 841.9) < 2 and abs(float(height) - 595.3) < 2  # A4
    texts = page_texts(pdf, pages)
    first = texts[0]
    assert "重庆市机关事业单位工勤人员技术等级晋升申报汇总表" in first and "（汽车驾驶员工种）" in first
    assert SUPERVISOR in flat(first) and EMPLOYER in flat(first)  # the long unit names are not cut off
    for number, text in enumerate(texts, start=1):
        words = flat(text)
        missing = [h for h in HEADINGS if h not in words]
        assert not missing, f"page {number} lacks the headings {missing}"  # one page wide, header repeated
        above = re.split(r"人员\d\d", text)[0]
        assert re.search(r"\s备注\s", above), f"page {number}: no 备注 heading above the rows"
    assert not re.search(r"人员\d\d", texts[-1].split("本工种共 40 人")[1])  # count, footnote: after the rows
    whole = flat("".join(texts))
    for line in FOOTNOTE:
        assert whole.count(flat(line)) == 1, line  # the official footnote, once …
        assert flat(line) in flat(texts[-1])  # … on the last page
    assert flat(texts[-1]).index(flat(FOOTNOTE[0])) > flat(texts[-1]).index("本工种共40人")
    assert "{{ 7*7 }}" in "".join(texts) and "w:t>" in whole  # applicants' text printed literally
    names = re.findall(r"人员(\d\d)", "".join(texts))
    assert sorted(names) == [f"{i:02d}" for i in range(40)]  # every row once
    ranks = [LEVELS.index(rows[int(n)]["apply_level"]) for n in names]
    order = ["初级工", "中级工", "高级工", "技师", "高级技师"]
    shown = [order.index(LEVELS[r]) for r in ranks]
    assert shown == sorted(shown)  # 初级工, 中级工, 高级工, 技师, 高级技师: by level, not by character
    for level in order:  # within a level, by name (as stored)
        same = [n for n in names if rows[int(n)]["apply_level"] == level]
        assert same == sorted(same)
    assert "证书班、三年优秀、退二进一、退役士兵" in whole  # 备注 joined as the official note writes it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("summary-cq-gq-*.png"):
        old.unlink()
    for number in sorted({1, pages}):
        subprocess.run(
            ["pdftoppm", "-r", "60", "-png", "-f", str(number), "-l", str(number), str(pdf),
             str(ARTIFACTS / "summary-cq-gq")],
            check=True, timeout=60,
        )  # fmt: skip


def test_the_footnote_never_prints_alone_on_a_page() -> None:
    """For every number of rows the sheet's page breaks leave at least one row above the count and the
    footnote on the last page, and no page holds more than it can (from the row heights the sheet stores)."""
    import io

    from openpyxl import load_workbook

    from bot.documents.xlsx import _page_capacity, _row_height

    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    program, campaign = registry.resolve("cq_gq_2021")
    for n in range(1, 61):
        data = summary_xlsx(
            registry,
            program,
            program.summaries[0],
            [person(i) for i in range(n)],
            campaign,
            dt.date(2021, 7, 1),
        )
        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        footnote = next(c.row for c in ws["A"] if str(c.value or "").startswith("备注：1."))
        last_data = footnote - 2  # the count row, then the footnote
        starts = [1] + [b.id + 1 for b in ws.row_breaks.brk]
        assert starts == sorted(starts) and starts[-1] <= last_data, (n, starts)
        capacity = _page_capacity(ws)
        assert capacity is not None
        for i, start in enumerate(starts):
            end = starts[i + 1] - 1 if i + 1 < len(starts) else footnote
            titles = 0.0 if i == 0 else sum(_row_height(ws, r) for r in (5, 6))
            assert titles + sum(_row_height(ws, r) for r in range(start, end + 1)) <= capacity, (n, i)
