"""修改 (edit): the menu of answered items, editing one answer or a group row, deleting a row."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import replies as r
from bot.engine.evaluate import Evaluation
from bot.engine.program import FormProgram
from bot.engine.replies import Reply
from bot.engine.slots import answered_items
from bot.engine.state import Session, Slot, parse_key


class EditCommands:
    """The edit commands of a conversation step (mixed into flow.Step)."""

    program: FormProgram
    s: Session
    ev: Evaluation
    out: list[Reply]
    # provided by flow.Step
    _advance: Callable[..., None]
    _question: Callable[[Slot], Reply]
    _evaluate: Callable[[], Evaluation]

    def _cmd_edit(self, arg: str) -> None:
        items = answered_items(self.program, self.s, self.ev)
        if not items:
            self.out.append(r.notice("还没有可修改的答案。"))
            self._advance(repeat=True)
            return
        self.s.data["edit_from"] = self.s.mode
        if arg:
            self._pick_edit(arg)
            return
        self.s.mode = "edit_menu"
        lines = ["要修改哪一项？请回复编号："] + [f"{i}. {label}" for i, (_, label) in enumerate(items, 1)]
        lines.append("回复“上一步”取消。")
        self.out.append(
            Reply("edit_menu", "\n".join(lines), {"items": [{"key": k, "label": lbl} for k, lbl in items]})
        )

    def _pick_edit(self, text: str) -> None:
        items = answered_items(self.program, self.s, self.ev)
        key = _pick(items, text.strip())
        if key is None:
            self.s.mode = "edit_menu"
            self.out.append(r.error("edit", f"没有找到“{text.strip()[:20]}”，请回复列表中的编号。", None))
            return
        slot = parse_key(self.program, key)
        if slot is None:
            self._row_menu(key)
            return
        self._begin_edit(slot)

    def _begin_edit(self, slot: Slot) -> None:
        self.s.data["editing"] = slot.key
        if self.s.mode in ("done", "stopped") or self.s.data.get("edit_from") in ("done", "stopped"):
            self.s.data["status"] = "in_progress"
        self.s.mode = "asking"
        self.out.append(self._question(slot))

    def _row_menu(self, key: str) -> None:
        group_id, _, index = key.rpartition(".")
        group = self.program.groups[group_id]
        self.s.data["edit_row"] = key
        self.s.mode = "edit_row"
        options = [c.title for c in group.columns] + ["删除这一条"]
        lines = [f"修改 {group.section.title} 第{int(index) + 1}条 的哪一项？"]
        lines += [f"{i}. {o}" for i, o in enumerate(options, 1)]
        self.out.append(
            Reply("edit_menu", "\n".join(lines), {"items": [{"key": o, "label": o} for o in options]})
        )

    def _pick_row_action(self, text: str) -> None:
        key = str(self.s.data.get("edit_row") or "")
        group_id, _, index_text = key.rpartition(".")
        group = self.program.groups.get(group_id)
        if group is None or not index_text.isdigit():
            self.s.mode = "asking"
            self._advance()
            return
        index = int(index_text)
        options = [(c.id, c.title) for c in group.columns] + [("delete", "删除这一条")]
        choice = _pick(options, text.strip())
        if choice is None:
            self.out.append(r.error("edit", "请回复列表中的编号。", None))
            return
        if choice == "delete":
            self._delete_row(group_id, index)
            return
        slot = parse_key(self.program, f"{group_id}.{index}.{choice}")
        assert slot is not None
        self._begin_edit(slot)

    def _delete_row(self, group_id: str, index: int) -> None:
        rows = [dict(x) for x in self.s.answers.get(group_id) or []]
        if index < len(rows):
            rows.pop(index)
        self.s.answers[group_id] = rows
        self.s.history[:] = _drop_row(self.s.history, group_id, index)
        self.s.skipped[:] = _drop_row(self.s.skipped, group_id, index)
        if group_id in self.s.closed:
            self.s.closed.remove(group_id)
        self.s.mode = "asking"
        self.ev = self._evaluate()
        self.out.append(r.notice("已删除这一条。"))
        self._advance()


def _drop_row(keys: list[str], group_id: str, index: int) -> list[str]:
    """Keys of a deleted row go; keys of later rows move up by one."""
    out = []
    for key in keys:
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == group_id and parts[1].isdigit():
            row = int(parts[1])
            if row == index:
                continue
            if row > index:
                key = f"{group_id}.{row - 1}.{parts[2]}"
        out.append(key)
    return out


def _pick(items: list[tuple[str, str]], text: str) -> str | None:
    if text.isdigit() and 1 <= int(text) <= len(items):
        return items[int(text) - 1][0]
    for key, label in items:
        if text in (key, label):
            return key
    return None
