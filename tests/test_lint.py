"""`shenbao lint` finds each kind of author mistake, at file:line:column, with what to write instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

from bot.lint import ERROR, WARNING, Problem, lint

ROOT = Path(__file__).resolve().parents[1]

FORM = """\
id: tiny
title: 小表
basis:
  tz: 某某通知
sections:
  - id: basic
    title: 基本情况
    fields:
      - {id: name, type: text, label: 姓名, prompt: 姓名？}
      - {id: level, type: choice, label: 等级, prompt: 申报等级？, choices: [初级, 中级]}
      - {id: years, type: number, label: 年限, prompt: 工作年限？}
      - {id: note, type: text, label: 备注, prompt: 备注？, required: false}
outcomes:
  result: {label: 结论}
rules:
  - id: short
    when: 'level == "中级" && years < 5'
    outcome: ineligible
    message: 年限不足
    basis: tz 二(一)
  - id: ok
    when: 'level == "中级" && years >= 5'
    outcome: info
    set: {result: 可以申报}
    basis: tz 二(一)
documents:
  - {id: form, template: tiny.docx, filename: "{name}.docx"}
checklist:
  - text: 交复印件
"""

TEMPLATE_TEXT = "{{ name }} {{ level }} {{ years }} {{ note }} {{ result }}"


def write_tree(tmp_path: Path, form: str = FORM, template: str = TEMPLATE_TEXT) -> tuple[Path, Path, Path]:
    forms = tmp_path / "forms"
    templates = tmp_path / "templates"
    (forms / "campaigns").mkdir(parents=True)
    templates.mkdir()
    path = forms / "tiny.yaml"
    path.write_text(form, encoding="utf-8")
    doc = Document()
    doc.add_paragraph(template)
    doc.save(str(templates / "tiny.docx"))
    return forms, templates, path


def problems_for(tmp_path: Path, form: str = FORM, template: str = TEMPLATE_TEXT) -> list[Problem]:
    forms, templates, _ = write_tree(tmp_path, form, template)
    return lint([forms], forms, templates)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def only(problems: list[Problem], severity: str = ERROR) -> Problem:
    found = [p for p in problems if p.severity == severity]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_clean_form_has_no_problems(tmp_path: Path) -> None:
    assert problems_for(tmp_path) == []


def test_shipped_forms_are_clean() -> None:
    problems = lint([ROOT / "forms"], ROOT / "forms", ROOT / "doc_templates")
    assert [str(p) for p in problems if p.severity == ERROR] == []


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("prompt: 工作年限？", "promt: 工作年限？", "promt", "promt"),  # schema error
        ('level == "中级" && years < 5', 'levl == "中级" && years < 5', "levl", "levl"),  # unknown name
        ('level == "中级" && years < 5', 'level == "高级" && years < 5', "高级", "没有选项 '高级'"),
        ("basis: tz 二(一)\n  - id: ok", "basis: tx 二(一)\n  - id: ok", "basis: tx", "未声明"),
    ],
    ids=["schema", "unknown-name", "unknown-choice", "undeclared-basis"],
)
def test_load_errors_are_reported_with_position(
    tmp_path: Path, old: str, new: str, needle: str, message: str
) -> None:
    form = FORM.replace(old, new, 1)
    problems = problems_for(tmp_path, form)
    assert problems and all(p.severity == ERROR for p in problems)
    problem = next((p for p in problems if message in p.message), None)
    assert problem is not None, [str(p) for p in problems]
    assert problem.where.line == line_of(form, needle)
    assert str(problem).startswith(f"{tmp_path / 'forms' / 'tiny.yaml'}:{problem.where.line}:")


def test_question_that_can_never_be_asked(tmp_path: Path) -> None:
    form = FORM.replace(
        "prompt: 备注？, required: false}", 'prompt: 备注？, required: false, when: "1 == 2"}'
    )
    problem = only(problems_for(tmp_path, form))
    assert "永远不会被问到" in problem.message and "note" in problem.message
    assert problem.where.line == line_of(form, "id: note")


def test_question_depending_only_on_a_never_asked_one_is_never_asked_either(tmp_path: Path) -> None:
    form = FORM.replace("prompt: 工作年限？}", 'prompt: 工作年限？, when: "false"}').replace(
        "prompt: 备注？, required: false}", 'prompt: 备注？, required: false, when: "years > 3"}'
    )
    found = [p for p in problems_for(tmp_path, form) if "永远不会被问到" in p.message]
    assert [p.where.line for p in found] == [line_of(form, "id: years"), line_of(form, "id: note")]


def test_checklist_item_whose_condition_can_never_hold(tmp_path: Path) -> None:
    form = FORM.replace("  - text: 交复印件", '  - text: 交复印件\n    when: result == "直接认定"')
    problem = only(problems_for(tmp_path, form))
    assert "永远不成立" in problem.message and "可以申报" in problem.message
    assert problem.where.line == line_of(form, "直接认定")


def test_constant_false_checklist_condition(tmp_path: Path) -> None:
    form = FORM.replace("  - text: 交复印件", '  - text: 交复印件\n    when: "false"')
    assert "永远不成立" in only(problems_for(tmp_path, form)).message


def test_template_placeholder_with_no_field(tmp_path: Path) -> None:
    problem = only(problems_for(tmp_path, template=TEMPLATE_TEXT + " {{ nmae }}"))
    assert "{{ nmae }}" in problem.message
    assert problem.where.line == line_of(FORM, "template: tiny.docx")


def test_template_loop_column_that_does_not_exist(tmp_path: Path) -> None:
    form = FORM.replace(
        "outcomes:",
        "  - id: jobs\n    title: 工作经历\n    repeat: {min: 1, max: 3}\n    fields:\n"
        "      - {id: employer, type: text, label: 单位, prompt: 单位？}\noutcomes:",
    )
    template = TEMPLATE_TEXT + " {% for r in jobs %}{{ r.employer }}{{ r.emplyer }}{% endfor %}"
    problem = only(problems_for(tmp_path, form, template))
    assert "emplyer" in problem.message and "employer" in problem.message


def test_field_that_nothing_uses_is_a_warning(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, template=TEMPLATE_TEXT.replace(" {{ note }}", ""))
    problem = only(problems, WARNING)
    assert "note" in problem.message and "{{ note }}" in problem.message
    assert not [p for p in problems if p.severity == ERROR]


def test_campaign_for_a_missing_form(tmp_path: Path) -> None:
    forms, templates, _ = write_tree(tmp_path)
    campaign = forms / "campaigns" / "c.yaml"
    campaign.write_text(
        "id: c1\nform: tinny\ntitle: 批次\ninstitution: 某单位\ndeadline: 2024-07-01\n"
        "courier: {address: 重庆市某区某路1号, recipient: 王老师}\n",
        encoding="utf-8",
    )
    problem = only(lint([forms], forms, templates))
    assert "tinny" in problem.message and "tiny" in problem.message
    assert problem.where.line == 2


def test_command_exit_codes_and_output(tmp_path: Path) -> None:
    forms, templates, path = write_tree(tmp_path)
    env = {"SHENBAO_FORMS_DIR": str(forms), "SHENBAO_TEMPLATES_DIR": str(templates), "PATH": "/usr/bin:/bin"}
    clean = subprocess.run(
        [sys.executable, "-m", "bot", "lint"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert clean.returncode == 0 and "没有发现问题" in clean.stdout
    path.write_text(FORM.replace('level == "中级" && years < 5', 'level == "高级"'), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "lint", str(path)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert bad.returncode == 1
    assert f"{path}:{line_of(FORM, 'level == ')}:" in bad.stdout and "1 个错误" in bad.stdout


def test_fields_shown_only_in_a_summary_table_are_used(tmp_path: Path) -> None:
    from tests.summary_form import ROW, TEMPLATE_ROW, write_form

    forms, templates = write_form(tmp_path)
    assert lint([forms], forms, templates) == []
    note = ROW.index("{{ r.note }}") + 1
    forms2, templates2 = write_form(tmp_path / "b", cells={f"{chr(64 + note)}{TEMPLATE_ROW}": "备注"})
    problem = only(lint([forms2], forms2, templates2), WARNING)
    assert "note" in problem.message


def test_summary_template_that_asks_for_one_page_wide_without_switching_fitting_on(tmp_path: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.worksheet.properties import PageSetupProperties

    from tests.summary_form import write_form

    forms, templates = write_form(tmp_path)
    workbook = load_workbook(templates / "roster.xlsx")
    workbook.worksheets[0].page_setup.fitToWidth = 1  # what the 工勤 汇总表 template did (issue 13)
    workbook.save(templates / "roster.xlsx")
    problem = only(lint([forms], forms, templates), WARNING)
    assert "roster.xlsx" in problem.message and "fitToPage" in problem.message
    text = (forms / "gq_promotion.yaml").read_text("utf-8")
    assert problem.where.line == line_of(text, "template: roster.xlsx")
    workbook.worksheets[0].sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    workbook.save(templates / "roster.xlsx")
    assert lint([forms], forms, templates) == []


DUPLICATES = """
duplicates:
  - id: same_person
    same: [name, level]
    message: 已有 {count} 份{level}的申报
    basis: tz 七
"""


def test_duplicate_check_is_clean_when_right(tmp_path: Path) -> None:
    assert problems_for(tmp_path, FORM + DUPLICATES) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("same: [name, level]", "same: [name, levle]", "same 里的 'levle' 不是普通字段"),
        ("{level}的申报", "{lvl}的申报", "{lvl}"),
        ("basis: tz 七", "basis: tx 七", "未声明"),
        ("id: same_person", "id: short", "重复"),
    ],
    ids=["unknown-field", "unknown-placeholder", "undeclared-basis", "id-taken"],
)
def test_duplicate_check_mistakes(tmp_path: Path, old: str, new: str, message: str) -> None:
    form = FORM + DUPLICATES.replace(old, new)
    problem = only(problems_for(tmp_path, form))
    assert message in problem.message
    last = max(i for i, line in enumerate(form.splitlines(), 1) if new in line)
    assert problem.where.line == last
