"""Bad and hostile answers through the real `shenbao fill` CLI (a subprocess per case).

Rejected answers must give exit 1, status `invalid`, the right field in errors[0] and a specific Chinese
message; answers that are odd but acceptable must be normalised and give a correct .docx; a malformed
answers file gives exit 2 with a useful message on stderr. Nothing may crash with a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")
PROMOTION = {
    "title_level": "助理级",
    "title_name": "助理工程师",
    "apply_level": "二级/技师",
    "current_skill_level": "高级工",
    "current_skill_obtained": "2021-07-15",
    "related_work_years": 6,
}
PAYLOAD = "甲<乙&丙</w:t>丁{{ 7*7 }}戊{%己"


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    answers = dict(base)
    for key, value in overrides.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def assert_no_crash(run: Any) -> None:
    assert "Traceback" not in run.stderr, run.describe()
    assert run.returncode in (0, 1, 2), run.describe()


def assert_complete(run: Any) -> dict[str, Any]:
    assert_no_crash(run)
    result = run.result
    assert result is not None, run.describe()
    assert (run.returncode, result["status"], result["errors"]) == (0, "complete", []), run.describe()
    assert run.docx_files, "no .docx was written"
    return result


# ---- rejected answers: exit 1, status invalid, errors[0] names the field in Chinese ------------------

INVALID_CASES = [
    pytest.param({"id_number": "500101199001011230"}, "id_number", ["校验位"], id="id-wrong-checksum"),
    pytest.param({"id_number": "50010119900101123"}, "id_number", ["18 位", "17 位"], id="id-17-chars"),
    pytest.param(
        {**PROMOTION, "current_skill_obtained": "2023-02-30"},
        "current_skill_obtained",
        ["2023年2月30日", "不存在"],
        id="impossible-date",
    ),
    pytest.param(
        {"title_obtained": "2023-12"}, "title_obtained", ["2023年12月", "晚于今天"], id="future-title"
    ),
    pytest.param({"work_start": "2005-06"}, "work_start", ["16周岁"], id="work-before-16"),
    pytest.param(
        {**PROMOTION, "current_skill_obtained": "2023-10-01"},
        "current_skill_obtained",
        ["2023年10月1日", "晚于今天"],
        id="future-certificate",
    ),
    pytest.param({"native_place": "渝" * 10_000}, "native_place", ["最多 30 字", "10000"], id="long-native"),
    pytest.param(
        {"achievements": "成绩" * 5_000}, "achievements", ["最多 3000 字", "10000"], id="long-achievements"
    ),
    pytest.param({"name": "张三😀"}, "name", ["姓名只能包含汉字"], id="emoji-in-name"),
    pytest.param(
        {"political_status": "火星人"}, "political_status", ["火星人", "不在可选项中"], id="bad-choice"
    ),
]


@pytest.mark.parametrize(("overrides", "field", "keywords"), INVALID_CASES)
def test_rejected_answer(
    overrides: dict[str, Any],
    field: str,
    keywords: list[str],
    base_answers: dict[str, Any],
    run_fill: Callable[..., Any],
) -> None:
    run = run_fill(merged(base_answers, overrides))
    assert_invalid(run, field, keywords)


def assert_invalid(run: Any, field: str, keywords: list[str]) -> None:
    assert_no_crash(run)
    result = run.result
    assert result is not None, run.describe()
    assert (run.returncode, result["status"]) == (1, "invalid"), run.describe()
    assert result["errors"], run.describe()
    first = result["errors"][0]
    assert first["field"].split(".")[0] == field, f"errors[0] is {first}, expected field {field!r}"
    message = first["message"]
    assert CJK.search(message), f"message is not Chinese: {message!r}"
    missing = [k for k in keywords if k not in message]
    assert not missing, f"message {message!r} is not specific: lacks {missing}"
    assert not run.docx_files and result["documents"] == [], "an invalid application got documents"
    assert message in run.stderr, "the error is not shown on stderr"


def test_education_rows_over_max(base_answers: dict[str, Any], run_fill: Callable[..., Any]) -> None:
    """The education group allows at most 6 rows; a 7th must not be dropped silently."""
    rows = [
        {"degree": "本科", "graduated": f"{2006 + i}-06", "school": f"第{i + 1}学校", "major": "化工"}
        for i in range(7)
    ]
    run = run_fill(merged(base_answers, {"education": rows}))
    assert_invalid(run, "education", ["6"])


def test_photo_that_is_html(base_answers: dict[str, Any], run_fill: Callable[..., Any]) -> None:
    html = b"<!DOCTYPE html><html><head><title>x</title></head><body>not a photo</body></html>\n"
    run = run_fill(merged(base_answers, {"photo": "photo.jpg"}), files={"photo.jpg": html})
    assert_invalid(run, "photo", ["JPG"])


# ---- odd but acceptable answers: normalised, complete, shown correctly in the .docx -----------------


def test_fullwidth_id_with_lowercase_x_is_normalised(
    base_answers: dict[str, Any], run_fill: Callable[..., Any]
) -> None:
    run = run_fill(merged(base_answers, {"id_number": "５００１０１１９９００１０１１２３x"}))
    assert_complete(run)
    text = run.docx_text()
    assert "50010119900101123X" in text
    assert "５" not in text and "50010119900101123x" not in text


def test_emoji_in_achievements_is_kept(base_answers: dict[str, Any], run_fill: Callable[..., Any]) -> None:
    achievements = "主持合成氨装置技术改造 😀，年节约成本50万元 🎉"
    run = run_fill(merged(base_answers, {"achievements": achievements}))
    assert_complete(run)
    assert achievements in run.docx_text()


def test_control_characters_are_stripped(base_answers: dict[str, Any], run_fill: Callable[..., Any]) -> None:
    overrides = {
        "native_place": "重庆\x07\x1b江北",
        "employer": "重庆长风\x07化工\x1b有限公司",
        "achievements": "主持合成氨装置技术改造\x07\x1b[31m，年节约成本50万元\x00。",
    }
    run = run_fill(merged(base_answers, overrides))
    assert_complete(run)
    text = run.docx_text() + run.checklist_md
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), "control characters reached the output"
    for expected in ("重庆江北", "重庆长风化工有限公司", "主持合成氨装置技术改造[31m，年节约成本50万元。"):
        assert expected in text


FREE_TEXT_FIELDS = [
    "title_name",
    "native_place",
    "employer",
    "contact_name",
    "employer_address",
    "education.school",
    "education.major",
    "work_history.employer",
    "work_history.position",
    "achievements",
    "direct_awards_detail",
]


@pytest.mark.parametrize("field", FREE_TEXT_FIELDS)
def test_template_syntax_and_xml_are_literal(
    field: str, base_answers: dict[str, Any], run_fill: Callable[..., Any]
) -> None:
    """`<`, `&`, `</w:t>`, `{{ 7*7 }}` and `{%` in any free-text answer are printed as typed."""
    answers = merged(base_answers, {})
    if "." in field:
        group, column = field.split(".")
        answers[group] = [{**answers[group][0], column: PAYLOAD}]
    else:
        answers[field] = PAYLOAD
    if field == "direct_awards_detail":
        answers["direct_awards"] = ["省级以上人才奖励或培育支持项目"]
    run = run_fill(answers)
    assert_complete(run)
    text = run.docx_text()
    assert PAYLOAD in text, f"{field}: the answer is not in the .docx literally"
    assert "49" not in text, f"{field}: {{{{ 7*7 }}}} was evaluated"


# ---- a malformed answers file: exit 2, a useful message on stderr, nothing filled -------------------


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        # the unknown id is named and the closest real id is suggested right after it
        pytest.param(
            {"politcal_status": "群众"}, r"politcal_status[^。；\n]*political_status", id="typo-field"
        ),
        pytest.param(
            {"achievement": "成绩" * 10}, r"achievement'?[^s][^。；\n]*achievements", id="typo-field-2"
        ),
        # an unknown column of a repeat group is named, and the real columns are listed
        pytest.param(
            {"education": [{"degree": "本科", "graduated": "2012-06", "schol": "重庆大学", "major": "化工"}]},
            r"schol[^。\n]*school",
            id="typo-column",
        ),
    ],
)
def test_unknown_field_id(
    overrides: dict[str, Any], pattern: str, base_answers: dict[str, Any], run_fill: Callable[..., Any]
) -> None:
    run = run_fill(merged(base_answers, overrides))
    assert_no_crash(run)
    assert run.returncode == 2, run.describe()
    assert re.search(pattern, run.stderr), run.describe()
    assert CJK.search(run.stderr), run.describe()
    assert run.result is None, "a malformed answers file must not produce a result"


def test_malformed_yaml(run_fill: Callable[..., Any]) -> None:
    text = "series: 工程技术\nname: 张三\neducation:\n  - {degree: 本科, school: 重庆大学\nmajor: 化工\n"
    run = run_fill(text)
    assert_no_crash(run)
    assert run.returncode == 2, run.describe()
    assert re.search(r"answers\.yaml:\d+", run.stderr), run.describe()
    assert "YAML" in run.stderr and CJK.search(run.stderr), run.describe()
    assert run.result is None
