"""What people type: the usual ways of saying yes and no, option aliases, Chinese numerals, a year without
its month, 不清楚 on questions one may not know (unknown_ok), and words meaning none on optional questions."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

import pytest

from bot.engine import checklist
from bot.engine.campaign import Campaign
from bot.engine.evaluate import evaluate
from bot.engine.flow import step
from bot.engine.loader import load_form
from bot.engine.program import FormProgram
from bot.engine.values import Invalid, chinese_int, parse, read_number, yes_no_word
from bot.engine.yamlsource import SpecErrors
from tests.engine.transcript import COMPLETE, TODAY, Chat

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ["<script>alert(1)</script>", "</w:t>", "{{ 7*7 }}", "\ud800", "\x00\x07是", "是" * 500]


# -- yes / no ------------------------------------------------------------------------------------------


YES_SAID = [
    "是",
    "是的，在编",
    "都合格",
    "一致",
    "符合",
    "对的",
    "有的",
    "嗯",
    "好的",
    "没错",
    "是。",
    "Yes!",
    "我是",
]


@pytest.mark.parametrize("text", [*YES_SAID, "\x00\x07是", "是\u200b的"])  # control characters are dropped
def test_affirmative_phrasings_are_yes(text: str) -> None:
    assert yes_no_word(text) is True


@pytest.mark.parametrize(
    "text", ["否", "不用了", "不是", "没有", "不符合", "不一致", "都不是", "否的", "没有的。", "不合格"]
)
def test_negative_phrasings_are_no(text: str) -> None:
    assert yes_no_word(text) is False


@pytest.mark.parametrize(
    "text",
    ["是的，不是", "有没有", "是不是", "不确定", "随便", "", "   ", "已经离职", *HOSTILE[:4], HOSTILE[5]],
)
def test_unclear_or_both_ways_is_refused(text: str) -> None:
    assert yes_no_word(text) is None


# -- numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("二十八", 28),
        ("二十八年", 28),
        ("两年", 2),
        ("十五个", 15),
        ("一百二十", 120),
        ("一百零五", 105),
        ("〇", 0),
        ("零", 0),
        ("２８年", 28),
        ("约20年", 20),
        ("三点五", 3.5),
    ],
)
def test_chinese_numerals_and_units(text: str, value: float) -> None:
    assert read_number(text.replace("２８", "28")) == value


def test_chinese_int_edges() -> None:
    assert chinese_int("二〇〇八") == 2008
    assert chinese_int("三万五千") == 35000
    assert chinese_int("十") == 10
    assert chinese_int("") is None and chinese_int("二十八年") is None


def test_number_field_reads_chinese_and_error_has_one_example(flagship: tuple[FormProgram, Any]) -> None:
    program, _ = flagship
    info = program.fields["related_work_years"]  # example "5", unit 年, integer 0..60
    assert parse(info, "二十八年", TODAY).value == 28
    assert parse(info, "十五", TODAY).value == 15
    for bad in ["很多年", "<script>", "{{ 7*7 }}", "一二三四五六七八九十百千万" * 2]:
        with pytest.raises(Invalid) as refused:
            parse(info, bad, TODAY)
        assert "例如" not in str(refused.value)  # the question shows the field's own example
    with pytest.raises(Invalid, match="不能大于 60年"):
        parse(info, "一百年", TODAY)


# -- choices and aliases --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "option"),
    [
        ("title_level", "中级职称", "中级"),
        ("title_level", "工程师", "中级"),
        ("title_level", "我是中级", "中级"),
        ("title_level", "高级工程师", "副高级"),
        ("title_level", "正高级工程师", "正高级"),
        ("title_level", "中级的", "中级"),
        ("id_type", "身份证", "居民身份证"),
        ("id_type", "台胞证", "台湾居民来往大陆通行证"),
        ("ethnicity", "汉", "汉族"),
        ("ethnicity", "壮", "壮族"),
        ("ethnicity", "土", "土族"),
        ("ethnicity", "土家", "土家族"),
        ("ethnicity", "维族", "维吾尔族"),
        ("political_status", "党员", "中共党员"),
        ("political_status", "预备党员", "中共预备党员"),
        ("political_status", "团员", "共青团员"),
        ("political_status", "九三学社", "民主党派"),
        ("political_status", "无", "群众"),
        ("apply_level", "技师", "二级/技师"),
        ("series", "工程", "工程技术"),
        ("current_skill_level", "没有", "无"),
        ("current_skill_level", "三级", "高级工"),
        ("direct_awards", "都没有", ["无"]),
        ("direct_awards", "没有", ["无"]),
        ("title_level", "第3项", "中级"),
    ],
)
def test_choice_aliases_and_natural_words(
    flagship: tuple[FormProgram, Any], field: str, typed: str, option: Any
) -> None:
    program, _ = flagship
    assert parse(program.fields[field], typed, TODAY).value == option


@pytest.mark.parametrize("typed", ["不是中级", "高级", "处长", "第9项", *HOSTILE[:3]])
def test_not_an_option_says_so(flagship: tuple[FormProgram, Any], typed: str) -> None:
    program, _ = flagship
    with pytest.raises(Invalid) as refused:
        parse(program.fields["title_level"], typed, TODAY)
    message = str(refused.value)
    assert "选项" in message and "请回复编号或选项文字" not in message
    assert "<script>" not in message or "“" in message  # quoted back as what was typed, never as markup


def test_every_form_loads_with_its_aliases(registry: Any) -> None:
    program, _ = registry.resolve("cq_hgzy_2023")
    aliases = dict(program.fields["ethnicity"].aliases)
    assert len([o for o in set(aliases.values()) if o.endswith("族")]) == 56


TINY = """\
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
        choices: [初级, 中级, 高级]
        aliases:
          中级: [工程师]
          高级: [{alias}]
"""


@pytest.mark.parametrize("alias", ["中级", "工程师"])
def test_alias_collision_is_a_load_error_at_its_line(tmp_path: Path, alias: str) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(TINY.format(alias=alias), encoding="utf-8")
    with pytest.raises(SpecErrors) as info:
        load_form(path, catalogs=ROOT / "forms" / "catalogs")
    assert "form.yaml:15:" in str(info.value) and alias in str(info.value)


def test_catalog_alias_collision_names_the_catalog_line(tmp_path: Path) -> None:
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    (catalogs / "levels.yaml").write_text(
        "items: [初级, 中级]\naliases:\n  初级: [低]\n  中级: [低]\n", "utf-8"
    )
    path = tmp_path / "form.yaml"
    text = TINY.split("        choices:")[0] + "        catalog: levels\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecErrors) as info:
        load_form(path, catalogs=catalogs)
    assert "levels.yaml:4:" in str(info.value)


def test_alias_for_an_unknown_option_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(TINY.format(alias="特级").replace("高级: [特级]", "特级: [顶级]"), encoding="utf-8")
    with pytest.raises(SpecErrors, match="不是选项"):
        load_form(path, catalogs=ROOT / "forms" / "catalogs")


# -- a small form: none words, 不清楚, a year without its month ------------------------------------------

SMALL = """\
id: small
title: 小表
basis:
  doc: 某某文件
sections:
  - id: main
    title: 基本
    fields:
      - id: post
        type: choice
        label: 岗位最高设置
        prompt: 本单位岗位最高设置到哪一级？
        choices: [一级, 二级, 三级]
        unknown_ok: 单位人事部门
      - id: vacancy
        type: yes_no
        label: 有空缺岗位
        prompt: 是否有空缺岗位？
        unknown_ok: true
      - id: supervisor
        type: text
        label: 主管部门
        prompt: 主管部门？
        required: false
      - id: count
        type: number
        label: 人数
        prompt: 人数？
        example: "3"
        required: false
      - id: kind
        type: choice
        label: 类别
        prompt: 类别？
        choices: [甲, 乙]
        required: false
      - id: employer
        type: text
        label: 单位
        prompt: 单位？
      - id: rewards
        type: long_text
        label: 奖惩
        prompt: 受过何种奖励或处分？（没有请回复“无”）
      - id: since
        type: year_month
        label: 参加工作时间
        prompt: 参加工作时间？
        example: 2012-07
        max: today
rules:
  - id: post_too_low
    when: post != "一级" && post != "二级" && post != "三级"
    outcome: ineligible
    message: 不在范围内
    basis: doc 一
  - id: no_vacancy
    when: vacancy == false
    outcome: ineligible
    message: 没有空缺
    basis: doc 二
checklist:
  - text: 身份证复印件
"""


@pytest.fixture
def small(tmp_path: Path) -> FormProgram:
    path = tmp_path / "small.yaml"
    path.write_text(textwrap.dedent(SMALL), encoding="utf-8")
    return load_form(path, catalogs=ROOT / "forms" / "catalogs")


def _chat(program: FormProgram) -> Chat:
    chat = Chat(program, None)
    chat.start()
    return chat


def test_unknown_ok_is_settled_marked_reviewed_and_listed(small: FormProgram) -> None:
    chat = _chat(small)
    question = chat.question()
    assert question.data["unknown_ok"] is True and "不清楚" in question.text
    chat.say("不清楚")
    assert chat.asked() == "vacancy" and "error" not in chat.kinds()
    chat.say("不知道，要问单位")
    assert chat.answers["post"] is None and chat.answers["vacancy"] is None
    assert chat.state["mode"] == "asking" and chat.asked() == "supervisor"  # the rules did not refuse
    chat.say("没有", "没有", "无", "某单位", "没有", "2012-07")
    review = chat.last[-1]
    assert review.kind == "review"
    rows = dict(row for section in review.data["sections"] for row in section["rows"])
    assert rows["岗位最高设置"] == "待核实" and rows["有空缺岗位"] == "待核实"
    ev = evaluate(small, chat.state, TODAY)
    built = checklist.build(small, ev, TODAY, answers=chat.answers).as_dict()
    items = [i["text"] for s in built["sections"] for i in s["items"]]
    assert "提交前请向单位人事部门核实：岗位最高设置" in items
    assert "提交前请向所在单位核实：有空缺岗位" in items
    assert built["sections"][0]["title"] == "提交前需核实"
    # once known, it is answered through 修改 like any other answer and the mark is gone
    chat.say("修改")
    menu = chat.last[-1]
    assert menu.kind == "edit_menu"
    chat.say("岗位最高设置")
    assert chat.question().data["current"] == "待核实"
    chat.say("二级")
    assert chat.answers["post"] == "二级"
    ev = evaluate(small, chat.state, TODAY)
    items = [
        i["text"]
        for s in checklist.build(small, ev, TODAY, answers=chat.answers).as_dict()["sections"]
        for i in s["items"]
    ]
    assert not any("岗位最高设置" in i for i in items)


def test_none_words_skip_optional_questions_in_every_field_type(small: FormProgram) -> None:
    chat = _chat(small)
    chat.say("一级", "是")
    for word, key in [("没有", "supervisor"), ("暂无", "count"), ("不用了", "kind")]:
        assert chat.asked() == key
        chat.say(word)
        assert "error" not in chat.kinds(), chat.text()
        assert key in chat.state["skipped"] and key not in chat.answers
    assert chat.asked() == "employer"


def test_a_number_error_shows_one_example(small: FormProgram) -> None:
    chat = _chat(small)
    chat.say("一级", "是", "跳过")
    assert chat.asked() == "count"
    chat.say("很多")
    error = chat.last[0]
    assert error.kind == "error" and error.text.count("例如") == 1 and "例如：3" in error.text
    chat.say("三个")
    assert chat.answers["count"] == 3


def test_a_transposed_id_digit_says_check_digit_by_digit(flagship: tuple[FormProgram, Any]) -> None:
    program, _ = flagship
    with pytest.raises(Invalid) as refused:
        parse(program.fields["id_number"], "50010119900110123X", TODAY)  # 01 and 10 swapped
    assert "逐位核对" in str(refused.value) and "最后一位" not in str(refused.value)


def test_none_on_a_required_question_says_it_must_be_filled(small: FormProgram) -> None:
    chat = _chat(small)
    chat.say("一级", "是", "跳过", "跳过", "跳过")
    chat.say("没有")
    error = chat.last[0]
    assert error.kind == "error" and "必填" in error.text and "格式" not in error.text
    chat.say("不清楚")
    assert chat.last[0].kind == "error" and "必填" in chat.last[0].text
    chat.say("某单位")
    chat.say("没有")  # the question says to write 无 when there is nothing
    assert chat.answers["rewards"] == "无"


def test_year_only_asks_for_the_month(small: FormProgram) -> None:
    chat = _chat(small)
    chat.say("一级", "是", "跳过", "跳过", "跳过", "某单位", "无")
    chat.say("2008年")
    notice = chat.last[0]
    assert notice.kind == "notice" and notice.text == "2008年几月？请回复月份，例如 7"
    assert "since" not in chat.answers
    chat.say("7")
    assert chat.answers["since"] == "2008-07"


@pytest.mark.parametrize("month", ["7月", "七月", "2008-07", "2008年7月份"])
def test_the_month_after_a_year_in_other_forms(small: FormProgram, month: str) -> None:
    chat = _chat(small)
    chat.say("一级", "是", "跳过", "跳过", "跳过", "某单位", "无", "二〇〇八年", month)
    assert chat.answers["since"] == "2008-07"


def test_a_month_out_of_range_or_in_the_future_is_refused(small: FormProgram) -> None:
    chat = _chat(small)
    chat.say("一级", "是", "跳过", "跳过", "跳过", "某单位", "无", "2008", "13")
    assert chat.last[0].kind == "error" and "since" not in chat.answers
    chat.say("2023", "12")  # TODAY is 2023-09-20
    assert chat.last[0].kind == "error" and "since" not in chat.answers
    chat.say("7")  # the year is not remembered after an answer that was not a month
    assert chat.last[0].kind == "error"


def test_hostile_inputs_on_every_question_are_refused_or_kept_as_text(small: FormProgram) -> None:
    for bad in HOSTILE:
        chat = _chat(small)
        chat.say(bad)
        assert chat.last[0].kind == "error" and "post" not in chat.answers
        assert "<script>" not in chat.last[0].text or "“" in chat.last[0].text


# -- the flagship, walked by a middle-aged applicant ----------------------------------------------------

NATURAL: dict[str, list[str]] = {
    "series": ["工程"],
    "in_post": ["是的，在编"],
    "annual_review_ok": ["都合格"],
    "title_level": ["中级职称"],
    "title_name": ["工程师"],
    "title_obtained": ["2008年", "7"],
    "apply_level": ["技师"],
    "applied_elsewhere": ["没有"],
    "direct_awards": ["都没有"],
    "name": ["张三"],
    "id_type": ["身份证"],
    "id_number": ["50010119900101123X"],
    "gender": ["是的"],
    "birth_month": ["对"],
    "ethnicity": ["汉"],
    "native_place": ["重庆江北"],
    "political_status": ["党员"],
    "work_start": ["二〇一二年七月"],
    "occupation": ["化工总控工"],
    "employer": ["重庆某化工有限公司"],
    "contact_name": ["李四"],
    "contact_phone": ["13800138000"],
    "employer_address": ["重庆市江北区某某路1号"],
    "postcode": ["400020"],
    "education.degree": ["大学本科"],
    "education.graduated": ["2012年6月"],
    "education.school": ["重庆大学"],
    "education.major": ["化学工程"],
    "education.cert_no": ["没有"],
    "education.more": ["没有了"],
    "work_history.start": ["2012年7月"],
    "work_history.end": ["至今"],
    "work_history.employer": ["重庆某化工有限公司"],
    "work_history.position": ["工艺工程师"],
    "work_history.more": ["不用了"],
    "achievements": ["主持某装置技术改造，年节约成本五十万元。"],
    "photo": ["没有"],
}


def _pattern(key: str) -> str:
    parts = key.split(".")
    return f"{parts[0]}.{parts[-1]}" if len(parts) > 1 else key


def test_flagship_walk_with_natural_answers(flagship: tuple[FormProgram, Campaign | None]) -> None:
    program, campaign = flagship
    assert program.id == "cq_pro_to_skill" and campaign is not None and "贯通" in campaign.title
    state: dict[str, Any] = {}
    state, replies = step(program, state, {"type": "start"}, today=TODAY, campaign=campaign)
    refusals: list[str] = []
    typed = 0
    while state.get("mode") == "asking":
        question = [r for r in replies if r.kind == "question"][-1]
        answers = NATURAL[_pattern(str(question.data["key"]))]
        for text in answers:
            state, replies = step(
                program, state, {"type": "text", "text": text}, today=TODAY, campaign=campaign
            )
            typed += 1
            refusals += [r.text for r in replies if r.kind in ("error", "ineligible")]
        assert typed < 80, "the walk does not end"
        if len(refusals) > 2:
            break
    assert len(refusals) <= 2, refusals
    assert state["mode"] == "review", [r.text for r in replies]
    state, replies = step(program, state, {"type": "text", "text": "确认"}, today=TODAY, campaign=campaign)
    assert state["mode"] == "done" and replies[-1].kind == "done"
    answers = state["answers"]
    assert answers["title_level"] == "中级" and answers["title_obtained"] == "2008-07"
    assert answers["political_status"] == "中共党员" and answers["ethnicity"] == "汉族"
    assert answers["id_type"] == "居民身份证" and answers["direct_awards"] == ["无"]
    assert answers["in_post"] is True and answers["applied_elsewhere"] is False
    assert answers["work_start"] == "2012-07" and answers["education"][0]["degree"] == "本科"
    assert "photo" in state["skipped"] and "education.0.cert_no" in state["skipped"]
    print(f"flagship walk: {typed} answers typed, {len(refusals)} refused")


def test_deadline_written_without_zero_padding(flagship: tuple[FormProgram, Campaign | None]) -> None:
    program, campaign = flagship
    _, replies = step(program, {}, {"type": "start"}, today=dt.date(2023, 9, 20), campaign=campaign)
    assert "2023年10月10日" in replies[0].text and "年0" not in replies[0].text


def test_rules_reading_an_unknown_answer_wait_for_it(registry: Any) -> None:
    program, campaign = registry.resolve("cq_gq_2021")
    assert program.fields["unit_highest_post"].field.confirm_with == "单位人事部门"
    answers: dict[str, Any] = {"apply_level": "高级技师", "unit_highest_post": "三级（高级工）"}
    fired = [f.rule for f in evaluate(program, {"answers": answers}, TODAY, campaign).findings]
    assert "above_highest_post" in fired
    answers["unit_highest_post"] = None  # 不清楚
    fired = [f.rule for f in evaluate(program, {"answers": answers}, TODAY, campaign).findings]
    assert "above_highest_post" not in fired


@pytest.mark.parametrize("typed", ["好的", "没问题", "确认无误", "没有问题，确认"])
def test_the_review_is_confirmed_the_way_people_say_yes(
    flagship: tuple[FormProgram, Any], typed: str
) -> None:
    program, campaign = flagship
    chat = Chat(program, campaign)
    chat.start()
    chat.say(*COMPLETE)
    assert chat.state["mode"] == "review", chat.kinds()
    chat.say("不对")  # not a yes: nothing is generated
    assert chat.state["mode"] == "review"
    chat.say(typed)
    assert chat.state["mode"] == "done" and chat.state["status"] == "complete"


@pytest.mark.parametrize("typed", ["没问题", "没有问题", "无误", "确认无误"])
def test_no_problem_is_yes_though_it_starts_with_a_negative_word(typed: str) -> None:
    assert yes_no_word(typed) is True
