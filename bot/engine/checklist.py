"""The submission checklist for one applicant: what to attach, sign, stamp, where to send it and by when."""

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


@dataclass
class Checklist:
    title: str
    sections: dict[str, list[str]] = field(default_factory=dict)
    deadline_passed: bool = False
    workdays_left: int | None = None

    def add(self, group: str, text: str) -> None:
        self.sections.setdefault(group, []).append(text)
        self.sections = {g: self.sections[g] for g in sorted(self.sections, key=_rank)}

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "sections": [
                {"title": GROUP_TITLES.get(g, g), "items": items} for g, items in self.sections.items()
            ],
            "deadline_passed": self.deadline_passed,
            "workdays_left": self.workdays_left,
        }

    def markdown(self) -> str:
        lines = [f"# {self.title}", ""]
        for group, items in self.sections.items():
            lines += [f"## {GROUP_TITLES.get(group, group)}", ""]
            lines += [f"- [ ] {_md(item)}" for item in items]
            lines.append("")
        return "\n".join(lines)

    def text(self) -> str:
        lines = [self.title]
        for group, items in self.sections.items():
            lines.append(f"【{GROUP_TITLES.get(group, group)}】")
            lines += [f"{i}. {item}" for i, item in enumerate(items, 1)]
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
            checklist.add(compiled.item.group, fill(compiled.item.text, ev.values).strip())
    for line in to_confirm(program, answers or {}, ev):
        checklist.add("核实", line)
    if campaign is not None:
        _campaign_items(checklist, campaign, spec.copies, today, calendar or WorkCalendar())
    return checklist


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


def _campaign_items(
    checklist: Checklist, c: Campaign, copies: int, today: dt.date, cal: WorkCalendar
) -> None:
    courier = c.courier
    how = f"仅限{courier.only}快递" if courier.only else "邮寄或送达"
    checklist.add(
        "提交",
        f"{how}寄送至：{courier.address}" + (f"（收件人：{courier.recipient}）" if courier.recipient else ""),
    )
    if courier.only:
        checklist.add("提交", f"{courier.note or f'只接收{courier.only}，其他快递不予接收'}。")
    if copies > 1:
        checklist.add("提交", f"申报表共 {copies} 份，连同复印件一起寄送。")
    checklist.add("提交", _deadline_line(checklist, c, today, cal))
    for milestone in c.milestones:
        about = "约" if milestone.approximate else ""
        checklist.add("提交", f"{milestone.name}：{about}{_date(milestone.date)}")
    for contact in c.contacts:
        duty = f"（{contact.duty}）" if contact.duty else ""
        checklist.add("提交", f"联系人：{contact.name} {' / '.join(contact.phones)}{duty}")
    if c.qq_group:
        checklist.add("提交", f"申报 QQ 群：{c.qq_group}")
    for note in c.notes:
        checklist.add("提示", note)


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
    if today == deadline:
        text = f"今天（{_date(deadline)}）是截止日，请尽快寄出。"
    else:
        text = (
            f"请于 {_date(deadline)} 前寄到，距截止还有 {left} 个工作日（不含今天），快递在途请预留 1–2 天。"
        )
    return text + (f"（{note}）" if note else "")


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（星期{WEEKDAYS[day.weekday()]}）"
