"""修改 (edit): the menu of answered items, editing one answer or a group row, deleting a row."""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import replies as r
from bot.engine.evaluate import Evaluation
from bot.engine.program import FormProgram
from bot.engine.replies import Reply
from bot.engine.review import in_full
from bot.engine.slots import answered_items
from bot.engine.state import Session, Slot, parse_key

CANCEL = "返回"
REOPEN = "申报表已生成。修改答案后，请重新核对并回复“确认”，申报表会按新答案重新生成（原申报表作废）。"


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
    _closing_hint: Callable[[], Reply]

    def _cmd_edit(self, arg: str) -> None:
        items = answered_items(self.program, self.s, self.ev)
        if not items:
            self.out.append(r.notice("还没有可修改的答案。"))
            self._advance(repeat=True)
            return
        if self.s.mode not in ("edit_menu", "edit_row"):
            self.s.data["edit_from"] = self.s.mode
        if self.s.mode == "done":
            self.out.append(r.notice(REOPEN, reopen=True))
        if arg:
            self._pick_edit(arg)
            return
        self.s.mode = "edit_menu"
        self.out.append(self._edit_menu_reply())

    def _edit_menu_reply(self) -> Reply:
        """C7: the answered items in form order, under their section titles, each with its current value."""
        entries = self._menu_entries()
        lines = ["要修改哪一项？请回复编号："]
        heading = None
        for i, item in enumerate(entries, 1):
            if item["section"] != heading:
                heading = item["section"]
                lines.append(f"— {heading} —")
            lines.append(f"{i}. {item['label']}：{item['value'] or '（未填）'}")
        lines.append(f"回复“{CANCEL}”取消。")
        return Reply("edit_menu", "\n".join(lines), {"items": entries, "cancel": CANCEL})

    def _menu_entries(self) -> list[dict[str, str]]:
        out = []
        for key, label in answered_items(self.program, self.s, self.ev):
            if key in self.program.fields:
                info = self.program.fields[key]
                value = in_full(info, self.s.answers.get(key))
                section = info.section.title
            else:
                group = self.program.groups[key.rpartition(".")[0]]
                rows = self.s.answers.get(group.section.id) or []
                index = int(key.rpartition(".")[2])
                row = rows[index] if index < len(rows) else {}
                cells = [in_full(c, row.get(c.id)) for c in group.columns if row.get(c.id) not in (None, "")]
                value = "，".join(cells)
                section = group.section.title
            out.append({"key": key, "label": label, "value": value, "section": section})
        return out

    def _changed(self) -> None:
        """An answer changes: a finished or stopped application is being filled again (C10) until it is
        confirmed again (documents regenerated) or stops again."""
        if self.s.data.get("status") in ("complete", "ineligible"):
            self.s.data["status"] = "in_progress"

    def _back_to_finished(self) -> bool:
        """Editing a finished (or stopped) application ends with nothing changed: it stays as it was."""
        came_from = self.s.data.get("edit_from")
        unchanged = (came_from == "done" and self.s.data.get("status") == "complete") or (
            came_from == "stopped" and self.s.data.get("status") == "ineligible"
        )
        if not unchanged:
            return False
        self.s.mode = str(came_from)
        self.s.data["editing"] = None
        self.s.data["edit_row"] = None
        self.out.append(r.notice("已取消修改，答案没有变化。"))
        self.out.append(self._closing_hint())
        return True

    def _cancel_edit(self) -> None:
        """返回 / 上一步 in the edit menu or while editing an answer: back to where the applicant was."""
        if self._back_to_finished():
            return
        self.s.data["editing"] = None
        self.s.data["edit_row"] = None
        self.s.mode = "asking"
        self._advance()

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
        self.s.mode = "asking"
        self.out.append(self._question(slot))

    def _row_menu(self, key: str) -> None:
        group_id, _, index = key.rpartition(".")
        group = self.program.groups[group_id]
        self.s.data["edit_row"] = key
        self.s.mode = "edit_row"
        rows = self.s.answers.get(group_id) or []
        row = rows[int(index)] if index.isdigit() and int(index) < len(rows) else {}
        section = f"{group.section.title} 第{int(index) + 1}条"
        items = [
            {"key": c.title, "label": c.title, "value": in_full(c, row.get(c.id)), "section": section}
            for c in group.columns
        ]
        items.append({"key": "删除这一条", "label": "删除这一条", "value": "", "section": section})
        lines = [f"修改 {section} 的哪一项？请回复编号："]
        lines += [
            f"{i}. {o['label']}" + (f"：{o['value']}" if o["value"] else "") for i, o in enumerate(items, 1)
        ]
        lines.append(f"回复“{CANCEL}”取消。")
        self.out.append(Reply("edit_menu", "\n".join(lines), {"items": items, "cancel": CANCEL}))

    def _pick_row_action(self, text: str) -> None:
        key = str(self.s.data.get("edit_row") or "")
        group_id, _, index_text = key.rpartition(".")
        group = self.program.groups.get(group_id)
        if group is None or not index_text.isdigit():
            self._cancel_edit()
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
        self._changed()
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
