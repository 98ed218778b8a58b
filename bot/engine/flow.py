"""step(program, state, event) -> (state, replies): the whole conversation as one pure function."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.engine import replies as r
from bot.engine.campaign import Campaign
from bot.engine.commands import Command, parse_command
from bot.engine.editing import CANCEL, EditCommands
from bot.engine.evaluate import Evaluation, evaluate, row_value
from bot.engine.expressions import truthy, value_of
from bot.engine.program import FieldInfo, FormProgram
from bot.engine.replies import Reply
from bot.engine.review import review_reply
from bot.engine.slots import next_slot, progress
from bot.engine.spec import IdNumberField, ImageField
from bot.engine.state import Session, Slot, new_state, parse_key
from bot.engine.text import cn_date
from bot.engine.values import (
    UNKNOWN,
    YES_WORDS,
    Invalid,
    display,
    must_answer,
    parse,
    parse_file,
    parse_plain_id,
    plain,
    special,
    yes_no_word,
)

Event = dict[str, Any]
STALE = "这一题已经回答过了（可能在另一台设备上）。请回答当前问题："
ANSWERING = frozenset({"skip", "keep"})  # commands that act on the question shown, like an answer
DONE_OPTIONS = ["下载申报表", "查看", "修改"]
STOPPED_OPTIONS = ["修改", "重新开始"]
RESTART_CONFIRM = Reply(
    "confirm", "确定清空全部答案、从头开始吗？回复“是”确认，“否”取消。", {"options": ["是", "否"]}
)
CONFIRM = frozenset({"确认", "提交", "确认提交", "是", "对", "好", "y", "yes", "ok"})


class Step(EditCommands):
    """One step's work; `run()` returns the new state and the replies."""

    def __init__(
        self, program: FormProgram, state: dict[str, Any], today: dt.date, campaign: Campaign | None
    ) -> None:
        self.program = program
        self.today = today
        self.campaign = campaign
        self.s = Session(state if state else new_state(program))
        self.out: list[Reply] = []
        self.ev = self._evaluate()

    def _evaluate(self) -> Evaluation:
        return evaluate(self.program, self.s.view(), self.today, self.campaign)

    def run(self, event: Event) -> tuple[dict[str, Any], list[Reply]]:
        kind = event.get("type")
        if kind == "start" or not self.s.data.get("started"):
            self.s.data["started"] = True
            self._intro()
            if kind in ("start", "text") and (kind == "start" or parse_command(str(event.get("text", "")))):
                self._advance()
                return self.s.dump(), self.out
        if self._stale(event):
            self.out.append(r.notice(STALE))
            self._repeat_current()
            return self.s.dump(), self.out
        if kind == "text":
            text = str(event.get("text", ""))
            command = parse_command(text)
            if command is not None:
                self._command(command)
            else:
                self._text(text)
        elif kind == "file":
            self._file(event)
        elif kind == "command":
            self._command(Command(str(event.get("name", "")), str(event.get("arg", ""))))
        else:
            self.out.append(r.notice("没有识别到内容，请发送文字回答。"))
            self._advance(repeat=True)
        return self.s.dump(), self.out

    def _stale(self, event: Event) -> bool:
        """An answer given to a question that is no longer the current one (C1: another device answered
        it, or the page was old): the event names the question it answers in `key`."""
        key = event.get("key")
        if key is None or key == "":
            return False
        kind = event.get("type")
        if kind == "text":
            command = parse_command(str(event.get("text", "")))
            if command is not None and command.name not in ANSWERING:
                return False
        elif kind == "command":
            if str(event.get("name", "")) not in ANSWERING:
                return False
        elif kind != "file":
            return False
        slot = next_slot(self.program, self.s, self.ev) if self.s.mode == "asking" else None
        return slot is None or key != slot.key

    def _repeat_current(self) -> None:
        """What the applicant is being asked now, said again."""
        mode = self.s.mode
        if mode == "edit_menu":
            self.out.append(self._edit_menu_reply())
        elif mode == "edit_row":
            group_id, _, index = str(self.s.data.get("edit_row") or "").rpartition(".")
            if group_id in self.program.groups and index.isdigit():
                self._row_menu(f"{group_id}.{index}")
            else:
                self._cancel_edit()
        elif mode == "confirm_restart":
            self.out.append(RESTART_CONFIRM)
        elif mode == "review":
            self.out.append(review_reply(self.program, self.s.answers, self.ev, final=True))
        else:
            self._advance(repeat=True)

    # -- conversation flow -------------------------------------------------

    def _intro(self) -> None:
        spec = self.program.spec
        lines = [f"您好！这里是《{spec.title}》在线填报。"]
        if self.campaign is not None:
            c = self.campaign
            lines.append(f"受理机构：{c.institution}；材料截止：{cn_date(c.deadline)}。")
            if c.is_closed(self.today):
                lines.append(
                    f"注意：本批次已于 {cn_date(c.deadline)} 截止。您仍可自查资格并填写，提交前请先与受理机构确认。"
                )
        if spec.intro:
            lines.append(spec.intro.strip())
        lines.append("随时可回复：上一步、跳过、修改、查看、重新开始、帮助。")
        self.out.append(r.notice("\n".join(lines), intro=True))

    def _advance(self, repeat: bool = False) -> None:
        """Say what comes next: an ineligibility stop, the next question, or the review."""
        mode = self.s.mode
        if mode in ("done", "stopped"):
            if repeat:
                self.out.append(self._closing_hint())
            return
        blocking = self.ev.ineligible
        if blocking and not self.s.data.get("editing"):
            self.s.mode = "ineligible"
            self.s.data["status"] = "ineligible"
            self.out.append(self._ineligible_prompt())
            return
        slot = next_slot(self.program, self.s, self.ev)
        if slot is None:
            self.s.mode = "review"
            self.out.append(review_reply(self.program, self.s.answers, self.ev, final=True))
            return
        self.s.mode = "asking"
        self._section_intro(slot)
        self.out.append(self._question(slot))

    def _section_intro(self, slot: Slot) -> None:
        """A section's `intro:` is said once, before its first question is asked."""
        section = self.program.groups[slot.group].section if slot.group is not None else None
        if section is None and slot.info is not None:
            section = slot.info.section
        if section is None or not section.intro:
            return
        said = list(self.s.data.get("intros") or [])
        if section.id in said:
            return
        self.s.data["intros"] = [*said, section.id]
        self.out.append(r.notice(section.intro.strip(), section_intro=True, section=section.title))

    def _question(self, slot: Slot) -> Reply:
        if slot.is_more:
            assert slot.group is not None
            group = self.program.groups[slot.group]
            count = len(self.s.answers.get(slot.group) or [])
            repeat = group.section.repeat
            assert repeat is not None
            prompt = repeat.more_prompt or f"已填写 {count} 条{repeat.item}。还要再添加一条吗？"
            more = r.question(
                None,
                slot.key,
                prompt,
                progress=progress(self.program, self.s, self.ev),
                section=group.section.title,
                choices=("是", "否"),
                optional=False,
                current=None,
                suggested=None,
                pending=None,
            )
            more.data["rows"] = count
            return more
        info = slot.info
        assert info is not None
        prompt = info.field.prompt
        section = info.section.title
        if slot.group is not None and slot.row is not None:
            section = f"{section} 第{slot.row + 1}条"
        current = None
        if self.s.has(slot):
            current = display(info, self.s.get(slot)) if self.s.get(slot) is not None else UNKNOWN
        elif slot.key in self.s.previous:
            current = display(info, self.s.previous[slot.key])
        return r.question(
            info,
            slot.key,
            prompt,
            progress=progress(self.program, self.s, self.ev, slot.key),
            section=section,
            choices=info.choices,
            optional=not info.field.required,
            current=current,
            suggested=self._suggested(info, slot),
            pending=self.s.pending.get(slot.key),
            suggested_from=self._derived_from(info, slot),
        )

    def _suggested(self, info: FieldInfo, slot: Slot) -> str | None:
        if info.derive is None:
            return info.field.default if slot.group is None else None
        if slot.group is not None:
            return None
        value = value_of(info.derive, self.ev.values)
        if value is None or (info.choices and value not in info.choices):
            return None
        return str(value)

    def _derived_from(self, info: FieldInfo, slot: Slot) -> str | None:
        """The sentence offering a suggested answer: derived from earlier answers, or the default."""
        value = self._suggested(info, slot)
        if value is None:
            return None
        if info.derive is None:
            return f"常见答案是「{value}」。回复“是”采用，或直接输入。"
        names = [n for n in self.program.top_field_keys if n in info.derive.names]
        source = f"“{self.program.fields[names[-1]].title}”" if names else "信息"
        return f"根据您填写的{source}，应为「{value}」。回复“是”确认，或直接输入。"

    def _ineligible_prompt(self) -> Reply:
        lines = []
        for item in self.ev.ineligible:
            lines.append(f"✗ {item.message}\n依据：{item.basis}")
            if item.suggest:
                lines.append(f"您可以考虑：{item.suggest}")
        lines.append(
            "如果是填错了，请回复“修改”更改相关答案（或“上一步”）；若确认不符合，回复“结束”获取书面说明。"
        )
        fixes = [{"rule": f.rule, "label": f.fix_label} for f in self.ev.ineligible if f.fix is not None]
        data = {
            "findings": [f.as_dict() for f in self.ev.ineligible],
            "fixes": fixes,
            "options": ["修改", "上一步", "结束"],
        }
        return Reply("ineligible", "\n".join(lines), data)

    def _closing_hint(self) -> Reply:
        if self.s.mode == "stopped":
            return r.notice(
                "本次申报已结束（不符合条件）。如需更改答案，请回复“修改”；回复“重新开始”可重新填写。",
                options=list(STOPPED_OPTIONS),
            )
        return r.notice(
            "申报表已生成。回复“下载申报表”再次获取，“查看”查看填写内容，“修改”更改答案（确认后重新生成）。",
            options=list(DONE_OPTIONS),
        )

    # -- answers ------------------------------------------------------------

    def _text(self, text: str) -> None:
        mode = self.s.mode
        if mode in ("edit_menu", "edit_row") and text.strip() == CANCEL:
            self._cancel_edit()
        elif mode == "edit_menu":
            self._pick_edit(text)
        elif mode == "edit_row":
            self._pick_row_action(text)
        elif mode == "confirm_restart":
            self._confirm_restart(text)
        elif mode == "review":
            if text.strip().lower() in CONFIRM or yes_no_word(text) is True:  # 好的 / 没问题 / 确认无误
                self._finish()
            else:
                self.out.append(r.notice("请回复“确认”生成申报表，或回复“修改”更改答案。"))
        elif mode == "ineligible":
            self.out.append(self._ineligible_prompt())
        elif mode in ("done", "stopped"):
            self.out.append(self._closing_hint())
        else:
            self._answer_text(text)

    def _answer_text(self, text: str) -> None:
        slot = next_slot(self.program, self.s, self.ev)
        if slot is None:
            self._advance()
            return
        if slot.is_more:
            more = yes_no_word(text)
            if more is not None:
                self._more(slot, more)
            else:
                self.out.append(r.error(slot.key, "请回答“是”或“否”。", None))
                self._advance()
            return
        info = slot.info
        assert info is not None
        try:
            typed = self._natural(slot, info, text)
            if typed is None:
                return
            value = self._parse(slot, info, typed)
            self._check(slot, info, value)
        except Invalid as exc:
            self.out.append(r.error(slot.key, str(exc), info.field.example))
            self._advance()
            return
        self._accept(slot, value)

    def _natural(self, slot: Slot, info: FieldInfo, text: str) -> str | None:
        """不清楚, words for none and a year without its month (values.special); the text to parse, or None
        when handled here."""
        asked = self.s.data.pop("year_asked", None)
        year = asked.get("year") if isinstance(asked, dict) and asked.get("key") == slot.key else None
        found = special(info, text, year if isinstance(year, int) else None)
        if found is None:
            return text
        if found.kind == "text":
            return found.text
        if found.kind == "year":
            self.s.data["year_asked"] = {"key": slot.key, "year": found.year}
            self.out.append(
                r.notice(f"{found.year}年几月？请回复月份，例如 7", key=slot.key, year=found.year)
            )
            return None
        if found.kind == "unknown" and info.field.confirm_with:
            self._accept(slot, None)  # settled without a value: 待核实 in the review and the checklist
            return None
        if not info.field.required:
            self._cmd_skip("")
            return None
        raise Invalid(must_answer(info, found.kind))

    def _parse(self, slot: Slot, info: FieldInfo, text: str) -> Any:
        word = text.strip().lower()
        suggested = self._suggested(info, slot)
        if suggested is not None and plain(word) in YES_WORDS and not (info.choices and word.isdigit()):
            return suggested
        checked = info.check_when is None or truthy(info.check_when, self.ev.values)
        if isinstance(info.field, IdNumberField) and not checked:
            return parse_plain_id(text).value
        return parse(info, text, self.today).value

    def _file(self, event: Event) -> None:
        slot = next_slot(self.program, self.s, self.ev) if self.s.mode == "asking" else None
        if slot is None or slot.info is None:
            self.out.append(r.notice("现在不需要上传文件。"))
            self._advance(repeat=True)
            return
        try:
            if event.get("error"):
                raise Invalid(str(event["error"]))
            value = parse_file(slot.info, dict(event.get("file") or {})).value
        except Invalid as exc:
            self.out.append(r.error(slot.key, str(exc), None))
            self._advance()
            return
        if isinstance(slot.info.field, ImageField) and slot.group is None:
            self.out.append(r.photo_crop(slot.info))
        self._accept(slot, value)

    def _check(self, slot: Slot, info: FieldInfo, value: Any) -> None:
        if value is None:
            return
        message = self._failed_check(slot, info, value)
        if message is not None:
            raise Invalid(message)

    def _failed_check(self, slot: Slot, info: FieldInfo, value: Any) -> str | None:
        if not info.checks:
            return None
        values = {**self.ev.values, "value": value}
        if slot.group is None:
            values[slot.key] = value
        else:
            rows = self.s.answers.get(slot.group) or []
            raw = rows[slot.row] if slot.row is not None and slot.row < len(rows) else {}
            row = row_value(self.program.groups[slot.group], raw)
            row[info.id] = value
            values["row"] = row
        for check in info.checks:
            if not truthy(check.expr, values):
                return check.check.message
        return None

    def _accept(self, slot: Slot, value: Any) -> None:
        was_editing = self.s.data.get("editing") == slot.key
        if was_editing and self.s.has(slot) and self.s.get(slot) == value and self._back_to_finished():
            return  # the same answer again: a finished application stays as it was
        self._changed()
        self.s.put(slot, value)
        self.s.remember(slot.key)
        self.s.data["editing"] = None
        self.ev = self._evaluate()
        if slot.group is not None and slot.row is not None:
            self._check_row(slot)
        if was_editing or self.s.mode == "asking":
            self._recheck_dependents(slot)
        self._announce()
        self._advance()

    def _check_row(self, slot: Slot) -> None:
        """When a row is complete, the group's own checks (across columns and rows) run."""
        assert slot.group is not None and slot.row is not None
        group = self.program.groups[slot.group]
        rows = self.s.answers.get(slot.group) or []
        following = next_slot(self.program, self.s, self.ev)
        if following is not None and following.key.startswith(f"{slot.group}.{slot.row}."):
            return  # the row is not complete yet
        values = {**self.ev.values, "row": row_value(group, rows[slot.row])}
        for check in group.checks:
            if not truthy(check.expr, values):
                column = check.check.field or group.columns[-1].id
                target = parse_key(self.program, f"{slot.group}.{slot.row}.{column}")
                if target is not None:
                    self.s.remove(target)
                    self.s.pending[target.key] = check.check.message
                    self.out.append(r.error(target.key, check.check.message, None))
                    self.ev = self._evaluate()
                return

    def _recheck_dependents(self, slot: Slot) -> None:
        """An answer changed: answers whose checks read it are checked again and re-asked if now wrong."""
        name = slot.key if slot.group is None else slot.group
        for key in sorted(self.program.dependents.get(name, ()), key=self._order):
            dep = parse_key(self.program, key)
            if dep is None or dep.info is None or not self.s.has(dep):
                continue
            message = self._failed_check(dep, dep.info, self.s.get(dep))
            if message is not None:
                self.s.remove(dep)
                self.s.pending[dep.key] = message
                self.ev = self._evaluate()

    def _order(self, key: str) -> int:
        top = key.split(".", 1)[0]
        return self.program.items.index(top) if top in self.program.items else 0

    def _announce(self) -> None:
        """Warnings and notes are said once, when they first hold."""
        firing = [f.rule for f in self.ev.findings]
        for item in self.ev.findings:
            if item.outcome != "ineligible" and item.rule not in self.s.shown:
                self.out.append(r.finding(item))
        self.s.shown[:] = firing

    def _more(self, slot: Slot, more: bool) -> None:
        assert slot.group is not None
        if more:
            rows = list(self.s.answers.get(slot.group) or [])
            rows.append({})
            self.s.answers[slot.group] = rows
        else:
            self.s.closed.append(slot.group)
            self.s.remember(slot.key)
        self.ev = self._evaluate()
        self._announce()
        self._advance()

    def _finish(self) -> None:
        self.s.mode = "done"
        self.s.data["status"] = "complete"
        self.s.data["finished_on"] = self.today.isoformat()
        outcomes = {self.program.spec.outcomes[k].label: v for k, v in self.ev.outcomes.items()}
        lines = ["✓ 填写完成，申报表已生成。"]
        lines += [f"{label}：{value}" for label, value in outcomes.items()]
        lines.append("请下载申报表，按提交清单准备材料。")
        docs = self._documents()
        self.out.append(
            Reply("done", "\n".join(lines), {"outcomes": dict(self.ev.outcomes), "documents": docs})
        )

    # -- commands -------------------------------------------------------------

    def _command(self, command: Command) -> None:
        handler = getattr(self, f"_cmd_{command.name}", None)
        if handler is None:
            self.out.append(r.notice("未知命令。回复“帮助”查看可用命令。"))
            self._advance(repeat=True)
            return
        handler(command.arg)

    def _cmd_start(self, _arg: str) -> None:
        self._advance(repeat=True)

    def _cmd_help(self, _arg: str) -> None:
        if self.s.mode in ("done", "stopped"):
            self._finished_help()
            return
        lines = [
            "可用命令：",
            "上一步（/back）：回到上一题重新回答",
            "跳过（/skip）：跳过选填题",
            "修改（/edit）：修改已填写的任一答案，改完回到原处",
            "查看（/review）：查看已填写的内容",
            "重新开始（/restart）：清空后从头填写",
            "保持（/keep）：回到上一题后沿用原来的答案",
            "进度（/status）：查看已完成多少题",
            "结束（/stop）：结束本次填写（已填内容会保存）",
        ]
        slot = next_slot(self.program, self.s, self.ev) if self.s.mode == "asking" else None
        if slot is not None and slot.info is not None and slot.info.field.help:
            lines.append(f"本题说明：{slot.info.field.help}")
        self.out.append(Reply("help", "\n".join(lines)))
        self._repeat_current()

    def _finished_help(self) -> None:
        if self.s.mode == "done":
            lines = [
                "申报表已生成。可用命令：",
                "下载申报表（/download）：再次获取申报表和提交清单",
                "查看（/review）：查看已填写的内容",
                "修改（/edit）：更改答案，重新确认后重新生成申报表",
                "进度（/status）：查看填写和审核进度",
                "已寄出 SF…：寄出材料后报告顺丰运单号",
            ]
            options = DONE_OPTIONS
        else:
            lines = [
                "本次申报已结束（不符合条件）。可用命令：",
                "修改（/edit）：更改填错的答案后继续",
                "查看（/review）：查看已填写的内容",
                "重新开始（/restart）：清空后从头填写",
            ]
            options = STOPPED_OPTIONS
        self.out.append(Reply("help", "\n".join(lines), {"options": list(options)}))

    def _cmd_download(self, _arg: str) -> None:
        """The finished application's documents again (C2): each channel offers or sends them."""
        if self.s.mode != "done":
            self.out.append(r.notice("申报表还没有生成。请先完成填写，核对后回复“确认”，即可下载申报表。"))
            self._repeat_current()
            return
        docs = self._documents()
        self.out.append(
            Reply("documents", "申报表已生成，可随时下载。", {"documents": docs, "checklist": True})
        )

    def _documents(self) -> list[str]:
        return [
            d.document.id for d in self.program.documents if d.when is None or truthy(d.when, self.ev.values)
        ]

    def _cmd_apply(self, arg: str) -> None:
        """A finding's one-tap suggestion (C3: the rule's `fix:`), taken like a typed answer."""
        found = next((f for f in self.ev.findings if f.rule == arg.strip() and f.fix is not None), None)
        slot = parse_key(self.program, found.fix[0]) if found is not None and found.fix else None
        if self.s.mode == "done":
            self.out.append(r.notice("申报表已生成。如需更改答案，请回复“修改”。"))
            self.out.append(self._closing_hint())
            return
        if found is None or found.fix is None or slot is None or slot.info is None:
            self.out.append(r.notice("这条建议已不适用。"))
            self._repeat_current()
            return
        if not self.ev.applicable.get(slot.key) or self.s.mode not in ("asking", "ineligible", "review"):
            self.out.append(r.notice("这条建议现在不能直接采用，请回复“修改”更改答案。"))
            self._repeat_current()
            return
        try:
            value = self._parse(slot, slot.info, found.fix[1])
            self._check(slot, slot.info, value)
        except Invalid as exc:
            self.out.append(r.error(slot.key, str(exc), slot.info.field.example))
            self._repeat_current()
            return
        self.out.append(r.notice(f"已把“{slot.info.title}”改为「{display(slot.info, value)}」。"))
        self.s.data["editing"] = slot.key
        self.s.mode = "asking"
        self._accept(slot, value)

    def _cmd_back(self, _arg: str) -> None:
        if self.s.mode in ("edit_menu", "edit_row"):
            self._cancel_edit()
            return
        if self.s.mode == "confirm_restart":
            self.s.mode = str(self.s.data.pop("resume_mode", "asking"))
            self._advance(repeat=True)
            return
        if self.s.data.get("editing"):
            self._cancel_edit()
            return
        if self.s.mode in ("done", "stopped"):  # a finished application is never reopened by going back
            self.out.append(self._closing_hint())
            return
        if not self.s.history:
            self.out.append(r.notice("已经是第一题了。"))
            self._advance(repeat=True)
            return
        slot = parse_key(self.program, self.s.history.pop())
        if slot is not None:
            self.s.remove(slot)
        self._changed()
        self.s.mode = "asking"
        self.ev = self._evaluate()
        self._advance()

    def _cmd_skip(self, _arg: str) -> None:
        slot = next_slot(self.program, self.s, self.ev) if self.s.mode == "asking" else None
        if slot is None:
            self.out.append(r.notice("现在没有可跳过的题目。"))
        elif slot.is_more:
            self._more(slot, False)
            return
        elif slot.info is not None and slot.info.field.required:
            self.out.append(r.error(slot.key, "这一题必须填写，不能跳过。", slot.info.field.example))
        else:
            self._changed()
            self.s.remove(slot)
            self.s.skipped.append(slot.key)
            self.s.remember(slot.key)
            self.s.data["editing"] = None
            self.ev = self._evaluate()
            self._announce()
        self._advance()

    def _cmd_keep(self, _arg: str) -> None:
        slot = next_slot(self.program, self.s, self.ev) if self.s.mode == "asking" else None
        if slot is not None and self.s.data.get("editing") == slot.key:
            if slot.key not in self.s.pending and self._back_to_finished():
                return
            self.s.data["editing"] = None
            self.s.pending.pop(slot.key, None)
            self.ev = self._evaluate()
        elif slot is not None and slot.key in self.s.previous:
            self._accept(slot, self.s.previous[slot.key])
            return
        else:
            self.out.append(r.notice("这一题还没有可沿用的答案。"))
        self._advance()

    def _cmd_review(self, _arg: str) -> None:
        final = self.s.mode == "review"
        self.out.append(review_reply(self.program, self.s.answers, self.ev, final=final))
        if not final:
            self._advance(repeat=True)

    def _cmd_status(self, _arg: str) -> None:
        n, total = progress(self.program, self.s, self.ev)
        if self.s.mode == "done":
            self.out.append(r.notice(f"已完成全部 {total} 题，申报表已生成。", options=list(DONE_OPTIONS)))
            return
        if self.s.mode == "review":
            self.out.append(r.notice(f"已完成全部 {total} 题，请核对后回复“确认”生成申报表。"))
            self._repeat_current()
            return
        self.out.append(r.notice(f"已完成 {n - 1}/{total} 题。"))
        self._repeat_current()

    def _cmd_sent(self, _arg: str) -> None:
        """`已寄出 SF…` once the form is generated is recorded outside the engine (bot/intake.py: it changes
        where the application stands with the institution); before that, the applicant is told to finish."""
        if self.s.mode == "done":
            self.out.append(r.notice("已收到。请发送“已寄出”加顺丰运单号，例如：已寄出 SF1234567890123"))
        else:
            self.out.append(
                r.notice(
                    "申报表还没有生成，请先完成填写并确认生成申报表；按提交清单寄出材料后，"
                    "再发送“已寄出”加顺丰运单号，例如：已寄出 SF1234567890123"
                )
            )
        self._advance(repeat=self.s.mode != "done")

    def _cmd_restart(self, _arg: str) -> None:
        self.s.data["resume_mode"] = self.s.mode
        self.s.mode = "confirm_restart"
        self.out.append(RESTART_CONFIRM)

    def _confirm_restart(self, text: str) -> None:
        if text.strip().lower() in YES_WORDS:
            restarts = int(self.s.data.get("restarts", 0)) + 1
            self.s = Session(new_state(self.program))
            self.s.data.update(started=True, restarts=restarts)
            self.ev = self._evaluate()
            self.out.append(r.notice("已清空，从头开始。"))
        else:
            self.s.mode = str(self.s.data.pop("resume_mode", "asking"))
            self.out.append(r.notice("已取消，继续填写。"))
        self._advance(repeat=True)

    def _cmd_stop(self, _arg: str) -> None:
        if self.s.mode == "ineligible":
            self.s.mode = "stopped"
            self.s.data["status"] = "ineligible"
            self.out.append(self._explanation())
            return
        self.out.append(r.notice("已保存您的填写。之后发送任意消息即可从这里继续。"))

    def _explanation(self) -> Reply:
        lines = ["【不符合申报条件的书面说明】", f"申报事项：{self.program.spec.title}"]
        if self.campaign is not None:
            lines.append(f"受理机构：{self.campaign.institution}")
        for index, item in enumerate(self.ev.ineligible, 1):
            lines.append(f"{index}. {item.message}（依据：{item.basis}）")
            if item.suggest:
                lines.append(f"   可考虑：{item.suggest}")
        lines.append("如对以上判断有疑问，请联系受理机构；如答案填错，回复“修改”即可更正后继续。")
        data = {"findings": [f.as_dict() for f in self.ev.ineligible], "options": list(STOPPED_OPTIONS)}
        return Reply("stopped", "\n".join(lines), data)


def step(
    program: FormProgram,
    state: dict[str, Any] | None,
    event: Event,
    *,
    today: dt.date,
    campaign: Campaign | None = None,
) -> tuple[dict[str, Any], list[Reply]]:
    """Apply one event to a conversation state. Pure: the input state is not changed."""
    return Step(program, state or {}, today, campaign).run(event)


def current_slot(
    program: FormProgram, state: dict[str, Any], *, today: dt.date, campaign: Campaign | None = None
) -> Slot | None:
    """The question an answer would go to now, or None when the conversation is not asking."""
    current = Step(program, state, today, campaign)
    return next_slot(program, current.s, current.ev) if current.s.mode == "asking" else None


def progress_of(
    program: FormProgram, state: dict[str, Any], *, today: dt.date, campaign: Campaign | None = None
) -> tuple[int, int]:
    """(n, N) of the conversation in `state`, as its questions show it."""
    current = Step(program, state, today, campaign)
    slot = next_slot(program, current.s, current.ev)
    return progress(program, current.s, current.ev, slot.key if slot else None)
