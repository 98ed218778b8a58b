"""Form scenarios: an answers file, what must come out, and a runner that lists every difference.

A scenario (format: tests/scenarios/README.md) is filled in-process through the same `fill` an applicant's
answers file goes through, on a fresh data directory of its own, and compared with its `expect`. Used by
`shenbao test-forms` and by the test suite.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.engine.yamlsource import SpecErrors, read
from bot.fill import AnswersError, FillResult, fill
from bot.registry import Registry, UnknownTarget

DEFAULT_TODAY = "2023-09-20"
SCENARIO_KEYS = {"description", "campaign", "today", "base", "answers", "expect"}
EXPECT_KEYS = {
    "status",
    "exit",
    "outcomes",
    "findings",
    "no_findings",
    "errors",
    "documents",
    "checklist_contains",
    "checklist_not_contains",
    "result_checklist_not_contains",
    "ignored",
}
STATUSES = ("complete", "ineligible", "invalid")
FINDING_KEYS = {"rule", "outcome", "basis", "message", "suggest"}
TEXT_KEYS = {"contains", "not_contains"}


@dataclass
class ScenarioResult:
    path: Path
    form: str
    description: str = ""
    differences: list[str] = field(default_factory=list)
    got: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.differences

    @property
    def name(self) -> str:
        return f"{self.form}/{self.path.stem}"


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files under the given files or folders (files whose name starts with `base` are shared
    answers, not scenarios)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.yaml") if not p.name.startswith("base"))
        elif path.suffix in (".yaml", ".yml"):
            out.append(path)
    return out


def document_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one per line (raises if python-docx cannot open it)."""
    from docx import Document

    document = Document(io.BytesIO(data))
    return "\n".join([p.text for p in document.paragraphs] + list(_cells_text(document.tables)))


def _cells_text(tables: list[Any]) -> Iterator[str]:
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                yield from (p.text for p in cell.paragraphs)
                yield from _cells_text(cell.tables)


def shape_problems(scenario: Any) -> list[str]:
    """What is wrong with the scenario file itself (unknown keys, missing parts)."""
    if not isinstance(scenario, dict):
        return ["场景文件顶层应为映射（description、campaign、answers、expect）"]
    problems = [
        f"未知的键 {k!r}；可用：{', '.join(sorted(SCENARIO_KEYS))}"
        for k in scenario
        if k not in SCENARIO_KEYS
    ]
    problems += [f"缺少 {k}" for k in ("description", "campaign") if not scenario.get(k)]
    expect = scenario.get("expect")
    if not isinstance(expect, dict) or expect.get("status") not in STATUSES:
        return [*problems, f"expect.status 应为 {' / '.join(STATUSES)} 之一"]
    problems += [
        f"expect 下未知的键 {k!r}；可用：{', '.join(sorted(EXPECT_KEYS))}"
        for k in expect
        if k not in EXPECT_KEYS
    ]
    if "outcomes" in expect and not isinstance(expect["outcomes"], dict):
        problems.append("expect.outcomes 应为“结果值名称: 值”的映射")
    for finding in expect.get("findings") or []:
        if not isinstance(finding, dict) or "rule" not in finding:
            problems.append(f"expect.findings 的每一项要写 rule：{finding!r}")
            continue
        problems += [f"findings 下未知的键 {k!r}" for k in finding if k not in FINDING_KEYS]
    documents = expect.get("documents")
    if expect["status"] == "complete" and not documents:
        problems.append(
            "status 为 complete 的场景要写 expect.documents：每个应生成的文件编号及其中应有的文字"
        )
    if documents is not None:
        if not isinstance(documents, dict):
            problems.append("expect.documents 应为“文件编号: {contains: [...], not_contains: [...]}”的映射")
        else:
            for doc_id, texts in documents.items():
                if not isinstance(texts, dict) or set(texts) - TEXT_KEYS:
                    problems.append(f"expect.documents.{doc_id} 只能写 contains 和 not_contains")
    return problems


def scenario_answers(path: Path, scenario: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if scenario.get("base"):
        base = read(path.parent / str(scenario["base"])).data
        if isinstance(base, dict):
            answers.update(base)
    for key, value in (scenario.get("answers") or {}).items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def _find(findings: list[dict[str, Any]], want: dict[str, Any]) -> bool:
    for f in findings:
        if f.get("rule") != want["rule"] or f.get("outcome") != want.get("outcome", f.get("outcome")):
            continue
        if all(str(want[k]) in str(f.get(k) or "") for k in ("basis", "message", "suggest") if k in want):
            return True
    return False


def compare(scenario: dict[str, Any], form: str, result: FillResult, exit_code: int) -> list[str]:
    """Every way a fill differs from the scenario's `expect` (empty when it matches)."""
    expect = scenario["expect"]
    data = result.data
    diffs: list[str] = []
    status = data.get("status")
    if status != expect["status"]:
        diffs.append(f"status: expected {expect['status']!r}, got {status!r}")
    want_exit = expect.get("exit", 1 if expect["status"] == "invalid" else 0)
    if exit_code != want_exit:
        diffs.append(f"exit code: expected {want_exit}, got {exit_code}")
    if data.get("form") != form:
        diffs.append(f"form: expected {form!r} (the folder name), got {data.get('form')!r}")
    if data.get("campaign") != scenario["campaign"]:
        diffs.append(f"campaign: expected {scenario['campaign']!r}, got {data.get('campaign')!r}")
    outcomes = data.get("outcomes") or {}
    for name, value in (expect.get("outcomes") or {}).items():
        if outcomes.get(name) != value:
            diffs.append(f"outcome {name}: expected {value!r}, got {outcomes.get(name)!r}")

    findings = data.get("findings") or []
    diffs += [f"missing finding {want}" for want in expect.get("findings") or [] if not _find(findings, want)]
    present = {f.get("rule") for f in findings}
    diffs += [f"unexpected finding {rule!r}" for rule in expect.get("no_findings") or [] if rule in present]

    errors = data.get("errors") or []
    for want in expect.get("errors") or []:
        if not any(
            e.get("field") == want.get("field") and str(want.get("message", "")) in str(e.get("message"))
            for e in errors
        ):
            diffs.append(f"missing error {want}")
    if expect["status"] != "invalid" and errors:
        diffs.append(f"unexpected errors {errors}")

    ineligible = [f for f in findings if f.get("outcome") == "ineligible"]
    md = result.checklist_md
    if status == "ineligible":
        if not ineligible:
            diffs.append("status is ineligible but no finding has outcome ineligible")
        if "不符合申报条件" not in md:
            diffs.append("checklist.md does not hold the written explanation (不符合申报条件)")
        for f in ineligible:
            for part in (f.get("message"), f.get("basis")):
                if part and str(part) not in md:
                    diffs.append(f"checklist.md does not explain {f.get('rule')}: {part!r} missing")
        if result.documents:
            diffs.append(f"an ineligible applicant got documents: {data.get('documents')}")
    if status == "complete":
        if ineligible:
            diffs.append(f"status is complete but there are ineligible findings {ineligible}")
        if sorted(data.get("ignored") or []) != sorted(expect.get("ignored") or []):
            diffs.append(
                f"ignored answers: expected {expect.get('ignored') or []}, got {data.get('ignored')}"
            )
    diffs += _document_diffs(expect, result, status == "complete")
    diffs += [f"checklist.md lacks {s!r}" for s in expect.get("checklist_contains") or [] if str(s) not in md]
    diffs += [f"checklist.md has {s!r}" for s in expect.get("checklist_not_contains") or [] if str(s) in md]
    items = [
        str(i.get("text", "")) if isinstance(i, dict) else str(i)
        for sec in (data.get("checklist") or {}).get("sections") or []
        for i in sec.get("items") or []
    ]
    for text in expect.get("result_checklist_not_contains") or []:
        diffs += [f"result.json checklist item has {text!r}: {i!r}" for i in items if str(text) in i]
    return diffs


def _document_diffs(expect: dict[str, Any], result: FillResult, complete: bool) -> list[str]:
    wanted: dict[str, Any] = expect.get("documents") or {}
    produced = {doc.id: doc for doc in result.documents}
    diffs: list[str] = []
    if complete and wanted and sorted(produced) != sorted(wanted):
        diffs.append(f"documents: expected {sorted(wanted)}, got {sorted(produced)}")
    for doc_id, texts in wanted.items():
        doc = produced.get(doc_id)
        if doc is None:
            if complete:
                continue  # already reported above
            diffs.append(f"document {doc_id!r} was not produced")
            continue
        try:
            text = document_text(doc.data)
        except Exception as exc:  # any failure to reopen the file is a finding, not a crash
            diffs.append(f"document {doc_id!r} does not open: {exc!r}")
            continue
        diffs += [
            f"document {doc_id!r} lacks {s!r}" for s in texts.get("contains") or [] if str(s) not in text
        ]
        diffs += [f"document {doc_id!r} has {s!r}" for s in texts.get("not_contains") or [] if str(s) in text]
    return diffs


def run_scenario(path: Path, registry: Registry) -> ScenarioResult:
    """Fill one scenario on a fresh data directory and compare it with its expectations."""
    from bot.intake import Intake
    from storage import Store

    form = path.parent.name
    try:
        scenario = read(path).data
    except SpecErrors as exc:
        return ScenarioResult(path, form, "", [f"场景文件有误：{exc}"])
    outcome = ScenarioResult(
        path, form, str((scenario or {}).get("description", "")) if isinstance(scenario, dict) else ""
    )
    outcome.differences = shape_problems(scenario)
    if outcome.differences:
        return outcome
    try:
        today = dt.date.fromisoformat(str(scenario.get("today", DEFAULT_TODAY)))
        answers = scenario_answers(path, scenario)
    except (ValueError, SpecErrors, OSError) as exc:
        outcome.differences = [f"场景文件有误：{exc}"]
        return outcome
    with tempfile.TemporaryDirectory(prefix="shenbao-scenario-") as tmp, Store(Path(tmp)) as store:
        intake = Intake(registry, store, clock=lambda: today)
        try:
            result = fill(intake, str(scenario["campaign"]), answers, base=path.parent, today=today)
        except (AnswersError, UnknownTarget) as exc:
            outcome.differences = [f"答案有误：{exc}"]
            return outcome
    outcome.differences = compare(scenario, form, result, result.exit_code)
    outcome.got = {
        "status": result.data.get("status"),
        "outcomes": result.data.get("outcomes"),
        "findings": [
            (f.get("rule"), f.get("outcome"), f.get("basis")) for f in result.data.get("findings") or []
        ],
        "errors": result.data.get("errors"),
    }
    return outcome
