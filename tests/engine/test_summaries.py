"""Loading `summaries:`: the .xlsx template is read at load time and every wrong name is reported at the
line of the summary's key, with what to write instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.engine.loader import load_form
from bot.engine.yamlsource import SpecErrors
from tests.summary_form import FORM, write_form


def load(tmp_path: Path, form: str = FORM, cells: dict[str, str] | None = None) -> SpecErrors:
    forms, templates = write_form(tmp_path, form, cells)
    with pytest.raises(SpecErrors) as info:
        load_form(forms / "gq_promotion.yaml", templates=templates)
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_test_form_loads(tmp_path: Path) -> None:
    forms, templates = write_form(tmp_path)
    program = load_form(forms / "gq_promotion.yaml", templates=templates)
    assert [s.summary.id for s in program.summaries] == ["roster"]
    assert program.summaries[0].where is not None  # the default: complete applications


def test_unknown_placeholders_are_reported_at_the_template_key(tmp_path: Path) -> None:
    error = load(tmp_path, cells={"B5": "{{ r.nmae }}", "A3": "{{ instituton }}", "C3": "{{ 7*7 }}"})
    line = line_of(FORM, "template: roster.xlsx")
    messages = [str(e) for e in error.errors]
    assert len(messages) == 3
    assert all(re.match(rf".*gq_promotion\.yaml:{line}:\d+: ", m) for m in messages), messages
    text = "\n".join(messages)
    assert "单元格 B5" in text and "{{ r.nmae }}" in text and "是否想写 {{ r.name }}" in text
    assert "单元格 A3" in text and "是否想写 {{ institution }}" in text
    assert "不认识的占位符 {{ 7*7 }}" in text


def test_field_name_without_r_in_the_header_is_explained(tmp_path: Path) -> None:
    error = load(tmp_path, cells={"A3": "{{ name }}"})
    assert "{{ name }} 是字段名称：逐人重复的那一行要写成 {{ r.name }}" in str(error)


def test_row_placeholders_in_two_rows_or_none(tmp_path: Path) -> None:
    error = load(tmp_path, cells={"B6": "{{ r.gender }}"})
    assert "只能在同一行（第 5 行）；B6 在别的行" in str(error)
    blank = {f"{c}5": "" for c in "ABCDEFG"}
    error = load(tmp_path / "none", cells=blank)
    assert "没有 {{ r.名称 }} 行" in str(error)


def test_wrong_names_in_the_yaml(tmp_path: Path) -> None:
    form = FORM.replace("sheet_by: occupation", "sheet_by: ocupation").replace(
        "sort_by: [birth]", "sort_by: [birth, main]\n    where: levle == 1"
    )
    form = form.replace("{institution}-{title}", "{institution}-{name}")
    error = load(tmp_path, form)
    text = str(error)
    assert f"gq_promotion.yaml:{line_of(form, 'sheet_by')}:" in text and "是否想写 occupation" in text
    assert "'main' 不是普通字段、computed 或 outcomes 的名称" in text
    assert f"gq_promotion.yaml:{line_of(form, 'where:')}:" in text and "levle" in text
    assert "文件名中的 {name} 不能用" in text


def test_missing_template_and_not_an_xlsx(tmp_path: Path) -> None:
    error = load(tmp_path, FORM.replace("roster.xlsx", "nothing.xlsx"))
    assert "nothing.xlsx 不存在" in str(error)
    forms, templates = write_form(tmp_path / "b", FORM.replace("roster.xlsx", "roster.docx"))
    (templates / "roster.docx").write_bytes(b"PK")
    with pytest.raises(SpecErrors, match=r"应为 \.xlsx"):
        load_form(forms / "gq_promotion.yaml", templates=templates)
    (forms / "gq_promotion.yaml").write_text(FORM, encoding="utf-8")
    (templates / "roster.xlsx").write_bytes(b"not a zip")
    with pytest.raises(SpecErrors, match=r"无法作为 \.xlsx 打开"):
        load_form(forms / "gq_promotion.yaml", templates=templates)
