"""What follows from the answers so far: which questions apply, computed values, rule findings, outcomes."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from bot.engine.campaign import Campaign
from bot.engine.expressions import freeze, truthy, value_of
from bot.engine.program import FieldInfo, FormProgram, GroupInfo
from bot.engine.spec import Rule
from bot.engine.text import fill, placeholders


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: str
    message: str
    basis: str
    suggest: str | None
    fix: tuple[str, str] | None = None  # (field id, value): the one-tap suggestion of a `fix:` rule

    @property
    def fix_label(self) -> str | None:
        return f"改为「{self.fix[1]}」" if self.fix else None

    def as_dict(self) -> dict[str, Any]:
        fix = None
        if self.fix is not None:
            fix = {"field": self.fix[0], "value": self.fix[1], "label": self.fix_label}
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "message": self.message,
            "basis": self.basis,
            "suggest": self.suggest,
            "fix": fix,
        }


@dataclass
class Evaluation:
    values: dict[str, Any]
    applicable: dict[str, bool]
    settled: set[str]
    findings: list[Finding]
    outcomes: dict[str, str]

    @property
    def ineligible(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome == "ineligible"]


def base_values(
    program: FormProgram, answers: dict[str, Any], today: dt.date, campaign: Campaign | None
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "today": today.isoformat(),
        "campaign": campaign.as_context() if campaign else {},
    }
    for key in program.top_field_keys:
        values[key] = answers.get(key)
    for key in program.groups:
        values[key] = [row_value(program.groups[key], row) for row in answers.get(key) or []]
    for name, _ in program.computed:
        values[name] = None
    for name in program.spec.outcomes:
        values[name] = None
    return values


def row_value(group: GroupInfo, row: dict[str, Any]) -> dict[str, Any]:
    """A row as expressions see it: every column present, `None` when skipped or not answered yet."""
    return {c.id: row.get(c.id) for c in group.columns}


# Keyed by id(): each entry holds its program and campaign, so no other object can take their ids
# (and be served their evaluations) while it is kept.
_RECENT: OrderedDict[tuple[Any, ...], tuple[FormProgram, Campaign | None, Evaluation]] = OrderedDict()
RECENT_LIMIT = 512


def evaluate(
    program: FormProgram,
    state: dict[str, Any],
    today: dt.date,
    campaign: Campaign | None = None,
) -> Evaluation:
    """What follows from the answers. Pure; recent results are reused (a step evaluates the state the
    previous step ended with). The returned Evaluation is shared: read it, never change it."""
    key = (
        id(program),
        today,
        id(campaign),
        repr(state.get("answers", {})),
        repr(state.get("skipped", ())),
        repr(state.get("closed", ())),
    )
    found = _RECENT.get(key)
    if found is not None:
        _RECENT.move_to_end(key)
        return found[2]
    result = _evaluate(program, state, today, campaign)
    _RECENT[key] = (program, campaign, result)
    if len(_RECENT) > RECENT_LIMIT:
        _RECENT.popitem(last=False)
    return result


def _evaluate(
    program: FormProgram,
    state: dict[str, Any],
    today: dt.date,
    campaign: Campaign | None = None,
) -> Evaluation:
    answers: dict[str, Any] = state.get("answers", {})
    skipped = set(state.get("skipped", []))
    closed = set(state.get("closed", []))
    values = base_values(program, answers, today, campaign)
    applicable, computed = _applicability(program, values)
    for key, ok in applicable.items():
        if not ok:
            values[key] = [] if key in program.groups else None
    values.update(computed)
    settled = _settled(program, answers, skipped, closed, applicable)
    # An answer settled as 不清楚 (unknown_ok, kept as None) counts as not given for the rules.
    unknown = {key for key in program.top_field_keys if key in answers and answers[key] is None}
    findings, outcomes = _rules(program, values, settled - unknown)
    values.update(outcomes)
    return Evaluation(values, applicable, settled, findings, outcomes)


def _applicability(program: FormProgram, base: dict[str, Any]) -> tuple[dict[str, bool], dict[str, Any]]:
    """Which items apply, and the computed values once answers that do not apply are set aside.
    Reused while nothing that conditions or computed values read has changed."""
    names = program.condition_reads
    key = tuple([freeze(base.get(n)) for n in names])
    memo = program.condition_memo
    found = memo.get(key)
    if found is None:
        values = dict(base)
        _compute(program, values)
        applicable: dict[str, bool] = {}
        for item in program.items:
            applicable[item] = _applies(program, item, values)
            if not applicable[item]:
                values[item] = [] if item in program.groups else None
        _compute(program, values)
        found = (applicable, {name: values[name] for name, _ in program.computed})
        if len(memo) >= RECENT_LIMIT:
            memo.clear()
        memo[key] = found
    return found


def _compute(program: FormProgram, values: dict[str, Any]) -> None:
    for name, expr in program.computed:
        values[name] = value_of(expr, values)


def _applies(program: FormProgram, key: str, values: dict[str, Any]) -> bool:
    return all(truthy(expr, values) for expr in program.conditions[key])


def field_applies(info: FieldInfo, values: dict[str, Any]) -> bool:
    return all(e is None or truthy(e, values) for e in (info.section_when, info.when))


def _settled(
    program: FormProgram,
    answers: dict[str, Any],
    skipped: set[str],
    closed: set[str],
    applicable: dict[str, bool],
) -> set[str]:
    settled: set[str] = set()
    for key in program.items:
        if not applicable[key]:
            if program.condition_inputs[key] <= settled:
                settled.add(key)
        elif key in program.groups:
            repeat = program.groups[key].section.repeat
            full = repeat is not None and len(answers.get(key) or []) >= repeat.max
            if key in closed or full:
                settled.add(key)
        elif key in answers or key in skipped:
            settled.add(key)
    return settled


def _rules(
    program: FormProgram, values: dict[str, Any], settled: set[str]
) -> tuple[list[Finding], dict[str, str]]:
    """Findings and outcomes; reused while nothing the rules read (or may quote) has changed."""
    names, fields = program.rule_reads
    key = (tuple([freeze(values.get(n)) for n in names]), tuple(sorted(fields & settled)))
    memo = program.rule_memo
    found = memo.get(key)
    if found is None:
        found = _run_rules(program, values, settled)
        if len(memo) >= RECENT_LIMIT:
            memo.clear()
        memo[key] = found
    return list(found[0]), dict(found[1])


def _fix(rule: Rule, values: dict[str, Any]) -> tuple[str, str] | None:
    """The filled-in `fix:` of a rule; none when a name it quotes has no value yet."""
    if rule.fix is None:
        return None
    if any(values.get(name) in (None, "") for name in placeholders(rule.fix.value)):
        return None
    value = fill(rule.fix.value, values).strip()
    return (rule.fix.field, value) if value else None


def _run_rules(
    program: FormProgram, values: dict[str, Any], settled: set[str]
) -> tuple[list[Finding], dict[str, str]]:
    findings: list[Finding] = []
    outcomes: dict[str, str] = {}
    for compiled in program.rules:
        if not compiled.inputs <= settled or not truthy(compiled.expr, values):
            continue
        rule = compiled.rule
        for name, text in rule.set.items():
            outcomes.setdefault(name, fill(text, values))
        if rule.message:
            findings.append(
                Finding(
                    rule=rule.id,
                    outcome=rule.outcome,
                    message=fill(rule.message, values),
                    basis=program.basis_text(rule.basis),
                    suggest=fill(rule.suggest, values) if rule.suggest else None,
                    fix=_fix(rule, values),
                )
            )
    return findings, outcomes
