"""Loading specs: every author mistake is reported with file:line:column, what was found and what is allowed."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from bot.engine.loader import load_campaign, load_form
from bot.engine.yamlsource import SpecErrors

ROOT = Path(__file__).resolve().parents[2]

GOOD = """\
id: tiny
title: 测试表
basis:
  doc: 某某文件
sections:
  - id: main
    title: 基本
    fields:
      - id: level
        type: choice
        prompt: 等级？
        choices: [初级, 中级]
      - id: years
        type: number
        prompt: 年限？
        when: level == "中级"
rules:
  - id: too_few
    when: years < 2
    outcome: ineligible
    message: 年限不足
    basis: doc 二(一)
"""


def load(tmp_path: Path, text: str) -> SpecErrors:
    path = tmp_path / "form.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(SpecErrors) as info:
        load_form(path, catalogs=ROOT / "forms" / "catalogs")
    return info.value


def position(error: SpecErrors) -> tuple[int, int]:
    found = re.search(r"form\.yaml:(\d+):(\d+): ", str(error))
    assert found, str(error)
    return int(found.group(1)), int(found.group(2))


def test_good_spec_loads(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(GOOD, encoding="utf-8")
    program = load_form(path)
    assert program.items == ["level", "years"]
    assert program.rules[0].inputs == frozenset({"years"})


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("    title: 基本", "    title: [基本"))
    assert position(error)[0] in (7, 8)
    assert "YAML 格式错误" in str(error) and "缩进" in str(error)


def test_tab_indentation(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("      - id: years", "\t- id: years"))
    assert "YAML 格式错误" in str(error)


def test_unknown_key_with_suggestion_and_allowed_keys(tmp_path: Path) -> None:
    error = load(
        tmp_path, GOOD.replace("        prompt: 年限？", "        prompt: 年限？\n        max_lenght: 3")
    )
    text = str(error)
    assert position(error) == (16, 9)
    assert "未知的键 'max_lenght'" in text and "min" in text and "integer" in text


def test_unknown_field_type(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("type: number", "type: numbr"))
    assert "字段类型写成了 'numbr'" in str(error) and "cn_id_number" in str(error)
    assert position(error)[0] == 13


def test_unknown_name_in_expression(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace('when: level == "中级"', 'when: levle == "中级"'))
    text = str(error)
    assert "未知名称 'levle'" in text and "level" in text
    assert position(error)[0] == 16


def test_expression_syntax_error_column(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("when: years < 2", "when: years < "))
    assert "表达式语法错误" in str(error)
    assert position(error)[0] == 19


def test_unknown_function(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("when: years < 2", "when: yeers_between(years, today) < 2"))
    assert "未知函数 'yeers_between'" in str(error) and "years_between" in str(error)


def test_choice_literal_that_does_not_exist(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace('when: level == "中级"', 'when: level == "高级"'))
    assert "level 没有选项 '高级'" in str(error) and "初级、中级" in str(error)


def test_basis_not_declared(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("basis: doc 二(一)", "basis: dco 二(一)"))
    assert "未声明的文件 'dco'" in str(error) and "已声明：doc" in str(error)
    assert position(error)[0] == 22


def test_placeholder_not_a_name(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("message: 年限不足", "message: 年限 {yeras} 不足"))
    assert "{yeras}" in str(error)


def test_missing_key_and_wrong_types(tmp_path: Path) -> None:
    error = load(
        tmp_path, GOOD.replace("        prompt: 等级？\n", "").replace("when: years < 2", "when: [1]")
    )
    text = str(error)
    assert "缺少必填的键 'prompt'" in text
    assert "应为文字" in text


def test_bad_identifier(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("id: years", "id: Years"))
    assert "编号 'Years' 不合规" in str(error)


def test_duplicate_key_and_duplicate_field_id(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("id: years", "id: level"))
    assert "重复" in str(error)
    error = load(tmp_path, GOOD.replace("title: 测试表", "title: 测试表\ntitle: 又一个"))
    assert "键 'title' 重复出现" in str(error)
    assert position(error) == (3, 1)


def test_missing_catalog(tmp_path: Path) -> None:
    error = load(tmp_path, GOOD.replace("choices: [初级, 中级]", "catalog: nowhere"))
    assert "找不到目录文件" in str(error) and "ethnicity" in str(error)


def test_exclusive_option_must_exist(tmp_path: Path) -> None:
    spec = GOOD.replace("type: choice", "type: multi_choice\n        exclusive: [没有]")
    error = load(tmp_path, spec)
    assert "互斥选项 '没有'" in str(error)


def test_several_errors_reported_together_in_file_order(tmp_path: Path) -> None:
    spec = GOOD.replace('when: level == "中级"', "when: nope").replace("basis: doc 二(一)", "basis: x 一")
    error = load(tmp_path, spec)
    assert len(error.errors) == 2
    assert error.errors[0].where.line < error.errors[1].where.line


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    error = load(tmp_path, "- just\n- a list\n")
    assert "顶层应为键值映射" in str(error)


def test_campaign_errors(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    source = (ROOT / "forms/campaigns/cq_hgzy_2023.yaml").read_text(encoding="utf-8")
    path.write_text(source.replace("deadline: 2023-10-10", "deadline: 2023-10-40"), encoding="utf-8")
    with pytest.raises(SpecErrors) as info:
        load_campaign(path)
    assert "deadline" in str(info.value) and "c.yaml:" in str(info.value)


def test_shipped_forms_load(registry) -> None:  # type: ignore[no-untyped-def]
    assert "cq_pro_to_skill" in registry.forms
    program, campaign = registry.resolve("cq_hgzy_2023")
    assert campaign is not None and program.fields["occupation"].choices == ("化工总控工", "化学检验员")
    assert len(registry.forms["cq_pro_to_skill"].fields["ethnicity"].choices or ()) == 58


GROUP = GOOD.replace(
    "rules:",
    """  - id: jobs
    title: 经历
    repeat: {min: 1, max: 2}
    fields:
      - {id: start, type: year_month, prompt: 开始？}
      - {id: end, type: year_month, prompt: 结束？}
    validate:
      - {rule: row.start <= row.end, message: 结束早于开始, field: end}
rules:""",
)


def test_group_spec_loads(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(GROUP, encoding="utf-8")
    assert load_form(path).items == ["level", "years", "jobs"]


def test_row_check_naming_a_missing_column(tmp_path: Path) -> None:
    error = load(tmp_path, GROUP.replace("field: end}", "field: finish}"))
    assert "'finish' 不是重复组 jobs 的列" in str(error) and "start, end" in str(error)


def test_duplicate_column_in_a_group(tmp_path: Path) -> None:
    error = load(tmp_path, GROUP.replace("{id: end,", "{id: start,"))
    assert "列编号 'start' 重复" in str(error)


def test_validate_on_a_plain_section_is_an_error(tmp_path: Path) -> None:
    spec = GOOD.replace(
        "    title: 基本\n", "    title: 基本\n    validate:\n      - {rule: years > 0, message: x}\n"
    )
    assert "只能用于重复组" in str(load(tmp_path, spec))


def test_outcomes_are_not_allowed_in_when(tmp_path: Path) -> None:
    spec = GOOD.replace('when: level == "中级"', 'when: grade == "x"') + "outcomes:\n  grade: {label: 等级}\n"
    assert "未知名称 'grade'" in str(load(tmp_path, spec))


PHOTO = GOOD.replace(
    "      - id: years\n",
    "      - id: photo\n        type: image\n        prompt: 照片？\n        print_size_mm: SIZE\n      - id: years\n",
)


@pytest.mark.parametrize(
    "size", ["[0, 49]", "[35]", "[35, 49, 1]", "abc", "[35, true]", "[35, 1000]", '["35", 49]']
)
def test_bad_photo_print_size_names_the_line_and_the_fix(tmp_path: Path, size: str) -> None:
    error = load(tmp_path, PHOTO.replace("SIZE", size))
    assert position(error) == (16, 24)  # the print_size_mm line, at its value
    assert "print_size_mm 写成 [宽, 高]（毫米，各在 10–200 之间），例如二寸照片写 [35, 49]" in str(error)


def test_photo_print_size_and_date_style(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(PHOTO.replace("SIZE", "[25, 35]"), encoding="utf-8")
    program = load_form(path)
    assert program.fields["photo"].field.print_size_mm == (25.0, 35.0)  # type: ignore[attr-defined]
    assert program.spec.date_style == "dots"  # the default
    path.write_text(PHOTO.replace("        print_size_mm: SIZE\n", ""), encoding="utf-8")
    assert load_form(path).fields["photo"].field.print_size_mm == (35.0, 49.0)  # type: ignore[attr-defined]
    path.write_text("date_style: chinese\n" + GOOD, encoding="utf-8")
    assert load_form(path).spec.date_style == "chinese"
    error = load(tmp_path, "date_style: iso\n" + GOOD)
    assert position(error)[0] == 1 and "dots" in str(error) and "chinese" in str(error)
