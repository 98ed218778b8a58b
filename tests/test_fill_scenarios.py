"""One test per scenario file under tests/scenarios/<form>/ (format: tests/scenarios/README.md), run by the
product's own runner (`bot.scenarios`, also behind `shenbao test-forms`); every difference is listed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.registry import Registry
from bot.scenarios import run_scenario, scenario_files

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "tests" / "scenarios"
FILES = scenario_files([SCENARIOS])


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load(ROOT / "forms", ROOT / "doc_templates")


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_scenario(path: Path, registry: Registry) -> None:
    result = run_scenario(path, registry)
    assert result.passed, (
        f"{path.name} ({result.description}):\n  - "
        + "\n  - ".join(result.differences)
        + f"\ngot {result.got}"
    )


def test_every_form_has_scenarios(registry: Registry) -> None:
    covered = {p.parent.name for p in FILES}
    assert sorted(set(registry.forms) - covered) == []


WRONG = """\
description: 故意写错的预期
campaign: cq_hgzy_2023
base: ../cq_pro_to_skill/base.yaml
answers: {title_level: 中级, apply_level: 二级/技师}
expect:
  status: complete
  outcomes: {level: 一级/高级技师}
  findings:
    - {rule: path_title_level, basis: 8号 九(九)}
  documents:
    application: {contains: [不存在的文字]}
"""


def test_test_forms_reports_each_difference(tmp_path: Path) -> None:
    form_dir = tmp_path / "cq_pro_to_skill"
    form_dir.mkdir()
    (form_dir / "base.yaml").write_text(
        (SCENARIOS / "cq_pro_to_skill" / "base.yaml").read_text("utf-8"), "utf-8"
    )
    (form_dir / "wrong.yaml").write_text(WRONG.replace("../cq_pro_to_skill/", ""), "utf-8")
    good = SCENARIOS / "cq_pro_to_skill" / "path_2_1_intermediate_to_technician.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "bot", "test-forms", str(good), str(form_dir)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    out = run.stdout
    assert "✓ cq_pro_to_skill/path_2_1_intermediate_to_technician" in out
    assert "✗ cq_pro_to_skill/wrong（故意写错的预期）" in out
    assert "outcome level: expected '一级/高级技师', got '二级/技师'" in out
    assert "missing finding" in out and "九(九)" in out
    assert "document 'application' lacks '不存在的文字'" in out
    assert "1 个通过，1 个不通过。" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 不是映射\n", "顶层应为映射"),
        ("description: x\ncampaign: cq_hgzy_2023\nexpect: {status: done}\n", "expect.status"),
        (
            "description: x\ncampaign: cq_hgzy_2023\nexpect: {status: complete, level: 一级}\n",
            "未知的键 'level'",
        ),
        ("description: x\ncampaign: cq_hgzy_2023\nexpect: {status: complete}\n", "expect.documents"),
        ("description: x\ncampaign: cq_hgzy_2023\n  bad: [\n", "场景文件有误"),
    ],
)
def test_bad_scenario_files_are_reported_not_crashed(
    tmp_path: Path, registry: Registry, text: str, message: str
) -> None:
    path = tmp_path / "cq_pro_to_skill" / "bad.yaml"
    path.parent.mkdir()
    path.write_text(text, "utf-8")
    result = run_scenario(path, registry)
    assert not result.passed
    assert any(message in d for d in result.differences), result.differences
