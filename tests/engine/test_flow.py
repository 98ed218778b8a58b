"""Transcript tests: the conversation as an applicant sees it."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from bot.engine.flow import step
from bot.registry import Registry
from tests.engine.transcript import BASIC, COMPLETE, EDUCATION, ELIGIBLE, TODAY, WORK, Chat


@pytest.fixture
def chat(flagship) -> Chat:  # type: ignore[no-untyped-def]
    program, campaign = flagship
    c = Chat(program, campaign)
    c.start()
    return c


def test_start_greets_with_consent_campaign_and_first_question(chat: Chat) -> None:
    intro = chat.log[0][1][0]
    assert intro.kind == "notice"
    assert "重庆化工职业学院" in intro.text and "2023年10月10日" in intro.text
    assert "同意" in intro.text  # the consent line
    question = chat.question()
    assert question.data["key"] == "series"
    assert question.text.startswith("第 1/")
    assert question.data["choices"][0] == "工程技术"


def test_complete_flagship_conversation_reaches_review_then_done(chat: Chat) -> None:
    chat.say(*COMPLETE)
    review = chat.last[-1]
    assert review.kind == "review" and review.data["final"]
    assert "姓名：张三" in review.text
    assert "50010119900101123X" in review.text  # the applicant's own review: in full, to be checked (C8)
    assert review.data["outcomes"] == {
        "申报条件": "8号 二(一)",
        "申报等级": "二级/技师",
        "评价方式": "综合评审",
    }
    chat.say("确认")
    assert chat.kinds() == ["done"]
    assert chat.state["status"] == "complete"
    assert chat.last[0].data["documents"] == ["application"]


def test_step_is_pure_and_state_is_json(flagship) -> None:  # type: ignore[no-untyped-def]
    program, campaign = flagship
    state, _ = step(program, None, {"type": "start"}, today=TODAY, campaign=campaign)
    frozen = copy.deepcopy(state)
    again1 = step(program, state, {"type": "text", "text": "工程技术"}, today=TODAY, campaign=campaign)
    again2 = step(program, state, {"type": "text", "text": "工程技术"}, today=TODAY, campaign=campaign)
    assert state == frozen
    assert json.dumps(again1[0], sort_keys=True) == json.dumps(again2[0], sort_keys=True)
    assert [r.text for r in again1[1]] == [r.text for r in again2[1]]


def test_progress_counts_only_fields_that_apply(chat: Chat) -> None:
    first_total = chat.question().data["progress"]["total"]
    chat.say("工程技术", "是", "是", "中级", "工程师", "2018-06", "一级/高级技师")
    # a 晋级 path: three more questions now apply (current_skill_level, obtained, related years)
    q = chat.question()
    assert q.data["key"] == "current_skill_level"
    assert q.data["progress"]["total"] == first_total + 3
    assert q.data["progress"]["n"] == 8


def test_choices_by_number_text_and_prefix(chat: Chat) -> None:
    chat.say("1")
    assert chat.answers["series"] == "工程技术"
    chat.say("是", "是", "中级", "工程师", "2018-06", "二级/技师", "否", "无")
    chat.say("张三", "1", "50010119900101123X", "是", "是", "汉")
    assert chat.answers["ethnicity"] == "汉族"


def test_conditional_questions_asked_only_when_they_apply(chat: Chat) -> None:
    chat.say(*ELIGIBLE)
    asked = [r.data["key"] for _, replies in chat.log for r in replies if r.kind == "question"]
    assert "frontline" not in asked and "current_skill_level" not in asked
    assert "direct_awards_detail" not in asked


def test_invalid_answer_gets_reason_example_and_nothing_lost(chat: Chat) -> None:
    chat.say("工程技术", "是", "是", "中级", "工程师")
    chat.say("2018-13")
    error = chat.last[0]
    assert error.kind == "error" and "月份 13 不存在" in error.text and "例如：2018-06" in error.text
    assert chat.asked() == "title_obtained"
    assert chat.answers["title_name"] == "工程师"


def test_back_returns_to_previous_question_and_offers_to_keep(chat: Chat) -> None:
    chat.say("工程技术", "是", "是", "中级", "工程师")
    chat.say("上一步")
    question = chat.question()
    assert question.data["key"] == "title_name"
    assert question.data["current"] == "工程师"
    chat.say("保持")
    assert chat.answers["title_name"] == "工程师"
    assert chat.asked() == "title_obtained"
    chat.say("/back", "/back")
    assert chat.asked() == "title_level"


def test_back_at_first_question(chat: Chat) -> None:
    chat.say("上一步")
    assert "第一题" in chat.text()
    assert chat.asked() == "series"


def test_skip_only_optional_fields(chat: Chat) -> None:
    chat.say("跳过")
    assert "不能跳过" in chat.text()
    assert chat.asked() == "series"
    chat.say(*ELIGIBLE, *BASIC, "本科", "2012-06", "重庆大学", "化学工程")
    assert chat.asked() == "education.0.cert_no"
    chat.say("/skip")
    assert "education.0.cert_no" in chat.state["skipped"]
    assert chat.asked() == "education.more"


def test_edit_returns_to_where_the_applicant_was(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三", "居民身份证", "50010119900101123X", "是", "是", "汉族")
    assert chat.asked() == "native_place"
    chat.say("修改")
    menu = chat.last[0]
    assert menu.kind == "edit_menu"
    labels = [item["label"] for item in menu.data["items"]]
    number = labels.index("现专业技术职称名称") + 1
    chat.say(str(number))
    assert chat.asked() == "title_name" and chat.question().data["current"] == "工程师"
    chat.say("高级工程师助理")
    assert chat.answers["title_name"] == "高级工程师助理"
    assert chat.asked() == "native_place"


def test_edit_by_name_and_that_changes_eligibility(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三")
    chat.say("修改 现专业技术职称等级")
    chat.say("员级")
    assert chat.state["mode"] == "ineligible"
    assert "员级职称没有对应的贯通评价等级" in chat.text()
    assert "8号 二(一)" in chat.text()
    chat.say("修改 现专业技术职称等级")
    chat.say("中级")
    assert chat.state["mode"] == "asking"
    assert chat.asked() == "id_type"  # back where the applicant was


def test_edit_that_makes_new_questions_apply_asks_them_first(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三")
    chat.say("/edit apply_level")
    chat.say("一级/高级技师")  # 中级 -> 一级 is a 晋级 path: three new questions apply
    assert chat.asked() == "current_skill_level"
    chat.say("技师", "2020-05-01", "6")
    assert chat.asked() == "id_type"
    assert chat.state["mode"] == "asking"


def test_edit_id_number_rechecks_gender_and_birth_month(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三", "居民身份证", "50010119900101123X", "是", "是", "汉族")
    assert chat.answers["gender"] == "男"
    chat.say("/edit id_number", "500115198512312468")  # a woman born 1985-12
    question = chat.question()
    assert question.data["key"] == "gender"
    assert "不一致" in (question.data["error"] or "")
    assert question.data["suggested"] == "女"
    chat.say("是")
    assert chat.answers["gender"] == "女"
    assert chat.asked() == "birth_month"
    chat.say("是")
    assert chat.answers["birth_month"] == "1985-12"


def test_gender_contradicting_id_is_caught(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三", "居民身份证", "50010119900101123X")
    assert chat.question().data["suggested"] == "男"
    chat.say("女")
    assert chat.last[0].kind == "error" and "不一致" in chat.last[0].text
    assert "gender" not in chat.answers


def test_ineligible_as_soon_as_deciding_answer_is_known(chat: Chat) -> None:
    chat.say("工程技术", "否")
    assert chat.state["mode"] == "ineligible"
    text = chat.text()
    assert "在职在岗" in text and "渝职鉴发〔2022〕8号 二" in text
    assert chat.last[-1].data["options"] == ["修改", "上一步", "结束"]
    chat.say("随便说点什么")
    assert chat.state["mode"] == "ineligible"
    chat.say("结束")
    stopped = chat.last[0]
    assert stopped.kind == "stopped" and "书面说明" in stopped.text
    assert chat.state["status"] == "ineligible"


def test_ineligible_suggests_what_could_be_applied_for(chat: Chat) -> None:
    chat.say("工程技术", "是", "是", "助理级", "助理工程师", "2019-06", "二级/技师", "无")
    assert chat.state["mode"] == "ineligible"
    assert "可按 8号 二(一) 申报三级/高级工" in chat.text()
    chat.say("上一步")  # change the last answer instead
    assert chat.asked() == "current_skill_level"
    chat.say("高级工", "2021-07-15", "6")
    assert chat.state["mode"] == "asking"
    assert "8号 二(二)" in chat.text()


def test_review_mid_conversation_then_continue(chat: Chat) -> None:
    chat.say("工程技术", "是")
    chat.say("查看")
    kinds = chat.kinds()
    assert kinds[0] == "review" and not chat.last[0].data["final"]
    assert "职称系列：工程技术" in chat.last[0].text
    assert chat.asked() == "annual_review_ok"


def test_restart_asks_for_confirmation(chat: Chat) -> None:
    chat.say("工程技术", "是", "重新开始")
    assert chat.state["mode"] == "confirm_restart"
    chat.say("否")
    assert chat.answers["in_post"] is True
    chat.say("/restart", "是")
    assert chat.answers == {}
    assert chat.asked() == "series"
    assert chat.state["restarts"] == 1


def test_help_lists_commands_and_repeats_question(chat: Chat) -> None:
    chat.say("帮助")
    assert "上一步（/back）" in chat.text()
    assert chat.asked() == "series"


def test_repeat_group_rows_and_max(chat: Chat) -> None:
    chat.say(*ELIGIBLE, *BASIC, *EDUCATION[:-1], "是")
    assert chat.asked() == "education.1.degree"
    for _ in range(4):
        chat.say("中专", "2006-06", "重庆化工学校", "化工", "跳过", "是")
    chat.say("中专", "2006-06", "重庆化工学校", "化工", "跳过")
    assert len(chat.answers["education"]) == 6
    assert chat.asked() == "work_history.0.start"  # max reached: no "add another?"


def test_row_rule_across_columns(chat: Chat) -> None:
    chat.say(*ELIGIBLE, *BASIC, *EDUCATION, "2015-01", "2014-01", "某公司", "技术员")
    assert "结束时间早于开始时间" in chat.text()
    assert chat.asked() == "work_history.0.end"
    chat.say("至今")
    assert chat.asked() == "work_history.more"


def test_rule_across_rows(chat: Chat) -> None:
    chat.say(*ELIGIBLE, *BASIC, *EDUCATION, *WORK[:-1], "是", "2010-01", "至今", "某公司", "技术员")
    assert "开始时间早于您填写的参加工作时间" in chat.text()
    chat.say("2013-01")
    assert "只能有一段工作经历填“至今”" in chat.text()
    chat.say("2014-01")
    assert chat.asked() == "work_history.more"


def test_edit_and_delete_a_group_row(chat: Chat) -> None:
    chat.say(
        *ELIGIBLE, *BASIC, *EDUCATION[:-1], "是", "中专", "2006-06", "重庆化工学校", "化工", "跳过", "否"
    )
    chat.say("修改")
    labels = [i["label"] for i in chat.last[0].data["items"]]
    chat.say(str(labels.index("学历 第2条") + 1))
    assert chat.last[0].kind == "edit_menu"
    chat.say("删除这一条")
    assert len(chat.answers["education"]) == 1
    assert chat.asked() == "education.more"


def test_done_then_edit_reopens_and_reviews_again(chat: Chat) -> None:
    chat.say(*COMPLETE, "确认")
    assert chat.state["status"] == "complete"
    chat.say("/edit native_place", "重庆渝中")
    assert chat.state["mode"] == "review"
    assert chat.state["status"] == "in_progress"
    chat.say("确认")
    assert chat.state["status"] == "complete"


def test_direct_award_detail_and_method(chat: Chat) -> None:
    chat.say("工程技术", "是", "是", "中级", "工程师", "2018-06", "二级/技师", "否", "1,3")
    assert "评价方式为直接认定" in chat.text() and "8号 三(一)" in chat.text()
    assert chat.asked() == "direct_awards_detail"
    chat.say("2021年 重庆市科学技术进步奖 二等奖")
    assert "无" not in chat.answers["direct_awards"]


def test_exclusive_none_option(chat: Chat) -> None:
    chat.say("工程技术", "是", "是", "中级", "工程师", "2018-06", "二级/技师", "否", "1,5")
    assert "不能和其他选项同时选择" in chat.text()
    chat.say("没有")
    assert chat.answers["direct_awards"] == ["无"]


def test_unknown_file_where_text_expected(chat: Chat) -> None:
    chat.event({"type": "file", "file": {"ref": "x", "mime": "image/png", "size": 10}}, "file")
    assert chat.asked() == "series"


def test_photo_upload_accepted_and_wrong_type_refused(chat: Chat) -> None:
    chat.say(*COMPLETE[:-1])
    assert chat.asked() == "photo"
    chat.event({"type": "file", "file": {"ref": "r1", "mime": "text/html", "size": 10}}, "file")
    assert "JPG 或 PNG" in chat.text()
    chat.event({"type": "file", "error": "无法识别为 JPG 或 PNG 图片，请重新拍照或选择照片。"}, "file")
    assert "无法识别" in chat.text()
    chat.event({"type": "file", "file": {"ref": "r1", "mime": "image/jpeg", "size": 1000}}, "file")
    assert chat.answers["photo"]["ref"] == "r1"
    assert chat.last[-1].kind == "review"


def test_closed_campaign_still_fills(flagship) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    program, campaign = flagship
    chat = Chat(program, campaign, today=dt.date(2024, 3, 1))
    chat.start()
    assert "已于 2023年10月10日 截止" in chat.text()
    chat.say(*COMPLETE, "确认")
    assert chat.state["status"] == "complete"


def test_unknown_slash_command_is_not_an_answer(chat: Chat) -> None:
    chat.say("/frobnicate")
    assert "未知命令" in chat.text()
    assert chat.answers == {}
    assert chat.asked() == "series"


def test_review_shows_own_values_in_full_but_coordinator_summary_masks(chat: Chat) -> None:
    from bot.engine.evaluate import evaluate
    from bot.engine.review import summary
    from tests.engine.transcript import COMPLETE

    chat.say(*COMPLETE)
    assert "联系电话：13800138000" in chat.last[-1].text  # C8: the applicant checks their own values
    assert "138******00" not in chat.last[-1].text
    masked = summary(
        chat.program, chat.answers, evaluate(chat.program, chat.state, chat.today, chat.campaign)
    )
    rows = dict(row for section in masked for row in section["rows"])
    assert (
        rows["联系电话"] == "138******00"
        and "123X" in rows["证件号码"]
        and "19900101" not in rows["证件号码"]
    )


def test_editing_shows_the_place_of_the_question_being_changed(chat: Chat) -> None:
    chat.say(*ELIGIBLE, "张三")
    chat.say("/edit title_name")
    assert chat.question().data["progress"]["n"] == 5


def test_mid_conversation_review_lists_only_what_was_answered(chat: Chat) -> None:
    chat.say("工程技术", "是", "查看")
    review = chat.last[0].text
    assert "（未填）" not in review and "姓名" not in review


def test_edit_from_the_menu_after_done_reopens(chat: Chat) -> None:
    chat.say(*COMPLETE, "确认", "修改")
    assert chat.kinds() == ["notice", "edit_menu"]
    assert "重新生成" in chat.last[0].text  # said plainly before anything changes (C4)
    labels = [i["label"] for i in chat.last[-1].data["items"]]
    chat.say(str(labels.index("籍贯") + 1))
    assert chat.state["status"] == "complete"  # picking an item changes nothing yet
    chat.say("重庆渝中")
    assert chat.state["mode"] == "review"
    assert chat.state["status"] == "in_progress"  # an answer changed: confirm again to regenerate


def test_row_check_sees_skipped_column_as_null(registry: Registry) -> None:
    # cq_institution_filing: two occupation rows without 工种名称 (skipped) are the same occupation.
    program, campaign = registry.resolve("cq_yzj8_filing_2022")
    chat = Chat(program, campaign, today=dt.date(2022, 4, 1))
    chat.start()
    chat.say(
        "是", "社会培训评价组织", "市级评价机构", "重庆某培训学校", "91500115MA5U00011X", "重庆市江北区1号"
    )
    chat.say("王五", "校长", "跳过", "13983700211", "李四", "主任", "跳过", "15683119805")
    chat.say("化学检验员", "跳过", "1", "实验技术系列", "是", "化学检验员", "跳过", "2", "工程技术系列")
    assert "这个职业（工种）已经填过一行" in chat.text()
    assert chat.asked() == "mappings.1.occupation"
    chat.say("化工总控工")
    assert chat.asked() == "mappings.more"
