"""read → validate → build: YAML specs and campaigns into checked, compiled objects."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.engine.campaign import Campaign
from bot.engine.expressions import BUILTIN_NAMES, Expr, ExpressionError, compile_expr
from bot.engine.model_errors import author_errors
from bot.engine.program import (
    CompiledCheck,
    CompiledDocument,
    CompiledItem,
    CompiledRule,
    FieldInfo,
    FormProgram,
    GroupInfo,
)
from bot.engine.spec import (
    AnyField,
    ChoiceField,
    FormSpec,
    MultiChoiceField,
    PhoneField,
    Section,
    YesNoField,
)
from bot.engine.summaries import compile_summaries
from bot.engine.text import placeholders
from bot.engine.values import alias_key
from bot.engine.yamlsource import Path_, Source, SpecError, SpecErrors, Where, read

M = TypeVar("M", bound=BaseModel)
_EQ_LITERAL = re.compile(r"\b([a-z][a-z0-9_]*)\s*(?:==|!=)\s*\"([^\"]*)\"")
_LITERAL_EQ = re.compile(r"\"([^\"]*)\"\s*(?:==|!=)\s*([a-z][a-z0-9_]*)\b")
_IN_LIST = re.compile(r"\b([a-z][a-z0-9_]*)\s+in\s+\[([^\]]*)\]")
_LITERAL_IN = re.compile(r"\"([^\"]*)\"\s+in\s+([a-z][a-z0-9_]*)\b")


def load_form(path: Path, *, catalogs: Path | None = None, templates: Path | None = None) -> FormProgram:
    source = read(path, _display(path))
    spec = _validate(source, FormSpec)
    builder = _Builder(source, spec, catalogs or path.parent / "catalogs", templates)
    return builder.build()


def load_campaign(path: Path) -> Campaign:
    source = read(path, _display(path))
    return _validate(source, Campaign)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _validate(source: Source, model: type[M]) -> M:
    if not isinstance(source.data, dict):
        where = Where(source.file, 1, 1)
        raise SpecErrors([SpecError(where, "文件顶层应为键值映射（例如 id: ...、title: ...）")])
    try:
        return model.model_validate(source.data)
    except ValidationError as exc:
        raise SpecErrors(author_errors(exc, source, model)) from None


class _Builder:
    def __init__(self, source: Source, spec: FormSpec, catalogs: Path, templates: Path | None) -> None:
        self.source = source
        self.spec = spec
        self.catalogs = catalogs
        self.templates = templates
        self.errors: list[SpecError] = []
        self.top: set[str] = set()
        self.choice_sets: dict[str, tuple[str, ...]] = {}

    def build(self) -> FormProgram:
        spec = self.spec
        names = self._declare_names()
        asked = names - set(spec.outcomes)  # whether a question applies never depends on rule outcomes
        fields: dict[str, FieldInfo] = {}
        groups: dict[str, GroupInfo] = {}
        items: list[str] = []
        for s_index, section in enumerate(spec.sections):
            base: Path_ = ("sections", s_index)
            section_when = self._expr(section.when, (*base, "when"), asked)
            columns = [
                self._field(f, section, base, f_index, asked, section_when)
                for f_index, f in enumerate(section.fields)
            ]
            if section.repeat is None and section.checks:
                self._error(
                    (*base, "validate"),
                    "分组的 validate 只能用于重复组（有 repeat 的分组）；普通字段的校验请写在字段下",
                )
            if section.repeat is not None:
                self._check_columns(section, base)
                checks = self._checks(section.checks, (*base, "validate"), names | {"row"})
                groups[section.id] = GroupInfo(section, tuple(columns), section_when, checks)
                items.append(section.id)
                for info in columns:
                    fields[info.key] = info
            else:
                for info in columns:
                    fields[info.key] = info
                    items.append(info.key)
        computed, computed_inputs = self._computed(names)
        rules = self._rules(names, computed_inputs)
        self._fixes(fields)
        checklist = []
        for i, item in enumerate(spec.checklist):
            self._placeholders(item.text, ("checklist", i, "text"), names)
            checklist.append(CompiledItem(item, self._expr(item.when, ("checklist", i, "when"), names)))
        documents = self._documents(names)
        summaries = compile_summaries(spec, self.templates, self._expr, self._error, names)
        self._duplicates(fields, names)
        self._listing(fields)
        self._check_literals(fields)
        if self.errors:
            raise SpecErrors(self.errors)
        program = FormProgram(
            spec=spec,
            file=self.source.file,
            items=items,
            fields=fields,
            groups=groups,
            computed=computed,
            computed_inputs=computed_inputs,
            rules=rules,
            checklist=checklist,
            documents=documents,
            summaries=summaries,
        )
        program.dependents = _dependents(program)
        return program

    def _check_columns(self, section: Section, base: Path_) -> None:
        ids = [f.id for f in section.fields]
        for index, name in enumerate(ids):
            if ids.index(name) != index:
                self._error((*base, "fields", index, "id"), f"重复组 {section.id} 里列编号 {name!r} 重复")
        for index, check in enumerate(section.checks):
            if check.field is not None and check.field not in ids:
                self._error(
                    (*base, "validate", index, "field"),
                    f"field: {check.field!r} 不是重复组 {section.id} 的列；可用的列：{', '.join(ids)}",
                )

    def _declare_names(self) -> frozenset[str]:
        names: set[str] = set(BUILTIN_NAMES)
        for section in self.spec.sections:
            if section.repeat is not None:
                names.add(section.id)
            else:
                names.update(f.id for f in section.fields)
        self.top = set(names) - BUILTIN_NAMES
        clash = (set(self.spec.computed) | set(self.spec.outcomes)) & names
        for name in sorted(clash):
            self._error(("computed", name), f"名称 {name!r} 已是字段编号；computed/outcomes 请另取名字")
        return frozenset(names | set(self.spec.computed) | set(self.spec.outcomes))

    def _field(
        self,
        f: AnyField,
        section: Section,
        base: Path_,
        index: int,
        names: frozenset[str],
        section_when: Expr | None,
    ) -> FieldInfo:
        path: Path_ = (*base, "fields", index)
        in_group = section.repeat is not None
        scope = names | {"value"} | ({"row"} if in_group else set())
        choices, aliases = self._choices(f, path)
        key = f"{section.id}.{f.id}" if in_group else f.id
        if choices is not None:
            self.choice_sets[key] = choices
        return FieldInfo(
            key=key,
            field=f,
            section=section,
            group=section.id if in_group else None,
            when=self._expr(f.when, (*path, "when"), names | ({"row"} if in_group else set())),
            section_when=section_when,
            checks=self._checks(f.checks, (*path, "validate"), scope),
            derive=self._expr(f.derive, (*path, "derive"), names),
            check_when=self._expr(getattr(f, "check_when", None), (*path, "check_when"), names),
            choices=choices,
            aliases=aliases,
        )

    def _choices(
        self, f: AnyField, path: Path_
    ) -> tuple[tuple[str, ...] | None, tuple[tuple[str, str], ...]]:
        if isinstance(f, YesNoField):
            return ("是", "否"), ()
        if not isinstance(f, ChoiceField | MultiChoiceField):
            return None, ()
        found: dict[str, tuple[str, Where]] = {}
        if f.choices is not None:
            options = tuple(f.choices)
        else:
            options = self._catalog(str(f.catalog), (*path, "catalog"), found)
        if len(set(options)) != len(options):
            self._error((*path, "choices"), "选项有重复；每个选项只写一次")
        if isinstance(f, MultiChoiceField):
            for j, name in enumerate(f.exclusive):
                if name not in options:
                    self._error(
                        (*path, "exclusive", j),
                        f"互斥选项 {name!r} 不在选项列表中；可选：{'、'.join(options)}",
                    )
        for option, words in f.aliases.items():
            self._alias_set(
                option, words, options, found, lambda *p: self.source.where((*path, "aliases", *p))
            )
        return options, tuple((word, option) for word, (option, _) in found.items())

    def _alias_set(
        self,
        option: str,
        words: Any,
        options: tuple[str, ...],
        found: dict[str, tuple[str, Where]],
        where: Any,
    ) -> None:
        """Add the aliases of one option; an alias naming another option, or given to two options, is an
        error at its own line (`where(option, index)` gives it)."""
        if option not in options:
            self.errors.append(
                SpecError(where(option), f"aliases 里的 {option!r} 不是选项；可选：{'、'.join(options)}")
            )
            return
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            self.errors.append(SpecError(where(option), f"{option} 的别名应为文字列表，例如 [别名1, 别名2]"))
            return
        plain = {alias_key(o): o for o in options}
        for index, word in enumerate(words):
            key = alias_key(word)
            at = where(option, index)
            other = plain.get(key)
            if other is not None and other != option:
                self.errors.append(SpecError(at, f"别名 {word!r}（{option}）与选项 {other!r} 相同，会选错"))
            elif key in found and found[key][0] != option:
                first, place = found[key]
                self.errors.append(
                    SpecError(at, f"别名 {word!r} 同时给了 {option!r} 和 {first!r}（{place}），会选错")
                )
            elif other is None:
                found.setdefault(key, (option, at))

    def _catalog(self, name: str, path: Path_, found: dict[str, tuple[str, Where]]) -> tuple[str, ...]:
        file = self.catalogs / f"{name}.yaml"
        if not file.is_file():
            known = sorted(p.stem for p in self.catalogs.glob("*.yaml"))
            self._error(path, f"找不到目录文件 {file}；已有：{', '.join(known) or '（无）'}")
            return ()
        try:
            source = read(file, _display(file))
        except SpecErrors as exc:
            self.errors.extend(exc.errors)
            return ()
        data = source.data
        items = data.get("items") if isinstance(data, dict) else data
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            self._error(path, f"目录文件 {file} 应为文字列表（items: [...]）")
            return ()
        aliases = data.get("aliases") if isinstance(data, dict) else None
        if aliases is not None and not isinstance(aliases, dict):
            self.errors.append(SpecError(source.where(("aliases",)), "aliases 应为 选项: [别名, …] 的映射"))
        for option, words in (aliases or {}).items():
            self._alias_set(str(option), words, tuple(items), found, lambda *p: source.where(("aliases", *p)))
        return tuple(items)

    def _checks(self, checks: Iterable[Any], path: Path_, names: frozenset[str]) -> tuple[CompiledCheck, ...]:
        out = []
        for i, check in enumerate(checks):
            expr = self._expr(check.rule, (*path, i, "rule"), names)
            if expr is not None:
                out.append(CompiledCheck(check, expr))
        return tuple(out)

    def _expr(self, source: str | None, path: Path_, names: frozenset[str]) -> Expr | None:
        if source is None:
            return None
        try:
            expr = compile_expr(source)
        except ExpressionError as exc:
            self._error(path, f"{exc}（表达式：{source}）", exc.column)
            return None
        unknown = sorted(expr.names - names)
        if unknown:
            allowed = sorted(n for n in names if n not in BUILTIN_NAMES)
            self._error(
                path,
                f"表达式用到未知名称 {unknown[0]!r}：它既不是字段编号也不是 computed 值"
                f"（表达式：{source}）；可用的名称：{', '.join(allowed)}",
            )
            return None
        return expr

    def _computed(self, names: frozenset[str]) -> tuple[list[tuple[str, Expr]], dict[str, frozenset[str]]]:
        out: list[tuple[str, Expr]] = []
        inputs: dict[str, frozenset[str]] = {}
        defined = set(self.spec.computed)
        for name, source in self.spec.computed.items():
            defined.discard(name)
            expr = self._expr(source, ("computed", name), names - defined - {name} - set(self.spec.outcomes))
            if expr is not None:
                out.append((name, expr))
                inputs[name] = self._expand(expr.names, inputs)
        return out, inputs

    def _expand(self, names: Iterable[str], computed: dict[str, frozenset[str]]) -> frozenset[str]:
        found: set[str] = set()
        for name in names:
            if name in computed:
                found |= computed[name]
            elif name in self.top:
                found.add(name)
        return frozenset(found)

    def _basis(self, basis: str, path: Path_) -> None:
        key = basis.split(" ", 1)[0]
        if key not in self.spec.basis:
            declared = ", ".join(self.spec.basis)
            self._error(
                path,
                f"依据 {basis!r} 引用了未声明的文件 {key!r}；请在顶层 basis: 下声明（已声明：{declared}）",
            )

    def _duplicates(self, fields: dict[str, FieldInfo], names: frozenset[str]) -> None:
        ids = [r.id for r in self.spec.rules]
        for i, check in enumerate(self.spec.duplicates):
            base: Path_ = ("duplicates", i)
            self._basis(check.basis, (*base, "basis"))
            for j, name in enumerate(check.same):
                if name not in fields or fields[name].group is not None:
                    plain = [k for k, f in fields.items() if f.group is None]
                    self._error(
                        (*base, "same", j), f"same 里的 {name!r} 不是普通字段；可用：{', '.join(plain)}"
                    )
            self._placeholders(check.message, (*base, "message"), names | {"count"})
            if check.id in ids or [d.id for d in self.spec.duplicates].index(check.id) != i:
                self._error((*base, "id"), f"编号 {check.id!r} 与其他规则或重复检查重复")

    def _listing(self, fields: dict[str, FieldInfo]) -> None:
        """`listing:` names plain fields for the searched values, any name for the filtered ones."""
        listing = self.spec.listing
        plain = [k for k, f in fields.items() if f.group is None]
        for key in ("name", "unit", "phone"):
            name = getattr(listing, key)
            if name is not None and name not in plain:
                self._error(
                    ("listing", key), f"listing 的 {key}: {name!r} 不是普通字段；可用：{', '.join(plain)}"
                )
            elif key == "phone" and name is not None and not isinstance(fields[name].field, PhoneField):
                self._error(("listing", key), f"listing 的 phone: {name!r} 不是电话字段（cn_phone）")
        allowed = [*plain, *self.spec.computed, *self.spec.outcomes]
        for key in ("method", "occupation"):
            name = getattr(listing, key)
            if name is not None and name not in allowed:
                self._error(
                    ("listing", key),
                    f"listing 的 {key}: {name!r} 不是普通字段、computed 或 outcomes 的名称；"
                    f"可用：{', '.join(allowed)}",
                )

    def _rules(self, names: frozenset[str], computed: dict[str, frozenset[str]]) -> list[CompiledRule]:
        out = []
        for i, rule in enumerate(self.spec.rules):
            self._basis(rule.basis, ("rules", i, "basis"))
            for name in rule.set:
                if name not in self.spec.outcomes:
                    self._error(("rules", i, "set", name), f"结果值 {name!r} 未在 outcomes: 下声明")
            for text in [rule.message or "", rule.suggest or "", *rule.set.values()]:
                self._placeholders(text, ("rules", i), names)
            if rule.fix is not None:
                self._placeholders(rule.fix.value, ("rules", i, "fix", "value"), names)
            expr = self._expr(rule.when, ("rules", i, "when"), names - set(self.spec.outcomes))
            if expr is not None:
                out.append(CompiledRule(rule, expr, self._expand(expr.names, computed)))
        ids = [r.id for r in self.spec.rules]
        for i, rule_id in enumerate(ids):
            if ids.index(rule_id) != i:
                self._error(("rules", i, "id"), f"规则编号 {rule_id!r} 重复")
        return out

    def _fixes(self, fields: dict[str, FieldInfo]) -> None:
        """A rule's `fix:` names a question outside repeat groups; a fixed value is one of its choices."""
        for i, rule in enumerate(self.spec.rules):
            if rule.fix is None:
                continue
            info = fields.get(rule.fix.field)
            if info is None or info.group is not None:
                top = [k for k, f in fields.items() if f.group is None]
                self._error(
                    ("rules", i, "fix", "field"),
                    f"fix 的字段 {rule.fix.field!r} 不存在（须是重复组以外的字段）；可用：{', '.join(top)}",
                )
                continue
            options = self.choice_sets.get(rule.fix.field)
            value = rule.fix.value
            if options and not placeholders(value) and value not in options:
                self._error(
                    ("rules", i, "fix", "value"),
                    f"{rule.fix.field} 没有选项 {value!r}；{rule.fix.field} 的选项：{'、'.join(options)}",
                )

    def _documents(self, names: frozenset[str]) -> list[CompiledDocument]:
        out = []
        for i, doc in enumerate(self.spec.documents):
            if self.templates is not None and not (self.templates / doc.template).is_file():
                self._error(("documents", i, "template"), f"模板文件 {self.templates / doc.template} 不存在")
            self._placeholders(doc.filename, ("documents", i, "filename"), names)
            for key, text in doc.values.items():
                self._placeholders(text, ("documents", i, "values", key), names)
            out.append(CompiledDocument(doc, self._expr(doc.when, ("documents", i, "when"), names)))
        return out

    def _placeholders(self, text: str, path: Path_, names: frozenset[str]) -> None:
        for name in placeholders(text):
            if name not in names:
                self._error(path, f"文字中的 {{{name}}} 不是字段、computed 或 outcomes 的名称")

    def _check_literals(self, fields: dict[str, FieldInfo]) -> None:
        """A rule comparing a choice field with a text that is not one of its choices is a typo."""
        for path, source in self._expression_sources():
            pairs = _EQ_LITERAL.findall(source) + [(b, a) for a, b in _LITERAL_EQ.findall(source)]
            pairs += [
                (name, lit)
                for name, body in _IN_LIST.findall(source)
                for lit in re.findall(r'"([^"]*)"', body)
            ]
            pairs += [(name, lit) for lit, name in _LITERAL_IN.findall(source)]
            for name, literal in pairs:
                options = self.choice_sets.get(name)
                info = fields.get(name)
                if options is None or info is None or isinstance(info.field, YesNoField):
                    continue
                if literal not in options:
                    self._error(
                        path,
                        f"{name} 没有选项 {literal!r}（表达式：{source}）；{name} 的选项：{'、'.join(options)}",
                    )

    def _expression_sources(self) -> Iterable[tuple[Path_, str]]:
        for path, value in _walk_strings(self.source.data, ()):
            if (path and path[-1] in ("when", "rule", "derive", "check_when", "where")) or (
                len(path) == 2 and path[0] == "computed"
            ):
                yield path, value

    def _error(self, path: Path_, message: str, column: int | None = None) -> None:
        where = self.source.where(path)
        if column is not None and column > 0:
            where = Where(where.file, where.line, where.column + column - 1)
        self.errors.append(SpecError(where, message))


def _walk_strings(data: Any, path: Path_) -> Iterable[tuple[Path_, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk_strings(value, (*path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _walk_strings(value, (*path, i))
    elif isinstance(data, str):
        yield path, data


def _dependents(program: FormProgram) -> dict[str, frozenset[str]]:
    """For each field key, the other field keys whose checks, when or derive read it."""
    out: dict[str, set[str]] = {}
    for key, info in program.fields.items():
        exprs = [c.expr for c in info.checks] + [e for e in (info.when, info.derive, info.check_when) if e]
        for expr in exprs:
            for name in program.inputs(expr.names):
                if name != key:
                    out.setdefault(name, set()).add(key)
    return {k: frozenset(v) for k, v in out.items()}
