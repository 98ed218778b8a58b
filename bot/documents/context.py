"""What a template sees: every answer formatted as it is written on paper, plus computed and outcome values."""

from __future__ import annotations

from typing import Any

from bot.documents.dates import paper_date, paper_dates_in
from bot.engine.campaign import Campaign
from bot.engine.evaluate import Evaluation
from bot.engine.program import FieldInfo, FormProgram
from bot.engine.spec import DateField, DocumentSpec, FileField, ImageField, YearMonthField
from bot.engine.text import as_text, fill


def paper_value(info: FieldInfo, value: Any, date_style: str = "dots") -> Any:
    """An answer as written on the official form (dates in the form's `date_style`, yes/no in words)."""
    if isinstance(info.field, ImageField | FileField):
        return ""
    if isinstance(info.field, DateField | YearMonthField) and isinstance(value, str):
        return paper_date(value, date_style)
    return as_text(value)


def paper_computed(value: Any, date_style: str) -> str:
    """A computed value as text, any date in it (a date, or a text joining dates) in the form's style."""
    return paper_dates_in(as_text(paper_date(value, date_style)), date_style)


def template_context(
    program: FormProgram, ev: Evaluation, document: DocumentSpec, campaign: Campaign | None
) -> dict[str, Any]:
    answers = ev.values
    style = program.spec.date_style
    context: dict[str, Any] = {}
    for key in program.items:
        if key in program.groups:
            group = program.groups[key]
            rows = answers.get(key) or []
            context[key] = [
                {c.id: paper_value(c, row.get(c.id), style) for c in group.columns} for row in rows
            ]
        else:
            context[key] = paper_value(program.fields[key], answers.get(key), style)
    for name, _ in program.computed:
        context[name] = paper_computed(ev.values.get(name), style)
    for name in program.spec.outcomes:
        outcome = ev.outcomes.get(name, "")
        context[name] = paper_dates_in(outcome, style) if isinstance(outcome, str) else outcome
    shown = {**ev.values, **{k: v for k, v in context.items() if isinstance(v, str)}}
    for name, text in document.values.items():
        context[name] = paper_dates_in(fill(text, shown), style).strip()
    context["institution"] = campaign.institution if campaign else ""
    return context
