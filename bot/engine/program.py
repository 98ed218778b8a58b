"""A loaded form: the spec plus its compiled expressions and indexes, ready for the engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from bot.engine.expressions import Expr
from bot.engine.spec import (
    AnyField,
    Check,
    ChecklistItem,
    DocumentSpec,
    FormSpec,
    Rule,
    Section,
    SummarySpec,
)
from bot.engine.text import placeholders


@dataclass(frozen=True)
class CompiledCheck:
    check: Check
    expr: Expr


@dataclass(frozen=True)
class FieldInfo:
    """One question. `key` is the field id, or `group.column` for a column of a repeat group."""

    key: str
    field: AnyField
    section: Section
    group: str | None
    when: Expr | None
    section_when: Expr | None
    checks: tuple[CompiledCheck, ...]
    derive: Expr | None
    check_when: Expr | None
    choices: tuple[str, ...] | None
    aliases: tuple[tuple[str, str], ...] = ()  # (normalised alias, option): other words for an option

    @property
    def id(self) -> str:
        return self.field.id

    @property
    def title(self) -> str:
        return self.field.label or self.field.id


@dataclass(frozen=True)
class GroupInfo:
    section: Section
    columns: tuple[FieldInfo, ...]
    when: Expr | None
    checks: tuple[CompiledCheck, ...]

    @property
    def id(self) -> str:
        return self.section.id


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    expr: Expr
    inputs: frozenset[str]


@dataclass(frozen=True)
class CompiledItem:
    item: ChecklistItem
    when: Expr | None


@dataclass(frozen=True)
class CompiledDocument:
    document: DocumentSpec
    when: Expr | None


@dataclass(frozen=True)
class CompiledColumn:
    """A summary column: `name` (a field, computed value or outcome written as on paper, or `_index`),
    `expr` (any other expression) or `text` (words with `{名称}`); exactly one is set."""

    title: str
    name: str | None = None
    expr: Expr | None = None
    text: str | None = None
    width: float | None = None


@dataclass(frozen=True)
class CompiledSummary:
    summary: SummarySpec
    where: Expr | None
    columns: tuple[CompiledColumn, ...] = ()


@dataclass
class FormProgram:
    spec: FormSpec
    file: str
    items: list[str]
    fields: dict[str, FieldInfo]
    groups: dict[str, GroupInfo]
    computed: list[tuple[str, Expr]]
    computed_inputs: dict[str, frozenset[str]]
    rules: list[CompiledRule]
    checklist: list[CompiledItem]
    documents: list[CompiledDocument]
    dependents: dict[str, frozenset[str]] = field(default_factory=dict)
    summaries: list[CompiledSummary] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.spec.id

    @cached_property
    def conditions(self) -> dict[str, tuple[Expr, ...]]:
        """For each item (field or group), the `when` expressions that must all hold for it to apply."""
        out: dict[str, tuple[Expr, ...]] = {}
        for key in self.items:
            if key in self.groups:
                exprs = [self.groups[key].when]
            else:
                exprs = [self.fields[key].section_when, self.fields[key].when]
            out[key] = tuple(e for e in exprs if e is not None)
        return out

    def inputs(self, names: Iterable[str]) -> set[str]:
        """The names behind `names`: a computed value stands for the answers it reads."""
        found: set[str] = set()
        for name in names:
            found |= set(self.computed_inputs.get(name, {name}))
        return found

    @cached_property
    def condition_inputs(self) -> dict[str, frozenset[str]]:
        """For each item, the fields and groups its conditions read (through computed values)."""
        out: dict[str, frozenset[str]] = {}
        for key, exprs in self.conditions.items():
            names = self.inputs(n for expr in exprs for n in expr.names)
            out[key] = frozenset(n for n in names if n in self.fields or n in self.groups)
        return out

    @cached_property
    def rule_reads(self) -> tuple[tuple[str, ...], frozenset[str]]:
        """Every name the rules read or quote in their texts, and the fields behind them."""
        names: set[str] = set()
        fields: set[str] = set()
        for compiled in self.rules:
            names |= compiled.expr.names
            fields |= compiled.inputs
            rule = compiled.rule
            for text in (rule.message or "", rule.suggest or "", *rule.set.values()):
                names |= set(placeholders(text))
        return tuple(sorted(names)), frozenset(fields)

    @cached_property
    def condition_reads(self) -> tuple[str, ...]:
        """Every name that `when` conditions and computed values read."""
        names: set[str] = set()
        for exprs in self.conditions.values():
            for expr in exprs:
                names |= expr.names
        for _, expr in self.computed:
            names |= expr.names
        return tuple(sorted(names))

    @cached_property
    def condition_memo(self) -> dict[tuple[Any, ...], tuple[dict[str, bool], dict[str, Any]]]:
        return {}

    @cached_property
    def rule_memo(self) -> dict[tuple[Any, ...], tuple[list[Any], dict[str, str]]]:
        return {}

    @cached_property
    def top_field_keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.items if k not in self.groups)

    def top_fields(self) -> list[FieldInfo]:
        return [self.fields[k] for k in self.items if k in self.fields]

    def basis_text(self, basis: str) -> str:
        key, _, clause = basis.partition(" ")
        title = self.spec.basis.get(key, key)
        return f"{title} {clause}".strip()

    def item_title(self, key: str) -> str:
        if key in self.groups:
            return self.groups[key].section.title
        return self.fields[key].title


def bind_campaign(program: FormProgram, lists: dict[str, list[str]]) -> FormProgram:
    """The same form with choice lists taken from a campaign (e.g. the occupations it evaluates)."""
    fields = dict(program.fields)
    changed = False
    for key, info in program.fields.items():
        name = getattr(info.field, "campaign_list", None)
        if name and name in lists:
            fields[key] = replace(info, choices=tuple(lists[name]))
            changed = True
    if not changed:
        return program
    groups = {
        gid: replace(g, columns=tuple(fields[c.key] for c in g.columns)) for gid, g in program.groups.items()
    }
    return replace(program, fields=fields, groups=groups)
