"""Engine replies → Telegram message texts and inline keyboards; keyboard taps → what they stand for.

A tap is answered as if its label had been typed (the engine understands 跳过, 修改, 确认, numbers), so the
keyboard adds no state of its own. Its callback_data names the application and the turn it was drawn
for (`k:<app id prefix>:<event count>:<option>`, well under Telegram's 64 bytes): a tap on a keyboard from
an earlier turn is recognised and refused. The one exception is `DOWNLOAD_CALLBACK` (下载申报表 on a message
saying a send failed, on the done message and wherever the engine offers it): it stands for the download
command whenever it is tapped, and its keyboard is left in place.

Texts are built from the replies' data where the keyboard says the rest: a question shown with buttons
has no numbered list and no 「请回复编号或选项文字」 (that line is for text-only channels); every reply kind
of the engine (C9) has a rendering here."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.replies import Reply

MAX_TEXT = 4096  # Telegram's limit for one message
MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard; more choices are answered by number
MAX_LABEL = 60
MAX_HELP = 60  # the field help shown under a question; /help shows it in full
MAX_VALUE = 40  # an answer as shown in the edit menu
APP_PREFIX = 12
ROW_WIDTH = 20  # what one row of buttons holds on a phone: label widths (a CJK character is 1) + padding
BUTTON_PADDING = 2
PER_ROW = 4

CHECK = "✓ "
DONE = "完成选择"
KEEP = "保持原答案"
SKIP = "跳过"
CANCEL = "返回"
DOWNLOAD = "下载申报表"
DOWNLOAD_WORDS = frozenset({"下载", "下载申报表", "下载文件"})
DOWNLOAD_CALLBACK = "dl"
STOPPED_OPTIONS = ("修改", "重新开始")  # an ineligibility stop whose reply names none (C4)

# The bot's command menu (setMyCommands) and what /help lists: one list, so they cannot drift apart.
MENU: tuple[tuple[str, str], ...] = (
    ("start", "开始填写，或显示当前题目"),
    ("back", "上一步：重新回答上一题"),
    ("skip", "跳过选填题"),
    ("edit", "修改已填写的答案"),
    ("review", "查看已填写的内容"),
    ("status", "查看进度"),
    ("download", "下载申报表（填写完成后）"),
    ("restart", "清空后重新开始"),
    ("resume", "用续填码继续网页上的填写"),
    ("sent", "材料寄出后报告顺丰运单号：/sent SF…"),
    ("cancel", "结束本次填写（已填内容会保存）"),
    ("help", "帮助"),
)


@dataclass(frozen=True)
class Option:
    label: str
    text: str  # what a tap sends, as if typed
    toggle: bool = False  # a multi-choice option: a tap ticks or unticks it, `DONE` sends the ticked ones
    done: bool = False
    control: bool = False  # 完成选择, 保持, 跳过, 返回: on a row of their own below the choices
    answer: bool = True  # a tap answers the question shown (it carries that question's key, C1)


def _dicts(replies: Iterable[Reply | dict[str, Any]]) -> list[dict[str, Any]]:
    return [r.as_dict() if isinstance(r, Reply) else r for r in replies]


def _keyed(items: list[dict[str, Any]]) -> tuple[int | None, list[Option]]:
    """Which reply of a turn gets the keyboard (the last one offering buttons) and its buttons."""
    at: int | None = None
    found: list[Option] = []
    for i, reply in enumerate(items):
        opts = _options(str(reply.get("kind")), reply.get("data") or {})
        if opts:
            at, found = i, opts
    if len(found) > MAX_BUTTONS:
        return None, []
    return at, found


def options(replies: Iterable[Reply | dict[str, Any]]) -> list[Option]:
    """The buttons for the replies of one turn: those of the last reply that offers any."""
    return _keyed(_dicts(replies))[1]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str | int) and str(v)] if isinstance(value, list) else []


def _options(kind: str, data: dict[str, Any]) -> list[Option]:
    if kind == "question":
        return _question_options(data)
    if kind == "review" and data.get("final"):
        return [Option("确认", "确认", answer=False), Option("修改", "修改", answer=False)]
    if kind == "edit_menu":
        items = data.get("items")
        if not isinstance(items, list):
            items = []
        out = [
            Option(str(item.get("label")), str(i), answer=False)
            for i, item in enumerate(items, 1)
            if isinstance(item, dict)
        ]
        cancel = data.get("cancel")
        # until the engine names its cancel word (C7), 上一步 is what cancels the menu
        out.append(Option(CANCEL, str(cancel) if cancel else "上一步", control=True, answer=False))
        return out
    extra = _strings(data.get("options"))
    fixes = [
        Option(str(f.get("label") or "按建议修改"), f"/apply {f['rule']}", answer=False)
        for f in data.get("fixes") or []
        if isinstance(f, dict) and isinstance(f.get("rule"), str) and f["rule"]
    ]
    if kind == "done" and DOWNLOAD not in extra:
        extra = [DOWNLOAD, *extra]
    if kind == "stopped" and not extra:
        extra = list(STOPPED_OPTIONS)
    return fixes + [Option(o, o, answer=False) for o in extra]


def _question_options(data: dict[str, Any]) -> list[Option]:
    out: list[Option] = []
    if data.get("suggested") not in (None, ""):
        out.append(Option(f"是（{data['suggested']}）", "是"))
    choices = _strings(data.get("choices"))
    if not choices and data.get("type") == "boolean":
        choices = ["是", "否"]
    if data.get("multi") and choices:
        out += [Option(c, str(i), toggle=True) for i, c in enumerate(choices, 1)]
        out.append(Option(DONE, "", done=True, control=True))
    else:
        out += [Option(c, c) for c in choices]
    if data.get("present"):
        out.append(Option("至今", "至今"))
    if data.get("unknown_ok"):
        out.append(Option("不清楚", "不清楚"))
    if data.get("current") not in (None, ""):
        out.append(Option(KEEP, "保持", control=True))
    if data.get("optional"):
        out.append(Option(SKIP, "跳过", control=True))
    return out


def callback_data(app_id: str, turn: int, index: int) -> str:
    return f"k:{app_id[:APP_PREFIX]}:{turn}:{index}"


def parse_callback(data: str | None) -> tuple[str, int, int] | None:
    parts = (data or "").split(":")
    if len(parts) != 4 or parts[0] != "k" or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return parts[1], int(parts[2]), int(parts[3])


def width(label: str) -> float:
    """Roughly how wide a label is in CJK characters (Latin letters and digits are about half)."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.55 for c in label)


def rows(labels: list[str]) -> list[list[int]]:
    """The indices of `labels` laid out in rows, in order: as many per row as fit a phone's width."""
    out: list[list[int]] = []
    row: list[int] = []
    used = 0.0
    for i, label in enumerate(labels):
        cost = width(label) + BUTTON_PADDING
        if row and (used + cost > ROW_WIDTH or len(row) >= PER_ROW):
            out.append(row)
            row, used = [], 0.0
        row.append(i)
        used += cost
    if row:
        out.append(row)
    return out


def keyboard(app_id: str, turn: int, opts: list[Option]) -> InlineKeyboardMarkup | None:
    if not opts:
        return None
    buttons = [
        InlineKeyboardButton(
            _short(o.label),
            callback_data=DOWNLOAD_CALLBACK if lasting(o) else callback_data(app_id, turn, i),
        )
        for i, o in enumerate(opts)
    ]
    layout: list[list[InlineKeyboardButton]] = []
    for group in (
        [i for i, o in enumerate(opts) if not o.control],
        [i for i, o in enumerate(opts) if o.control],
    ):
        for row in rows([opts[i].label for i in group]):
            layout.append([buttons[group[j]] for j in row])
    return InlineKeyboardMarkup(layout)


def lasting(option: Option) -> bool:
    """下载申报表 works whenever it is tapped: its button is not tied to the turn it was drawn in."""
    return option.text in DOWNLOAD_WORDS


def download_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(DOWNLOAD, callback_data=DOWNLOAD_CALLBACK)]])


def toggled(markup: InlineKeyboardMarkup | None, index: int) -> InlineKeyboardMarkup | None:
    """The keyboard with option `index` ticked or unticked (None when it is not on this keyboard)."""
    if markup is None:
        return None
    new_rows = []
    found = False
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            parsed = parse_callback(str(button.callback_data))
            text = button.text
            if parsed is not None and parsed[2] == index:
                found = True
                text = text[len(CHECK) :] if text.startswith(CHECK) else CHECK + text
            new_row.append(InlineKeyboardButton(text, callback_data=button.callback_data))
        new_rows.append(new_row)
    return InlineKeyboardMarkup(new_rows) if found else None


def ticked(markup: InlineKeyboardMarkup | None) -> list[int]:
    """The option indices ticked on a keyboard, in order."""
    out = []
    for row in markup.inline_keyboard if markup is not None else ():
        for button in row:
            parsed = parse_callback(str(button.callback_data))
            if parsed is not None and button.text.startswith(CHECK):
                out.append(parsed[2])
    return sorted(out)


def _short(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# -- texts -----------------------------------------------------------------------


def turn(replies: Iterable[Reply | dict[str, Any]]) -> tuple[list[str], list[Option]]:
    """One turn's replies as Telegram messages (as few as the length limit allows) and the buttons that go
    under the last of them."""
    items = _dicts(replies)
    at, opts = _keyed(items)
    parts = []
    for i, item in enumerate(items):
        following = items[i + 1] if i + 1 < len(items) else None
        parts.append(reply_text(item, buttons=i == at, following=following))
    return split("\n\n".join(p for p in parts if p)), opts


def texts(replies: Iterable[Reply | dict[str, Any]]) -> list[str]:
    return turn(replies)[0]


def reply_text(reply: dict[str, Any], *, buttons: bool, following: dict[str, Any] | None = None) -> str:
    """One reply as text. `buttons`: its options are shown as a keyboard under it."""
    kind = str(reply.get("kind"))
    text = str(reply.get("text") or "")
    data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
    assert isinstance(data, dict)
    if kind == "question" and data.get("prompt"):
        return question_text(data, buttons=buttons, text=text)
    if kind == "error":
        return _error_text(text, data, following)
    if kind == "edit_menu" and buttons:
        return edit_menu_text(text, data)
    if kind == "help":
        return help_text(text)
    if kind == "notice" and data.get("section_intro"):
        return f"【{data.get('section') or '说明'}】\n{text}"
    return text


def _derived_line(text: str, data: dict[str, Any]) -> str | None:
    """The engine's sentence offering its suggestion, from the text, when the data does not carry it."""
    mark = f"「{data.get('suggested')}」"
    if data.get("suggested") in (None, ""):
        return None
    return next((line for line in text.split("\n") if mark in line and line != data.get("prompt")), None)


def question_text(data: dict[str, Any], *, buttons: bool, text: str = "") -> str:
    progress = data.get("progress") if isinstance(data.get("progress"), dict) else {}
    assert isinstance(progress, dict)
    section = str(data.get("section") or "")
    lines = [f"第 {progress['n']}/{progress['total']} 题｜{section}" if progress.get("n") else section]
    if data.get("error"):
        lines.append(f"⚠ {data['error']}")
    lines.append(str(data.get("prompt")))
    derived = data.get("suggested_from") if "suggested_from" in data else _derived_line(text, data)
    if derived:
        tap = f"点“是（{data.get('suggested')}）”确认" if buttons and data.get("suggested") else None
        lines.append(str(derived).replace("回复“是”确认", tap) if tap else str(derived))
    if data.get("help"):
        lines.append(f"说明：{short_help(str(data['help']))}")
    choices = _strings(data.get("choices"))
    multi = bool(data.get("multi"))
    if choices and not buttons:
        lines += [f"{i}. {c}" for i, c in enumerate(choices, 1)]
        lines.append("可多选，用逗号或空格分隔编号，例如：1,3" if multi else "请回复编号或选项文字。")
    elif multi and choices:
        lines.append("可多选：点选项打 ✓（再点一次取消），选好后点“完成选择”。")
    if data.get("example"):
        lines.append(f"例如：{data['example']}")
    if data.get("photo") or data.get("type") == "image":
        lines.append("请直接在聊天里发送照片。")
    if data.get("unknown_ok"):
        lines.append("不确定的话可以" + ("点" if buttons else "回复") + "“不清楚”，提交前再向单位确认。")
    if data.get("current") not in (None, ""):
        keep = "点“保持原答案”" if buttons else "回复“保持”"
        lines.append(f"当前答案：{data['current']}（{keep}不修改）")
    if data.get("optional"):
        lines.append("（选填，可" + ("点" if buttons else "回复") + "“跳过”）")
    return "\n".join(lines)


def short_help(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_HELP else text[: MAX_HELP - 1] + "…（发送 /help 看全文）"


def _error_text(text: str, data: dict[str, Any], following: dict[str, Any] | None) -> str:
    message = data.get("message")
    if not message:
        return text
    out = f"✗ {message}"
    example = data.get("example")
    repeated = (
        following is not None
        and following.get("kind") == "question"
        and (following.get("data") or {}).get("example") == example
    )
    if example and not repeated:  # the question that follows shows the same example
        out += f"\n例如：{example}"
    return out


def edit_menu_text(text: str, data: dict[str, Any]) -> str:
    """The items under their section headings with their current values; the buttons below pick one."""
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    grouped = any("section" in i or "value" in i for i in items)
    first = text.split("\n", 1)[0].replace("请回复编号：", "").strip() or "要修改哪一项？"
    lines = [("要修改哪一项？" if grouped else first) + "点下面的按钮选择。"]
    if not grouped:  # the buttons name the items: no list of the same names above them
        items = []
    section = None
    for item in items:
        if item.get("section") and item["section"] != section:
            section = item["section"]
            lines.append(f"【{section}】")
        value = item.get("value")
        label = str(item.get("label"))
        lines.append(
            f"· {label}：{_short(str(value), MAX_VALUE)}" if value not in (None, "") else f"· {label}"
        )
    lines.append(f"点“{CANCEL}”取消。")
    return "\n".join(lines)


def help_text(engine_text: str) -> str:
    """The commands of the bot's menu (MENU, exactly), and the engine's note on the current question."""
    lines = ["可用命令（也可以点输入框旁的“菜单”）："]
    lines += [f"/{command} {description}" for command, description in MENU]
    lines.append("也可以直接回复中文：上一步、跳过、修改、查看、进度、结束。")
    notes = [line for line in engine_text.split("\n") if line.startswith("本题说明")]
    return "\n".join(lines + notes)


def lockout(wait_s: float) -> str:
    minutes = max(1, math.ceil(wait_s / 60))
    return f"尝试次数太多，请 {minutes} 分钟后再试。"


def versioned(filename: str, title: str, version: int, when: str | None) -> tuple[str, str]:
    """A document's file name and caption: from the second generation on, marked 第N版 and when."""
    if version <= 1:
        return filename, title
    stem, dot, ext = filename.rpartition(".")
    name = f"{stem}_第{version}版.{ext}" if dot else f"{filename}_第{version}版"
    return name, f"{title}（第{version}版" + (f"，{when}更新）" if when else "）")


def split(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks of at most `limit` characters, cut at line ends where possible."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return chunks
