"""The Telegram renderer on one sample of every reply kind (C9): the text and the buttons each gets."""

from __future__ import annotations

import re
from typing import Any

from bot.channels.telegram import render
from bot.channels.telegram.service import COMMANDS
from bot.engine.replies import Reply

APP = "0123456789abcdef"
HOSTILE = "<script>alert(1)</script></w:t>{{ 7*7 }}\u0007"


def question(**data: Any) -> Reply:
    base = {
        "key": "series",
        "field": "series",
        "type": "choice",
        "prompt": "您的职称系列是？",
        "section": "申报资格",
        "choices": ["工程技术", "农业"],
        "multi": False,
        "optional": False,
        "progress": {"n": 1, "total": 35},
        "current": None,
        "suggested": None,
        "help": None,
        "example": None,
        "error": None,
    }
    text = "第 1/35 题｜申报资格\n您的职称系列是？\n1. 工程技术\n2. 农业\n请回复编号或选项文字。"
    return Reply("question", text, {**base, **data})


def shown(*replies: Reply) -> tuple[str, list[list[str]], list[render.Option]]:
    """The text of a turn and its keyboard, as label rows."""
    chunks, opts = render.turn(replies)
    markup = render.keyboard(APP, 7, opts)
    rows = [[b.text for b in row] for row in markup.inline_keyboard] if markup else []
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            assert len(str(button.callback_data).encode()) <= 64
    return "\n".join(chunks), rows, opts


def labels(rows: list[list[str]]) -> list[str]:
    return [label for row in rows for label in row]


def sent_by(opts: list[render.Option], label: str) -> str:
    return next(o.text for o in opts if o.label == label)


SAMPLES: dict[str, Reply] = {
    "question": question(help="按职称证书上的系列选择。", suggested_from=None),
    "error": Reply(
        "error",
        "✗ 请输入正确的年月。\n例如：2018-06",
        {"key": "title_date", "message": "请输入正确的年月。", "example": "2018-06"},
    ),
    "finding": Reply(
        "finding",
        "⚠ 请注意：职称取得时间不足。\n依据：8号 二(一)",
        {"rule": "r1", "outcome": "warning", "message": "职称取得时间不足。", "fix": None},
    ),
    "notice": Reply(
        "notice",
        "申报表已生成。回复“查看”查看填写内容，“修改”更改答案后会重新生成。",
        {"options": ["下载申报表", "查看", "修改"]},
    ),
    "help": Reply("help", "可用命令：\n上一步（/back）：回到上一题重新回答\n本题说明：按证书填写。"),
    "ineligible": Reply(
        "ineligible",
        "✗ 不符合：申报等级过高。\n依据：8号 二(一)\n您可以考虑：可申报三级/高级工",
        {
            "findings": [{"rule": "level_too_high", "outcome": "ineligible"}],
            "options": ["修改", "上一步", "结束"],
            "fixes": [{"rule": "level_too_high", "label": "改为「三级/高级工」"}],
        },
    ),
    "stopped": Reply(
        "stopped",
        "【不符合申报条件的书面说明】\n申报事项：专业技术人员参加高技能人才评价",
        {"findings": [], "options": ["修改", "重新开始"]},
    ),
    "review": Reply(
        "review",
        "【填写内容】\n— 基本情况 —\n姓名：张三\n证件号码：50010119900101123X\n请核对以上内容。",
        {"sections": [], "outcomes": {}, "findings": [], "final": True},
    ),
    "done": Reply(
        "done",
        "✓ 填写完成，申报表已生成。\n请下载申报表，按提交清单准备材料。",
        {"outcomes": {}, "documents": ["application"]},
    ),
    "confirm": Reply("confirm", "确定清空全部答案、从头开始吗？", {"options": ["是", "否"]}),
    "edit_menu": Reply(
        "edit_menu",
        "要修改哪一项？\n1. 姓名\n2. 民族\n3. 学历 第1条",
        {
            "items": [
                {"key": "name", "label": "姓名", "value": "张三", "section": "基本情况"},
                {"key": "ethnicity", "label": "民族", "value": "汉族", "section": "基本情况"},
                {
                    "key": "education.0",
                    "label": "学历 第1条",
                    "value": "本科，2012-06，重庆大学",
                    "section": "学历",
                },
            ],
            "cancel": "返回",
        },
    ),
    "documents": Reply(
        "documents", "申报表已生成，可随时下载。", {"documents": ["application"], "checklist": True}
    ),
}


def test_every_reply_kind_has_a_text_and_the_buttons_it_offers() -> None:
    expected_buttons = {
        "question": ["工程技术", "农业"],
        "error": [],
        "finding": [],
        "notice": ["下载申报表", "查看", "修改"],
        "help": [],
        "ineligible": ["改为「三级/高级工」", "修改", "上一步", "结束"],
        "stopped": ["修改", "重新开始"],
        "review": ["确认", "修改"],
        "done": ["下载申报表"],
        "confirm": ["是", "否"],
        "edit_menu": ["姓名", "民族", "学历 第1条", "返回"],
        "documents": [],
    }
    assert set(SAMPLES) == set(expected_buttons) == {
        "question", "error", "finding", "notice", "help", "ineligible", "stopped", "review", "done",
        "confirm", "edit_menu", "documents",
    }  # fmt: skip
    for kind, reply in SAMPLES.items():
        text, rows, opts = shown(reply)
        assert text.strip(), kind
        assert labels(rows) == expected_buttons[kind], kind
    # what the buttons send, as if typed
    _, _, opts = shown(SAMPLES["ineligible"])
    assert sent_by(opts, "改为「三级/高级工」") == "/apply level_too_high"
    assert sent_by(opts, "结束") == "结束"
    _, _, opts = shown(SAMPLES["edit_menu"])
    assert sent_by(opts, "返回") == "返回" and sent_by(opts, "民族") == "2"
    _, _, opts = shown(SAMPLES["done"])
    assert sent_by(opts, "下载申报表") == "下载申报表"


def test_a_question_with_buttons_has_no_numbered_list_and_shows_help_and_suggestion() -> None:
    sentence = "根据您填写的“证件号码”，应为「男」。回复“是”确认，或直接输入。"
    reply = question(
        key="gender",
        prompt="您的性别是？",
        choices=["男", "女"],
        suggested="男",
        suggested_from=sentence,
        help="与身份证一致。" * 20,
        optional=True,
        current="女",
    )
    text, rows, opts = shown(reply)
    assert "请回复编号" not in text and "1. 男" not in text
    assert "根据您填写的“证件号码”，应为「男」。点“是（男）”确认，或直接输入。" in text
    assert "说明：与身份证一致。" in text and "…（发送 /help 看全文）" in text  # short with the question
    assert len(text.split("说明：")[1].split("\n")[0]) == render.MAX_HELP + len("（发送 /help 看全文）")
    assert "当前答案：女（点“保持原答案”不修改）" in text and "（选填，可点“跳过”）" in text
    assert rows == [["是（男）", "男", "女"], ["保持原答案", "跳过"]]  # controls on their own row
    assert sent_by(opts, "是（男）") == "是" and sent_by(opts, "保持原答案") == "保持"


def test_without_buttons_the_list_and_the_hint_stay() -> None:
    reply = question(choices=[f"选项{i}" for i in range(render.MAX_BUTTONS + 1)])
    text, rows, _ = shown(reply)
    assert rows == []
    assert "1. 选项0" in text and "请回复编号或选项文字。" in text


def test_multi_choice_explains_ticking_and_done() -> None:
    reply = question(key="direct_awards", multi=True, choices=["技术能手", "获奖", "无"])
    text, rows, opts = shown(reply)
    assert "点选项打 ✓" in text and "完成选择" in text and "逗号" not in text
    assert rows == [["技术能手", "获奖", "无"], ["完成选择"]]
    assert [o.text for o in opts if o.toggle] == ["1", "2", "3"]


def test_present_unknown_photo_and_example_keys() -> None:
    text, rows, opts = shown(
        question(key="work.0.end", type="year_month", choices=[], present=True, example="2020-06")
    )
    assert labels(rows) == ["至今"] and sent_by(opts, "至今") == "至今" and "例如：2020-06" in text
    text, rows, opts = shown(question(key="max_post", choices=["是", "否"], unknown_ok=True))
    assert labels(rows) == ["是", "否", "不清楚"] and "不清楚" in text
    text, rows, _ = shown(question(key="photo", type="image", choices=[], photo=True, optional=True))
    assert "发送照片" in text and labels(rows) == ["跳过"]


def test_the_error_example_is_not_said_twice() -> None:
    q = question(key="title_date", type="year_month", choices=[], example="2018-06")
    text, _, _ = shown(SAMPLES["error"], q)
    assert text.count("例如：2018-06") == 1
    text, _, _ = shown(SAMPLES["error"])
    assert text.count("例如：2018-06") == 1


def test_the_edit_menu_is_grouped_with_values_and_laid_out_in_rows() -> None:
    text, rows, _ = shown(SAMPLES["edit_menu"])
    assert text.index("【基本情况】") < text.index("· 姓名：张三") < text.index("【学历】")
    assert "· 学历 第1条：本科，2012-06，重庆大学" in text and "点“返回”取消" in text
    assert "1. 姓名" not in text
    assert rows[-1] == ["返回"]
    items = [{"key": f"k{i}", "label": f"题目{i}", "value": "x", "section": "甲"} for i in range(28)]
    _, rows, _ = shown(Reply("edit_menu", "要修改哪一项？", {"items": items, "cancel": "返回"}))
    assert len(labels(rows)) == 29 and len(rows) <= 11  # not one row per item


def test_section_intro_and_options_on_any_reply() -> None:
    intro = Reply("notice", "以下填写学历，从最高学历填起。", {"section_intro": True, "section": "学历"})
    text, rows, _ = shown(intro)
    assert text.startswith("【学历】\n以下填写学历") and rows == []
    text, rows, _ = shown(Reply("finding", "ℹ 说明", {"options": ["查看"]}))
    assert labels(rows) == ["查看"]


def test_help_lists_exactly_the_commands_of_the_menu() -> None:
    text, _, _ = shown(SAMPLES["help"])
    listed = re.findall(r"^/(\w+) ", text, flags=re.M)
    assert listed == [c.command for c in COMMANDS]
    assert {"download", "status", "skip"} <= set(listed) and "stop" not in listed
    assert "本题说明：按证书填写。" in text  # the engine's note on the question stays


def test_fifty_eight_choices_are_buttons_in_rows() -> None:
    import yaml

    from bot.settings import ROOT

    items = yaml.safe_load((ROOT / "forms/catalogs/ethnicity.yaml").read_text("utf-8"))["items"]
    assert len(items) == 58
    text, rows, _ = shown(question(key="ethnicity", prompt="您的民族是？", choices=items))
    assert labels(rows) == items
    assert all(len(row) <= render.PER_ROW for row in rows) and len(rows) <= 20
    assert "汉族" not in text  # no list of 58 lines above the buttons


def test_hostile_labels_are_cut_and_kept_as_plain_text() -> None:
    long = HOSTILE * 10
    text, rows, _ = shown(question(choices=[long, "农业"], prompt=HOSTILE))
    assert HOSTILE in text  # sent as plain text (no parse_mode): nothing in it is markup
    assert len(rows[0][0]) <= render.MAX_LABEL


def test_lockout_is_said_in_minutes_rounded_up() -> None:
    assert render.lockout(595) == "尝试次数太多，请 10 分钟后再试。"
    assert render.lockout(601) == "尝试次数太多，请 11 分钟后再试。"
    assert render.lockout(1) == "尝试次数太多，请 1 分钟后再试。"


def test_regenerated_documents_are_named_and_captioned_apart() -> None:
    assert render.versioned("张三-申报表.docx", "申报表", 1, "9月20日 16:05 ") == (
        "张三-申报表.docx",
        "申报表",
    )
    name, caption = render.versioned("张三-申报表.docx", "申报表", 2, "9月20日 16:05 ")
    assert name == "张三-申报表_第2版.docx" and caption == "申报表（第2版，9月20日 16:05 更新）"
