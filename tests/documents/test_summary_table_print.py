"""A summary declared by `columns:` prints as intended: LibreOffice Calc (headless) turns the .xlsx into a PDF
whose pages are landscape A4, every column on the first page (fitted to one page wide), and the header row
repeated at the top of the next page. Also kept as tests/artifacts/summary-table-print-*.png to look at."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.documents.table import build_table
from bot.registry import Registry
from bot.settings import ROOT

ARTIFACTS = ROOT / "tests" / "artifacts"
CALC = Path("/usr/lib/libreoffice/program/libsclo.so")  # in libreoffice-calc-nogui (see scripts/test)


def row(i: int) -> dict[str, object]:
    return {
        "name": "欧阳娜娜" if i % 2 else "张三", "gender": "女" if i % 2 else "男", "birth_month": "1990-01",
        "id_number": "50010119900101123X", "employer": f"重庆某某化工有限公司第{i}分厂",
        "title_name": "工程师", "title_level": "中级", "occupation": "化工总控工", "level": "二级/技师",
        "method": "综合评审", "contact_phone": "13800138000", "application": {"status_name": "已生成"},
    }  # fmt: skip


@pytest.mark.skipif(
    not (shutil.which("soffice") and CALC.exists() and shutil.which("pdftotext")),
    reason="needs libreoffice-calc-nogui and poppler-utils (scripts/test installs them)",
)
def test_the_flagship_summary_prints_one_page_wide_with_the_header_on_every_page(tmp_path: Path) -> None:
    registry = Registry.load(ROOT / "forms", ROOT / "doc_templates")
    program, campaign = registry.resolve("cq_hgzy_2023")
    compiled = program.summaries[0]
    xlsx = tmp_path / "summary.xlsx"
    xlsx.write_bytes(
        build_table(program, compiled, [row(i) for i in range(60)], campaign, dt.date(2023, 9, 20))
    )
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "summary.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert "Pages:           2" in info  # 60 rows: two pages tall, and only one page wide
    width, height = (float(v) for v in info.split("Page size:")[1].split("pts")[0].split(" x "))
    assert width > height  # landscape

    def page_text(number: int) -> str:
        args = ["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout

    first, second = page_text(1), page_text(2)
    assert "专业技术人才参加高技能人才评价申报汇总表" in first
    for title in ("序号", "身份证号", "联系电话", "状态"):  # every column, the last one too, on page 1
        assert title in first and title in second  # and the header row again on page 2
    assert "第59分厂" in second and "第59分厂" not in first
    assert "第 1 页，共 2 页" in first
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / "summary-table-print")],
        check=True,
        timeout=60,
    )
