"""Issue 12, engine side: finished applications, stale answers, downloads, one-tap fixes, menus, intros."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from bot.engine.loader import load_form
from bot.engine.yamlsource import SpecErrors
from bot.registry import Registry
from tests.engine.transcript import COMPLETE, Chat

HOSTILE = ["<script>alert(1)</script>", "</w:t>", "{{ 7*7 }}", "\ud800", "a\x00b\x1b[2J", "x" * 5000]


@pytest.fixture
def chat(flagship) -> Chat:  # type: ignore[no-untyped-def]
    program, campaign = flagship
    c = Chat(program, campaign)
    c.start()
    return c


@pytest.fixture
def done(chat: Chat) -> Chat:
    chat.say(*COMPLETE, "确认")
    assert chat.state["mode"] == "done" and chat.state["status"] == "complete"
    return chat


# -- C4: after completion ---------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["上一步", "/back", "上一题"])
def test_back_never_reopens_a_finished_application(done: Chat, word: str) -> None:
    before = copy.deepcopy(done.state)
    done.say(word)
    assert done.kinds() == ["notice"]
    assert done.last[0].data["options"] == ["下载申报表", "查看", "修改"]
    for key in ("mode", "status", "answers", "history", "finished_on"):
        assert done.state[key] == before[key]


def test_back_never_reopens_a_stopped_application(chat: Chat) -> None:
    chat.say("工程技术", "否", "结束")
    assert chat.last[0].kind == "stopped"
    assert chat.last[0].data["options"] == ["修改", "重新开始"]
    answers = chat.answers
    chat.say("上一步")
    assert chat.state["mode"] == "stopped" and chat.state["status"] == "ineligible"
    assert chat.answers == answers
    assert chat.last[0].data["options"] == ["修改", "重新开始"]


def test_edit_after_done_says_documents_are_regenerated_and_cancel_keeps_it_complete(done: Chat) -> None:
    done.say("修改")
    assert done.kinds() == ["notice", "edit_menu"]
    assert "重新生成" in done.last[0].text and "确认" in done.last[0].text
    done.say("返回")
    assert done.state["mode"] == "done" and done.state["status"] == "complete"
    assert done.last[-1].data["options"] == ["下载申报表", "查看", "修改"]
    done.say("修改 籍贯")
    assert done.asked() == "native_place"
    done.say("保持")  # nothing changed: still the finished application
    assert done.state["mode"] == "done" and done.state["status"] == "complete"
    done.say("修改 籍贯", "上一步")
    assert done.state["mode"] == "done" and done.state["status"] == "complete"
    done.say("修改 籍贯", "重庆江北")  # the same answer again
    assert done.state["mode"] == "done" and done.state["status"] == "complete"
    done.say("修改 籍贯", "重庆渝中")
    assert done.state["status"] == "in_progress" and done.state["mode"] == "review"
    done.say("确认")
    assert done.state["status"] == "complete" and done.kinds() == ["done"]


def test_status_and_help_after_done(done: Chat) -> None:
    done.say("进度")
    text = done.text()
    assert "已完成全部" in text and "申报表已生成" in text
    total = done.last[0].text.split("全部 ")[1].split(" 题")[0]
    assert f"{int(total) - 1}/{total}" not in text
    done.say("/help")
    help_text = done.last[0].text
    assert done.last[0].kind == "help"
    for word in ("下载申报表", "查看", "修改"):
        assert word in help_text
    assert "上一步" not in help_text and "跳过" not in help_text
    assert done.last[0].data["options"] == ["下载申报表", "查看", "修改"]


# -- C10: status ----------------------------------------------------------------------------------


def test_status_is_ineligible_as_soon_as_the_engine_stops_and_back_when_edited(chat: Chat) -> None:
    chat.say("工程技术", "否")
    assert chat.state["mode"] == "ineligible" and chat.state["status"] == "ineligible"
    chat.say("修改")
    assert chat.state["status"] == "ineligible"  # opening the menu changes nothing
    chat.say("返回")
    assert chat.state["mode"] == "ineligible" and chat.state["status"] == "ineligible"
    chat.say("修改 是否在职在岗", "是")
    assert chat.state["status"] == "in_progress" and chat.state["mode"] == "asking"


def test_stopped_application_edited_is_in_progress_again(chat: Chat) -> None:
    chat.say("工程技术", "否", "结束")
    assert chat.state["status"] == "ineligible"
    chat.say("修改 是否在职在岗")
    assert chat.state["status"] == "ineligible"  # picking the item changes nothing yet
    chat.say("保持")
    assert chat.state["mode"] == "stopped" and chat.state["status"] == "ineligible"
    chat.say("修改 是否在职在岗", "是")
    assert chat.state["status"] == "in_progress" and chat.state["mode"] == "asking"


# -- C1: stale answers ------------------------------------------------------------------------------


def _answer(chat: Chat, text: str, key: object) -> None:
    chat.event({"type": "text", "text": text, "key": key}, text)


def test_answer_for_the_current_question_is_taken(chat: Chat) -> None:
    _answer(chat, "工程技术", "series")
    assert chat.answers["series"] == "工程技术"


@pytest.mark.parametrize("key", ["series", "name", *HOSTILE, 5, ["series"]])
def test_stale_answer_changes_nothing_and_shows_the_current_question(chat: Chat, key: object) -> None:
    chat.say("工程技术")
    before = copy.deepcopy(chat.state)
    _answer(chat, "否", key)
    assert chat.last[0].text.startswith("这一题已经回答过了（可能在另一台设备上）。请回答当前问题：")
    assert chat.kinds() == ["notice", "question"]
    assert chat.asked() == before_key(before, chat)
    assert chat.state["answers"] == before["answers"] and chat.state["status"] == "in_progress"


def before_key(_state: dict[str, object], chat: Chat) -> str:
    return str(chat.question().data["key"])


def test_stale_skip_is_refused_but_other_commands_work(chat: Chat) -> None:
    chat.say("工程技术")
    chat.event({"type": "command", "name": "skip", "key": "series"}, "/skip")
    assert "已经回答过了" in chat.last[0].text
    chat.event({"type": "text", "text": "帮助", "key": "series"}, "帮助")
    assert chat.last[0].kind == "help"


def test_stale_answer_after_done_or_in_review(done: Chat) -> None:
    before = copy.deepcopy(done.state)
    _answer(done, "是", "name")
    assert "已经回答过了" in done.last[0].text
    assert done.last[-1].data.get("options") == ["下载申报表", "查看", "修改"]
    assert done.state["answers"] == before["answers"] and done.state["status"] == "complete"


def test_stale_answer_in_the_edit_menu_shows_the_menu_again(done: Chat) -> None:
    done.say("修改")
    _answer(done, "1", "photo")
    assert done.kinds() == ["notice", "edit_menu"]
    assert done.state["mode"] == "edit_menu"


# -- C2: download -----------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["下载", "下载申报表", "下载文件", "/download"])
def test_download_before_done_says_to_finish_first(chat: Chat, word: str) -> None:
    chat.say("工程技术", word)
    assert chat.last[0].kind == "notice" and "还没有生成" in chat.last[0].text
    assert chat.asked() == "in_post"
    assert chat.answers == {"series": "工程技术"}


@pytest.mark.parametrize("word", ["下载", "下载申报表", "/download"])
def test_download_after_done_offers_the_documents_again(done: Chat, word: str) -> None:
    finished = done.log[-2][1] if done.log[-1][0] != "确认" else done.last
    docs = next(r for r in finished if r.kind == "done").data["documents"]
    done.say("查看", word)
    reply = done.last[0]
    assert reply.kind == "documents" and reply.text == "申报表已生成，可随时下载。"
    assert reply.data == {"documents": docs, "checklist": True} and docs
    assert done.state["status"] == "complete"


# -- C3: one-tap fixes ------------------------------------------------------------------------------

PROMOTION = ["工程技术", "是", "是", "助理级", "助理工程师", "2019-06", "二级/技师", "无"]
BELOW = ["工程技术", "是", "是", "中级", "工程师", "2018-06", "三级/高级工"]


def test_ineligible_reply_offers_the_fix_and_apply_takes_it(chat: Chat) -> None:
    chat.say(*PROMOTION)
    reply = chat.last[-1]
    assert reply.kind == "ineligible"
    finding = next(f for f in reply.data["findings"] if f["rule"] == "promotion_needs_senior_worker")
    assert finding["fix"] == {"field": "apply_level", "value": "三级/高级工", "label": "改为「三级/高级工」"}
    assert {"rule": "promotion_needs_senior_worker", "label": "改为「三级/高级工」"} in reply.data["fixes"]
    chat.event({"type": "command", "name": "apply", "arg": "promotion_needs_senior_worker"}, "apply")
    assert chat.answers["apply_level"] == "三级/高级工"
    assert chat.state["mode"] == "asking" and chat.state["status"] == "in_progress"
    assert "已把“申报等级”改为「三级/高级工」" in chat.last[0].text


def test_fix_with_a_filled_in_value_by_slash_command(chat: Chat) -> None:
    chat.say(*BELOW)
    assert chat.state["mode"] == "ineligible"
    fixes = chat.last[-1].data["fixes"]
    assert {"rule": "level_below_title", "label": "改为「二级/技师」"} in fixes
    chat.say("/apply level_below_title")
    assert chat.answers["apply_level"] == "二级/技师"
    assert chat.state["mode"] == "asking"


@pytest.mark.parametrize("arg", ["", "no_such_rule", "level_below_title", *HOSTILE])
def test_apply_of_a_rule_that_does_not_fire_changes_nothing(chat: Chat, arg: str) -> None:
    chat.say("工程技术", "是")
    before = copy.deepcopy(chat.state["answers"])
    chat.event({"type": "command", "name": "apply", "arg": arg}, "apply")
    assert chat.last[0].text == "这条建议已不适用。"
    assert chat.state["answers"] == before and chat.asked() == "annual_review_ok"


def test_findings_without_fix_say_so(chat: Chat) -> None:
    chat.say("工程技术", "否")
    assert all(f["fix"] is None for f in chat.last[-1].data["findings"])
    assert chat.last[-1].data["fixes"] == []


FORM = """\
id: fix_demo
title: 演示
basis:
  d1: 文件一
sections:
  - id: s
    title: 基本
    fields:
      - id: level
        type: choice
        label: 等级
        prompt: 等级？
        choices: [一级, 二级]
rules:
  - id: r1
    when: level == "一级"
    outcome: ineligible
    message: 不行
    basis: d1
    fix: {FIX}
"""


@pytest.mark.parametrize(
    ("fix", "needle"),
    [
        ("{field: nosuch, value: 二级}", "nosuch"),
        ("{field: level, value: 三级}", "三级"),
        ("{field: level, value: '{nosuch}'}", "nosuch"),
        ("{field: level}", "value"),
        ("{field: level, value: 二级, extra: 1}", "extra"),
    ],
)
def test_check_reports_bad_fix_with_file_and_line(tmp_path: Path, fix: str, needle: str) -> None:
    path = tmp_path / "fix_demo.yaml"
    path.write_text(FORM.replace("{FIX}", fix), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        load_form(path)
    text = str(caught.value)
    assert needle in text and "fix_demo.yaml:" in text
    assert any(str(e.where.line) in text for e in caught.value.errors)
    assert min(e.where.line for e in caught.value.errors) >= 19


def test_good_fix_loads(tmp_path: Path) -> None:
    path = tmp_path / "fix_demo.yaml"
    path.write_text(FORM.replace("{FIX}", "{field: level, value: 二级}"), encoding="utf-8")
    program = load_form(path)
    assert program.spec.rules[0].fix is not None


# -- C5, C6, C7, C8 ---------------------------------------------------------------------------------


def test_question_data_suggested_from_present_photo(chat: Chat) -> None:
    from tests.engine.transcript import BASIC, ELIGIBLE

    chat.say(*ELIGIBLE, *BASIC[:3])
    gender = chat.question()
    assert gender.data["suggested_from"] == "根据您填写的“证件号码”，应为「男」。回复“是”确认，或直接输入。"
    assert gender.data["present"] is False and gender.data["photo"] is False
    chat.say(*BASIC[3:])
    assert chat.question().data["suggested_from"] is None
    from tests.engine.transcript import EDUCATION

    chat.say(*EDUCATION, "2012-07")
    end = chat.question()
    assert end.data["present"] is True and end.data["photo"] is False
    chat.say("至今", "重庆某化工有限公司", "工程师", "否", "主持某装置技术改造，年节约成本50万元")
    photo = chat.question()
    assert photo.data["photo"] is True and photo.data["present"] is False


def test_section_intro_once_before_the_first_question(registry: Registry) -> None:
    program, campaign = registry.resolve("cq_gq_2021")
    chat = Chat(program, campaign, today=dt.date(2021, 3, 1))
    chat.start()
    kinds = chat.kinds()
    assert kinds == ["notice", "notice", "question"]
    intro = chat.last[1]
    assert intro.data == {"section_intro": True, "section": "申报资格"}
    assert intro.text.startswith("先确认您是否符合本次工考的申报条件")
    chat.say("/help")
    assert not any(r.data.get("section_intro") for r in chat.last)
    chat.say(chat.question().data["choices"][0])
    assert not any(r.data.get("section_intro") for r in chat.last)


def test_edit_menu_grouped_with_full_values_and_cancel(chat: Chat) -> None:
    chat.say(*COMPLETE)
    chat.say("修改")
    menu = chat.last[0]
    assert menu.kind == "edit_menu" and menu.data["cancel"] == "返回"
    items = menu.data["items"]
    id_item = next(i for i in items if i["key"] == "id_number")
    assert id_item["value"] == "50010119900101123X" and id_item["section"] == "基本情况"
    assert next(i for i in items if i["key"] == "series")["section"] == "申报资格"
    rows = [i for i in items if i["key"] == "education.0"]
    assert rows and "重庆大学" in rows[0]["value"]
    assert "— 基本情况 —" in menu.text and "50010119900101123X" in menu.text
    assert menu.text.index("— 申报资格 —") < menu.text.index("— 基本情况 —")
    sections = [i["section"] for i in items]
    assert sections == sorted(sections, key=sections.index)  # each section's items together
    chat.say("返回")
    assert chat.state["mode"] == "review"


def test_row_menu_shows_the_row_values_and_cancels(chat: Chat) -> None:
    chat.say(*COMPLETE)
    chat.say("修改")
    number = [i["key"] for i in chat.last[0].data["items"]].index("education.0") + 1
    chat.say(str(number))
    menu = chat.last[0]
    assert menu.kind == "edit_menu" and menu.data["cancel"] == "返回"
    assert any(i["value"] == "重庆大学" for i in menu.data["items"])
    chat.say("返回")
    assert chat.state["mode"] == "review"
