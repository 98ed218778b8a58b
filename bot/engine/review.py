"""The review summary: every answer that applies, by section, with the findings and outcomes so far."""

from __future__ import annotations

from typing import Any

from bot.engine.evaluate import Evaluation
from bot.engine.program import FieldInfo, FormProgram
from bot.engine.replies import Reply
from bot.engine.text import as_text
from bot.engine.values import UNKNOWN, display


def in_full(info: FieldInfo, value: Any) -> str:
    """An answer as its own applicant checks it: nothing masked (C8; `display` masks for other screens)."""
    if isinstance(value, dict):
        return "已上传" if value.get("ref") else ""
    return as_text(value)


def summary(
    program: FormProgram, answers: dict[str, Any], ev: Evaluation, *, full: bool = False
) -> list[dict[str, Any]]:
    """[{title, rows: [[label, value], ...]}] in form order: what applies and has been answered or skipped.
    `full`: the applicant's own review, values unmasked; otherwise ID numbers and sensitive text masked."""
    show = in_full if full else display
    sections: list[dict[str, Any]] = []
    for section in program.spec.sections:
        rows: list[list[str]] = []
        if section.repeat is not None:
            if not ev.applicable.get(section.id):
                continue
            group = program.groups[section.id]
            for index, row in enumerate(answers.get(section.id) or [], 1):
                cells = [
                    show(c, row.get(c.id)) if row.get(c.id) is not None else f"{c.title}{UNKNOWN}"
                    for c in group.columns
                    if row.get(c.id) != "" and c.id in row
                ]
                rows.append([f"第{index}条", "，".join(cells)])
        else:
            for f in section.fields:
                if not ev.applicable.get(f.id) or f.id not in ev.settled:
                    continue
                value = answers.get(f.id)
                shown = UNKNOWN if value is None and f.id in answers else show(program.fields[f.id], value)
                rows.append([program.fields[f.id].title, shown or "（未填）"])
        if rows:
            sections.append({"title": section.title, "rows": rows})
    return sections


def review_reply(program: FormProgram, answers: dict[str, Any], ev: Evaluation, *, final: bool) -> Reply:
    sections = summary(program, answers, ev, full=True)
    lines = ["【填写内容】"]
    for section in sections:
        lines.append(f"— {section['title']} —")
        lines += [f"{label}：{value}" for label, value in section["rows"]]
    outcomes = {
        program.spec.outcomes[k].label: v for k, v in ev.outcomes.items() if k in program.spec.outcomes
    }
    if outcomes:
        lines.append("— 评价结果预判 —")
        lines += [f"{label}：{value}" for label, value in outcomes.items()]
    notes = [f for f in ev.findings if f.outcome != "ineligible"]
    if notes:
        lines.append("— 提示 —")
        lines += [f"· {f.message}（{f.basis}）" for f in notes]
    if final:
        lines.append("请核对以上内容。无误请回复“确认”生成申报表；需要更改请回复“修改”。")
    data = {
        "sections": sections,
        "outcomes": outcomes,
        "findings": [f.as_dict() for f in ev.findings],
        "final": final,
    }
    return Reply("review", "\n".join(lines), data)
