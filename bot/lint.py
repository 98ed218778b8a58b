"""`shenbao lint`: every problem in form and campaign files, with `file:line:column` and what to write instead.

Loading already rejects what makes a form unusable (schema errors, unknown names in expressions, choices
that do not exist, undeclared `basis`, missing templates). Lint adds what loads but is still a mistake:
questions that can never be asked, checklist items, rules and documents whose condition can never hold,
template placeholders that name nothing, and answers that are collected but used nowhere.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, nodes
from jinja2.exceptions import TemplateSyntaxError

from bot.engine.expressions import Expr, value_of
from bot.engine.loader import load_campaign, load_form
from bot.engine.program import FormProgram
from bot.engine.text import placeholders
from bot.engine.yamlsource import Path_, Source, SpecErrors, Where, read

ERROR = "错误"
WARNING = "警告"
TEMPLATE_GLOBALS = frozenset({"institution"})
_ALWAYS_UNKNOWN = frozenset({"today", "campaign"})
_OUTCOME_EQ = re.compile(r'\b([a-z][a-z0-9_]*)\s*==\s*"([^"]*)"')
_EQ_OUTCOME = re.compile(r'"([^"]*)"\s*==\s*([a-z][a-z0-9_]*)\b')
# Words of a note for authors (what the source did not say, what is still to be filled in): such text is a
# YAML comment, never a checklist line an applicant reads and ticks.
AUTHOR_NOTE = re.compile(
    r"原文未公开|原文缺失|未随通知公开|待补充|待核实|待确认|占位|TODO|FIXME|XXX", re.IGNORECASE
)
AUTHOR_NOTE_HINT = "像是写给作者的备注（{word}）：申报人会在提交清单里看到它。请改成 YAML 注释（# …），清单只写申报人要做的事"


@dataclass(frozen=True)
class Problem:
    where: Where
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}：{self.message}"


def lint(paths: Iterable[Path], forms_dir: Path, templates_dir: Path) -> list[Problem]:
    """Problems in the form and campaign files under `paths` (files or folders)."""
    problems: list[Problem] = []
    forms: dict[str, FormProgram] = {}
    campaigns: list[Path] = []
    for path in _yaml_files(paths):
        if path.parent.name == "campaigns":
            campaigns.append(path)
        elif path.parent.name not in ("catalogs", "calendar"):
            program, found = lint_form(path, forms_dir, templates_dir)
            problems += found
            if program is not None:
                forms[program.id] = program
    known_forms = forms | _other_forms(forms_dir, templates_dir, forms)
    for path in campaigns:
        problems += _lint_campaign(path, known_forms)
    return problems


def _yaml_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.yaml"))
        else:
            yield path


def _other_forms(
    forms_dir: Path, templates_dir: Path, have: dict[str, FormProgram]
) -> dict[str, FormProgram]:
    """Forms not being linted that campaigns may still point to."""
    out: dict[str, FormProgram] = {}
    for path in sorted(forms_dir.glob("*.yaml")):
        try:
            program = load_form(path, catalogs=forms_dir / "catalogs", templates=templates_dir)
        except SpecErrors:
            continue
        if program.id not in have:
            out[program.id] = program
    return out


def _lint_campaign(path: Path, forms: dict[str, FormProgram]) -> list[Problem]:
    try:
        campaign = load_campaign(path)
    except SpecErrors as exc:
        return [Problem(e.where, ERROR, e.message) for e in exc.errors]
    source = read(path)
    notes = _author_notes(source, campaign)
    if campaign.form in forms:
        return notes
    known = "、".join(sorted(forms)) or "（没有可用的表单）"
    missing = f"form: {campaign.form!r} 不存在；请写已有的表单编号：{known}"
    return [*notes, Problem(source.where(("form",)), ERROR, missing)]


def _author_notes(source: Source, campaign: Any) -> list[Problem]:
    """Campaign text that reaches the applicant's checklist but reads like a note for authors."""
    texts: list[tuple[Path_, str]] = [(("notes", i), note) for i, note in enumerate(campaign.notes)]
    courier = campaign.courier
    texts += [(("courier", key), getattr(courier, key)) for key in ("address", "recipient", "note")]
    return [
        Problem(source.where(path), WARNING, AUTHOR_NOTE_HINT.format(word=found.group(0)))
        for path, text in texts
        if text and (found := AUTHOR_NOTE.search(text))
    ]


def lint_form(path: Path, forms_dir: Path, templates_dir: Path) -> tuple[FormProgram | None, list[Problem]]:
    try:
        program = load_form(path, catalogs=forms_dir / "catalogs", templates=templates_dir)
    except SpecErrors as exc:
        return None, [Problem(e.where, ERROR, e.message) for e in exc.errors]
    found = _FormLint(program, read(path), templates_dir).run()
    return program, sorted(found, key=lambda p: (p.where.line, p.where.column))


class _FormLint:
    def __init__(self, program: FormProgram, source: Source, templates_dir: Path) -> None:
        self.program = program
        self.source = source
        self.templates_dir = templates_dir
        self.problems: list[Problem] = []
        self.paths = self._field_paths()

    def run(self) -> list[Problem]:
        never = self._never_asked()
        self._conditions(never)
        self._author_notes()
        self._summary_print()
        used = self._templates()
        self._unused(used)
        return self.problems

    def _add(self, path: Path_, severity: str, message: str, key: bool = False) -> None:
        self.problems.append(Problem(self.source.where(path, key=key), severity, message))

    def _author_notes(self) -> None:
        for i, item in enumerate(self.program.spec.checklist):
            found = AUTHOR_NOTE.search(item.text)
            if found:
                self._add(("checklist", i, "text"), WARNING, AUTHOR_NOTE_HINT.format(word=found.group(0)))

    def _summary_print(self) -> None:
        """A summary template whose sheet says “fit to N pages wide/tall” without switching fitting on: Excel
        and LibreOffice then print at 100 % and the last columns go to pages of their own."""
        from openpyxl import load_workbook

        for i, summary in enumerate(self.program.spec.summaries):
            path = self.templates_dir / summary.template if summary.template else None
            if path is None or not path.is_file():
                continue
            try:
                workbook = load_workbook(path)
            except (OSError, KeyError, ValueError, zipfile.BadZipFile):
                continue  # reported when the form is loaded
            for ws in workbook.worksheets:
                setup, fit = ws.page_setup, ws.sheet_properties.pageSetUpPr
                if (setup.fitToWidth or setup.fitToHeight) and not (fit is not None and fit.fitToPage):
                    self._add(
                        ("summaries", i, "template"),
                        WARNING,
                        f"模板 {summary.template} 工作表 {ws.title!r} 设了“调整为 {setup.fitToWidth or 1} 页宽”，"
                        "但没有打开缩放调整（fitToPage），打印时不生效，右边的列会单独印到别的页上。"
                        "请在 Excel“页面设置 → 缩放”里选“调整为”，或在生成模板的脚本里写 "
                        "ws.sheet_properties.pageSetUpPr.fitToPage = True",
                    )

    def _field_paths(self) -> dict[str, Path_]:
        out: dict[str, Path_] = {}
        for s_index, section in enumerate(self.program.spec.sections):
            for f_index, f in enumerate(section.fields):
                key = f.id if section.repeat is None else f"{section.id}.{f.id}"
                out[key] = ("sections", s_index, "fields", f_index)
            if section.repeat is not None:
                out[section.id] = ("sections", s_index)
        return out

    # -- conditions that can never hold ------------------------------------------------------------

    def _never_true(self, expr: Expr, never: set[str]) -> bool:
        """True when the expression reads only answers that are never given (or nothing at all) and is
        then not true — so it is never true."""
        inputs = self.program.inputs(expr.names)
        if inputs & _ALWAYS_UNKNOWN or not inputs <= never:
            return False
        values: dict[str, Any] = {name: None for name in never}
        for name, computed in self.program.computed:
            values[name] = value_of(computed, values)
        return value_of(expr, values) is not True

    def _never_asked(self) -> set[str]:
        never: set[str] = set()
        changed = True
        while changed:
            changed = False
            for key, info in self.program.fields.items():
                if key in never:
                    continue
                conditions = [c for c in (info.section_when, info.when) if c is not None]
                if any(self._never_true(c, never) for c in conditions):
                    never.add(key)
                    if info.group is not None:
                        never.add(info.group)
                    changed = True
        for key in sorted(never, key=lambda k: list(self.paths).index(k) if k in self.paths else 0):
            asked = self.program.fields.get(key)
            if asked is None:
                continue
            own = asked.when is not None and self._never_true(asked.when, never)
            path = (*self.paths[key], "when") if own else (*self.paths[key][:2], "when")
            self._add(
                path,
                ERROR,
                f"“{asked.field.label or asked.id}”（{key}）永远不会被问到：条件永远不成立。"
                "请检查 when 里的字段名和取值，或删掉这道题",
            )
        return never

    def _conditions(self, never: set[str]) -> None:
        possible = self._possible_outcomes()
        for i, item in enumerate(self.program.checklist):
            if item.when is not None:
                self._condition(
                    item.when, ("checklist", i, "when"), never, possible, f"清单项“{item.item.text[:20]}”"
                )
        for i, rule in enumerate(self.program.rules):
            if self._never_true(rule.expr, never):
                self._add(
                    ("rules", i, "when"),
                    ERROR,
                    f"规则 {rule.rule.id} 永远不会成立；请检查 when，或删掉这条规则",
                )
        for i, doc in enumerate(self.program.documents):
            if doc.when is not None:
                self._condition(
                    doc.when, ("documents", i, "when"), never, possible, f"文件 {doc.document.id}"
                )

    def _condition(
        self, expr: Expr, path: Path_, never: set[str], possible: dict[str, set[str] | None], what: str
    ) -> None:
        if self._never_true(expr, never):
            self._add(path, ERROR, f"{what}的条件永远不成立；请检查 when 里的名称和取值")
            return
        pairs = _OUTCOME_EQ.findall(expr.source) + [(b, a) for a, b in _EQ_OUTCOME.findall(expr.source)]
        for name, literal in pairs:
            values = possible.get(name)
            if values is not None and literal not in values:
                listed = "、".join(sorted(values)) or "（没有规则设定它）"
                self._add(
                    path,
                    ERROR,
                    f"{what}的条件 {name} == {literal!r} 永远不成立：没有规则把结果值 {name} 设为 {literal!r}。"
                    f"规则设定的值：{listed}",
                )

    def _possible_outcomes(self) -> dict[str, set[str] | None]:
        """Each outcome's possible values, from the rules' `set` (None when a value is built from answers)."""
        out: dict[str, set[str] | None] = {name: set() for name in self.program.spec.outcomes}
        for compiled in self.program.rules:
            for name, text in compiled.rule.set.items():
                seen = out.get(name)
                if seen is None:
                    continue
                if placeholders(text):
                    out[name] = None
                else:
                    seen.add(text)
        return out

    # -- templates -----------------------------------------------------------------------------------

    def _templates(self) -> set[str]:
        """Check each document template's names; return every name the templates use."""
        program = self.program
        known = set(program.items) | {n for n, _ in program.computed} | set(program.spec.outcomes)
        known |= TEMPLATE_GLOBALS
        used: set[str] = set()
        for i, compiled in enumerate(program.documents):
            doc = compiled.document
            path = self.templates_dir / doc.template
            if not path.is_file() or path.suffix != ".docx":
                continue
            names = known | set(doc.values)
            try:
                top, loops = template_names(path)
            except (TemplateSyntaxError, zipfile.BadZipFile, KeyError) as exc:
                self._add(("documents", i, "template"), ERROR, f"模板 {doc.template} 无法读取：{exc}")
                continue
            used |= top
            for text in doc.values.values():
                used |= set(placeholders(text))
            used |= set(placeholders(doc.filename))
            for name in sorted(top - names):
                self._add(
                    ("documents", i, "template"),
                    ERROR,
                    f"模板 {doc.template} 里的 {{{{ {name} }}}} 不是字段、重复组、computed、outcomes 或 values 的名称，"
                    "生成时会是空白；请改成已有的名称（见 docs/walkthrough.md 第 5 步）",
                )
            for group, column in sorted(loops):
                info = program.groups.get(group)
                if info is None:
                    continue
                columns = [c.id for c in info.columns]
                if column not in columns:
                    self._add(
                        ("documents", i, "template"),
                        ERROR,
                        f"模板 {doc.template} 里 {group} 的行没有列 {column!r}；可用的列：{', '.join(columns)}",
                    )
        return used | self._summary_names()

    def _summary_names(self) -> set[str]:
        """Names the summary tables (Excel) show, sort or split by."""
        from bot.engine.summaries import COMMON_PREFIX, ROW_PREFIX, scan_template

        used: set[str] = set()
        for compiled in self.program.summaries:
            for column in compiled.columns:
                used |= set(placeholders(column.text or "")) | {column.name or ""}
                used |= set(column.expr.names if column.expr else ())
        for summary in self.program.spec.summaries:
            used |= {summary.sheet_by or "", *summary.sort_by}
            if summary.template is None:
                continue
            path = self.templates_dir / summary.template
            if not path.is_file():
                continue
            for placeholder in scan_template(path):
                for prefix in (ROW_PREFIX, COMMON_PREFIX):
                    if placeholder.name.startswith(prefix):
                        used.add(placeholder.name[len(prefix) :])
        return used

    def _unused(self, used_in_templates: set[str]) -> None:
        """Answers that no template shows and no expression, text or value reads: collected for nothing."""
        program = self.program
        if not program.documents and not program.spec.summaries:
            return
        read_names: set[str] = set()
        exprs: list[Expr] = [e for _, e in program.computed] + [r.expr for r in program.rules]
        exprs += [c.when for c in program.checklist if c.when] + [d.when for d in program.documents if d.when]
        for info in program.fields.values():
            exprs += [c.expr for c in info.checks]
            exprs += [e for e in (info.when, info.section_when, info.derive, info.check_when) if e]
        for group in program.groups.values():
            exprs += [c.expr for c in group.checks]
        for expr in exprs:
            read_names |= self.program.inputs(expr.names)
        for item in program.checklist:
            read_names |= self.program.inputs(placeholders(item.item.text))
        for rule in program.rules:
            for text in (rule.rule.message or "", rule.rule.suggest or "", *rule.rule.set.values()):
                read_names |= self.program.inputs(placeholders(text))
        for key in program.items:
            if key in used_in_templates or key in read_names or key == "name":
                continue
            path = self.paths.get(key)
            if path is None:
                continue
            self._add(
                (*path, "id"),
                WARNING,
                f"字段 {key} 的答案没有用处：没有出现在任何模板（Word 或汇总表）里，也没有被规则、条件、计算或文字用到。"
                f"请在模板里加 {{{{ {key} }}}}，或删掉这道题",
            )


def template_names(path: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """The names a .docx template reads at the top level, and (group, column) pairs read in `for` loops."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    tpl.init_docx()
    parts = [tpl.get_xml()]
    for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
        parts += [tpl.get_part_xml(part) for _, part in tpl.get_headers_footers(uri)]
    top: set[str] = set()
    loops: set[tuple[str, str]] = set()
    env = Environment()
    for xml in parts:
        tree = env.parse(tpl.patch_xml(xml))
        _walk(tree, {}, top, loops)
    return top, loops


def _walk(node: nodes.Node, bound: dict[str, str | None], top: set[str], loops: set[tuple[str, str]]) -> None:
    if isinstance(node, nodes.For):
        _walk(node.iter, bound, top, loops)
        inner = dict(bound)
        group = node.iter.name if isinstance(node.iter, nodes.Name) else None
        for target in (
            node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]
        ):
            inner[target.name] = group
        inner["loop"] = None
        for child in [*node.body, *node.else_]:
            _walk(child, inner, top, loops)
        if node.test is not None:
            _walk(node.test, inner, top, loops)
        return
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in bound:
        group = bound[node.node.name]
        if group is not None:
            loops.add((group, node.attr))
        return
    if isinstance(node, nodes.Name) and node.ctx == "load":
        if node.name not in bound:
            top.add(node.name)
        return
    if isinstance(node, nodes.Assign | nodes.With):
        for child in node.iter_child_nodes():
            _walk(child, bound, top, loops)
        return
    for child in node.iter_child_nodes():
        _walk(child, bound, top, loops)
