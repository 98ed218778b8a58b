"""Engine replies → Telegram message texts and inline keyboards; keyboard taps → what they stand for.

A tap is answered as if its label had been typed (the engine understands 跳过, 修改, 确认, numbers), so the
keyboard adds no state of its own. Its callback_data names the application and the turn it was drawn
for (`k:<app id prefix>:<event count>:<option>`, well under Telegram's 64 bytes): a tap on a keyboard from
an earlier turn is recognised and refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.engine.replies import Reply

MAX_TEXT = 4096  # Telegram's limit for one message
MAX_BUTTONS = 48  # more choices than this are answered by number (the question lists them)
MAX_LABEL = 60
APP_PREFIX = 12


CHECK = "✓ "
DONE = "完成选择"


@dataclass(frozen=True)
class Option:
    label: str
    text: str  # what a tap sends, as if typed
    toggle: bool = False  # a multi-choice option: a tap ticks or unticks it, `DONE` sends the ticked ones
    done: bool = False


def options(replies: Iterable[dict[str, Any]]) -> list[Option]:
    """The buttons for the replies of one turn: those of the last reply that offers any."""
    found: list[Option] = []
    for reply in replies:
        opts = _options(str(reply.get("kind")), reply.get("data") or {})
        if opts:
            found = opts
    return found if len(found) <= MAX_BUTTONS else []


def _options(kind: str, data: dict[str, Any]) -> list[Option]:
    if kind == "question":
        out: list[Option] = []
        if data.get("suggested") not in (None, ""):
            out.append(Option(f"是（{data['suggested']}）", "是"))
        choices = [str(c) for c in data.get("choices") or []]
        if not choices and data.get("type") == "boolean":
            choices = ["是", "否"]
        if data.get("multi") and choices:
            out += [Option(c, str(i), toggle=True) for i, c in enumerate(choices, 1)]
            out.append(Option(DONE, "", done=True))
        else:
            out += [Option(c, c) for c in choices]
        if data.get("current") not in (None, ""):
            out.append(Option("保持原答案", "保持"))
        if data.get("optional"):
            out.append(Option("跳过", "跳过"))
        return out
    if kind == "review" and data.get("final"):
        return [Option("确认", "确认"), Option("修改", "修改")]
    if kind in ("confirm", "ineligible"):
        return [Option(str(o), str(o)) for o in data.get("options") or []]
    if kind == "edit_menu":
        return [Option(str(item.get("label")), str(i)) for i, item in enumerate(data.get("items") or [], 1)]
    return []


def callback_data(app_id: str, turn: int, index: int) -> str:
    return f"k:{app_id[:APP_PREFIX]}:{turn}:{index}"


def parse_callback(data: str | None) -> tuple[str, int, int] | None:
    parts = (data or "").split(":")
    if len(parts) != 4 or parts[0] != "k" or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    return parts[1], int(parts[2]), int(parts[3])


def keyboard(app_id: str, turn: int, opts: list[Option]) -> InlineKeyboardMarkup | None:
    if not opts:
        return None
    longest = max(len(o.label) for o in opts)
    per_row = 4 if longest <= 3 else 2 if longest <= 8 else 1
    buttons = [
        InlineKeyboardButton(_short(o.label), callback_data=callback_data(app_id, turn, i))
        for i, o in enumerate(opts)
    ]
    return InlineKeyboardMarkup([buttons[i : i + per_row] for i in range(0, len(buttons), per_row)])


def toggled(markup: InlineKeyboardMarkup | None, index: int) -> InlineKeyboardMarkup | None:
    """The keyboard with option `index` ticked or unticked (None when it is not on this keyboard)."""
    if markup is None:
        return None
    rows = []
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
        rows.append(new_row)
    return InlineKeyboardMarkup(rows) if found else None


def ticked(markup: InlineKeyboardMarkup | None) -> list[int]:
    """The option indices ticked on a keyboard, in order."""
    out = []
    for row in markup.inline_keyboard if markup is not None else ():
        for button in row:
            parsed = parse_callback(str(button.callback_data))
            if parsed is not None and button.text.startswith(CHECK):
                out.append(parsed[2])
    return sorted(out)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def texts(replies: Iterable[Reply]) -> list[str]:
    """One turn's replies as few messages as Telegram allows (blank line between replies)."""
    return split("\n\n".join(r.text for r in replies if r.text))


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
