"""Commands an applicant can send in any channel: Chinese words and slash aliases."""

from __future__ import annotations

from dataclasses import dataclass

_WORDS: dict[str, str] = {
    "上一步": "back",
    "返回上一步": "back",
    "上一题": "back",
    "跳过": "skip",
    "修改": "edit",
    "查看": "review",
    "查看填写": "review",
    "重新开始": "restart",
    "帮助": "help",
    "结束": "stop",
    "保持": "keep",
    "保持不变": "keep",
    "进度": "status",
    "已寄出": "sent",
    "下载": "download",
    "下载申报表": "download",
    "下载文件": "download",
}
# "/unknown" is what any other slash command becomes: it gets a hint, never counts as an answer.
_SLASH = frozenset(
    {
        "back",
        "skip",
        "edit",
        "review",
        "restart",
        "help",
        "stop",
        "keep",
        "status",
        "start",
        "sent",
        "download",
        "apply",
    }
)
SENT_WORD = "已寄出"  # `已寄出 SF1234567890123`: the materials were mailed (bot/intake.py records it)
COMMAND_WORDS: dict[str, str] = {v: k for k, v in reversed(list(_WORDS.items()))}
COMMAND_WORDS["apply"] = "采用建议"  # `/apply <rule id>`: a button, never typed as a word


@dataclass(frozen=True)
class Command:
    name: str
    arg: str = ""


def parse_command(text: str) -> Command | None:
    """A command, or None when the text is an answer. `修改 姓名` and `/edit name` carry an argument."""
    stripped = text.strip()
    if stripped.startswith("/"):
        head, _, arg = stripped[1:].partition(" ")
        head = head.split("@", 1)[0].lower()
        return Command(head if head in _SLASH else "unknown", arg.strip())
    if stripped in _WORDS:
        return Command(_WORDS[stripped])
    head, _, arg = stripped.partition(" ")
    if head == "修改" and arg.strip():
        return Command("edit", arg.strip())
    if stripped.startswith(SENT_WORD):  # 已寄出SF…, 已寄出：SF…, 已寄出 sf 1234 …
        return Command("sent", stripped[len(SENT_WORD) :].strip(" \t:：,，。"))
    return None
