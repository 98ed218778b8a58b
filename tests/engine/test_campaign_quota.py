"""`quota:` in a campaign file: the 2023 plan's 获证人次 target for 重庆化工职业学院, and errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.loader import load_campaign
from bot.engine.yamlsource import SpecErrors

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "forms/campaigns/cq_hgzy_2023.yaml"


def test_the_shipped_quota_comes_from_the_plan() -> None:
    campaign = load_campaign(SHIPPED)
    assert campaign.quota is not None and campaign.institution_code == "cq-hgzy"
    assert campaign.quota.total == 130  # 渝职鉴发〔2023〕22号 附件 第20行: 高级工及以上 130
    (part,) = campaign.quota.by_level
    assert part.target == 120 and part.levels == ["二级/技师", "一级/高级技师"]
    assert "渝职鉴发〔2023〕22号" in campaign.quota.source and "第20行" in campaign.quota.source
    seed = ROOT.parent / "shared/seeds/000_86f8bae82b2f73c7.txt"
    if seed.is_file():
        assert "20\t重庆化工职业学院\t130\t120" in seed.read_text(encoding="utf-8")


def quota_file(tmp_path: Path, quota: str) -> Path:
    source = SHIPPED.read_text(encoding="utf-8")
    head = source.split("\nquota:", 1)[0]
    path = tmp_path / "c.yaml"
    path.write_text(head + "\nquota:\n" + quota, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("quota", "expected"),
    [
        ("  total: 0\n  source: 某文件\n", "total"),
        ("  total: -5\n  source: 某文件\n", "total"),
        ("  total: 十\n  source: 某文件\n", "total"),
        ("  total: 10\n", "source"),
        ("  source: 某文件\n", "至少需要 total"),
        (
            "  total: 10\n  source: 某文件\n  by_level:\n    - {name: 技师, levels: [二级/技师], target: 20}\n",
            "大于总目标",
        ),
        ("  total: 10\n  source: 某文件\n  by_level:\n    - {name: 技师, levels: [], target: 2}\n", "levels"),
        ("  total: 10\n  source: 某文件\n  totl: 3\n", "totl"),
        (
            "  total: 10\n  source: 某文件\n  by_level:\n    - {name: a, levels: [x], target: 1}\n"
            "    - {name: a, levels: [y], target: 1}\n",
            "不能重复",
        ),
    ],
)
def test_bad_quotas_name_the_line(tmp_path: Path, quota: str, expected: str) -> None:
    path = quota_file(tmp_path, quota)
    with pytest.raises(SpecErrors) as info:
        load_campaign(path)
    message = str(info.value)
    assert expected in message and "c.yaml:" in message, message
