"""The submission checklist for one applicant: what to attach, sign, stamp, where to send it and by when.

Each item says whether it is an action (something the applicant does: a checkbox on the printed page) or
information (a contact, a date, a note: plain text). The summary at the top says the whole job in four
plain steps: print, sign and stamp, send (or hand in), by when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.engine.campaign import Campaign
from bot.engine.evaluate import Evaluation
from bot.engine.expressions import truthy
from bot.engine.program import FormProgram
from bot.engine.text import fill
from bot.engine.workdays import WorkCalendar

WEEKDAYS = "一二三四五六日"
GROUP_TITLES = {
    "核实": "提交前需核实",
    "材料": "需要准备的材料",
    "签章": "签字与盖章",
    "提交": "提交方式与期限",
    "提示": "注意事项",
}
ORDER = tuple(GROUP_TITLES)


@dataclass(frozen=True)
class Item:
    text: str
    action: bool = True  # something the applicant does (a checkbox), else information (plain text)
    phones: tuple[str, ...] = ()  # telephone numbers in the text (tap to call)
    copy: str | None = None  # a value with a copy button (the QQ group number)

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "action": self.action, "phones": list(self.phones), "copy": self.copy}


@dataclass(frozen=True)
class Step:
    label: str  # 打印 / 签字盖章 / 寄送 / 截止
    lines: tuple[str, ...]


@dataclass
class Checklist:
    title: str
    sections: dict[str, list[Item]] = field(default_factory=dict)
    deadline_passed: bool = False
    workdays_left: int | None = None
    summary: list[Step] = field(default_factory=list)
    institution: str | None = None

    def add(
        self,
        group: str,
        text: str,
        action: bool = True,
        phones: tuple[str, ...] = (),
        copy: str | None = None,
    ) -> None:
        self.sections.setdefault(group, []).append(Item(text, action, phones, copy))
        self.sections = {g: self.sections[g] for g in sorted(self.sections, key=_rank)}

    def items(self) -> list[Item]:
        return [item for items in self.sections.values() for item in items]

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": [{"label": s.label, "lines": list(s.lines)} for s in self.summary],
            "sections": [
                {"title": GROUP_TITLES.get(g, g), "items": [i.as_dict() for i in items]}
                for g, items in self.sections.items()
            ],
            "deadline_passed": self.deadline_passed,
            "workdays_left": self.workdays_left,
        }

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        if self.summary:
            lines += ["## 怎么做", ""]
            for n, step in enumerate(self.summary, 1):
                lines.append(f"{n}. **{step.label}**：{_md(step.lines[0])}")
                lines += [f"   - {_md(line)}" for line in step.lines[1:]]
            lines.append("")
        for group, items in self.sections.items():
            lines += [f"## {GROUP_TITLES.get(group, group)}", ""]
            lines += [f"- [ ] {_md(i.text)}" if i.action else f"- {_md(i.text)}" for i in items]
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        lines = [self.title]
        for group, items in self.sections.items():
            lines.append(f"【{GROUP_TITLES.get(group, group)}】")
            lines += [f"{i}. {item.text}" for i, item in enumerate(items, 1)]
        return "\n".join(lines)


def _rank(group: str) -> int:
    return ORDER.index(group) if group in ORDER else len(ORDER)


def _md(text: str) -> str:
    """Applicant text is shown literally in Markdown."""
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", " ")


def build(
    program: FormProgram,
    ev: Evaluation,
    today: dt.date,
    campaign: Campaign | None = None,
    calendar: WorkCalendar | None = None,
    answers: Mapping[str, Any] | None = None,
) -> Checklist:
    spec = program.spec
    name = ev.values.get("name") or ""
    checklist = Checklist(f"{spec.short_title or spec.title} 提交清单" + (f"（{name}）" if name else ""))
    for compiled in program.checklist:
        if compiled.when is None or truthy(compiled.when, ev.values):
            item = compiled.item
            action = item.action if item.action is not None else item.group != "提示"
            checklist.add(item.group, fill(item.text, ev.values).strip(), action)
    for line in to_confirm(program, answers or {}, ev):
        checklist.add("核实", line)
    deadline: str | None = None
    if campaign is not None:
        checklist.institution = campaign.institution
        deadline = _campaign_items(checklist, campaign, spec.copies, today, calendar or WorkCalendar())
    checklist.summary = _summary(checklist, spec.copies, campaign, deadline)
    return checklist


def _summary(checklist: Checklist, copies: int, c: Campaign | None, deadline: str | None) -> list[Step]:
    steps = [Step("打印", (f"申报表打印 {copies} 份（A4 纸），附件按下方“需要准备的材料”备齐。",))]
    signs = [i.text for i in checklist.sections.get("签章", []) if i.action]
    if signs:
        steps.append(Step("签字盖章", tuple(signs)))
    if c is not None:
        courier = c.courier
        to = courier.address + (f"（收件人：{courier.recipient}）" if courier.recipient else "")
        if courier.handover:
            steps.append(Step("交材料", (to,)))
        else:
            how = f"只用{courier.only}快递，寄到" if courier.only else "邮寄或送到"
            steps.append(Step("寄送", (f"{how} {to}",)))
        if deadline:
            steps.append(Step("截止", (deadline,)))
    return steps


def to_confirm(program: FormProgram, answers: Mapping[str, Any], ev: Evaluation) -> list[str]:
    """Answers given as 不清楚 (unknown_ok; kept as None): one line each saying whom to ask."""
    lines: list[str] = []
    for key in program.top_field_keys:
        info = program.fields[key]
        whom = info.field.confirm_with
        if whom and key in answers and answers[key] is None and ev.applicable.get(key):
            lines.append(f"提交前请向{whom}核实：{info.title}")
    for gid, group in program.groups.items():
        if not ev.applicable.get(gid):
            continue
        for index, row in enumerate(answers.get(gid) or [], 1):
            for column in group.columns:
                whom = column.field.confirm_with
                if whom and isinstance(row, dict) and column.id in row and row[column.id] is None:
                    lines.append(f"提交前请向{whom}核实：{group.section.title}第{index}条 {column.title}")
    return lines


def _campaign_items(checklist: Checklist, c: Campaign, copies: int, today: dt.date, cal: WorkCalendar) -> str:
    """Add the campaign's lines; return the deadline sentence (also for the summary)."""
    courier = c.courier
    to = courier.address + (f"（收件人：{courier.recipient}）" if courier.recipient else "")
    if courier.handover:
        checklist.add("提交", f"把填好、签好的材料交到：{to}")
        if copies > 1:
            checklist.add("提交", f"申报表共 {copies} 份，连同复印件一起交。")
    else:
        how = f"仅限{courier.only}快递寄送至" if courier.only else "邮寄或送达至"
        checklist.add("提交", f"{how}：{to}")
        if courier.only:
            checklist.add(
                "提交", f"{courier.note or f'只接收{courier.only}，其他快递不予接收'}。", action=False
            )
        if copies > 1:
            checklist.add("提交", f"申报表共 {copies} 份，连同复印件一起寄送。")
    deadline = _deadline_line(checklist, c, today, cal)
    checklist.add("提交", deadline, action=False)
    for milestone in c.milestones:
        about = "约" if milestone.approximate else ""
        checklist.add("提交", f"{milestone.name}：{about}{_date(milestone.date)}", action=False)
    for contact in c.contacts:
        duty = f"（{contact.duty}）" if contact.duty else ""
        checklist.add(
            "提交",
            f"联系人：{contact.name} {' / '.join(contact.phones)}{duty}",
            action=False,
            phones=tuple(contact.phones),
        )
    if c.qq_group:
        checklist.add("提交", f"申报 QQ 群：{c.qq_group}", action=False, copy=c.qq_group)
    for note in c.notes:
        checklist.add("提示", note, action=False)
    return deadline


def _deadline_line(checklist: Checklist, c: Campaign, today: dt.date, cal: WorkCalendar) -> str:
    deadline = c.deadline
    if today > deadline:
        checklist.deadline_passed = True
        return (
            f"截止日期 {_date(deadline)} 已过（{(today - deadline).days} 天前）。"
            f"如仍需提交，请先联系 {c.institution} 确认是否受理。"
        )
    left = cal.workdays_between(today, deadline)
    checklist.workdays_left = left
    note = cal.fallback_note_between(today, deadline)
    handover = c.courier.handover
    if today == deadline:
        text = f"今天（{_date(deadline)}）是截止日，请尽快{'交给单位' if handover else '寄出'}。"
    elif handover:
        text = (
            f"申报截止日是 {_date(deadline)}，距截止还有 {left} 个工作日（不含今天）；"
            "单位还要审核、盖章和报送，请尽早交。"
        )
    else:
        text = (
            f"请于 {_date(deadline)} 前寄到，距截止还有 {left} 个工作日（不含今天），快递在途请预留 1–2 天。"
        )
    return text + (f"（{note}）" if note else "")


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"
